// End-to-end on real Tekton objects: every TaskRun, PipelineRun and CustomRun of
// ../shared/fixtures/tekton is stored as a Record under its namespace, named by its uid (as the
// Tekton Results watcher names them), and must read back byte for byte, list completely, and
// survive a restart; and the example filters of spec/api.md §3.7 must match on them what
// upstream matches. Skips, saying why, where ../shared is not beside the clone.
#include <array>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "google/protobuf/util/json_util.h"
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
  nlohmann::json object;
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
         bytes.str(), object});
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

// The JSON string at `pointer`, or "" when there is none.
std::string Text(const nlohmann::json& object, const char* pointer) {
  const nlohmann::json::json_pointer p(pointer);
  if (!object.contains(p) || !object.at(p).is_string()) return "";
  return object.at(p).get<std::string>();
}

absl::Time Time(const std::string& text) {
  absl::Time t = absl::InfinitePast();
  std::string error;
  return absl::ParseTime(absl::RFC3339_full, text, &t, &error) ? t : absl::InfinitePast();
}

// A filter and, computed here from the JSON without CEL, the records upstream's SQL matches.
struct ExampleFilter {
  std::string filter;
  std::function<bool(const Fixture&)> upstream_matches;
};

TEST_F(E2eFixturesTest, ExampleFiltersMatchWhatUpstreamMatches) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  ResultsClient client(server.NewChannel());
  for (const Fixture& f : fixtures_) {
    const std::string result = ResultName(f.parent, f.uid);
    ASSERT_OK(client.CreateResult(f.parent, MakeResult(result)));
    ASSERT_OK(client.CreateRecord(result, MakeRecord(RecordName(result, f.uid), f.type, f.json)));
  }
  const Fixture& any = fixtures_.front();
  const std::vector<ExampleFilter> examples = {
      {R"(name == "foo")", [](const Fixture&) { return false; }},
      {absl::StrCat(R"(name + "bar" + "baz" == ")", any.uid, R"(barbaz")"),
       [&](const Fixture& f) { return f.uid == any.uid; }},
      {R"(data.metadata.namespace == "default")",
       [](const Fixture& f) { return Text(f.object, "/metadata/namespace") == "default"; }},
      {R"(data.metadata.namespace in ["ci", "ops"])",
       [](const Fixture& f) {
         const std::string ns = Text(f.object, "/metadata/namespace");
         return ns == "ci" || ns == "ops";
       }},
      {R"(data.metadata.labels["tekton.dev/pipeline"] == "demo-pipeline")",
       [](const Fixture& f) {
         return Text(f.object, "/metadata/labels/tekton.dev~1pipeline") == "demo-pipeline";
       }},
      {"data_type == PIPELINE_RUN",
       [](const Fixture& f) { return f.type == "tekton.dev/v1.PipelineRun"; }},
      {R"(data["status"].conditions[0].status == "True")",
       [](const Fixture& f) { return Text(f.object, "/status/conditions/0/status") == "True"; }},
      {R"(data.status["conditions"][0].status == "True")",
       [](const Fixture& f) { return Text(f.object, "/status/conditions/0/status") == "True"; }},
      {R"(data.status.completionTime > timestamp("2022-10-30T21:45:00.000Z"))",
       [](const Fixture& f) {
         return Time(Text(f.object, "/status/completionTime")) > Time("2022-10-30T21:45:00.000Z");
       }},
      {R"(timestamp("2022-10-30T21:45:00Z") < data.status.completionTime)",
       [](const Fixture& f) {
         return Time(Text(f.object, "/status/completionTime")) > Time("2022-10-30T21:45:00Z");
       }},
      // Beyond upstream (which rejects these): one-level data, and time arithmetic on JSON.
      {R"(data.kind == "TaskRun")", [](const Fixture& f) { return f.object["kind"] == "TaskRun"; }},
      {R"(data.status.completionTime - data.status.startTime > duration("5m"))",
       [](const Fixture& f) {
         const std::string start = Text(f.object, "/status/startTime");
         const std::string end = Text(f.object, "/status/completionTime");
         return !start.empty() && !end.empty() && Time(end) - Time(start) > absl::Minutes(5);
       }},
  };
  for (const ExampleFilter& example : examples) {
    Listing<rpc::Record> listed =
        ListAllRecords(client, "-/results/-", "", FixedPageSize(5), 1000, example.filter);
    ASSERT_TRUE(listed.status.ok()) << example.filter << ": " << listed.status.error_message();
    std::set<std::string> got;
    for (const rpc::Record& r : listed.items) got.insert(r.name());
    std::set<std::string> expected;
    for (const Fixture& f : fixtures_) {
      if (example.upstream_matches(f))
        expected.insert(RecordName(ResultName(f.parent, f.uid), f.uid));
    }
    EXPECT_EQ(got, expected) << example.filter;
  }
}

