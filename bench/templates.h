// Record data for runledger-bench: Tekton v1 PipelineRun and TaskRun objects as the Tekton
// Results watcher stores them (compact JSON, 3-6 KB each). They are rendered from templates
// carried in the bench, with per-run names, uids, labels, parameters, statuses, digests and
// times spread over 90 days, so the stored data is varied like a real cluster's and does not
// compress trivially. Rendering is plain string appends, cheap enough to feed 20k+ writes/s.
#ifndef RUNLEDGER_BENCH_TEMPLATES_H_
#define RUNLEDGER_BENCH_TEMPLATES_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace runledger::bench {

// Record data types the Tekton Results watcher uses for tekton.dev/v1 objects.
inline constexpr absl::string_view kPipelineRunType = "tekton.dev/v1.PipelineRun";
inline constexpr absl::string_view kTaskRunType = "tekton.dev/v1.TaskRun";

struct TaskRunDoc {
  std::string uid;  // also the record id, as the watcher names records
  std::string json;
};

// One Result's worth of objects: a PipelineRun as first seen (running) and as finished, and
// its TaskRuns (finished). The Result id and the PipelineRun's record id are its uid.
struct ResultDocs {
  std::string ns;
  std::string pipelinerun_uid;
  std::string pipelinerun_running;
  std::string pipelinerun_final;
  std::vector<TaskRunDoc> taskruns;
};

struct PipelineDef;  // defined in templates.cc
struct TaskDef;      // defined in templates.cc

// Makes ResultDocs. Immutable after construction, so threads may share one factory.
class RecordFactory {
 public:
  // `parents` namespaces, `taskruns_per_result` TaskRuns per PipelineRun; `seed` fixes all
  // content, so the same seed and index always give the same documents.
  RecordFactory(int parents, int taskruns_per_result, uint64_t seed);
  ~RecordFactory();
  RecordFactory(const RecordFactory&) = delete;
  RecordFactory& operator=(const RecordFactory&) = delete;

  ResultDocs Make(uint64_t index) const;

 private:
  std::vector<std::string> namespaces_;
  std::vector<PipelineDef> pipelines_;
  std::vector<TaskDef> tasks_;
  uint64_t seed_;
};

}  // namespace runledger::bench

#endif  // RUNLEDGER_BENCH_TEMPLATES_H_
