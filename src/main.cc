// runledger: the RunLedger server and its offline tools.
//
//   runledger serve   [--data-dir DIR] [--listen HOST:PORT] ...   run the server
//                     [--index-config FILE] [--watch ...]         ... with user indexes, the
//                     watcher
//   runledger watch   --server HOST:PORT [watcher flags]          watch Tekton runs, store them
//   runledger replay  [--data-dir DIR] [--projection NAME]...     rebuild projections from the log
//   runledger dump    [--data-dir DIR] [--log]                    print projections (or the log)
//   runledger compact [--data-dir DIR]                            compact the store fully
//   runledger cel eval --expr EXPR [--bindings JSON] | --cases F  evaluate CEL expressions
#include <malloc.h>
#include <pthread.h>

#include <csignal>
#include <iostream>
#include <optional>
#include <thread>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "cxxopts.hpp"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "src/projections/store.h"
#include "src/query/cel/cel_command.h"
#include "src/query/server.h"
#include "src/watcher/controller.h"
#include "src/watcher/grpc_run_sink.h"
#include "src/watcher/ingestor_run_sink.h"
#include "src/watcher/kube_client.h"
#include "src/watcher/watcher_flags.h"

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

// A watcher Controller on threads of its own, storing through `sink`; logs its counters every
// 10 s while they change. Stops (and joins) when destroyed.
class BackgroundWatcher {
 public:
  BackgroundWatcher(watcher::WatcherSetup setup, std::unique_ptr<watcher::RunSink> sink)
      : kube_(std::move(setup.kube)),
        sink_(std::move(sink)),
        controller_(&kube_, sink_.get(), std::move(setup.controller)),
        thread_([this] { controller_.Run(stop_); }),
        reporter_([this] { Report(); }) {}

  ~BackgroundWatcher() {
    stop_.Notify();
    thread_.join();
    reporter_.join();
    Print();
  }

 private:
  void Report() {
    watcher::ControllerStats last;
    while (!stop_.WaitForNotificationWithTimeout(absl::Seconds(10))) {
      watcher::ControllerStats now = controller_.stats();
      if (now.events != last.events || now.stored != last.stored) Print();
      last = now;
    }
  }

  void Print() {
    const watcher::ControllerStats s = controller_.stats();
    std::cerr << absl::StrFormat(
                     "runledger watch: %d events, %d stored in %d batches, %d unchanged, %d "
                     "store failures, %d patches, %d deleted, %d finalizers released, %d waiting",
                     s.events, s.stored, s.batches, s.unchanged, s.store_failures, s.patches,
                     s.deleted, s.finalizers_released, controller_.waiting())
              << std::endl;
  }

  watcher::KubeClient kube_;
  std::unique_ptr<watcher::RunSink> sink_;
  watcher::Controller controller_;
  absl::Notification stop_;
  std::thread thread_;
  std::thread reporter_;
};

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
      cxxopts::value<uint64_t>()->default_value("0"))(
      "watch", "Also run the Tekton watcher in this process (flags as for `runledger watch`).");
  watcher::AddWatcherFlags(options);
  cxxopts::ParseResult args;
  int exit_code = 0;
  if (!Parse(options, argc, argv, &args, &exit_code)) return exit_code;
  std::optional<watcher::WatcherSetup> watch_setup;
  if (args.count("watch")) {
    absl::StatusOr<watcher::WatcherSetup> setup = watcher::WatcherSetupFromFlags(args);
    if (!setup.ok()) return Fail(setup.status());
    watch_setup = *std::move(setup);
  }

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
  std::unique_ptr<BackgroundWatcher> watcher;
  if (watch_setup.has_value()) {
    auto sink =
        std::make_unique<watcher::IngestorRunSink>((*server)->ingestor(), watch_setup->watcher_id);
    watcher = std::make_unique<BackgroundWatcher>(*std::move(watch_setup), std::move(sink));
  }

  int signal = 0;
  sigwait(&signals, &signal);
  std::cout << "runledger: " << strsignal(signal) << ", shutting down" << std::endl;
  watcher.reset();
  (*server)->Shutdown(absl::Seconds(args["shutdown-grace-seconds"].as<int>()));
  std::cout << "runledger: stopped" << std::endl;
  return 0;
}

int Watch(int argc, char** argv) {
  cxxopts::Options options("runledger watch",
                           "Watch Tekton TaskRuns, PipelineRuns and CustomRuns and store them in "
                           "a RunLedger server (runledger.v1.Ingest/UpsertRuns).");
  options.add_options()("server", "The RunLedger server's gRPC address, HOST:PORT.",
                        cxxopts::value<std::string>()->default_value("127.0.0.1:50051"));
  watcher::AddWatcherFlags(options);
  cxxopts::ParseResult args;
  int exit_code = 0;
  if (!Parse(options, argc, argv, &args, &exit_code)) return exit_code;
  absl::StatusOr<watcher::WatcherSetup> setup = watcher::WatcherSetupFromFlags(args);
  if (!setup.ok()) return Fail(setup.status());

  sigset_t signals = BlockShutdownSignals();
  const std::string server = args["server"].as<std::string>();
  auto sink = std::make_unique<watcher::GrpcRunSink>(
      grpc::CreateChannel(server, grpc::InsecureChannelCredentials()), setup->watcher_id,
      absl::Seconds(10));
  std::cout << absl::StrFormat("runledger: watching %s, storing in %s", setup->kube.server, server)
            << std::endl;
  {
    BackgroundWatcher watcher(*std::move(setup), std::move(sink));
    int signal = 0;
    sigwait(&signals, &signal);
    std::cout << "runledger: " << strsignal(signal) << ", shutting down" << std::endl;
  }
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
         "  watch    watch Tekton runs in Kubernetes and store them in a server\n"
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
  if (command == "watch") return Watch(argc - 1, argv + 1);
  if (command == "replay") return Replay(argc - 1, argv + 1);
  if (command == "dump") return Dump(argc - 1, argv + 1);
  if (command == "compact") return Compact(argc - 1, argv + 1);
  if (command == "cel") return cel::RunCelCommand(argc - 1, argv + 1);
  std::cerr << "runledger: unknown command \"" << command << "\"\n";
  return Usage(std::cerr, 2);
}