std::string SummaryRows(ResultsClient& client, const std::string& group_by,
                        const std::string& filter) {
  rpc::RecordListSummaryRequest req;
  req.set_parent("-/results/-");
  req.set_summary(
      "total,succeeded,failed,cancelled,running,others,avg_duration,max_duration,min_duration,"
      "total_duration,last_runtime");
  req.set_group_by(group_by);
  req.set_filter(filter);
  Reply<rpc::RecordListSummary> reply = client.GetRecordListSummary(req);
  EXPECT_TRUE(reply.ok()) << reply.message();
  std::string out;
  for (const auto& row : reply.value.summary()) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(row, &json);
    absl::StrAppend(&out, nlohmann::json::parse(json).dump(), "\n");
  }
  return out;
}

TEST_F(E2eFixturesTest, SummariesOfRealRunsCountWhatTheirJsonSays) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  ResultsClient client(server.NewChannel());
  // Per namespace: total and the five status buckets of the first condition's reason.
  std::map<std::string, std::array<int, 6>> expected;
  for (const Fixture& f : fixtures_) {
    const std::string result = ResultName(f.parent, f.uid);
    ASSERT_OK(client.CreateResult(f.parent, MakeResult(result)));
    ASSERT_OK(client.CreateRecord(result, MakeRecord(RecordName(result, f.uid), f.type, f.json)));
    std::array<int, 6>& counts = expected[Text(f.object, "/metadata/namespace")];
    ++counts[0];
    const std::string reason = Text(f.object, "/status/conditions/0/reason");
    if (reason == "Succeeded" || reason == "Completed") {
      ++counts[1];
    } else if (reason == "Failed") {
      ++counts[2];
    } else if (reason == "Cancelled") {
      ++counts[3];
    } else if (reason == "Running") {
      ++counts[4];
    } else if (!reason.empty()) {
      ++counts[5];
    }
  }
  const std::string by_namespace = SummaryRows(client, "namespace", "");
  std::string want;
  for (const auto& [ns, c] : expected) {
    absl::StrAppend(&want, "\"cancelled\":", c[3], ",\"failed\":", c[2], ",\"group_value\":\"", ns,
                    "\"", ",\"last_runtime\":");
    const size_t at = by_namespace.find(want);
    EXPECT_NE(at, std::string::npos) << want << "\nin\n" << by_namespace;
    want.clear();
    absl::StrAppend(&want, "\"others\":", c[5], ",\"running\":", c[4], ",\"succeeded\":", c[1],
                    ",\"total\":", c[0], ",");
    EXPECT_NE(by_namespace.find(want), std::string::npos) << want << "\nin\n" << by_namespace;
    want.clear();
  }
  // The aggregates and the records agree on every grouping: a filter no aggregate is keyed by
  // (and that every fixture passes) makes the server aggregate the records themselves.
  for (const char* group_by : {"", "namespace", "pipeline", "repository", "day", "month startTime",
                               "hour completionTime"}) {
    EXPECT_EQ(SummaryRows(client, group_by, ""), SummaryRows(client, group_by, "has(data.kind)"))
        << group_by;
  }
}

}  // namespace
}  // namespace runledger::e2e
