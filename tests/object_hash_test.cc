// Unit tests of the normalized-object hash (src/watcher/object_hash.h): changes made only by the
// watcher's own write-back or by the API server's bookkeeping give the same hash; any change of
// content, including Results' input annotations, gives another; the hash is stable text.
#include "src/watcher/object_hash.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/watcher/annotation_keys.h"

namespace runledger::watcher {
namespace {

using nlohmann::json;

json PipelineRun() {
  return json::parse(R"({
    "apiVersion": "tekton.dev/v1", "kind": "PipelineRun",
    "metadata": {"name": "p", "namespace": "ci", "uid": "u-1", "generation": 1,
                 "resourceVersion": "100", "labels": {"app": "x"},
                 "annotations": {"team": "a"}, "finalizers": ["chains.tekton.dev/pipelinerun"],
                 "managedFields": [{"manager": "kubectl", "operation": "Update"}]},
    "spec": {"pipelineRef": {"name": "build"}},
    "status": {"conditions": [{"type": "Succeeded", "status": "Unknown", "reason": "Running"}]}})");
}

TEST(ObjectHashTest, BookkeepingAndWriteBackAreNoChange) {
  const json original = PipelineRun();
  const std::string hash = NormalizedObjectHash(original);
  json changed = original;
  changed["metadata"]["resourceVersion"] = "101";
  changed["metadata"]["managedFields"].push_back({{"manager", "tekton-results-watcher"}});
  for (const char* key :
       {kResultAnnotation, kRecordAnnotation, kStoredAnnotation, kChildReadyForDeletionAnnotation,
        kLogAnnotation, kEventListAnnotation, "runledger.dev/anything"}) {
    changed["metadata"]["annotations"][key] = "v";
  }
  changed["metadata"]["finalizers"].push_back("results.tekton.dev/pipelinerun");
  EXPECT_EQ(NormalizedObjectHash(changed), hash);

  // Objects that never had annotations or finalizers hash like ones holding only the watcher's.
  json bare = original;
  bare["metadata"].erase("annotations");
  bare["metadata"].erase("finalizers");
  json watched = bare;
  watched["metadata"]["annotations"][kStoredAnnotation] = "true";
  watched["metadata"]["finalizers"] = json::array({"results.tekton.dev/pipelinerun"});
  EXPECT_EQ(NormalizedObjectHash(watched), NormalizedObjectHash(bare));
}

TEST(ObjectHashTest, KeyOrderIsNoChange) {
  const json a = json::parse(R"({"kind":"TaskRun","metadata":{"uid":"u","name":"n"},"spec":{}})");
  const json b = json::parse(R"({"spec":{},"metadata":{"name":"n","uid":"u"},"kind":"TaskRun"})");
  EXPECT_EQ(NormalizedObjectHash(a), NormalizedObjectHash(b));
}

TEST(ObjectHashTest, ContentChangesAreChanges) {
  const std::string hash = NormalizedObjectHash(PipelineRun());
  std::vector<json> changes(7, PipelineRun());
  changes[0]["status"]["conditions"][0]["reason"] = "Succeeded";
  changes[1]["metadata"]["labels"]["app"] = "y";
  changes[2]["metadata"]["annotations"]["team"] = "b";
  changes[3]["metadata"]["annotations"][kResultAnnotationsAnnotation] = R"({"a":"1"})";
  changes[4]["metadata"]["finalizers"] = json::array();
  changes[5]["metadata"]["generation"] = 2;
  changes[6]["metadata"]["deletionTimestamp"] = "2025-01-01T00:00:00Z";
  for (size_t i = 0; i < changes.size(); ++i) {
    EXPECT_NE(NormalizedObjectHash(changes[i]), hash) << i;
  }
}

TEST(ObjectHashTest, NormalizedObjectKeepsContentAndHashIsHexSha256) {
  const json normalized = NormalizedObject(PipelineRun());
  EXPECT_FALSE(normalized["metadata"].contains("managedFields"));
  EXPECT_FALSE(normalized["metadata"].contains("resourceVersion"));
  EXPECT_EQ(normalized["metadata"]["generation"], 1);
  EXPECT_EQ(normalized["metadata"]["finalizers"], json::array({"chains.tekton.dev/pipelinerun"}));
  EXPECT_EQ(normalized["spec"], PipelineRun()["spec"]);

  // SHA-256 of the canonical text `{}` (no metadata to strip).
  EXPECT_EQ(NormalizedObjectHash(json::object()),
            "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
  EXPECT_THAT(NormalizedObjectHash(PipelineRun()), ::testing::MatchesRegex("[0-9a-f]{64}"));
}

}  // namespace
}  // namespace runledger::watcher
