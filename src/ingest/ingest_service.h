// IngestService: the runledger.v1.Ingest gRPC service (callback API), the watcher's write path.
// UpsertRuns hands every run of the batch to the Ingestor at once, in request order, so the
// batch shares the log's group commit; the RPC finishes when the last run's outcome is known.
// A run that fails is reported in its own entry of the response; only a request that is wrong
// as a whole (no watcher_id) fails the RPC.
#ifndef RUNLEDGER_INGEST_INGEST_SERVICE_H_
#define RUNLEDGER_INGEST_INGEST_SERVICE_H_

#include "runledger/v1/ingest.grpc.pb.h"
#include "src/ingest/ingestor.h"

namespace runledger {

class IngestService final : public v1::Ingest::CallbackService {
 public:
  static constexpr char kServiceName[] = "runledger.v1.Ingest";

  explicit IngestService(Ingestor* ingestor) : ingestor_(ingestor) {}

  grpc::ServerUnaryReactor* UpsertRuns(grpc::CallbackServerContext* context,
                                       const v1::UpsertRunsRequest* request,
                                       v1::UpsertRunsResponse* response) override;

 private:
  Ingestor* const ingestor_;
};

}  // namespace runledger

#endif  // RUNLEDGER_INGEST_INGEST_SERVICE_H_
