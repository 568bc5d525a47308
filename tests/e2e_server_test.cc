// End-to-end: the server process itself — health checking (grpc.health.v1), a prompt and clean
// shutdown on SIGTERM with clients still connected, and the command line.
#include <chrono>
#include <thread>

#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace runledger::e2e {
namespace {

using ::grpc::health::v1::Health;
using ::grpc::health::v1::HealthCheckRequest;
using ::grpc::health::v1::HealthCheckResponse;
using ::testing::HasSubstr;

grpc::Status Check(Health::Stub& stub, const std::string& service, HealthCheckResponse* response) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  HealthCheckRequest request;
  request.set_service(service);
  return stub.Check(&context, request, response);
}

TEST(E2eServerTest, HealthReportsServingForTheServerAndItsServices) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  {
    auto stub = Health::NewStub(server.NewChannel());
    for (const std::string service :
         {"", "tekton.results.v1alpha2.Results", "runledger.v1.Ingest", "runledger.v1.History"}) {
      HealthCheckResponse response;
      grpc::Status status = Check(*stub, service, &response);
      ASSERT_TRUE(status.ok()) << service << ": " << status.error_message();
      EXPECT_EQ(response.status(), HealthCheckResponse::SERVING) << service;
    }
    HealthCheckResponse response;
    grpc::Status unknown = Check(*stub, "no.such.Service", &response);
    EXPECT_EQ(unknown.error_code(), grpc::StatusCode::NOT_FOUND);
  }
  EXPECT_EQ(server.Stop(), 0);
}

// A Watch stream must not hold up shutdown until the drain deadline (10 s by default): the
// watcher hears NOT_SERVING, its stream ends, and the process exits. (gRPC's graceful HTTP/2
// GOAWAY may still wait a few seconds for an idle client channel, which polls nothing, to
// acknowledge its PING; that is the client's doing and bounded well below the deadline.)
TEST(E2eServerTest, SigtermEndsWatchStreamsAndExitsPromptly) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  std::shared_ptr<grpc::Channel> channel = server.NewChannel();
  ResultsClient client(channel);
  ASSERT_TRUE(client.CreateResult("p", MakeResult("p/results/r")).ok());

  auto stub = Health::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  HealthCheckRequest request;
  std::unique_ptr<grpc::ClientReader<HealthCheckResponse>> watch = stub->Watch(&context, request);
  HealthCheckResponse response;
  ASSERT_TRUE(watch->Read(&response));
  EXPECT_EQ(response.status(), HealthCheckResponse::SERVING);

  const auto start = std::chrono::steady_clock::now();
  std::thread stopper([&] { EXPECT_EQ(server.Stop(), 0); });
  std::vector<HealthCheckResponse::ServingStatus> seen;
  while (watch->Read(&response)) seen.push_back(response.status());
  EXPECT_TRUE(watch->Finish().ok());
  stopper.join();
  EXPECT_THAT(seen, ::testing::ElementsAre(HealthCheckResponse::NOT_SERVING));
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(8));
}

// Requests over 4 MiB (upstream's limit) are refused with ResourceExhausted; the server keeps
// serving and stores nothing of them.
TEST(E2eServerTest, OversizedRequestIsResourceExhausted) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  {
    ResultsClient client(server.NewChannel());
    const std::string result = ResultName("p", "r");
    ASSERT_OK(client.CreateResult("p", MakeResult(result)));
    const std::string big = "{\"log\":\"" + std::string(5 << 20, 'x') + "\"}";
    const std::string name = RecordName(result, "big");
    EXPECT_CODE(client.CreateRecord(result, MakeRecord(name, "T", big)),
                grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_CODE(client.GetRecord(name), grpc::StatusCode::NOT_FOUND);
    EXPECT_OK(client.CreateRecord(result, MakeRecord(name, "T", R"({"small":true})")));
  }
  EXPECT_EQ(server.Stop(), 0);
}

TEST(E2eServerTest, HelpExplainsEveryServeFlag) {
  CommandResult help = RunCommand({"serve", "--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--data-dir", "--listen", "--max-message-bytes"}) {
    EXPECT_THAT(help.out, HasSubstr(flag));
  }
  EXPECT_EQ(RunCommand({"serve", "--no-such-flag"}).exit_code, 2);
  EXPECT_EQ(RunCommand({"no-such-command"}).exit_code, 2);
}

}  // namespace
}  // namespace runledger::e2e
