// End-to-end tests of the watcher's write path against a real `runledger serve` process: Tekton
// run objects translated as upstream's watcher does (src/watcher/run_translation.h) are sent
// through runledger.v1.Ingest/UpsertRuns, and the Results API must then show the Results and
// Records upstream would have written (names, data, summary, annotations). Resending a batch
// appends no event, an update changes the record, and a bad run fails alone with its own code.
// One family of objects the test writes itself always runs; the real fixture families of
// ../shared/fixtures/tekton run when ../shared is present.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "runledger/v1/ingest.grpc.pb.h"
#include "src/watcher/run_translation.h"
#include "tests/test_util.h"

namespace runledger::e2e {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using watcher::TranslatedRun;

constexpr char kWatcherId[] = "e2e";

// UpsertRuns with a deadline.
Reply<v1::UpsertRunsResponse> UpsertRuns(const ServerProcess& server,
                                         const std::vector<v1::RunUpsert>& runs,
                                         const std::string& watcher_id = kWatcherId) {
  auto stub = v1::Ingest::NewStub(server.NewChannel());
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  v1::UpsertRunsRequest request;
  request.set_watcher_id(watcher_id);
  for (const v1::RunUpsert& run : runs) *request.add_runs() = run;
  Reply<v1::UpsertRunsResponse> reply;
  reply.status = stub->UpsertRuns(&context, request, &reply.value);
  return reply;
}

std::vector<TranslatedRun> Translate(const std::vector<json>& objects) {
  std::vector<TranslatedRun> runs;
  for (const json& object : objects) {
    absl::StatusOr<TranslatedRun> run = watcher::TranslateRun(object);
    EXPECT_TRUE(run.ok()) << run.status();
    if (run.ok()) runs.push_back(*std::move(run));
  }
  return runs;
}

std::vector<v1::RunUpsert> Upserts(const std::vector<TranslatedRun>& runs) {
  std::vector<v1::RunUpsert> upserts;
  for (const TranslatedRun& run : runs) upserts.push_back(run.upsert);
  return upserts;
}

// Sends the runs and checks that each is stored as the Results API shows it: every Record with
// the object as data, the Result with the top-level run's summary and the annotations of all.
void ExpectStored(ServerProcess& server, ResultsClient& client,
                  const std::vector<TranslatedRun>& runs) {
  Reply<v1::UpsertRunsResponse> reply = UpsertRuns(server, Upserts(runs));
  ASSERT_OK(reply);
  ASSERT_EQ(reply.value.results_size(), static_cast<int>(runs.size()));
  for (size_t i = 0; i < runs.size(); ++i) {
    const v1::RunUpsertResult& outcome = reply.value.results(static_cast<int>(i));
    const v1::RunUpsert& upsert = runs[i].upsert;
    ASSERT_EQ(outcome.code(), 0) << outcome.message();
    EXPECT_EQ(outcome.result().name(), upsert.result().name());
    EXPECT_EQ(outcome.record().name(), upsert.record().name());

    Reply<rpc::Record> record = client.GetRecord(upsert.record().name());
    ASSERT_OK(record);
    EXPECT_EQ(record.value.uid(), outcome.record().uid());
    EXPECT_EQ(record.value.etag(), outcome.record().etag());
    EXPECT_EQ(record.value.data().type(), upsert.record().data().type());
    EXPECT_EQ(json::parse(record.value.data().value()),
              json::parse(upsert.record().data().value()));

    Reply<rpc::Result> result = client.GetResult(upsert.result().name());
    ASSERT_OK(result);
    EXPECT_EQ(result.value.uid(), outcome.result().uid());
    for (const auto& [key, value] : upsert.result().annotations()) {
      EXPECT_EQ(result.value.annotations().at(key), value) << key;
    }
    if (runs[i].top_level) {
      EXPECT_TRUE(ProtoEq(upsert.result().summary(), result.value.summary()));
    }
  }
}

// A PipelineRun and its two TaskRuns in namespace `ns`, the PipelineRun done as `reason`.
std::vector<json> Family(const std::string& ns, const std::string& reason = "Succeeded") {
  json pipeline_run = json::parse(R"({
    "apiVersion": "tekton.dev/v1", "kind": "PipelineRun",
    "metadata": {"name": "build-run", "uid": "6d1f8f0e-0000-4000-8000-000000000001",
      "resourceVersion": "7", "labels": {"tekton.dev/pipeline": "build"},
      "annotations": {"results.tekton.dev/resultAnnotations": "{\"repo\":\"app\",\"pr\":42}",
                      "results.tekton.dev/recordSummaryAnnotations": "{\"branch\":\"main\"}"}},
    "spec": {"pipelineRef": {"name": "build"}},
    "status": {"startTime": "2025-03-14T10:02:11Z", "completionTime": "2025-03-14T10:04:02Z",
               "conditions": [{"type": "Succeeded", "status": "True", "reason": "Succeeded"}]}})");
  pipeline_run["metadata"]["namespace"] = ns;
  pipeline_run["status"]["conditions"][0]["reason"] = reason;
  std::vector<json> family = {pipeline_run};
  const std::vector<std::pair<std::string, std::string>> tasks = {
      {"fetch", "6d1f8f0e-0000-4000-8000-000000000002"},
      {"compile", "6d1f8f0e-0000-4000-8000-000000000003"}};
  for (const auto& [task, uid] : tasks) {
    json task_run = json::parse(R"({
      "apiVersion": "tekton.dev/v1", "kind": "TaskRun",
      "metadata": {"ownerReferences": [{"apiVersion": "tekton.dev/v1", "kind": "PipelineRun",
                   "name": "build-run", "uid": "6d1f8f0e-0000-4000-8000-000000000001"}]},
      "status": {"startTime": "2025-03-14T10:02:12Z", "completionTime": "2025-03-14T10:03:00Z",
                 "conditions": [{"type": "Succeeded", "status": "True", "reason": "Succeeded"}]}})");
    task_run["metadata"]["namespace"] = ns;
    task_run["metadata"]["name"] = absl::StrCat("build-run-", task);
    task_run["metadata"]["uid"] = uid;
    family.push_back(task_run);
  }
  return family;
}

