#include "src/watcher/grpc_run_sink.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "grpcpp/client_context.h"

namespace runledger::watcher {

GrpcRunSink::GrpcRunSink(std::shared_ptr<grpc::Channel> channel, std::string watcher_id,
                         absl::Duration deadline)
    : stub_(v1::Ingest::NewStub(std::move(channel))),
      watcher_id_(std::move(watcher_id)),
      deadline_(deadline) {}

absl::StatusOr<std::vector<v1::RunUpsertResult>> GrpcRunSink::UpsertRuns(
    const std::vector<v1::RunUpsert>& runs) {
  v1::UpsertRunsRequest request;
  request.set_watcher_id(watcher_id_);
  request.mutable_runs()->Reserve(static_cast<int>(runs.size()));
  for (const v1::RunUpsert& run : runs) *request.add_runs() = run;
  grpc::ClientContext context;
  context.set_deadline(absl::ToChronoTime(absl::Now() + deadline_));
  v1::UpsertRunsResponse response;
  grpc::Status status = stub_->UpsertRuns(&context, request, &response);
  if (!status.ok()) {
    return absl::Status(static_cast<absl::StatusCode>(status.error_code()),
                        absl::StrCat("UpsertRuns: ", status.error_message()));
  }
  if (response.results_size() != request.runs_size()) {
    return absl::InternalError(absl::StrCat("UpsertRuns answered ", response.results_size(),
                                            " outcomes for ", request.runs_size(), " runs"));
  }
  return std::vector<v1::RunUpsertResult>(response.results().begin(), response.results().end());
}

}  // namespace runledger::watcher
