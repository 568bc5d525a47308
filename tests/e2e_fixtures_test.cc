// End-to-end on real Tekton objects: every TaskRun, PipelineRun and CustomRun of
// ../shared/fixtures/tekton is stored as a Record under its namespace, named by its uid (as the
// Tekton Results watcher names them), and must read back byte for byte, list completely, and
// survive a restart. Skips, saying why, where ../shared is not beside the clone.
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/test_util.h"

namespace runledger::e2e {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  std::string file;
  std::string parent;  // metadata.namespace
  std::string uid;     // metadata.uid
  std::string type;    // e.g. tekton.dev/v1.PipelineRun
  std::string json;    // the file's bytes
};

std::vector<Fixture> LoadFixtures(const fs::path& dir) {
  std::vector<Fixture> fixtures;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream bytes;
    bytes << in.rdbuf();
    nlohmann::json object = nlohmann::json::parse(bytes.str());
    fixtures.push_back(
        {entry.path().filename().string(), object["metadata"]["namespace"].get<std::string>(),
         object["metadata"]["uid"].get<std::string>(),
         object["apiVersion"].get<std::string>() + "." + object["kind"].get<std::string>(),
         bytes.str()});
  }
  return fixtures;
}

class E2eFixturesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path dir = fs::path(RUNLEDGER_SHARED_DIR) / "fixtures" / "tekton";
    if (!fs::is_directory(dir)) {
      GTEST_SKIP() << "no Tekton fixtures at " << dir
                   << " (../shared is not beside this clone); the other tests cover the same "
                      "behaviour on data they write themselves";
    }
    fixtures_ = LoadFixtures(dir);
    ASSERT_GE(fixtures_.size(), 40u);
  }

  std::vector<Fixture> fixtures_;
};

TEST_F(E2eFixturesTest, RealRunsRoundTripListAndSurviveRestart) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  std::map<std::string, std::string> stored;  // record name -> JSON
  {
    ResultsClient client(server.NewChannel());
    for (const Fixture& f : fixtures_) {
      const std::string result = ResultName(f.parent, f.uid);
      ASSERT_OK(client.CreateResult(f.parent, MakeResult(result)));
      const std::string name = RecordName(result, f.uid);
      Reply<rpc::Record> created = client.CreateRecord(result, MakeRecord(name, f.type, f.json));
      ASSERT_OK(created) << f.file;
      EXPECT_EQ(created.value.data().value(), f.json) << f.file;
      stored[name] = f.json;
    }
  }
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(server.Restart());

  ResultsClient client(server.NewChannel());
  for (const auto& [name, json] : stored) {
    Reply<rpc::Record> got = client.GetRecord(name);
    ASSERT_OK(got) << name;
    EXPECT_EQ(got.value.data().value(), json) << name;
  }
  Listing<rpc::Record> all = ListAllRecords(client, "-/results/-", "", FixedPageSize(7));
  ASSERT_TRUE(all.status.ok()) << all.status.error_message();
  std::map<std::string, std::string> listed;
  for (const rpc::Record& r : all.items) listed[r.name()] = r.data().value();
  EXPECT_EQ(listed, stored);
}

}  // namespace
}  // namespace runledger::e2e
