// HealthService: grpc.health.v1.Health for RunLedger's services. The server as a whole ("") and
// every service it was built with answer SERVING until Shutdown, then NOT_SERVING; Check of any
// other name is NOT_FOUND and Watch of it reports SERVICE_UNKNOWN, as the protocol says.
// Shutdown also ends every open Watch stream, so that draining the server never waits on them.
#ifndef RUNLEDGER_QUERY_HEALTH_SERVICE_H_
#define RUNLEDGER_QUERY_HEALTH_SERVICE_H_

#include <set>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "grpc/health/v1/health.grpc.pb.h"

namespace runledger {

class HealthService final : public grpc::health::v1::Health::CallbackService {
 public:
  explicit HealthService(std::vector<std::string> services);

  grpc::ServerUnaryReactor* Check(grpc::CallbackServerContext* context,
                                  const grpc::health::v1::HealthCheckRequest* request,
                                  grpc::health::v1::HealthCheckResponse* response) override;
  grpc::ServerWriteReactor<grpc::health::v1::HealthCheckResponse>* Watch(
      grpc::CallbackServerContext* context,
      const grpc::health::v1::HealthCheckRequest* request) override;

  // Reports NOT_SERVING from now on and ends every open Watch stream.
  void Shutdown();

 private:
  class Watcher;
  using Status = grpc::health::v1::HealthCheckResponse::ServingStatus;

  Status StatusOf(const std::string& service);
  void Forget(Watcher* watcher);

  const std::set<std::string> services_;
  absl::Mutex mu_;
  bool serving_ ABSL_GUARDED_BY(mu_) = true;
  std::set<Watcher*> watchers_ ABSL_GUARDED_BY(mu_);
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_HEALTH_SERVICE_H_
