// The gRPC edge of RunLedger's services: absl::Status becomes grpc::Status here and nowhere
// else, and a unary callback RPC finishes with a value or an error.
#ifndef RUNLEDGER_QUERY_REPLY_H_
#define RUNLEDGER_QUERY_REPLY_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "grpcpp/grpcpp.h"

namespace runledger {

grpc::Status ToGrpcStatus(const absl::Status& status);

// Finishes `context`'s reactor with `result`, storing the value into `response` on success.
template <typename T, typename Response>
grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context, absl::StatusOr<T> result,
                                Response* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  if (result.ok()) *response = std::move(*result);
  reactor->Finish(ToGrpcStatus(result.status()));
  return reactor;
}

inline grpc::ServerUnaryReactor* Reply(grpc::CallbackServerContext* context,
                                       const absl::Status& status) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  reactor->Finish(ToGrpcStatus(status));
  return reactor;
}

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_REPLY_H_
