// runledger-cel-bench: how fast list filters evaluate on real-shaped records (Google Benchmark).
//
// Each evaluation binds one record's JSON (copy into the document buffer, structural index) and
// evaluates the compiled filter, as ListRecords does for every candidate. Records come from the
// templates of runledger-bench (bench/templates.h), and, when ../shared is beside the clone,
// from the real Tekton objects in ../shared/fixtures/tekton.
//
//   build/runledger-cel-bench [--benchmark_filter=...]
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bench/templates.h"
#include "benchmark/benchmark.h"
#include "src/query/filter.h"

namespace runledger::bench {
namespace {

namespace rpc = ::tekton::results::v1alpha2;

// Filters of increasing cost: one label, the unindexed filter, and a comprehension with
// time arithmetic and a regular expression.
const char* const kFilters[] = {
    "data.metadata.labels['tekton.dev/pipeline'] == 'test-web'",
    "data.spec.timeout == '1h0m0s' && size(data.status.childReferences) > 3",
    "data.status.conditions.exists(c, c.type == 'Succeeded' && c.reason in ['Failed', "
    "'PipelineRunTimeout']) || (data.status.completionTime - data.status.startTime > "
    "duration('5m') && data.metadata.name.matches('^test-.*-[a-z0-9]+$'))",
};

rpc::Record MakeRecord(const std::string& ns, const std::string& id, absl::string_view type,
                       const std::string& json) {
  rpc::Record record;
  record.set_name(absl::StrCat(ns, "/results/", id, "/records/", id));
  record.mutable_data()->set_type(std::string(type));
  record.mutable_data()->set_value(json);
  return record;
}

const std::vector<rpc::Record>& TemplateRecords() {
  static const auto* records = [] {
    auto* out = new std::vector<rpc::Record>();
    RecordFactory factory(10, 4, 7);
    for (uint64_t i = 0; i < 200; ++i) {
      ResultDocs docs = factory.Make(i);
      out->push_back(
          MakeRecord(docs.ns, docs.pipelinerun_uid, kPipelineRunType, docs.pipelinerun_final));
      for (const TaskRunDoc& t : docs.taskruns) {
        out->push_back(MakeRecord(docs.ns, t.uid, kTaskRunType, t.json));
      }
    }
    return out;
  }();
  return *records;
}

const std::vector<rpc::Record>& FixtureRecords() {
  static const auto* records = [] {
    auto* out = new std::vector<rpc::Record>();
    const std::filesystem::path dir =
        std::filesystem::path(RUNLEDGER_SHARED_DIR) / "fixtures" / "tekton";
    if (!std::filesystem::is_directory(dir)) return out;
    int n = 0;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      if (entry.path().extension() != ".json") continue;
      std::ifstream in(entry.path());
      std::stringstream bytes;
      bytes << in.rdbuf();
      out->push_back(MakeRecord("default", absl::StrCat("r", n++), kTaskRunType, bytes.str()));
    }
    return out;
  }();
  return *records;
}

void RunFilter(benchmark::State& state, const std::vector<rpc::Record>& records) {
  if (records.empty()) {
    state.SkipWithError("no records (../shared/fixtures/tekton is not beside this clone)");
    return;
  }
  const char* text = kFilters[state.range(0)];
  auto filter = Filter::Compile(text, FilterTarget::kRecords);
  if (!filter.ok()) {
    state.SkipWithError(std::string(filter.status().message()).c_str());
    return;
  }
  size_t i = 0;
  int64_t matches = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const rpc::Record& r = records[i++ % records.size()];
    matches += (*filter)->Matches(r);
    bytes += r.data().value().size();
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
  state.counters["match_rate"] =
      static_cast<double>(matches) / static_cast<double>(std::max<int64_t>(1, state.iterations()));
  state.SetLabel(text);
}

void BM_FilterOnTemplateRecords(benchmark::State& state) { RunFilter(state, TemplateRecords()); }
void BM_FilterOnTektonFixtures(benchmark::State& state) { RunFilter(state, FixtureRecords()); }

void BM_CompileFilter(benchmark::State& state) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(Filter::Compile(kFilters[state.range(0)], FilterTarget::kRecords));
  }
  state.SetLabel(kFilters[state.range(0)]);
}

BENCHMARK(BM_FilterOnTemplateRecords)->DenseRange(0, 2);
BENCHMARK(BM_FilterOnTektonFixtures)->DenseRange(0, 2);
BENCHMARK(BM_CompileFilter)->DenseRange(0, 2);

}  // namespace
}  // namespace runledger::bench

BENCHMARK_MAIN();
