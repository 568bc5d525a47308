// The watcher's decisions about a run's life in the cluster, apart from storing it (spec/
// watcher.md §1.2, §1.9, §1.10): which kinds are watched and under which finalizer, whether a
// run's spec.managedBy lets the watcher handle it, when a completed run is deleted, and when the
// Results finalizer of a run being deleted is released. Pure: the caller does the API calls.
//
// Differences from upstream, each doing less work for the same outcome:
//   - a run whose labels do not match -label_selector is not requeued every -requeue_interval
//     (a label change is an event of its own and is evaluated then);
//   - a run deleted while still running keeps its finalizer until its last state is stored or
//     -store_deadline after its deletionTimestamp has passed (upstream releases it at once).
#ifndef RUNLEDGER_WATCHER_RUN_LIFECYCLE_H_
#define RUNLEDGER_WATCHER_RUN_LIFECYCLE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "src/watcher/kube_client.h"
#include "src/watcher/label_selector.h"

namespace runledger::watcher {

struct RunKind {
  ResourceRef ref;
  std::string kind;       // "TaskRun"
  std::string finalizer;  // "results.tekton.dev/taskrun"
};

// tekton.dev/v1 TaskRuns and PipelineRuns, tekton.dev/v1beta1 CustomRuns (upstream HEAD).
const std::vector<RunKind>& WatchedKinds();

struct LifecycleOptions {
  // 0: never delete completed runs; < 0: delete once done; > 0: delete that long after
  // status.completionTime.
  absl::Duration completed_run_grace_period = absl::ZeroDuration();
  bool check_owner = true;                               // do not delete runs that have any owner
  LabelSelector label_selector;                          // only delete runs matching it
  absl::Duration requeue_interval = absl::Minutes(10);   // children not yet stored
  absl::Duration store_deadline = absl::Minutes(10);     // finalizer kept at most this long
  absl::Duration forward_buffer = absl::ZeroDuration();  // TaskRun finalizer wait for logs
  std::vector<std::string> managed_by_values;            // accepted besides tekton.dev/pipeline
};

// Upstream's constant wait between finalizer checks.
inline constexpr absl::Duration kFinalizerRequeueInterval = absl::Seconds(10);

// The Succeeded condition exists with a status other than Unknown.
bool IsDone(const nlohmann::json& object);
std::optional<absl::Time> CompletionTime(const nlohmann::json& object);
bool BeingDeleted(const nlohmann::json& object);
bool HasFinalizer(const nlohmann::json& object, const std::string& finalizer);
// spec.managedBy is unset, blank, tekton.dev/pipeline or one of `extra` (CustomRuns: always).
bool ManagedByAllowed(const nlohmann::json& object, const std::vector<std::string>& extra);

struct Decision {
  enum Action { kNone, kNow, kLater };
  Action action = kNone;
  absl::Duration after;  // for kLater
};

// Whether a stored, done run is deleted now, later, or not by the watcher (§1.9 steps 1-5). For
// a PipelineRun, kNow still requires every child to carry childReadyForDeletion (the caller
// reads the children; else it tries again after requeue_interval).
Decision DeletionDecision(const nlohmann::json& object, absl::Time now,
                          const LifecycleOptions& options);

// Whether the finalizer of a run being deleted is released now (kNow), looked at again later, or
// kept until a store succeeds (kNone), given whether its current state is stored (§1.10).
Decision FinalizerDecision(const nlohmann::json& object, const std::string& kind, bool stored,
                           absl::Time now, const LifecycleOptions& options);

// Names of the children in a PipelineRun's status.childReferences, by watched kind index.
struct ChildRef {
  size_t kind;
  std::string name;
};
std::vector<ChildRef> ChildReferences(const nlohmann::json& pipeline_run);

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_RUN_LIFECYCLE_H_
