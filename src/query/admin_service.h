// AdminService: the runledger.v1.Admin gRPC service (proto/runledger/v1/admin.proto): projection
// status and background rebuilds, and user-defined indexes, over a Store.
#ifndef RUNLEDGER_QUERY_ADMIN_SERVICE_H_
#define RUNLEDGER_QUERY_ADMIN_SERVICE_H_

#include "runledger/v1/admin.grpc.pb.h"
#include "src/projections/store.h"

namespace runledger {

class AdminService final : public v1::Admin::Service {
 public:
  static constexpr char kServiceName[] = "runledger.v1.Admin";

  explicit AdminService(Store* store) : store_(store) {}

  grpc::Status ListProjections(grpc::ServerContext* context,
                               const v1::ListProjectionsRequest* request,
                               v1::ListProjectionsResponse* response) override;
  grpc::Status RebuildProjection(grpc::ServerContext* context,
                                 const v1::RebuildProjectionRequest* request,
                                 v1::ProjectionStatus* response) override;
  grpc::Status CreateIndex(grpc::ServerContext* context, const v1::CreateIndexRequest* request,
                           v1::IndexDefinition* response) override;
  grpc::Status DropIndex(grpc::ServerContext* context, const v1::DropIndexRequest* request,
                         google::protobuf::Empty* response) override;
  grpc::Status ListIndexes(grpc::ServerContext* context, const v1::ListIndexesRequest* request,
                           v1::ListIndexesResponse* response) override;

 private:
  Store* const store_;
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_ADMIN_SERVICE_H_