class E2eIngestTest : public E2eTest {};

TEST_F(E2eIngestTest, AFamilyIsStoredAsUpstreamGroupsIt) {
  const std::string ns = UniqueParent();
  const std::vector<TranslatedRun> runs = Translate(Family(ns));
  ExpectStored(server(), client(), runs);

  const std::string result = ns + "/results/6d1f8f0e-0000-4000-8000-000000000001";
  Reply<rpc::Result> stored = client().GetResult(result);
  ASSERT_OK(stored);
  EXPECT_THAT(stored.value.annotations(),
              UnorderedElementsAre(Pair("repo", "app"), Pair("pr", "42"),
                                   Pair("tekton.dev/pipeline", "build"),
                                   Pair("object.metadata.name", "build-run")));
  const rpc::RecordSummary& summary = stored.value.summary();
  EXPECT_EQ(summary.record(), result + "/records/6d1f8f0e-0000-4000-8000-000000000001");
  EXPECT_EQ(summary.type(), "tekton.dev/v1.PipelineRun");
  EXPECT_EQ(summary.status(), rpc::RecordSummary::SUCCESS);
  EXPECT_EQ(summary.start_time().seconds(), 1741946531);  // 2025-03-14T10:02:11Z
  EXPECT_EQ(summary.end_time().seconds(), 1741946642);    // 2025-03-14T10:04:02Z
  EXPECT_THAT(summary.annotations(), UnorderedElementsAre(Pair("branch", "main")));

  Listing<rpc::Record> records = ListAllRecords(client(), result, "", FixedPageSize(10));
  ASSERT_TRUE(records.status.ok()) << records.status.error_message();
  std::vector<std::string> names;
  for (const rpc::Record& record : records.items) names.push_back(record.name());
  EXPECT_THAT(names,
              UnorderedElementsAre(result + "/records/6d1f8f0e-0000-4000-8000-000000000001",
                                   result + "/records/6d1f8f0e-0000-4000-8000-000000000002",
                                   result + "/records/6d1f8f0e-0000-4000-8000-000000000003"));
}

