// runledger-scan-bench: how fast one pass over the event log answers a filter no index serves.
//
// Opens a stopped server's data directory and runs the log pass of ListRecords and of the
// summary fallback (log_scan.h) in process, without gRPC: the time is the pass itself (reading
// and decompressing the log, decoding events, evaluating the filter, the currentness check and,
// with --facts, the summary facts of each match). Prints wall and process CPU time per pass.
// With --gets, then times point reads of random events, as GetRecord reads the log (what a
// log block size costs a point read).
//
//   build/runledger-scan-bench --data-dir DIR [--filter F] [--threads 2] [--passes 3] [--facts]
//                              [--events N] [--gets N]
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/string_view.h"
#include "cxxopts.hpp"
#include "src/log/database.h"
#include "src/log/event_log.h"
#include "src/projections/run_facts.h"
#include "src/query/filter.h"
#include "src/query/log_scan.h"

namespace runledger::bench {
namespace {

double CpuSeconds() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Reads `gets` random events of [1, head] one at a time, as GetRecord reads a record's event (each
// read decompresses the event's block unless the block cache holds it), and prints CPU per read.
int TimePointReads(const Database& database, uint64_t head, int gets) {
  if (gets <= 0) return 0;
  std::mt19937_64 random(7);
  std::string value;
  const double cpu = CpuSeconds();
  for (int i = 0; i < gets; ++i) {
    const rocksdb::Status s =
        database.db()->Get(rocksdb::ReadOptions(), database.family(kLogFamily),
                           EventLog::LogKey(1 + random() % head), &value);
    if (!s.ok()) {
      std::cerr << s.ToString() << "\n";
      return 1;
    }
  }
  std::printf("%d point reads: %.2f us CPU/read\n", gets, (CpuSeconds() - cpu) * 1e6 / gets);
  return 0;
}

int Run(int argc, char** argv) {
  cxxopts::Options spec("runledger-scan-bench", "Times one pass over the log for a filter.");
  spec.add_options()("data-dir", "Data directory of a stopped server",
                     cxxopts::value<std::string>())(
      "filter", "Records filter (CEL)",
      cxxopts::value<std::string>()->default_value(
          "data.spec.timeout == '1h0m0s' && size(data.status.childReferences) > 3"))(
      "threads", "Scan threads", cxxopts::value<int>()->default_value("2"))(
      "passes", "Passes to time", cxxopts::value<int>()->default_value("3"))(
      "events", "Read only the first N events (0: all; for callgrind)",
      cxxopts::value<uint64_t>()->default_value("0"))(
      "gets", "Then time N point reads of random events, as GetRecord's read of the log",
      cxxopts::value<int>()->default_value("0"))(
      "facts", "Take each match's summary facts, as the summary fallback does");
  const cxxopts::ParseResult args = spec.parse(argc, argv);
  if (args.count("data-dir") == 0) {
    std::cerr << spec.help() << "\n";
    return 2;
  }
  auto database = Database::Open(args["data-dir"].as<std::string>(), {});
  if (!database.ok()) {
    std::cerr << database.status() << "\n";
    return 1;
  }
  auto filter = Filter::Compile(args["filter"].as<std::string>(), FilterTarget::kRecords);
  if (!filter.ok()) {
    std::cerr << filter.status() << "\n";
    return 1;
  }
  uint64_t log_bytes = 0;
  (*database)->db()->GetIntProperty((*database)->family(kLogFamily), "rocksdb.total-sst-files-size",
                                    &log_bytes);
  absl::StatusOr<uint64_t> last = EventLog::LastSequenceIn(**database, rocksdb::ReadOptions());
  if (!last.ok()) {
    std::cerr << last.status() << "\n";
    return 1;
  }
  const uint64_t events = args["events"].as<uint64_t>();
  const uint64_t head = events > 0 ? std::min(events, *last) : *last;
  std::printf("log: %llu events, %llu bytes of SST files (%.0f bytes/event)\n",
              static_cast<unsigned long long>(*last), static_cast<unsigned long long>(log_bytes),
              static_cast<double>(log_bytes) / static_cast<double>(std::max<uint64_t>(*last, 1)));
  const bool facts = args.count("facts") > 0;
  SuccessorTable successors(database->get());
  LogScanRequest request{filter->get(), [](absl::string_view) { return true; },
                         head,          args["threads"].as<int>(),
                         nullptr,       &successors};
  for (int pass = 0; pass < args["passes"].as<int>(); ++pass) {
    std::atomic<uint64_t> matches{0};
    std::atomic<int64_t> micros{0};
    const double cpu = CpuSeconds();
    const auto start = std::chrono::steady_clock::now();
    const absl::Status status =
        ScanLogForRecords(**database, request, rocksdb::ReadOptions(),
                          [&](int, const RecordView& record, absl::string_view) {
                            matches.fetch_add(1, std::memory_order_relaxed);
                            if (facts)
                              micros.fetch_add(FactsOf(record).duration_micros().value_or(0));
                            return true;
                          });
    const double wall =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    const double cpu_used = CpuSeconds() - cpu;
    if (!status.ok()) {
      std::cerr << status << "\n";
      return 1;
    }
    std::printf("pass %d: %llu events, %llu matches, %.3f s wall, %.3f s CPU, %.2f us CPU/event\n",
                pass, static_cast<unsigned long long>(request.head),
                static_cast<unsigned long long>(matches.load()), wall, cpu_used,
                cpu_used * 1e6 / static_cast<double>(request.head));
  }
  return TimePointReads(**database, head, args["gets"].as<int>());
}

}  // namespace
}  // namespace runledger::bench

int main(int argc, char** argv) { return runledger::bench::Run(argc, argv); }
