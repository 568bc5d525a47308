// RunSink: where the controller stores runs. One call stores a batch of RunUpserts with the
// semantics of runledger.v1.Ingest/UpsertRuns (proto/runledger/v1/ingest.proto): idempotent per
// run, applied in order, one outcome per run. Two implementations: GrpcRunSink talks to a remote
// `runledger serve` (`runledger watch --server`), IngestorRunSink calls the Ingestor of the same
// process (`runledger serve --watch`).
//
// Invariant: a call either returns one RunUpsertResult per run, in request order, or fails as a
// whole (the server is unreachable, the call timed out), in which case the caller may resend the
// batch: a run already stored appends nothing the second time.
#ifndef RUNLEDGER_WATCHER_RUN_SINK_H_
#define RUNLEDGER_WATCHER_RUN_SINK_H_

#include <vector>

#include "absl/status/statusor.h"
#include "runledger/v1/ingest.pb.h"

namespace runledger::watcher {

class RunSink {
 public:
  virtual ~RunSink() = default;
  virtual absl::StatusOr<std::vector<v1::RunUpsertResult>> UpsertRuns(
      const std::vector<v1::RunUpsert>& runs) = 0;
};

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_RUN_SINK_H_
