// Unit tests of the translation of Tekton run objects into RunUpserts and write-back annotations
// (src/watcher/run_translation.h): every naming, grouping, data, summary and annotation rule of
// spec/watcher.md §1.4-1.7 on objects the test writes, then the 41 real objects of
// ../shared/fixtures/tekton (skipped, saying why, when ../shared is absent).
#include "src/watcher/run_translation.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace runledger::watcher {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
namespace api = tekton::results::v1alpha2;
namespace fs = std::filesystem;

constexpr char kUid[] = "0a666378-4d3b-5c2d-9e1f-000000000001";
constexpr char kOwnerUid[] = "0a666378-4d3b-5c2d-9e1f-0000000000aa";

// A finished standalone v1 TaskRun.
json TaskRun() {
  return json::parse(R"({
    "apiVersion": "tekton.dev/v1", "kind": "TaskRun",
    "metadata": {"name": "build-1", "namespace": "ci", "uid": "0a666378-4d3b-5c2d-9e1f-000000000001",
                 "resourceVersion": "42", "labels": {"tekton.dev/pipeline": "build", "app": "x"}},
    "spec": {"taskRef": {"name": "build"}},
    "status": {"startTime": "2025-01-20T14:03:51Z", "completionTime": "2025-01-20T14:04:30.5Z",
               "conditions": [{"type": "Succeeded", "status": "True", "reason": "Succeeded"}]}})");
}

json WithOwner(json object, const std::string& kind) {
  object["metadata"]["ownerReferences"] = json::array(
      {{{"apiVersion", "tekton.dev/v1"}, {"kind", kind}, {"name", "owner"}, {"uid", kOwnerUid}}});
  return object;
}

json WithCondition(json object, const std::string& status, const std::string& reason) {
  object["status"]["conditions"] =
      json::array({{{"type", "Succeeded"}, {"status", status}, {"reason", reason}}});
  return object;
}

TranslatedRun MustTranslate(const json& object, const TranslationOptions& options = {}) {
  absl::StatusOr<TranslatedRun> run = TranslateRun(object, options);
  EXPECT_TRUE(run.ok()) << run.status();
  return run.ok() ? *run : TranslatedRun();
}

TEST(RunTranslationTest, StandaloneRunIsItsOwnResult) {
  const json object = TaskRun();
  const TranslatedRun run = MustTranslate(object);
  const std::string result = std::string("ci/results/") + kUid;
  const std::string record = result + "/records/" + kUid;
  EXPECT_TRUE(run.top_level);
  EXPECT_TRUE(run.done);
  EXPECT_TRUE(run.upsert.update_result());
  EXPECT_EQ(run.upsert.result().name(), result);
  EXPECT_EQ(run.upsert.record().name(), record);
  EXPECT_EQ(run.upsert.record().data().type(), "tekton.dev/v1.TaskRun");
  // The whole object, nothing stripped, as compact JSON with sorted keys.
  EXPECT_EQ(run.upsert.record().data().value(), object.dump());
  EXPECT_EQ(json::parse(run.upsert.record().data().value()), object);

  EXPECT_THAT(run.upsert.result().annotations(),
              UnorderedElementsAre(Pair("object.metadata.name", "build-1"),
                                   Pair("tekton.dev/pipeline", "build")));
  const api::RecordSummary& summary = run.upsert.result().summary();
  EXPECT_EQ(summary.record(), record);
  EXPECT_EQ(summary.type(), "tekton.dev/v1.TaskRun");
  EXPECT_EQ(summary.status(), api::RecordSummary::SUCCESS);
  EXPECT_EQ(summary.start_time().seconds(), 1737381831);
  EXPECT_EQ(summary.end_time().seconds(), 1737381870);
  EXPECT_EQ(summary.end_time().nanos(), 500000000);
  EXPECT_TRUE(summary.annotations().empty());

  EXPECT_THAT(run.write_back,
              UnorderedElementsAre(Pair(kResultAnnotation, result), Pair(kRecordAnnotation, record),
                                   Pair(kStoredAnnotation, "true")));
}

