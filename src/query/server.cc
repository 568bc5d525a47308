#include "src/query/server.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"
#include "src/query/index_definition.h"

namespace runledger {
namespace {

constexpr absl::string_view kResultsServiceName = "tekton.results.v1alpha2.Results";
constexpr absl::string_view kHistoryServiceName = "runledger.v1.History";

std::string HostOf(absl::string_view listen) {
  size_t colon = listen.rfind(':');
  return std::string(colon == absl::string_view::npos ? listen : listen.substr(0, colon));
}

// The core projections are rebuilt before the server listens: say how far along that is.
void ReportCoreRebuild(uint64_t done, uint64_t total) {
  static absl::Time last;
  if (done < total && absl::Now() - last < absl::Seconds(5)) return;
  last = absl::Now();
  std::cerr << absl::StrFormat("runledger: rebuilding core projections: %d/%d events\n", done,
                               total);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  std::unique_ptr<Server> server(new Server());
  std::vector<v1::IndexDefinition> indexes;
  if (!options.index_config.empty()) {
    absl::StatusOr<std::vector<v1::IndexDefinition>> config = ReadIndexConfig(options.index_config);
    if (!config.ok()) return config.status();
    indexes = std::move(*config);
  }
  IndexSet::Options index_options;
  index_options.build_events_per_second = options.build_events_per_second;
  absl::StatusOr<std::unique_ptr<Store>> store =
      Store::Open(options.data_dir, ReportCoreRebuild, index_options);
  if (!store.ok()) return store.status();
  server->store_ = std::move(*store);
  absl::Status configured = ApplyIndexConfig(indexes, *server->store_);
  if (!configured.ok()) return configured;
  server->ingestor_ = std::make_unique<Ingestor>(&server->store_->log(), &server->store_->reader());
  server->results_service_ =
      std::make_unique<ResultsService>(server->ingestor_.get(), server->store_.get());
  server->history_service_ = std::make_unique<HistoryService>(&server->store_->log());

  server->ingest_service_ = std::make_unique<IngestService>(server->ingestor_.get());
  server->admin_service_ = std::make_unique<AdminService>(server->store_.get());

  server->health_service_ = std::make_unique<HealthService>(
      std::vector<std::string>{std::string(kResultsServiceName), IngestService::kServiceName,
                               std::string(kHistoryServiceName), AdminService::kServiceName});
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(100 << 20);
  builder.RegisterService(server->results_service_.get());
  builder.RegisterService(server->ingest_service_.get());
  builder.RegisterService(server->history_service_.get());
  builder.RegisterService(server->admin_service_.get());
  builder.RegisterService(server->health_service_.get());
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || port == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  server->address_ = absl::StrCat(HostOf(options.listen), ":", port);
  return server;
}

void Server::Shutdown(absl::Duration grace) {
  if (grpc_server_ == nullptr) return;
  health_service_->Shutdown();
  history_service_->Shutdown();
  grpc_server_->Shutdown(absl::ToChronoTime(absl::Now() + grace));
  grpc_server_->Wait();
  grpc_server_.reset();
  results_service_.reset();
  ingest_service_.reset();
  history_service_.reset();
  admin_service_.reset();
  health_service_.reset();
  ingestor_.reset();
  store_.reset();
}

Server::~Server() { Shutdown(absl::Seconds(5)); }

}  // namespace runledger
