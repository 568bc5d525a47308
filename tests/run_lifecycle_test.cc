#include "src/watcher/run_lifecycle.h"

#include "gtest/gtest.h"

namespace runledger::watcher {
namespace {

using nlohmann::json;

const absl::Time kNow = absl::FromUnixSeconds(1'700'000'000);

std::string At(absl::Duration offset) {
  return absl::FormatTime(absl::RFC3339_full, kNow + offset, absl::UTCTimeZone());
}

json Done(const std::string& kind = "TaskRun", absl::Duration completed = -absl::Minutes(5)) {
  return {{"kind", kind},
          {"metadata", {{"name", "r"}}},
          {"status",
           {{"completionTime", At(completed)},
            {"conditions", {{{"type", "Succeeded"}, {"status", "False"}, {"reason", "Failed"}}}}}}};
}

json Running() {
  return {{"kind", "TaskRun"},
          {"metadata", {{"name", "r"}}},
          {"status", {{"conditions", {{{"type", "Succeeded"}, {"status", "Unknown"}}}}}}};
}

LifecycleOptions Grace(absl::Duration grace) {
  LifecycleOptions options;
  options.completed_run_grace_period = grace;
  return options;
}

TEST(RunLifecycleTest, DoneCompletionAndFinalizers) {
  EXPECT_TRUE(IsDone(Done()));
  EXPECT_FALSE(IsDone(Running()));
  EXPECT_FALSE(IsDone(json::object()));
  EXPECT_EQ(CompletionTime(Done()), kNow - absl::Minutes(5));
  EXPECT_FALSE(CompletionTime(Running()).has_value());
  json run = Done();
  run["metadata"]["finalizers"] = {"other", "results.tekton.dev/taskrun"};
  EXPECT_TRUE(HasFinalizer(run, "results.tekton.dev/taskrun"));
  EXPECT_FALSE(HasFinalizer(run, "results.tekton.dev/pipelinerun"));
  EXPECT_EQ(WatchedKinds()[1].finalizer, "results.tekton.dev/pipelinerun");
}

TEST(RunLifecycleTest, ManagedBy) {
  json run = Running();
  EXPECT_TRUE(ManagedByAllowed(run, {}));
  run["spec"]["managedBy"] = " tekton.dev/pipeline ";
  EXPECT_TRUE(ManagedByAllowed(run, {}));
  run["spec"]["managedBy"] = "kueue.x-k8s.io/multikueue";
  EXPECT_FALSE(ManagedByAllowed(run, {}));
  EXPECT_TRUE(ManagedByAllowed(run, {"other", " kueue.x-k8s.io/multikueue"}));
  run["kind"] = "CustomRun";
  EXPECT_TRUE(ManagedByAllowed(run, {}));
}

TEST(RunLifecycleTest, DeletionFollowsGraceOwnersAndSelector) {
  EXPECT_EQ(DeletionDecision(Done(), kNow, Grace(absl::ZeroDuration())).action, Decision::kNone);
  EXPECT_EQ(DeletionDecision(Done(), kNow, Grace(-absl::Seconds(1))).action, Decision::kNow);
  EXPECT_EQ(DeletionDecision(Running(), kNow, Grace(-absl::Seconds(1))).action, Decision::kNone);
  EXPECT_EQ(DeletionDecision(Done(), kNow, Grace(absl::Minutes(1))).action, Decision::kNow);
  Decision later = DeletionDecision(Done(), kNow, Grace(absl::Minutes(8)));
  EXPECT_EQ(later.action, Decision::kLater);
  EXPECT_EQ(later.after, absl::Minutes(3));

  json child = Done();
  child["metadata"]["ownerReferences"] = {{{"kind", "pipelinerun"}, {"name", "p"}}};
  LifecycleOptions no_check = Grace(-absl::Seconds(1));
  no_check.check_owner = false;
  EXPECT_EQ(DeletionDecision(child, kNow, no_check).action, Decision::kNone);
  json owned = Done();
  owned["metadata"]["ownerReferences"] = {{{"kind", "ConfigMap"}, {"name", "c"}}};
  EXPECT_EQ(DeletionDecision(owned, kNow, Grace(-absl::Seconds(1))).action, Decision::kNone);
  EXPECT_EQ(DeletionDecision(owned, kNow, no_check).action, Decision::kNow);

  LifecycleOptions selective = Grace(-absl::Seconds(1));
  selective.label_selector = *LabelSelector::Parse("prune=yes");
  EXPECT_EQ(DeletionDecision(Done(), kNow, selective).action, Decision::kNone);
  json labelled = Done();
  labelled["metadata"]["labels"] = {{"prune", "yes"}};
  EXPECT_EQ(DeletionDecision(labelled, kNow, selective).action, Decision::kNow);

  json deleting = Done();
  deleting["metadata"]["deletionTimestamp"] = At(absl::ZeroDuration());
  EXPECT_EQ(DeletionDecision(deleting, kNow, Grace(-absl::Seconds(1))).action, Decision::kNone);
}

TEST(RunLifecycleTest, FinalizerReleasedOnlyOnceStoredOrPastTheDeadline) {
  LifecycleOptions options;  // store_deadline 10m
  EXPECT_EQ(FinalizerDecision(Done(), "TaskRun", true, kNow, options).action, Decision::kNow);
  EXPECT_EQ(FinalizerDecision(Done(), "TaskRun", false, kNow, options).action, Decision::kNone);
  json old = Done("TaskRun", -absl::Minutes(11));
  EXPECT_EQ(FinalizerDecision(old, "TaskRun", false, kNow, options).action, Decision::kNow);

  // A running run being deleted: kept until stored, or store_deadline after deletion.
  json running = Running();
  running["metadata"]["deletionTimestamp"] = At(-absl::Minutes(1));
  EXPECT_EQ(FinalizerDecision(running, "TaskRun", false, kNow, options).action, Decision::kNone);
  EXPECT_EQ(FinalizerDecision(running, "TaskRun", true, kNow, options).action, Decision::kNow);
  running["metadata"]["deletionTimestamp"] = At(-absl::Minutes(11));
  EXPECT_EQ(FinalizerDecision(running, "TaskRun", false, kNow, options).action, Decision::kNow);

  // forward_buffer delays TaskRuns only.
  options.forward_buffer = absl::Minutes(10);
  Decision wait = FinalizerDecision(Done(), "TaskRun", true, kNow, options);
  EXPECT_EQ(wait.action, Decision::kLater);
  EXPECT_LE(wait.after, kFinalizerRequeueInterval);
  EXPECT_EQ(FinalizerDecision(Done("PipelineRun"), "PipelineRun", true, kNow, options).action,
            Decision::kNow);
}

TEST(RunLifecycleTest, ChildReferences) {
  json pipeline = {{"status",
                    {{"childReferences",
                      {{{"kind", "TaskRun"}, {"name", "a"}},
                       {{"name", "b"}},
                       {{"kind", "CustomRun"}, {"name", "c"}},
                       {{"kind", "Other"}, {"name", "d"}}}}}}};
  std::vector<ChildRef> children = ChildReferences(pipeline);
  ASSERT_EQ(children.size(), 3u);
  EXPECT_EQ(children[0].name, "a");
  EXPECT_EQ(children[0].kind, 0u);
  EXPECT_EQ(children[1].name, "b");
  EXPECT_EQ(children[2].name, "c");
  EXPECT_EQ(children[2].kind, 2u);
}

}  // namespace
}  // namespace runledger::watcher
