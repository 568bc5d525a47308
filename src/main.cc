// runledger: the RunLedger server and its offline tools.
//
//   runledger serve   [--data-dir DIR] [--listen HOST:PORT] [--index-config FILE] ...
//   runledger replay  [--data-dir DIR] [--projection NAME]...     rebuild projections from the log
//   runledger dump    [--data-dir DIR] [--log]                    print projections (or the log)
//   runledger compact [--data-dir DIR]                            compact the store fully
//   runledger cel eval --expr EXPR [--bindings JSON] | --cases F  evaluate CEL expressions
#include <malloc.h>
#include <pthread.h>

#include <csignal>
#include <iostream>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "cxxopts.hpp"
#include "src/projections/store.h"
#include "src/query/cel/cel_command.h"
#include "src/query/server.h"

namespace runledger {
namespace {

constexpr char kDefaultDataDir[] = "runledger-data";

int Fail(const absl::Status& status) {
  std::cerr << "runledger: " << status << std::endl;
  return 1;
}

// Parses `argv` with `options`; prints help and returns false when asked or on error.
bool Parse(cxxopts::Options& options, int argc, char** argv, cxxopts::ParseResult* result,
           int* exit_code) {
  options.add_options()("h,help", "Print this help.");
  try {
    *result = options.parse(argc, argv);
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "runledger: " << e.what() << "\n" << options.help() << std::endl;
    *exit_code = 2;
    return false;
  }
  if (result->count("help")) {
    std::cout << options.help() << std::endl;
    *exit_code = 0;
    return false;
  }
  return true;
}

// Blocks SIGINT and SIGTERM in every thread (call before any thread starts) so that Serve can
// wait for them synchronously.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  return signals;
}

int Serve(int argc, char** argv) {
  cxxopts::Options options("runledger serve", "Run the RunLedger server.");
  options.add_options()("data-dir", "Directory of the embedded store (created if missing).",
                        cxxopts::value<std::string>()->default_value(kDefaultDataDir))(
      "listen", "gRPC address to listen on, HOST:PORT; port 0 picks a free port.",
      cxxopts::value<std::string>()->default_value("127.0.0.1:50051"))(
      "max-message-bytes", "Largest request message accepted, in bytes (upstream: 4 MiB).",
      cxxopts::value<int>()->default_value(std::to_string(4 << 20)))(
      "shutdown-grace-seconds", "On SIGTERM/SIGINT, how long in-flight RPCs may still run.",
      cxxopts::value<int>()->default_value("10"))(
      "index-config",
      "JSON file of user indexes, {\"indexes\": [{\"name\": N, \"expression\": E}]}; "
      "each is created (or recreated when its expression changed) and built in the background.",
      cxxopts::value<std::string>()->default_value(""))(
      "build-rate-limit", "Events per second index builds may fold; 0 for no limit.",
      cxxopts::value<uint64_t>()->default_value("0"));
  cxxopts::ParseResult args;
  int exit_code = 0;
  if (!Parse(options, argc, argv, &args, &exit_code)) return exit_code;

  sigset_t signals = BlockShutdownSignals();
  ServerOptions server_options;
  server_options.data_dir = args["data-dir"].as<std::string>();
  server_options.listen = args["listen"].as<std::string>();
  server_options.max_receive_message_bytes = args["max-message-bytes"].as<int>();
  server_options.index_config = args["index-config"].as<std::string>();
  server_options.build_events_per_second = args["build-rate-limit"].as<uint64_t>();
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(server_options);
  if (!server.ok()) return Fail(server.status());
  std::cout << absl::StrFormat("runledger: serving on %s (data dir %s)", (*server)->address(),
                               server_options.data_dir)
            << std::endl;

  int signal = 0;
  sigwait(&signals, &signal);
  std::cout << "runledger: " << strsignal(signal) << ", shutting down" << std::endl;
  (*server)->Shutdown(absl::Seconds(args["shutdown-grace-seconds"].as<int>()));
  std::cout << "runledger: stopped" << std::endl;
  return 0;
}

void PrintProgress(uint64_t done, uint64_t total) {
  const int width = 40;
  const int filled = total == 0 ? width : static_cast<int>(width * done / total);
  std::cerr << absl::StrFormat("\r[%s%s] %d/%d events", std::string(filled, '#'),
                               std::string(width - filled, ' '), done, total)
            << (done == total ? "\n" : "") << std::flush;
}

int Replay(int argc, char** argv) {
  cxxopts::Options options("runledger replay",
                           "Rebuild projections from the event log (server must be stopped).");
  options.add_options()("data-dir", "Directory of the store.",
                        cxxopts::value<std::string>()->default_value(kDefaultDataDir))(
      "projection", "Projection to rebuild (repeatable); all when omitted.",
      cxxopts::value<std::vector<std::string>>()->default_value({}));
  cxxopts::ParseResult args;
  int exit_code = 0;
  if (!Parse(options, argc, argv, &args, &exit_code)) return exit_code;

  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(args["data-dir"].as<std::string>());
  if (!store.ok()) return Fail(store.status());
  const auto start = absl::Now();
  std::vector<std::string> projections;
  if (args.count("projection")) projections = args["projection"].as<std::vector<std::string>>();
  absl::Status s = (*store)->Rebuild(projections, &PrintProgress);
  if (!s.ok()) return Fail(s);
  const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
  const uint64_t events = (*store)->log().LastSequence();
  std::cerr << absl::StrFormat("rebuilt from %d events in %.2f s (%.0f events/s)\n", events,
                               seconds, seconds > 0 ? events / seconds : 0.0);
  return 0;
}

int Dump(int argc, char** argv) {
  cxxopts::Options options("runledger dump",
                           "Print the projections' state, or the log (server must be stopped).");
  options.add_options()("data-dir", "Directory of the store.",
                        cxxopts::value<std::string>()->default_value(kDefaultDataDir))(
      "log", "Print the log, one `<sequence> <kind> <name>` line per event.");
  cxxopts::ParseResult args;
  int exit_code = 0;
  if (!Parse(options, argc, argv, &args, &exit_code)) return exit_code;

  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(args["data-dir"].as<std::string>());
  if (!store.ok()) return Fail(store.status());
  absl::Status s =
      args.count("log") ? (*store)->DumpLog(std::cout) : (*store)->DumpProjections(std::cout);
  return s.ok() ? 0 : Fail(s);
}

int Compact(int argc, char** argv) {
  cxxopts::Options options("runledger compact",
                           "Compact every column family fully (server must be stopped).");
  options.add_options()("data-dir", "Directory of the store.",
                        cxxopts::value<std::string>()->default_value(kDefaultDataDir));
  cxxopts::ParseResult args;
  int exit_code = 0;
  if (!Parse(options, argc, argv, &args, &exit_code)) return exit_code;

  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(args["data-dir"].as<std::string>());
  if (!store.ok()) return Fail(store.status());
  absl::Status s = (*store)->database().CompactAll();
  return s.ok() ? 0 : Fail(s);
}

int Usage(std::ostream& out, int code) {
  out << "usage: runledger <command> [flags]\n\n"
         "commands:\n"
         "  serve    run the server (gRPC tekton.results.v1alpha2.Results, health, reflection)\n"
         "  replay   rebuild projections from the event log, offline\n"
         "  dump     print the projections or the log, offline\n"
         "  compact  compact the store fully, offline\n\n"
         "`runledger <command> --help` explains each command's flags.\n";
  return code;
}

}  // namespace
}  // namespace runledger

int main(int argc, char** argv) {
  using namespace runledger;
  // RunLedger takes its locks in one fixed order; the detector's bookkeeping is pure overhead.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  // gRPC's many threads would each get a malloc arena of their own; a few shared ones keep the
  // resident set close to what is really in use.
  mallopt(M_ARENA_MAX, 2);
  if (argc < 2) return Usage(std::cerr, 2);
  const std::string command = argv[1];
  if (command == "-h" || command == "--help" || command == "help") return Usage(std::cout, 0);
  if (command == "serve") return Serve(argc - 1, argv + 1);
  if (command == "replay") return Replay(argc - 1, argv + 1);
  if (command == "dump") return Dump(argc - 1, argv + 1);
  if (command == "compact") return Compact(argc - 1, argv + 1);
  if (command == "cel") return cel::RunCelCommand(argc - 1, argv + 1);
  std::cerr << "runledger: unknown command \"" << command << "\"\n";
  return Usage(std::cerr, 2);
}
