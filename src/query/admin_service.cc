#include "src/query/admin_service.h"

#include "absl/strings/str_cat.h"
#include "src/query/index_definition.h"
#include "src/query/reply.h"

namespace runledger {

grpc::Status AdminService::ListProjections(grpc::ServerContext*, const v1::ListProjectionsRequest*,
                                           v1::ListProjectionsResponse* response) {
  for (v1::ProjectionStatus& status : store_->ProjectionStatuses()) {
    *response->add_projections() = std::move(status);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::RebuildProjection(grpc::ServerContext*,
                                             const v1::RebuildProjectionRequest* request,
                                             v1::ProjectionStatus* response) {
  if (request->name().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "name: required");
  }
  absl::Status s = store_->RebuildInBackground(request->name());
  if (!s.ok()) return ToGrpcStatus(s);
  for (v1::ProjectionStatus& status : store_->ProjectionStatuses()) {
    if (status.name() == request->name()) *response = std::move(status);
  }
  return grpc::Status::OK;
}

grpc::Status AdminService::CreateIndex(grpc::ServerContext*, const v1::CreateIndexRequest* request,
                                       v1::IndexDefinition* response) {
  absl::StatusOr<v1::IndexDefinition> definition = CheckIndexDefinition(request->index());
  if (!definition.ok()) return ToGrpcStatus(definition.status());
  absl::Status s = store_->CreateIndex(*definition);
  if (!s.ok()) return ToGrpcStatus(s);
  *response = std::move(*definition);
  return grpc::Status::OK;
}

grpc::Status AdminService::DropIndex(grpc::ServerContext*, const v1::DropIndexRequest* request,
                                     google::protobuf::Empty*) {
  if (request->name().empty()) {
    return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "name: required");
  }
  return ToGrpcStatus(store_->DropIndex(request->name()));
}

grpc::Status AdminService::ListIndexes(grpc::ServerContext*, const v1::ListIndexesRequest*,
                                       v1::ListIndexesResponse* response) {
  for (const v1::IndexDefinition& definition : *store_->UserIndexes()) {
    *response->add_indexes() = definition;
  }
  return grpc::Status::OK;
}

}  // namespace runledger
