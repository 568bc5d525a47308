// runledger-watch-bench: how fast the watcher decodes a Kubernetes watch stream (Google
// Benchmark). The stream is MODIFIED events of TaskRuns rendered from runledger-bench's
// templates (bench/templates.h, 3-6 KB each), newline-delimited as kube-apiserver sends them,
// and fed to WatchDecoder in chunks of the given size, as libcurl hands them over.
//
//   build/runledger-watch-bench [--benchmark_filter=...]
#include <string>

#include "bench/templates.h"
#include "benchmark/benchmark.h"
#include "src/watcher/watch_decoder.h"

namespace runledger::bench {
namespace {

constexpr int kEvents = 2000;

std::string MakeStream() {
  RecordFactory factory(/*parents=*/12, /*taskruns_per_result=*/4, /*seed=*/7);
  std::string stream;
  for (int i = 0; i * 4 < kEvents; ++i) {
    for (const TaskRunDoc& run : factory.Make(i).taskruns) {
      stream += R"({"type":"MODIFIED","object":)" + run.json + "}\n";
    }
  }
  return stream;
}

void BM_DecodeWatchStream(benchmark::State& state) {
  static const std::string stream = MakeStream();
  const size_t chunk = state.range(0);
  int64_t events = 0;
  for (auto _ : state) {
    watcher::WatchDecoder decoder([&events](watcher::WatchEvent event) {
      benchmark::DoNotOptimize(event.object);
      ++events;
      return absl::OkStatus();
    });
    for (size_t at = 0; at < stream.size(); at += chunk) {
      if (!decoder.Feed(absl::string_view(stream).substr(at, chunk)).ok()) state.SkipWithError("");
    }
  }
  state.SetItemsProcessed(events);
  state.SetBytesProcessed(state.iterations() * stream.size());
}
BENCHMARK(BM_DecodeWatchStream)->Arg(1 << 10)->Arg(16 << 10)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace runledger::bench

BENCHMARK_MAIN();
