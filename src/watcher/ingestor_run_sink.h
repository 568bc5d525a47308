// IngestorRunSink: a RunSink that stores runs through the Ingestor of the same process (used by
// `runledger serve --watch`): the same UpsertRun as the gRPC service, without a network hop. The
// batch's runs are submitted together, in order, so they share the log's group commit.
#ifndef RUNLEDGER_WATCHER_INGESTOR_RUN_SINK_H_
#define RUNLEDGER_WATCHER_INGESTOR_RUN_SINK_H_

#include <string>
#include <vector>

#include "src/ingest/ingestor.h"
#include "src/watcher/run_sink.h"

namespace runledger::watcher {

class IngestorRunSink : public RunSink {
 public:
  IngestorRunSink(Ingestor* ingestor, const std::string& watcher_id);

  absl::StatusOr<std::vector<v1::RunUpsertResult>> UpsertRuns(
      const std::vector<v1::RunUpsert>& runs) override;

 private:
  Ingestor* const ingestor_;
  const std::string source_;
};

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_INGESTOR_RUN_SINK_H_