TEST_F(E2eIngestTest, ResendingChangesNothingAndAnUpdateChangesTheRecord) {
  const std::string ns = UniqueParent();
  std::vector<json> family = Family(ns, "Running");
  family[0]["status"].erase("completionTime");
  const std::vector<v1::RunUpsert> upserts = Upserts(Translate(family));
  Reply<v1::UpsertRunsResponse> first = UpsertRuns(server(), upserts);
  ASSERT_OK(first);

  Reply<v1::UpsertRunsResponse> again = UpsertRuns(server(), upserts);
  ASSERT_OK(again);
  for (int i = 0; i < again.value.results_size(); ++i) {
    const v1::RunUpsertResult& outcome = again.value.results(i);
    EXPECT_EQ(outcome.code(), 0) << outcome.message();
    EXPECT_FALSE(outcome.result_changed()) << i;
    EXPECT_FALSE(outcome.record_changed()) << i;
    EXPECT_TRUE(ProtoEq(first.value.results(i).result(), outcome.result()));
    EXPECT_TRUE(ProtoEq(first.value.results(i).record(), outcome.record()));
  }

  // The PipelineRun finishes: its record and the result's summary change, nothing else.
  json done = Family(ns)[0];
  const std::vector<TranslatedRun> update = Translate({done});
  Reply<v1::UpsertRunsResponse> updated = UpsertRuns(server(), Upserts(update));
  ASSERT_OK(updated);
  const v1::RunUpsertResult& outcome = updated.value.results(0);
  EXPECT_TRUE(outcome.record_changed());
  EXPECT_TRUE(outcome.result_changed());
  EXPECT_NE(outcome.record().etag(), first.value.results(0).record().etag());
  EXPECT_EQ(outcome.record().uid(), first.value.results(0).record().uid());
  Reply<rpc::Record> record = client().GetRecord(outcome.record().name());
  ASSERT_OK(record);
  EXPECT_EQ(json::parse(record.value.data().value()), done);
  EXPECT_EQ(record.value.etag(), outcome.record().etag());
  Reply<rpc::Result> result = client().GetResult(outcome.result().name());
  ASSERT_OK(result);
  EXPECT_EQ(result.value.summary().status(), rpc::RecordSummary::SUCCESS);
  EXPECT_TRUE(result.value.summary().has_end_time());
  for (int i = 1; i < 3; ++i) {
    Reply<rpc::Record> child = client().GetRecord(first.value.results(i).record().name());
    ASSERT_OK(child);
    EXPECT_EQ(child.value.etag(), first.value.results(i).record().etag());
  }
}

