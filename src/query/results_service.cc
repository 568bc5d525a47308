#include "src/query/results_service.h"

#include <type_traits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "src/common/names.h"

namespace runledger {
namespace {

namespace api = tekton::results::v1alpha2;

// Finishes `context`'s reactor with `result`, storing the value into `response` on success.
template <typename T, typename Response>
grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context,
                                absl::StatusOr<T> result, Response* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (result.ok()) *response = std::move(*result);
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context, const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

std::string Source(grpc::CallbackServerContext* context) {
  return absl::StrCat("api:", context->peer());
}

// Runs `write` on the write pool and finishes the RPC with what it returns.
template <typename Write, typename Response>
grpc::ServerUnaryReactor* Offload(ThreadPool* pool, grpc::CallbackServerContext* context,
                                  Response* response, Write write) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  pool->Schedule([context, reactor, response, write = std::move(write)]() {
    auto result = write(Source(context));
    if constexpr (std::is_same_v<decltype(result), absl::Status>) {
      reactor->Finish(ToGrpcStatus(result));
    } else {
      if (result.ok()) *response = std::move(*result);
      reactor->Finish(ToGrpcStatus(result.status()));
    }
  });
  return reactor;
}

template <typename Entity>
absl::StatusOr<Entity> Found(absl::StatusOr<std::optional<Entity>> entity,
                             absl::string_view name) {
  if (!entity.ok()) return entity.status();
  if (!entity->has_value()) return absl::NotFoundError(absl::StrCat(name, " not found"));
  return std::move(**entity);
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  // absl::StatusCode and grpc::StatusCode share their numbering.
  return grpc::Status(static_cast<grpc::StatusCode>(status.code()), std::string(status.message()));
}

grpc::ServerUnaryReactor* ResultsService::CreateResult(grpc::CallbackServerContext* context,
                                                       const api::CreateResultRequest* request,
                                                       api::Result* response) {
  return Offload(write_pool_, context, response, [this, request](const std::string& source) {
    return ingestor_->CreateResult(*request, source);
  });
}

grpc::ServerUnaryReactor* ResultsService::UpdateResult(grpc::CallbackServerContext* context,
                                                       const api::UpdateResultRequest* request,
                                                       api::Result* response) {
  return Offload(write_pool_, context, response, [this, request](const std::string& source) {
    return ingestor_->UpdateResult(*request, source);
  });
}

grpc::ServerUnaryReactor* ResultsService::DeleteResult(grpc::CallbackServerContext* context,
                                                       const api::DeleteResultRequest* request,
                                                       google::protobuf::Empty* response) {
  return Offload(write_pool_, context, response, [this, request](const std::string& source) {
    return ingestor_->DeleteResult(*request, source);
  });
}

grpc::ServerUnaryReactor* ResultsService::CreateRecord(grpc::CallbackServerContext* context,
                                                       const api::CreateRecordRequest* request,
                                                       api::Record* response) {
  return Offload(write_pool_, context, response, [this, request](const std::string& source) {
    return ingestor_->CreateRecord(*request, source);
  });
}

grpc::ServerUnaryReactor* ResultsService::UpdateRecord(grpc::CallbackServerContext* context,
                                                       const api::UpdateRecordRequest* request,
                                                       api::Record* response) {
  return Offload(write_pool_, context, response, [this, request](const std::string& source) {
    return ingestor_->UpdateRecord(*request, source);
  });
}

grpc::ServerUnaryReactor* ResultsService::DeleteRecord(grpc::CallbackServerContext* context,
                                                       const api::DeleteRecordRequest* request,
                                                       google::protobuf::Empty* response) {
  return Offload(write_pool_, context, response, [this, request](const std::string& source) {
    return ingestor_->DeleteRecord(*request, source);
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
  return Reply(context, lister_.ListRecords(*request), response);
}

}  // namespace runledger
