// GrpcRunSink: a RunSink that sends each batch as one runledger.v1.Ingest/UpsertRuns call to a
// remote RunLedger server over one gRPC channel. A call that fails as a whole (unreachable
// server, deadline) becomes an absl::Status with the gRPC code, so the caller retries the batch.
#ifndef RUNLEDGER_WATCHER_GRPC_RUN_SINK_H_
#define RUNLEDGER_WATCHER_GRPC_RUN_SINK_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "grpcpp/channel.h"
#include "runledger/v1/ingest.grpc.pb.h"
#include "src/watcher/run_sink.h"

namespace runledger::watcher {

class GrpcRunSink : public RunSink {
 public:
  // `watcher_id` goes into every request (events get source "watcher:<id>").
  GrpcRunSink(std::shared_ptr<grpc::Channel> channel, std::string watcher_id,
              absl::Duration deadline = absl::Seconds(30));

  absl::StatusOr<std::vector<v1::RunUpsertResult>> UpsertRuns(
      const std::vector<v1::RunUpsert>& runs) override;

 private:
  std::unique_ptr<v1::Ingest::Stub> stub_;
  const std::string watcher_id_;
  const absl::Duration deadline_;
};

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_GRPC_RUN_SINK_H_
