// runledger-upsert-bench: the watcher's write path, runledger.v1.Ingest/UpsertRuns, under load.
// It renders --results PipelineRuns, each with --taskruns TaskRuns (bench/templates.h, the same
// objects runledger-bench stores), translates every object into its RunUpsert as the watcher
// does (src/watcher/run_translation.h), and sends them in batches of --batch runs, a
// PipelineRun's family together, from --streams threads with one call in flight each. Pass 1
// stores everything (creates); pass 2 resends the same batches, which must append nothing. For
// each pass it prints runs/s, batch latency percentiles and how many runs the server changed;
// any failed call or run is counted and makes the exit code 1.
//
//   runledger-upsert-bench --target 127.0.0.1:50051 --results 20000 --taskruns 4
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "bench/templates.h"
#include "cxxopts.hpp"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "runledger/v1/ingest.grpc.pb.h"
#include "src/watcher/run_translation.h"

namespace runledger::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Config {
  std::string target;
  int64_t results;
  int taskruns;
  int batch;
  int streams;
};

struct PassStats {
  int64_t runs = 0;
  int64_t changed = 0;  // runs whose Result or Record the server changed
  int64_t failures = 0;
  double translate_seconds = 0;
  std::vector<double> latencies_ms;
};

// The RunUpserts of result `index`'s family, PipelineRun first.
std::vector<v1::RunUpsert> FamilyUpserts(const RecordFactory& factory, int64_t index,
                                         double* translate_seconds) {
  const ResultDocs docs = factory.Make(index);
  const Clock::time_point start = Clock::now();
  std::vector<v1::RunUpsert> upserts;
  std::vector<const std::string*> objects = {&docs.pipelinerun_final};
  for (const TaskRunDoc& taskrun : docs.taskruns) objects.push_back(&taskrun.json);
  for (const std::string* object : objects) {
    absl::StatusOr<watcher::TranslatedRun> run =
        watcher::TranslateRun(nlohmann::json::parse(*object));
    if (run.ok()) upserts.push_back(std::move(run->upsert));
  }
  *translate_seconds += std::chrono::duration<double>(Clock::now() - start).count();
  return upserts;
}

// One stream: sends the batches of results [begin, end).
void Stream(const Config& config, const RecordFactory& factory, v1::Ingest::Stub* stub,
            int64_t begin, int64_t end, PassStats* stats) {
  v1::UpsertRunsRequest request;
  request.set_watcher_id("bench");
  auto send = [&] {
    if (request.runs_size() == 0) return;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::UpsertRunsResponse response;
    const Clock::time_point start = Clock::now();
    grpc::Status status = stub->UpsertRuns(&context, request, &response);
    stats->latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - start).count());
    stats->runs += request.runs_size();
    if (!status.ok()) {
      stats->failures += request.runs_size();
      if (stats->failures == request.runs_size()) {
        std::fprintf(stderr, "UpsertRuns: %s\n", status.error_message().c_str());
      }
    }
    for (const v1::RunUpsertResult& outcome : response.results()) {
      if (outcome.code() != 0) ++stats->failures;
      if (outcome.result_changed() || outcome.record_changed()) ++stats->changed;
    }
    request.clear_runs();
  };
  for (int64_t i = begin; i < end; ++i) {
    for (v1::RunUpsert& upsert : FamilyUpserts(factory, i, &stats->translate_seconds)) {
      *request.add_runs() = std::move(upsert);
    }
    if (request.runs_size() >= config.batch) send();
  }
  send();
}

PassStats RunPass(const Config& config, const RecordFactory& factory,
                  const std::shared_ptr<grpc::Channel>& channel, double* seconds) {
  std::vector<PassStats> per_stream(config.streams);
  std::vector<std::thread> threads;
  const Clock::time_point start = Clock::now();
  for (int s = 0; s < config.streams; ++s) {
    threads.emplace_back([&, s] {
      auto stub = v1::Ingest::NewStub(channel);
      const int64_t begin = config.results * s / config.streams;
      const int64_t end = config.results * (s + 1) / config.streams;
      Stream(config, factory, stub.get(), begin, end, &per_stream[s]);
    });
  }
  for (std::thread& thread : threads) thread.join();
  *seconds = std::chrono::duration<double>(Clock::now() - start).count();
  PassStats total;
  for (PassStats& stream : per_stream) {
    total.runs += stream.runs;
    total.changed += stream.changed;
    total.failures += stream.failures;
    total.translate_seconds += stream.translate_seconds;
    total.latencies_ms.insert(total.latencies_ms.end(), stream.latencies_ms.begin(),
                              stream.latencies_ms.end());
  }
  std::sort(total.latencies_ms.begin(), total.latencies_ms.end());
  return total;
}

double Percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  return sorted[std::min(sorted.size() - 1, static_cast<size_t>(p * sorted.size()))];
}

void Print(const char* pass, const PassStats& stats, double seconds) {
  std::printf(
      "%-7s %8lld runs in %6.2f s = %7.0f runs/s  batch p50 %6.1f ms  p99 %6.1f ms  changed "
      "%lld  failed %lld  translation %.0f runs/s per thread\n",
      pass, static_cast<long long>(stats.runs), seconds, stats.runs / seconds,
      Percentile(stats.latencies_ms, 0.5), Percentile(stats.latencies_ms, 0.99),
      static_cast<long long>(stats.changed), static_cast<long long>(stats.failures),
      stats.translate_seconds > 0 ? stats.runs / stats.translate_seconds : 0.0);
}

int Main(int argc, char** argv) {
  cxxopts::Options options("runledger-upsert-bench", "Load on runledger.v1.Ingest/UpsertRuns.");
  options.add_options()("target", "Server address.",
                        cxxopts::value<std::string>()->default_value("127.0.0.1:50051"))(
      "results", "PipelineRuns (Results) to store.",
      cxxopts::value<int64_t>()->default_value("20000"))("taskruns", "TaskRuns per PipelineRun.",
                                                         cxxopts::value<int>()->default_value("4"))(
      "batch", "Runs per UpsertRuns call (whole families).",
      cxxopts::value<int>()->default_value("100"))(
      "streams", "Threads, each with one call in flight.",
      cxxopts::value<int>()->default_value("4"))("help", "Print this help.");
  cxxopts::ParseResult args = options.parse(argc, argv);
  if (args.count("help")) {
    std::printf("%s\n", options.help().c_str());
    return 0;
  }
  const Config config{args["target"].as<std::string>(), args["results"].as<int64_t>(),
                      args["taskruns"].as<int>(), args["batch"].as<int>(),
                      args["streams"].as<int>()};
  const RecordFactory factory(/*parents=*/12, config.taskruns, /*seed=*/1);
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxSendMessageSize(64 << 20);
  auto channel =
      grpc::CreateCustomChannel(config.target, grpc::InsecureChannelCredentials(), channel_args);
  int64_t failures = 0;
  for (const char* pass : {"store", "resend"}) {
    double seconds = 0;
    const PassStats stats = RunPass(config, factory, channel, &seconds);
    Print(pass, stats, seconds);
    failures += stats.failures;
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace runledger::bench

int main(int argc, char** argv) { return runledger::bench::Main(argc, argv); }
