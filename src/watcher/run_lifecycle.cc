#include "src/watcher/run_lifecycle.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "src/watcher/json_fields.h"

namespace runledger::watcher {
namespace {

using nlohmann::json;

const json* Find(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

std::optional<absl::Time> ParseTime(const std::string& text) {
  absl::Time time;
  std::string error;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return std::nullopt;
  }
  return time;
}

std::optional<absl::Time> DeletionTime(const json& object) {
  return ParseTime(MetadataField(object, "deletionTimestamp"));
}

Decision Now() { return {Decision::kNow, absl::ZeroDuration()}; }
Decision Later(absl::Duration after) { return {Decision::kLater, after}; }
Decision Keep() { return {Decision::kNone, absl::ZeroDuration()}; }

}  // namespace

const std::vector<RunKind>& WatchedKinds() {
  static const auto* kinds = new std::vector<RunKind>{
      {{"tekton.dev", "v1", "taskruns"}, "TaskRun", "results.tekton.dev/taskrun"},
      {{"tekton.dev", "v1", "pipelineruns"}, "PipelineRun", "results.tekton.dev/pipelinerun"},
      {{"tekton.dev", "v1beta1", "customruns"}, "CustomRun", "results.tekton.dev/customrun"},
  };
  return *kinds;
}

bool IsDone(const json& object) {
  const json* status = Find(object, "status");
  const json* conditions = status ? Find(*status, "conditions") : nullptr;
  if (conditions == nullptr || !conditions->is_array()) return false;
  for (const json& condition : *conditions) {
    if (StringField(condition, "type") == "Succeeded") {
      const std::string value = StringField(condition, "status");
      return !value.empty() && value != "Unknown";
    }
  }
  return false;
}

std::optional<absl::Time> CompletionTime(const json& object) {
  const json* status = Find(object, "status");
  return status ? ParseTime(StringField(*status, "completionTime")) : std::nullopt;
}

bool BeingDeleted(const json& object) {
  return !MetadataField(object, "deletionTimestamp").empty();
}

bool HasFinalizer(const json& object, const std::string& finalizer) {
  const json* metadata = Find(object, "metadata");
  const json* finalizers = metadata ? Find(*metadata, "finalizers") : nullptr;
  if (finalizers == nullptr || !finalizers->is_array()) return false;
  return std::find(finalizers->begin(), finalizers->end(), json(finalizer)) != finalizers->end();
}

bool ManagedByAllowed(const json& object, const std::vector<std::string>& extra) {
  if (StringField(object, "kind") == "CustomRun") return true;
  const json* spec = Find(object, "spec");
  std::string managed_by(
      absl::StripAsciiWhitespace(spec ? StringField(*spec, "managedBy") : std::string()));
  if (managed_by.empty() || managed_by == "tekton.dev/pipeline") return true;
  return std::any_of(extra.begin(), extra.end(), [&managed_by](const std::string& value) {
    return absl::StripAsciiWhitespace(value) == managed_by;
  });
}

Decision DeletionDecision(const json& object, absl::Time now, const LifecycleOptions& options) {
  const absl::Duration grace = options.completed_run_grace_period;
  if (grace == absl::ZeroDuration() || !IsDone(object) || BeingDeleted(object)) return Keep();
  const json* metadata = Find(object, "metadata");
  const json* owners = metadata ? Find(*metadata, "ownerReferences") : nullptr;
  if (owners != nullptr && owners->is_array() && !owners->empty()) {
    for (const json& owner : *owners) {
      if (absl::EqualsIgnoreCase(StringField(owner, "kind"), "PipelineRun")) return Keep();
    }
    if (options.check_owner) return Keep();
  }
  std::optional<absl::Time> completed = CompletionTime(object);
  if (!completed.has_value()) {
    return grace > absl::ZeroDuration() ? Later(grace) : Later(options.requeue_interval);
  }
  if (grace > absl::ZeroDuration() && now - *completed < grace) {
    return Later(*completed + grace - now);
  }
  if (!options.label_selector.Matches(object)) return Keep();
  return Now();
}

Decision FinalizerDecision(const json& object, const std::string& kind, bool stored, absl::Time now,
                           const LifecycleOptions& options) {
  if (!IsDone(object)) {
    if (stored) return Now();
    std::optional<absl::Time> deleted = DeletionTime(object);
    return !deleted.has_value() || now > *deleted + options.store_deadline ? Now() : Keep();
  }
  std::optional<absl::Time> completed = CompletionTime(object);
  if (!completed.has_value()) return Now();
  if (kind == "TaskRun" && options.forward_buffer > absl::ZeroDuration() &&
      now <= *completed + options.forward_buffer) {
    return Later(std::min(kFinalizerRequeueInterval,
                          *completed + options.forward_buffer - now + absl::Milliseconds(1)));
  }
  if (stored || now > *completed + options.store_deadline) return Now();
  return Keep();
}

std::vector<ChildRef> ChildReferences(const json& pipeline_run) {
  std::vector<ChildRef> children;
  const json* status = Find(pipeline_run, "status");
  const json* references = status ? Find(*status, "childReferences") : nullptr;
  if (references == nullptr || !references->is_array()) return children;
  for (const json& reference : *references) {
    const std::string kind = StringField(reference, "kind");
    const std::string name = StringField(reference, "name");
    if (name.empty()) continue;
    if (kind.empty() || kind == "TaskRun") children.push_back({0, name});
    if (kind == "CustomRun") children.push_back({2, name});
  }
  return children;
}

}  // namespace runledger::watcher
