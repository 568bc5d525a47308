#include "src/query/results_service.h"

#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/common/names.h"
#include "src/query/reply.h"

namespace runledger {
namespace {

namespace api = tekton::results::v1alpha2;

// Who makes a write, for its event's source: "api:" and the caller's address
// ("api:ipv4:10.0.0.7:5123"), until authentication gives callers an identity to name instead.
std::string Source(grpc::CallbackServerContext* context) {
  return absl::StrCat("api:", context->peer());
}

// Starts an asynchronous write whose outcome finishes the RPC.
template <typename Response>
grpc::ServerUnaryReactor* Write(
    grpc::CallbackServerContext* context, Response* response,
    const std::function<void(std::string, Ingestor::Done<Response>)>& start) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  start(Source(context), [reactor, response](absl::StatusOr<Response> outcome) {
    if (outcome.ok()) *response = std::move(*outcome);
    reactor->Finish(ToGrpcStatus(outcome.status()));
  });
  return reactor;
}

template <typename Entity>
absl::StatusOr<Entity> Found(absl::StatusOr<std::optional<Entity>> entity, absl::string_view name) {
  if (!entity.ok()) return entity.status();
  if (!entity->has_value()) return absl::NotFoundError(absl::StrCat(name, " not found"));
  return std::move(**entity);
}

}  // namespace

grpc::ServerUnaryReactor* ResultsService::CreateResult(grpc::CallbackServerContext* context,
                                                       const api::CreateResultRequest* request,
                                                       api::Result* response) {
  return Write<api::Result>(context, response,
                            [this, request](std::string source, Ingestor::Done<api::Result> done) {
                              ingestor_->CreateResult(*request, std::move(source), std::move(done));
                            });
}

grpc::ServerUnaryReactor* ResultsService::UpdateResult(grpc::CallbackServerContext* context,
                                                       const api::UpdateResultRequest* request,
                                                       api::Result* response) {
  return Write<api::Result>(context, response,
                            [this, request](std::string source, Ingestor::Done<api::Result> done) {
                              ingestor_->UpdateResult(*request, std::move(source), std::move(done));
                            });
}

grpc::ServerUnaryReactor* ResultsService::DeleteResult(grpc::CallbackServerContext* context,
                                                       const api::DeleteResultRequest* request,
                                                       google::protobuf::Empty* response) {
  return Write<google::protobuf::Empty>(
      context, response,
      [this, request](std::string source, Ingestor::Done<google::protobuf::Empty> done) {
        ingestor_->DeleteResult(*request, std::move(source), std::move(done));
      });
}

grpc::ServerUnaryReactor* ResultsService::CreateRecord(grpc::CallbackServerContext* context,
                                                       const api::CreateRecordRequest* request,
                                                       api::Record* response) {
  return Write<api::Record>(context, response,
                            [this, request](std::string source, Ingestor::Done<api::Record> done) {
                              ingestor_->CreateRecord(*request, std::move(source), std::move(done));
                            });
}

grpc::ServerUnaryReactor* ResultsService::UpdateRecord(grpc::CallbackServerContext* context,
                                                       const api::UpdateRecordRequest* request,
                                                       api::Record* response) {
  return Write<api::Record>(context, response,
                            [this, request](std::string source, Ingestor::Done<api::Record> done) {
                              ingestor_->UpdateRecord(*request, std::move(source), std::move(done));
                            });
}

grpc::ServerUnaryReactor* ResultsService::DeleteRecord(grpc::CallbackServerContext* context,
                                                       const api::DeleteRecordRequest* request,
                                                       google::protobuf::Empty* response) {
  return Write<google::protobuf::Empty>(
      context, response,
      [this, request](std::string source, Ingestor::Done<google::protobuf::Empty> done) {
        ingestor_->DeleteRecord(*request, std::move(source), std::move(done));
      });
}

grpc::ServerUnaryReactor* ResultsService::GetResult(grpc::CallbackServerContext* context,
                                                    const api::GetResultRequest* request,
                                                    api::Result* response) {
  absl::StatusOr<ResultName> name = ParseResultName(request->name());
  if (!name.ok()) return Reply(context, name.status());
  return Reply(context, Found(reader_->GetResult(request->name()), request->name()), response);
}

grpc::ServerUnaryReactor* ResultsService::GetRecord(grpc::CallbackServerContext* context,
                                                    const api::GetRecordRequest* request,
                                                    api::Record* response) {
  absl::StatusOr<RecordName> name = ParseRecordName(request->name());
  if (!name.ok()) return Reply(context, name.status());
  return Reply(context, Found(reader_->GetRecord(request->name()), request->name()), response);
}

grpc::ServerUnaryReactor* ResultsService::ListResults(grpc::CallbackServerContext* context,
                                                      const api::ListResultsRequest* request,
                                                      api::ListResultsResponse* response) {
  return Reply(context, lister_.ListResults(*request), response);
}

grpc::ServerUnaryReactor* ResultsService::ListRecords(grpc::CallbackServerContext* context,
                                                      const api::ListRecordsRequest* request,
                                                      api::ListRecordsResponse* response) {
  return Reply(context, lister_.ListRecords(*request, [context] { return context->IsCancelled(); }),
               response);
}

grpc::ServerUnaryReactor* ResultsService::GetRecordListSummary(
    grpc::CallbackServerContext* context, const api::RecordListSummaryRequest* request,
    api::RecordListSummary* response) {
  return Reply(context, summarizer_.Summarize(*request, response,
                                              [context] { return context->IsCancelled(); }));
}

}  // namespace runledger