TEST(RunTranslationTest, ChildOfAPipelineRunJoinsItsResult) {
  json object = WithOwner(TaskRun(), "PipelineRun");
  object["metadata"]["annotations"][kRecordAnnotation] = "ci/results/elsewhere/records/ignored";
  const TranslatedRun run = MustTranslate(object);
  const std::string result = std::string("ci/results/") + kOwnerUid;
  EXPECT_FALSE(run.top_level);
  EXPECT_FALSE(run.upsert.update_result());
  EXPECT_EQ(run.upsert.result().name(), result);
  // Children ignore the record annotation (PipelineRun annotations propagate to TaskRuns).
  EXPECT_EQ(run.upsert.record().name(), result + "/records/" + kUid);
  EXPECT_FALSE(run.upsert.result().has_summary());
  EXPECT_TRUE(run.upsert.result().annotations().empty());
  EXPECT_EQ(run.write_back.at(kChildReadyForDeletionAnnotation), "true");

  // The owner kind is compared without case; the first PipelineRun owner counts.
  EXPECT_EQ(MustTranslate(WithOwner(TaskRun(), "pipelinerun")).upsert.result().name(), result);
}

TEST(RunTranslationTest, OtherOwnersMakeAChildOfItsOwnResult) {
  const TranslatedRun run = MustTranslate(WithOwner(TaskRun(), "Deployment"));
  EXPECT_FALSE(run.top_level);
  EXPECT_EQ(run.upsert.result().name(), std::string("ci/results/") + kUid);
  EXPECT_FALSE(run.upsert.result().has_summary());
}

TEST(RunTranslationTest, ResultNamePrecedence) {
  json object = WithOwner(TaskRun(), "PipelineRun");
  object["metadata"]["labels"][kTriggersEventIdLabel] = "event-1";
  EXPECT_EQ(MustTranslate(object).upsert.result().name(), "ci/results/event-1");
  object["metadata"]["annotations"][kResultAnnotation] = "other/results/chosen";
  EXPECT_EQ(MustTranslate(object).upsert.result().name(), "other/results/chosen");
  EXPECT_EQ(MustTranslate(object).upsert.record().name(),
            std::string("other/results/chosen/records/") + kUid);
}

TEST(RunTranslationTest, TopLevelRecordAnnotationIsUsedVerbatim) {
  json object = TaskRun();
  object["metadata"]["annotations"][kRecordAnnotation] = "ci/results/r/records/mine";
  const TranslatedRun run = MustTranslate(object);
  EXPECT_EQ(run.upsert.record().name(), "ci/results/r/records/mine");
  EXPECT_EQ(run.upsert.result().summary().record(), "ci/results/r/records/mine");
}

TEST(RunTranslationTest, ResultAnnotationsAreMergedAsGoPrintsThem) {
  json object = TaskRun();
  object["metadata"]["annotations"][kResultAnnotationsAnnotation] = R"({
      "s": "text", "i": 5, "f": 1.5, "big": 100000000, "small": 0.00001, "t": true, "n": null,
      "list": [1, "a"], "map": {"b": 1, "a": "x"}, "object.metadata.name": "override"})";
  const TranslatedRun run = MustTranslate(object);
  const auto& annotations = run.upsert.result().annotations();
  EXPECT_EQ(annotations.at("s"), "text");
  EXPECT_EQ(annotations.at("i"), "5");
  EXPECT_EQ(annotations.at("f"), "1.5");
  EXPECT_EQ(annotations.at("big"), "1e+08");
  EXPECT_EQ(annotations.at("small"), "1e-05");
  EXPECT_EQ(annotations.at("t"), "true");
  EXPECT_EQ(annotations.at("n"), "<nil>");
  EXPECT_EQ(annotations.at("list"), "[1 a]");
  EXPECT_EQ(annotations.at("map"), "map[a:x b:1]");
  EXPECT_EQ(annotations.at("object.metadata.name"), "override");

  // Children contribute them too (they apply when the child creates the Result).
  json child = WithOwner(object, "PipelineRun");
  EXPECT_EQ(MustTranslate(child).upsert.result().annotations().at("s"), "text");
}

