#include "src/query/server.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/security/server_credentials.h"
#include "grpcpp/server_builder.h"

namespace runledger {
namespace {

constexpr absl::string_view kResultsServiceName = "tekton.results.v1alpha2.Results";
constexpr absl::string_view kHistoryServiceName = "runledger.v1.History";

std::string HostOf(absl::string_view listen) {
  size_t colon = listen.rfind(':');
  return std::string(colon == absl::string_view::npos ? listen : listen.substr(0, colon));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  std::unique_ptr<Server> server(new Server());
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(options.data_dir);
  if (!store.ok()) return store.status();
  server->store_ = std::move(*store);
  server->ingestor_ = std::make_unique<Ingestor>(&server->store_->log(), &server->store_->reader());
  server->results_service_ =
      std::make_unique<ResultsService>(server->ingestor_.get(), server->store_.get());
  server->history_service_ = std::make_unique<HistoryService>(&server->store_->log());

  server->ingest_service_ = std::make_unique<IngestService>(server->ingestor_.get());

  server->health_service_ = std::make_unique<HealthService>(
      std::vector<std::string>{std::string(kResultsServiceName), IngestService::kServiceName,
                               std::string(kHistoryServiceName)});
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(options.listen, grpc::InsecureServerCredentials(), &port);
  builder.SetMaxReceiveMessageSize(options.max_receive_message_bytes);
  builder.SetMaxSendMessageSize(100 << 20);
  builder.RegisterService(server->results_service_.get());
  builder.RegisterService(server->ingest_service_.get());
  builder.RegisterService(server->history_service_.get());
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
  health_service_.reset();
  ingestor_.reset();
  store_.reset();
}

Server::~Server() { Shutdown(absl::Seconds(5)); }

}  // namespace runledger
