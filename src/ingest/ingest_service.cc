#include "src/ingest/ingest_service.h"

#include <atomic>
#include <memory>

#include "absl/strings/str_cat.h"

namespace runledger {

grpc::ServerUnaryReactor* IngestService::UpsertRuns(grpc::CallbackServerContext* context,
                                                    const v1::UpsertRunsRequest* request,
                                                    v1::UpsertRunsResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (request->watcher_id().empty()) {
    reactor->Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "watcher_id: required"));
    return reactor;
  }
  const int runs = request->runs_size();
  if (runs == 0) {
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  // Every entry exists before the first outcome arrives, so outcomes write to fixed places.
  for (int i = 0; i < runs; ++i) response->add_results();
  auto pending = std::make_shared<std::atomic<int>>(runs);
  const std::string source = absl::StrCat("watcher:", request->watcher_id());
  for (int i = 0; i < runs; ++i) {
    v1::RunUpsertResult* entry = response->mutable_results(i);
    ingestor_->UpsertRun(request->runs(i), source,
                         [reactor, entry, pending](absl::StatusOr<v1::RunUpsertResult> outcome) {
                           if (outcome.ok()) {
                             *entry = *std::move(outcome);
                           } else {
                             entry->set_code(static_cast<int>(outcome.status().code()));
                             entry->set_message(std::string(outcome.status().message()));
                           }
                           if (pending->fetch_sub(1) == 1) reactor->Finish(grpc::Status::OK);
                         });
  }
  return reactor;
}

}  // namespace runledger