TEST(RunTranslationTest, RecordSummaryAnnotationsGoToTheTopLevelSummary) {
  json object = TaskRun();
  object["metadata"]["annotations"][kRecordSummaryAnnotationsAnnotation] = R"({"branch":"main"})";
  EXPECT_THAT(MustTranslate(object).upsert.result().summary().annotations(),
              UnorderedElementsAre(Pair("branch", "main")));
  EXPECT_FALSE(MustTranslate(WithOwner(object, "PipelineRun")).upsert.result().has_summary());
}

TEST(RunTranslationTest, SummaryLabelsAreConfigurable) {
  TranslationOptions options;
  options.summary_labels = {"app", "missing"};
  EXPECT_THAT(MustTranslate(TaskRun(), options).upsert.result().annotations(),
              UnorderedElementsAre(Pair("object.metadata.name", "build-1"), Pair("app", "x")));
}

TEST(RunTranslationTest, BadAnnotationObjectsAndMissingFieldsAreInvalidArgument) {
  auto expect_invalid = [](const json& object, const std::string& field) {
    absl::StatusOr<TranslatedRun> run = TranslateRun(object);
    EXPECT_EQ(run.status().code(), absl::StatusCode::kInvalidArgument) << field;
    EXPECT_THAT(std::string(run.status().message()), HasSubstr(field)) << run.status();
  };
  json bad = TaskRun();
  bad["metadata"]["annotations"][kResultAnnotationsAnnotation] = "{not json";
  expect_invalid(bad, kResultAnnotationsAnnotation);
  bad = TaskRun();
  bad["metadata"]["annotations"][kRecordSummaryAnnotationsAnnotation] = "[1]";
  expect_invalid(bad, kRecordSummaryAnnotationsAnnotation);
  for (const char* field : {"apiVersion", "kind"}) {
    json missing = TaskRun();
    missing.erase(field);
    expect_invalid(missing, field);
  }
  for (const char* field : {"uid", "namespace"}) {
    json missing = TaskRun();
    missing["metadata"].erase(field);
    expect_invalid(missing, std::string("metadata.") + field);
  }
  expect_invalid(json::parse(R"({"apiVersion":"tekton.dev/v1","kind":"TaskRun"})"), "metadata.uid");
}

TEST(RunTranslationTest, StatusFollowsOnlyTheSucceededReason) {
  const std::map<std::string, api::RecordSummary::Status> expected = {
      {"Succeeded", api::RecordSummary::SUCCESS},
      {"Completed", api::RecordSummary::SUCCESS},
      {"Failed", api::RecordSummary::FAILURE},
      {"TaskRunTimeout", api::RecordSummary::TIMEOUT},
      {"PipelineRunTimeout", api::RecordSummary::TIMEOUT},
      {"TaskRunCancelled", api::RecordSummary::CANCELLED},
      {"Cancelled", api::RecordSummary::CANCELLED},
      {"Running", api::RecordSummary::UNKNOWN},
      {"Started", api::RecordSummary::UNKNOWN},
      {"PipelineRunPending", api::RecordSummary::UNKNOWN},
      {"PipelineRunStopping", api::RecordSummary::UNKNOWN},
      {"CancelledRunningFinally", api::RecordSummary::UNKNOWN},
      {"StoppedRunningFinally", api::RecordSummary::UNKNOWN},
      {"TaskRunResolutionFailed", api::RecordSummary::FAILURE},
      {"TaskRunValidationFailed", api::RecordSummary::FAILURE},
      {"TaskValidationFailed", api::RecordSummary::FAILURE},
      {"ResourceVerificationFailed", api::RecordSummary::FAILURE},
      {"ExceededResourceQuota", api::RecordSummary::FAILURE},
      {"ExceededNodeResources", api::RecordSummary::FAILURE},
      {"PullImageFailed", api::RecordSummary::FAILURE},
      {"CreateContainerConfigError", api::RecordSummary::FAILURE},
      {"PodCreationFailed", api::RecordSummary::FAILURE},
      {"PodAdmissionFailed", api::RecordSummary::FAILURE},
      {"Pending", api::RecordSummary::UNKNOWN},
      {"CouldntGetPipeline", api::RecordSummary::UNKNOWN},
      {"TaskRunImagePullFailed", api::RecordSummary::UNKNOWN},
      {"PipelineRunCancelled", api::RecordSummary::UNKNOWN},
      {"ExampleComplete", api::RecordSummary::UNKNOWN},
  };
  for (const auto& [reason, status] : expected) {
    EXPECT_EQ(SummaryStatusOfReason(reason), status) << reason;
    // The condition's status (True/False/Unknown) does not matter, only its reason.
    const TranslatedRun run = MustTranslate(WithCondition(TaskRun(), "Unknown", reason));
    EXPECT_EQ(run.upsert.result().summary().status(), status) << reason;
  }
  json no_condition = TaskRun();
  no_condition["status"].erase("conditions");
  EXPECT_EQ(MustTranslate(no_condition).upsert.result().summary().status(),
            api::RecordSummary::UNKNOWN);
}

