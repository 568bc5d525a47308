// End-to-end projection lifecycle and user indexes over a real `runledger serve` process and the
// runledger.v1.Admin service: an index build killed with SIGKILL resumes from its checkpoint
// (not from scratch) and ends equal to a rebuild from the log (`runledger replay`); while it
// builds, the server answers the filter correctly; Admin errors name the field; an index config
// file creates indexes at startup; dropping an index removes its column family from disk.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "runledger/v1/admin.grpc.pb.h"
#include "tests/test_util.h"

namespace runledger::e2e {
namespace {

using ::grpc::StatusCode;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kResults = 600;
constexpr int kRecordsPerResult = 3;
constexpr char kFilter[] = "data.spec.serviceAccountName == 'sa-3'";

// The Admin service, each call with a deadline.
class AdminClient {
 public:
  explicit AdminClient(const ServerProcess& server)
      : stub_(v1::Admin::NewStub(server.NewChannel())) {}

  template <typename Req, typename Resp>
  Reply<Resp> Call(grpc::Status (v1::Admin::Stub::*method)(grpc::ClientContext*, const Req&, Resp*),
                   const Req& request) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    Reply<Resp> reply;
    reply.status = ((*stub_).*method)(&context, request, &reply.value);
    return reply;
  }

  Reply<v1::IndexDefinition> CreateIndex(const std::string& name, const std::string& expression) {
    v1::CreateIndexRequest request;
    request.mutable_index()->set_name(name);
    request.mutable_index()->set_expression(expression);
    return Call(&v1::Admin::Stub::CreateIndex, request);
  }

  // The status of projection `name` (a test failure if there is none).
  v1::ProjectionStatus Status(const std::string& name) {
    Reply<v1::ListProjectionsResponse> reply =
        Call(&v1::Admin::Stub::ListProjections, v1::ListProjectionsRequest());
    EXPECT_TRUE(reply.ok()) << reply.message();
    for (const v1::ProjectionStatus& status : reply.value.projections()) {
      if (status.name() == name) return status;
    }
    ADD_FAILURE() << "no projection " << name;
    return v1::ProjectionStatus();
  }

  // Waits (up to 60 s) until `name` serves with nothing left to fold.
  bool AwaitServing(const std::string& name) {
    for (int i = 0; i < 600; ++i) {
      v1::ProjectionStatus status = Status(name);
      if (status.state() == v1::ProjectionStatus::SERVING && status.behind() == 0) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }

 private:
  std::unique_ptr<v1::Admin::Stub> stub_;
};

std::string RecordJson(int i) {
  return absl::StrCat(R"({"metadata":{"name":"run-)", i, R"("},"spec":{"serviceAccountName":"sa-)",
                      i % 5, R"("}})");
}

// Writes the data and returns the names of the records kFilter matches.
std::set<std::string> Fill(ResultsClient& client) {
  std::set<std::string> matching;
  for (int r = 0; r < kResults; ++r) {
    const std::string result = ResultName("lc", absl::StrCat("r", r));
    MustCreateResult(client, result);
    for (int k = 0; k < kRecordsPerResult; ++k) {
      const int i = r * kRecordsPerResult + k;
      const std::string name = RecordName(result, absl::StrCat("x", k));
      MustCreateRecord(client, MakeRecord(name, "tekton.dev/v1.TaskRun", RecordJson(i)));
      if (i % 5 == 3) matching.insert(name);
    }
  }
  return matching;
}

std::set<std::string> ListMatching(ResultsClient& client) {
  Listing<rpc::Record> listing =
      ListAllRecords(client, "-/results/-", "", FixedPageSize(500), 100, kFilter);
  EXPECT_TRUE(listing.status.ok()) << listing.status.error_message();
  std::set<std::string> names;
  for (const rpc::Record& r : listing.items) names.insert(r.name());
  return names;
}

std::string Dump(const std::string& data_dir) {
  CommandResult dump = RunCommand({"dump", "--data-dir", data_dir});
  EXPECT_EQ(dump.exit_code, 0) << dump.err;
  return dump.out;
}

