#include "src/watcher/ingestor_run_sink.h"

#include "absl/strings/str_cat.h"
#include "absl/synchronization/blocking_counter.h"

namespace runledger::watcher {

IngestorRunSink::IngestorRunSink(Ingestor* ingestor, const std::string& watcher_id)
    : ingestor_(ingestor), source_(absl::StrCat("watcher:", watcher_id)) {}

absl::StatusOr<std::vector<v1::RunUpsertResult>> IngestorRunSink::UpsertRuns(
    const std::vector<v1::RunUpsert>& runs) {
  std::vector<v1::RunUpsertResult> results(runs.size());
  absl::BlockingCounter pending(static_cast<int>(runs.size()));
  for (size_t i = 0; i < runs.size(); ++i) {
    ingestor_->UpsertRun(runs[i], source_,
                         [&results, &pending, i](absl::StatusOr<v1::RunUpsertResult> outcome) {
                           if (outcome.ok()) {
                             results[i] = *std::move(outcome);
                           } else {
                             results[i].set_code(static_cast<int>(outcome.status().code()));
                             results[i].set_message(std::string(outcome.status().message()));
                           }
                           pending.DecrementCount();
                         });
  }
  pending.Wait();
  return results;
}

}  // namespace runledger::watcher