TEST(RunTranslationTest, RunningRunIsNotDoneAndHasNoEndTime) {
  json object = WithCondition(TaskRun(), "Unknown", "Running");
  object["status"].erase("completionTime");
  const TranslatedRun run = MustTranslate(object);
  EXPECT_FALSE(run.done);
  EXPECT_EQ(run.write_back.at(kStoredAnnotation), "false");
  EXPECT_TRUE(run.upsert.result().summary().has_start_time());
  EXPECT_FALSE(run.upsert.result().summary().has_end_time());
  EXPECT_FALSE(MustTranslate(WithOwner(object, "PipelineRun"))
                   .write_back.count(kChildReadyForDeletionAnnotation));

  json no_status = TaskRun();
  no_status.erase("status");
  const TranslatedRun fresh = MustTranslate(no_status);
  EXPECT_FALSE(fresh.done);
  EXPECT_FALSE(fresh.upsert.result().summary().has_start_time());
  EXPECT_TRUE(MustTranslate(WithCondition(TaskRun(), "False", "Failed")).done);
}

TEST(RunTranslationTest, AnnotationPatchSetsOnlyWhatIsMissing) {
  json object = TaskRun();
  const TranslatedRun run = MustTranslate(object);
  std::optional<json> patch = AnnotationPatch(object, run.write_back);
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ((*patch)["metadata"]["annotations"].size(), 3u);
  EXPECT_EQ((*patch)["metadata"]["annotations"][kStoredAnnotation], "true");

  object["metadata"]["annotations"][kResultAnnotation] = run.write_back.at(kResultAnnotation);
  object["metadata"]["annotations"][kRecordAnnotation] = run.write_back.at(kRecordAnnotation);
  object["metadata"]["annotations"][kStoredAnnotation] = "false";
  patch = AnnotationPatch(object, run.write_back);
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(*patch,
            json::parse(R"({"metadata":{"annotations":{"results.tekton.dev/stored":"true"}}})"));

  object["metadata"]["annotations"][kStoredAnnotation] = "true";
  EXPECT_FALSE(AnnotationPatch(object, run.write_back).has_value());
}

// --- The real objects of ../shared/fixtures/tekton. ---

// The member `key` of `object`, or an empty object when it has none. (A const json's operator[]
// on a missing key is undefined behaviour: it read past the object and crashed now and then.)
json Member(const json& object, const std::string& key) {
  return object.value(key, json::object());
}

class RunTranslationFixturesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const fs::path dir = fs::path(RUNLEDGER_SHARED_DIR) / "fixtures" / "tekton";
    if (!fs::is_directory(dir)) {
      GTEST_SKIP() << "no Tekton fixtures at " << dir
                   << " (../shared is not beside this clone); the tests above cover every rule "
                      "on objects they write themselves";
    }
    for (const fs::directory_entry& entry : fs::directory_iterator(dir)) {
      if (entry.path().extension() != ".json") continue;
      std::ifstream in(entry.path());
      std::stringstream bytes;
      bytes << in.rdbuf();
      objects_[entry.path().stem().string()] = json::parse(bytes.str());
    }
    ASSERT_EQ(objects_.size(), 41u);
  }

  TranslatedRun Translate(const std::string& name) {
    EXPECT_TRUE(objects_.count(name)) << name;
    return MustTranslate(objects_[name]);
  }

  std::map<std::string, json> objects_;
};