TEST(E2eLifecycleTest, KilledBuildResumesFromItsCheckpointServesMeanwhileAndEndsEqual) {
  ServerProcess server;
  // Slow enough builds to kill one half-way (the limit is a real operational knob).
  server.set_extra_args({"--build-rate-limit", "400"});
  ASSERT_TRUE(server.Start());
  ResultsClient client(server.NewChannel());
  const std::set<std::string> matching = Fill(client);
  AdminClient admin(server);
  ASSERT_OK(admin.CreateIndex("sa", "data.spec.serviceAccountName"));

  // Take a checkpoint the build has passed, then give it time (builds flush every 2 s) to make
  // that durable, and kill the server while it is still building.
  uint64_t passed = 0;
  for (int i = 0; i < 100 && passed < 400; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    passed = admin.Status("sa").build_checkpoint();
  }
  ASSERT_GE(passed, 400u);
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  v1::ProjectionStatus before_kill = admin.Status("sa");
  ASSERT_EQ(before_kill.state(), v1::ProjectionStatus::BUILDING) << "the build ended too soon";
  EXPECT_GT(before_kill.events_per_second(), 0);
  EXPECT_GT(before_kill.eta_seconds(), 0);
  EXPECT_EQ(server.Kill(), 128 + SIGKILL);

  ASSERT_TRUE(server.Restart());
  AdminClient restarted(server);
  v1::ProjectionStatus resumed = restarted.Status("sa");
  EXPECT_EQ(resumed.state(), v1::ProjectionStatus::BUILDING);
  EXPECT_GE(resumed.build_checkpoint(), passed) << "the build started over";
  EXPECT_LT(resumed.build_checkpoint(), resumed.head());
  ResultsClient client2(server.NewChannel());
  EXPECT_EQ(ListMatching(client2), matching) << "while building";

  ASSERT_TRUE(restarted.AwaitServing("sa"));
  EXPECT_EQ(ListMatching(client2), matching) << "once built";
  EXPECT_THAT(server.Stderr(), HasSubstr("runledger: building index sa (sa.v1.g1): "));
  EXPECT_THAT(server.Stderr(), HasSubstr("runledger: index sa serves from sa.v1.g1"));
  ASSERT_EQ(server.Stop(), 0);

  const std::string built = Dump(server.data_dir());
  ASSERT_THAT(built, HasSubstr("\nsa N"));
  CommandResult replay = RunCommand({"replay", "--data-dir", server.data_dir()});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_THAT(replay.err, HasSubstr("events"));
  EXPECT_TRUE(Dump(server.data_dir()) == built) << "the resumed build differs from a replay";
}

std::vector<std::string> FamiliesOnDisk(const std::string& dir) {
  std::vector<std::string> families;
  EXPECT_TRUE(rocksdb::DB::ListColumnFamilies(rocksdb::DBOptions(), dir, &families).ok());
  return families;
}

TEST(E2eLifecycleTest, AdminServiceAndIndexConfig) {
  TempDir config_dir;
  const std::string config = config_dir.path() + "/indexes.json";
  std::ofstream(config) << R"({"indexes": [{"name": "part-of", "expression":
      "data.metadata.labels['app.kubernetes.io/part-of']"}]})";
  ServerProcess server;
  server.set_extra_args({"--index-config", config});
  ASSERT_TRUE(server.Start());
  AdminClient admin(server);

  Reply<v1::ListIndexesResponse> listed =
      admin.Call(&v1::Admin::Stub::ListIndexes, v1::ListIndexesRequest());
  ASSERT_OK(listed);
  ASSERT_EQ(listed.value.indexes_size(), 1);
  EXPECT_EQ(listed.value.indexes(0).field(), "/metadata/labels/app.kubernetes.io~1part-of");

  Reply<v1::IndexDefinition> bad = admin.CreateIndex("x", "size(data.a)");
  EXPECT_CODE(bad, StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.message(), HasSubstr("index.expression"));
  bad = admin.CreateIndex("Bad!", "data.a");
  EXPECT_CODE(bad, StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(bad.message(), HasSubstr("index.name"));
  EXPECT_CODE(admin.CreateIndex("part-of", "data.a"), StatusCode::ALREADY_EXISTS);
  EXPECT_CODE(admin.CreateIndex("records", "data.a"), StatusCode::ALREADY_EXISTS);

  v1::RebuildProjectionRequest rebuild;
  rebuild.set_name("records");
  EXPECT_CODE(admin.Call(&v1::Admin::Stub::RebuildProjection, rebuild),
              StatusCode::FAILED_PRECONDITION);
  rebuild.set_name("nope");
  EXPECT_CODE(admin.Call(&v1::Admin::Stub::RebuildProjection, rebuild), StatusCode::NOT_FOUND);
  rebuild.set_name("filter_index");
  ASSERT_OK(admin.Call(&v1::Admin::Stub::RebuildProjection, rebuild));
  ASSERT_TRUE(admin.AwaitServing("filter_index"));
  EXPECT_EQ(admin.Status("filter_index").family(), "filter_index.v3.g2");
  EXPECT_EQ(admin.Status("records").kind(), "core");

  ASSERT_OK(admin.CreateIndex("sa", "data.spec.serviceAccountName"));
  ASSERT_TRUE(admin.AwaitServing("sa"));
  v1::DropIndexRequest drop;
  drop.set_name("sa");
  ASSERT_OK(admin.Call(&v1::Admin::Stub::DropIndex, drop));
  EXPECT_CODE(admin.Call(&v1::Admin::Stub::DropIndex, drop), StatusCode::NOT_FOUND);
  ASSERT_EQ(server.Stop(), 0);
  const std::vector<std::string> families = FamiliesOnDisk(server.data_dir());
  EXPECT_THAT(families, Not(Contains("sa.v1.g1")));
  EXPECT_THAT(families, Not(Contains("filter_index.v3.g1")));
  EXPECT_THAT(families, Contains("filter_index.v3.g2"));
  EXPECT_THAT(families, Contains("part-of.v1.g1"));
}

}  // namespace
}  // namespace runledger::e2e