TEST_F(E2eIngestTest, ABadRunFailsAloneWithItsCode) {
  const std::string ns = UniqueParent();
  std::vector<json> family = Family(ns);
  json bad_name = family[1];
  bad_name["metadata"]["uid"] = "Not-A-Valid-Id";
  std::vector<v1::RunUpsert> upserts = Upserts(Translate({family[0], bad_name, family[1]}));
  v1::RunUpsert bad_json = upserts[2];
  bad_json.mutable_record()->set_name(bad_json.record().name() + "x");
  bad_json.mutable_record()->mutable_data()->set_value("{\"kind\": ");
  v1::RunUpsert elsewhere = upserts[2];
  elsewhere.mutable_record()->set_name(ns + "/results/other/records/r");
  upserts.insert(upserts.begin() + 2, {bad_json, elsewhere});

  Reply<v1::UpsertRunsResponse> reply = UpsertRuns(server(), upserts);
  ASSERT_OK(reply);
  ASSERT_EQ(reply.value.results_size(), 5);
  std::vector<int> codes;
  for (const v1::RunUpsertResult& outcome : reply.value.results()) codes.push_back(outcome.code());
  const int invalid = static_cast<int>(grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(codes, ElementsAre(0, invalid, invalid, invalid, 0));
  EXPECT_THAT(reply.value.results(1).message(), HasSubstr("record.name"));
  EXPECT_THAT(reply.value.results(2).message(), HasSubstr("record.data"));
  EXPECT_THAT(reply.value.results(3).message(), HasSubstr("is not a record of result"));
  EXPECT_FALSE(reply.value.results(1).has_record());

  EXPECT_OK(client().GetRecord(upserts[0].record().name()));
  EXPECT_OK(client().GetRecord(upserts[4].record().name()));
  EXPECT_CODE(client().GetRecord(bad_json.record().name()), grpc::StatusCode::NOT_FOUND);
  EXPECT_CODE(client().GetResult(ns + "/results/other"), grpc::StatusCode::NOT_FOUND);
}

TEST_F(E2eIngestTest, AWatcherIdIsRequired) {
  Reply<v1::UpsertRunsResponse> reply =
      UpsertRuns(server(), Upserts(Translate(Family(UniqueParent()))), "");
  EXPECT_CODE(reply, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(reply.message(), HasSubstr("watcher_id"));
}

// The log itself: a resent batch appends nothing, an update exactly one event, all from
// "watcher:<id>" (read with `runledger dump --log` once the server has stopped).
TEST(E2eIngestLogTest, ResentBatchesAppendNoEvents) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  const std::vector<TranslatedRun> runs = Translate(Family("ns"));
  for (int i = 0; i < 3; ++i) ASSERT_OK(UpsertRuns(server, Upserts(runs)));
  json changed = Family("ns")[2];
  changed["metadata"]["labels"]["new"] = "label";
  ASSERT_OK(UpsertRuns(server, Upserts(Translate({changed}))));
  ASSERT_OK(UpsertRuns(server, Upserts(Translate({changed}))));
  ASSERT_EQ(server.Stop(), 0);

  CommandResult dump = RunCommand({"dump", "--data-dir", server.data_dir(), "--log"});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  const std::string result = "ns/results/6d1f8f0e-0000-4000-8000-000000000001";
  const std::string record = result + "/records/6d1f8f0e-0000-4000-8000-00000000000";
  EXPECT_THAT(absl::StrSplit(dump.out, '\n', absl::SkipEmpty()),
              ElementsAre("1 RESULT_CREATED " + result, "2 RECORD_CREATED " + record + "1",
                          "3 RECORD_CREATED " + record + "2", "4 RECORD_CREATED " + record + "3",
                          "5 RECORD_UPDATED " + record + "3"));
}

// The real fixture families: each PipelineRun with its TaskRuns and CustomRuns, in one batch.
TEST_F(E2eIngestTest, FixtureFamiliesAreStored) {
  const fs::path dir = fs::path(RUNLEDGER_SHARED_DIR) / "fixtures" / "tekton";
  if (!fs::is_directory(dir)) {
    GTEST_SKIP() << "no Tekton fixtures at " << dir
                 << " (../shared is not beside this clone); the tests above cover the same "
                    "behaviour on objects they write themselves";
  }
  auto load = [&dir](const std::string& name) {
    std::ifstream in(dir / (name + ".json"));
    std::stringstream bytes;
    bytes << in.rdbuf();
    return json::parse(bytes.str());
  };
  const std::vector<std::vector<std::string>> families = {
      {"pipelinerun-succeeded-chains-provenance", "taskrun-succeeded-chains-build",
       "taskrun-succeeded-chains-git-clone"},
      {"pipelinerun-succeeded-results-annotations", "taskrun-succeeded-results-child"},
      {"pipelinerun-cancelled", "taskrun-cancelled-by-pipelinerun", "customrun-cancelled"},
      {"pipelinerun-succeeded-triggers", "taskrun-succeeded-triggers"},
  };
  for (const auto& family : families) {
    SCOPED_TRACE(family[0]);
    std::vector<json> objects;
    for (const std::string& name : family) objects.push_back(load(name));
    const std::vector<TranslatedRun> runs = Translate(objects);
    ExpectStored(server(), client(), runs);
    Listing<rpc::Record> records =
        ListAllRecords(client(), runs[0].upsert.result().name(), "", FixedPageSize(10));
    EXPECT_EQ(records.items.size(), family.size());
  }
  Reply<rpc::Result> result =
      client().GetResult("default/results/1638b693-844d-4f13-b767-d7d84ac4ab3d");
  ASSERT_OK(result);
  EXPECT_THAT(result.value.annotations(),
              UnorderedElementsAre(Pair("repo", "tektoncd/results"), Pair("commit", "1a6b908"),
                                   Pair("tekton.dev/pipeline", "hello"),
                                   Pair("object.metadata.name", "hello")));
  EXPECT_THAT(result.value.summary().annotations(), UnorderedElementsAre(Pair("foo", "bar")));
  EXPECT_EQ(result.value.summary().status(), rpc::RecordSummary::SUCCESS);
  Reply<rpc::Result> cancelled =
      client().GetResult("ci/results/5b1e9f7a-3c2d-4e8f-9a61-0d2c7b4e8f13");
  ASSERT_OK(cancelled);
  EXPECT_EQ(cancelled.value.summary().status(), rpc::RecordSummary::CANCELLED);
}

}  // namespace
}  // namespace runledger::e2e