TEST_F(RunTranslationFixturesTest, EveryObjectTranslates) {
  for (const auto& [name, object] : objects_) {
    SCOPED_TRACE(name);
    const TranslatedRun run = MustTranslate(object);
    const std::string uid = object["metadata"]["uid"];
    const std::string ns = object["metadata"]["namespace"];
    EXPECT_EQ(run.upsert.record().data().type(),
              object["apiVersion"].get<std::string>() + "." + object["kind"].get<std::string>());
    EXPECT_EQ(json::parse(run.upsert.record().data().value()), object);
    EXPECT_EQ(run.top_level, !object["metadata"].contains("ownerReferences"));
    EXPECT_EQ(run.upsert.result().has_summary(), run.top_level);
    if (!run.top_level || !Member(object["metadata"], "annotations").contains(kRecordAnnotation)) {
      EXPECT_EQ(run.upsert.record().name(), run.upsert.result().name() + "/records/" + uid);
    }
    EXPECT_EQ(run.upsert.result().name().substr(0, ns.size() + 9), ns + "/results/");
    if (run.top_level) {
      const json& status = object["status"];
      EXPECT_EQ(run.upsert.result().summary().has_start_time(), status.contains("startTime"));
      EXPECT_EQ(run.upsert.result().summary().has_end_time(), status.contains("completionTime"));
      EXPECT_EQ(run.upsert.result().annotations().at("object.metadata.name"),
                object["metadata"]["name"]);
    }
  }
}

TEST_F(RunTranslationFixturesTest, FamiliesShareOneResult) {
  const std::vector<std::vector<std::string>> families = {
      {"pipelinerun-succeeded-results-annotations", "taskrun-succeeded-results-child"},
      {"pipelinerun-succeeded-chains-provenance", "taskrun-succeeded-chains-build",
       "taskrun-succeeded-chains-git-clone"},
      {"pipelinerun-running-remote-resolver", "taskrun-running-kaniko"},
      {"pipelinerun-v1beta1-failed-demo-pipeline",
       "taskrun-v1beta1-failed-demo-pipeline-run-6-build-skaffold-app",
       "taskrun-v1beta1-failed-demo-pipeline-run-6-build-skaffold-web",
       "taskrun-v1beta1-succeeded-demo-pipeline-run-6-skaffold-unit-tests"},
      {"pipelinerun-cancelled", "taskrun-cancelled-by-pipelinerun", "customrun-cancelled"},
      {"pipelinerun-timeout", "taskrun-cancelled-by-pipelinerun-timeout"},
      {"pipelinerun-succeeded-triggers", "taskrun-succeeded-triggers"},
  };
  for (const auto& family : families) {
    const std::string parent_uid = objects_[family[0]]["metadata"]["uid"];
    const std::string result = Translate(family[0]).upsert.result().name();
    for (const std::string& member : family) {
      EXPECT_EQ(Translate(member).upsert.result().name(), result) << member;
    }
    // Grouped by the PipelineRun's uid unless a trigger event id or an annotation says otherwise.
    const json& metadata = objects_[family[0]]["metadata"];
    if (!Member(metadata, "labels").contains(kTriggersEventIdLabel) &&
        !Member(metadata, "annotations").contains(kResultAnnotation)) {
      EXPECT_EQ(result, metadata["namespace"].get<std::string>() + "/results/" + parent_uid);
    }
  }
  EXPECT_EQ(Translate("pipelinerun-cancelled").upsert.result().name(),
            "ci/results/5b1e9f7a-3c2d-4e8f-9a61-0d2c7b4e8f13");
  EXPECT_EQ(Translate("pipelinerun-succeeded-triggers").upsert.result().name(),
            "tekton-ci/results/c2cd171d-2e51-47ca-b34e-42eda846a1d5");
}

