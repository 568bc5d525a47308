// Server: a running RunLedger: the store opened on a data directory and the gRPC server in front
// of it (Results, History and Admin services, the watcher's Ingest service, health,
// reflection).
// Shutdown drains in-flight RPCs before the store closes, so every acknowledged write is durable
// and nothing is left half-done.
#ifndef RUNLEDGER_QUERY_SERVER_H_
#define RUNLEDGER_QUERY_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/server.h"
#include "src/ingest/ingest_service.h"
#include "src/ingest/ingestor.h"
#include "src/projections/store.h"
#include "src/query/admin_service.h"
#include "src/query/health_service.h"
#include "src/query/history_service.h"
#include "src/query/results_service.h"

namespace runledger {

struct ServerOptions {
  std::string data_dir = "runledger-data";
  std::string listen = "127.0.0.1:50051";
  // Largest request accepted; upstream keeps gRPC's default of 4 MiB.
  int max_receive_message_bytes = 4 << 20;
  // A user index config file (index_definition.h), or empty.
  std::string index_config;
  // Events per second index builds may fold (0: no limit).
  uint64_t build_events_per_second = 0;
};

class Server {
 public:
  static absl::StatusOr<std::unique_ptr<Server>> Start(const ServerOptions& options);
  ~Server();

  // The address actually bound (the port is resolved when options.listen asks for port 0).
  const std::string& address() const { return address_; }
  // The write path, for an in-process watcher (`runledger serve --watch`).
  Ingestor* ingestor() const { return ingestor_.get(); }

  // Stops accepting RPCs, lets in-flight ones finish (cancelling those still running after
  // `grace`), then closes the store.
  void Shutdown(absl::Duration grace);

 private:
  Server() = default;

  std::string address_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Ingestor> ingestor_;
  std::unique_ptr<ResultsService> results_service_;
  std::unique_ptr<IngestService> ingest_service_;
  std::unique_ptr<HistoryService> history_service_;
  std::unique_ptr<AdminService> admin_service_;
  std::unique_ptr<HealthService> health_service_;
  std::unique_ptr<grpc::Server> grpc_server_;
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_SERVER_H_