TEST_F(RunTranslationFixturesTest, ResultsAnnotationsOfTheDocsExample) {
  const TranslatedRun run = Translate("pipelinerun-succeeded-results-annotations");
  const std::string result = "default/results/1638b693-844d-4f13-b767-d7d84ac4ab3d";
  EXPECT_EQ(run.upsert.result().name(), result);
  EXPECT_EQ(run.upsert.record().name(), result + "/records/1638b693-844d-4f13-b767-d7d84ac4ab3d");
  EXPECT_THAT(run.upsert.result().annotations(),
              UnorderedElementsAre(Pair("repo", "tektoncd/results"), Pair("commit", "1a6b908"),
                                   Pair("tekton.dev/pipeline", "hello"),
                                   Pair("object.metadata.name", "hello")));
  const api::RecordSummary& summary = run.upsert.result().summary();
  EXPECT_THAT(summary.annotations(), UnorderedElementsAre(Pair("foo", "bar")));
  EXPECT_EQ(summary.type(), "tekton.dev/v1.PipelineRun");
  EXPECT_EQ(summary.status(), api::RecordSummary::SUCCESS);
  EXPECT_EQ(summary.start_time().seconds(), 1692695339);  // 2023-08-22T09:08:59Z
  EXPECT_EQ(summary.end_time().seconds(), 1692695371);    // 2023-08-22T09:09:31Z
  // Everything the watcher would write back is already on the object, but `stored`.
  std::optional<json> patch =
      AnnotationPatch(objects_["pipelinerun-succeeded-results-annotations"], run.write_back);
  ASSERT_TRUE(patch.has_value());
  EXPECT_EQ(*patch,
            json::parse(R"({"metadata":{"annotations":{"results.tekton.dev/stored":"true"}}})"));

  // A child's record is named by its uid (its own record annotation is not read).
  const TranslatedRun child = Translate("taskrun-succeeded-results-child");
  EXPECT_EQ(child.upsert.record().name(), result + "/records/3df6130c-f1a5-5491-8bf3-291fa164912e");
  EXPECT_EQ(child.write_back.at(kChildReadyForDeletionAnnotation), "true");
}

TEST_F(RunTranslationFixturesTest, SummaryStatusesOfTopLevelRuns) {
  const std::map<std::string, api::RecordSummary::Status> expected = {
      {"pipelinerun-cancelled", api::RecordSummary::CANCELLED},
      {"pipelinerun-timeout", api::RecordSummary::TIMEOUT},
      {"pipelinerun-failed-workspace-propagation", api::RecordSummary::FAILURE},
      {"pipelinerun-pending", api::RecordSummary::UNKNOWN},
      {"pipelinerun-running-remote-resolver", api::RecordSummary::UNKNOWN},
      {"pipelinerun-v1beta1-cancelled-legacy", api::RecordSummary::UNKNOWN},
      {"pipelinerun-succeeded-custom-task", api::RecordSummary::SUCCESS},
      {"taskrun-cancelled", api::RecordSummary::CANCELLED},
      {"taskrun-timeout", api::RecordSummary::TIMEOUT},
      {"taskrun-failed-retries", api::RecordSummary::FAILURE},
      {"taskrun-failed-imagepull", api::RecordSummary::UNKNOWN},
      {"taskrun-pending", api::RecordSummary::UNKNOWN},
      {"taskrun-started", api::RecordSummary::UNKNOWN},
      {"customrun-succeeded-extrafields", api::RecordSummary::UNKNOWN},
      {"customrun-timedout-retries", api::RecordSummary::UNKNOWN},
      {"customrun-running-wait", api::RecordSummary::UNKNOWN},
  };
  for (const auto& [name, status] : expected) {
    const TranslatedRun run = Translate(name);
    ASSERT_TRUE(run.top_level) << name;
    EXPECT_EQ(run.upsert.result().summary().status(), status) << name;
  }
  EXPECT_FALSE(Translate("pipelinerun-pending").done);
  EXPECT_FALSE(Translate("pipelinerun-pending").upsert.result().summary().has_start_time());
  EXPECT_TRUE(Translate("customrun-timedout-retries").done);
  EXPECT_EQ(Translate("customrun-running-wait").upsert.record().data().type(),
            "tekton.dev/v1beta1.CustomRun");
}

}  // namespace
}  // namespace runledger::watcher
