#include "src/watcher/controller.h"

#include <memory>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/watcher/json_fields.h"
#include "src/watcher/object_hash.h"

namespace runledger::watcher {
namespace {

using nlohmann::json;

std::string AnnotationOf(const json& object, const char* key) {
  auto metadata = object.find("metadata");
  if (metadata == object.end() || !metadata->is_object()) return "";
  auto annotations = metadata->find("annotations");
  if (annotations == metadata->end() || !annotations->is_object()) return "";
  return StringField(*annotations, key);
}

json Finalizers(const json& object) {
  auto metadata = object.find("metadata");
  if (metadata != object.end() && metadata->is_object()) {
    auto finalizers = metadata->find("finalizers");
    if (finalizers != metadata->end() && finalizers->is_array()) return *finalizers;
  }
  return json::array();
}

// What FollowUp reads of an object (metadata without managedFields, kind, the status fields of
// run_lifecycle.h): a stored run waiting for its write-back holds no more than this.
json SlimForFollowUp(json object) {
  json slim = json::object();
  for (const char* key : {"apiVersion", "kind", "metadata"}) {
    if (object.contains(key)) slim[key] = std::move(object[key]);
  }
  if (slim["metadata"].is_object()) slim["metadata"].erase("managedFields");
  const json& status = object.contains("status") ? object["status"] : json();
  if (status.is_object()) {
    for (const char* key : {"conditions", "completionTime", "childReferences"}) {
      if (status.contains(key)) slim["status"][key] = status[key];
    }
  }
  return slim;
}

// What FollowUp reads of an object it patches (the patch answers the object as it is then).
json NameOnly(const json& object) {
  return {{"metadata",
           {{"namespace", MetadataField(object, "namespace")},
            {"name", MetadataField(object, "name")}}}};
}

// An outcome code of UpsertRuns that resending the same run cannot change.
bool Permanent(absl::StatusCode code) {
  return code == absl::StatusCode::kInvalidArgument ||
         code == absl::StatusCode::kFailedPrecondition ||
         code == absl::StatusCode::kAlreadyExists || code == absl::StatusCode::kOutOfRange;
}

}  // namespace

struct Controller::Pending {
  Queue::Item item;
  std::string hash;
  TranslatedRun run;
};

std::string RunKey(size_t kind, const std::string& ns, const std::string& name) {
  return absl::StrCat(WatchedKinds()[kind].ref.resource, "/", ns, "/", name);
}

Controller::Controller(KubeClient* kube, RunSink* sink, ControllerOptions options)
    : kube_(kube),
      sink_(sink),
      options_(std::move(options)),
      queue_(Queue::Options{absl::Milliseconds(100), options_.max_retry_backoff}),
      timer_([this](const std::string& key) { Refetch(key); }) {}

Controller::~Controller() = default;

void Controller::Run(const absl::Notification& stop) {
  ReflectorOptions reflector_options = options_.reflector;
  reflector_options.namespaces = options_.namespaces;
  if (!reflector_options.on_error) {
    reflector_options.on_error = [this](const absl::Status& s) { Log(s.ToString()); };
  }
  {
    absl::MutexLock lock(&lists_mu_);
    unlisted_kinds_ = WatchedKinds().size();
  }
  reflector_options.on_listed = [this] {
    absl::MutexLock lock(&lists_mu_);
    if (unlisted_kinds_ > 0) --unlisted_kinds_;
  };
  stop_ = &stop;
  std::vector<std::unique_ptr<Reflector>> reflectors;
  std::vector<std::thread> threads;
  for (size_t kind = 0; kind < WatchedKinds().size(); ++kind) {
    reflectors.push_back(std::make_unique<Reflector>(
        kube_, WatchedKinds()[kind].ref, reflector_options,
        [this, kind](const ReflectorEvent& event) { OnEvent(kind, event); }));
    threads.emplace_back([&reflector = *reflectors.back(), &stop] { reflector.Run(stop); });
  }
  follow_ups_ =
      std::make_unique<BoundedPool>(std::max(1, options_.patch_threads),
                                    static_cast<size_t>(std::max(1, options_.write_back_backlog)));
  for (int i = 0; i < std::max(1, options_.threadiness); ++i) {
    threads.emplace_back([this] { Work(); });
  }
  threads.emplace_back([this, &stop] { timer_.Run(stop); });
  stop.WaitForNotification();
  {
    absl::MutexLock lock(&lists_mu_);
    unlisted_kinds_ = 0;  // patches still submitted need not wait
  }
  queue_.ShutDown();
  for (std::thread& thread : threads) thread.join();
  follow_ups_.reset();  // finishes the write-backs already submitted
}

ControllerStats Controller::stats() const {
  ControllerStats stats;
  stats.events = counters_.events;
  stats.unchanged = counters_.unchanged;
  stats.stored = counters_.stored;
  stats.batches = counters_.batches;
  stats.followed_up = counters_.followed_up;
  stats.store_failures = counters_.store_failures;
  stats.patches = counters_.patches;
  stats.deleted = counters_.deleted;
  stats.finalizers_released = counters_.finalizers_released;
  return stats;
}

Controller::QueuedRun Controller::Pack(size_t kind, const json& object, bool deleted) {
  QueuedRun run;
  run.kind = kind;
  run.packed = json::to_cbor(object);
  run.deleted = deleted;
  return run;
}

void Controller::Unpack(QueuedRun* run) {
  run->object = json::from_cbor(run->packed);
  run->packed.clear();
  run->packed.shrink_to_fit();
}

void Controller::OnEvent(size_t kind, const ReflectorEvent& event) {
  const std::string key =
      RunKey(kind, MetadataField(event.object, "namespace"), MetadataField(event.object, "name"));
  if (event.final_state_unknown) {  // vanished while not watched: nothing new to store
    Forget(key);
    return;
  }
  ++counters_.events;
  while (queue_.waiting() >= static_cast<size_t>(std::max(1, options_.max_queued)) &&
         !stop_->HasBeenNotified()) {
    absl::SleepFor(absl::Milliseconds(2));
  }
  queue_.Put(key, Pack(kind, event.object, event.type == WatchEventType::kDeleted));
}

void Controller::Work() {
  const size_t batch_size = static_cast<size_t>(std::max(1, options_.batch_size));
  while (std::optional<Queue::Item> first = queue_.Take()) {
    std::vector<Queue::Item> batch;
    batch.push_back(*std::move(first));
    while (batch.size() < batch_size) {
      std::optional<Queue::Item> more = queue_.TryTake();
      if (!more.has_value()) break;
      batch.push_back(*std::move(more));
    }
    for (Queue::Item& item : batch) Unpack(&item.state);
    ProcessBatch(std::move(batch));
  }
}

void Controller::ProcessBatch(std::vector<Queue::Item> batch) {
  std::vector<Pending> pending;
  for (Queue::Item& item : batch) {
    Pending next;
    if (Prepare(item, &next)) {
      next.item = std::move(item);
      pending.push_back(std::move(next));
    }
  }
  if (pending.empty()) return;
  std::vector<v1::RunUpsert> upserts;
  upserts.reserve(pending.size());
  for (Pending& p : pending) upserts.push_back(std::move(p.run.upsert));
  absl::StatusOr<std::vector<v1::RunUpsertResult>> outcomes = sink_->UpsertRuns(upserts);
  if (!outcomes.ok()) {
    Log(absl::StrCat("storing ", pending.size(), " runs: ", outcomes.status().ToString()));
    for (Pending& p : pending) StoreFailed(p.item, outcomes.status());
    return;
  }
  ++counters_.batches;
  for (size_t i = 0; i < pending.size(); ++i) {
    const v1::RunUpsertResult& outcome = (*outcomes)[i];
    const auto code = static_cast<absl::StatusCode>(outcome.code());
    if (code == absl::StatusCode::kOk) {
      ++counters_.stored;
      std::optional<json> patch =
          WriteBackPatch(pending[i].item.state, pending[i].run.write_back, pending[i].hash);
      AwaitFollowUp(std::move(pending[i].item), std::move(patch), pending[i].hash);
      continue;
    }
    const absl::Status status(code, outcome.message());
    if (Permanent(code)) {
      StorePermanentlyFailed(pending[i].item, status);
    } else {
      StoreFailed(pending[i].item, status);
    }
  }
}

void Controller::AwaitFollowUp(Queue::Item item, std::optional<json> patch,
                               const std::string& hash) {
  auto stored = std::make_shared<StoredRun>();
  if (patch.has_value()) stored->patch = json::to_cbor(*patch);
  stored->hash = hash;
  item.state.packed =
      json::to_cbor(patch.has_value() ? NameOnly(item.state.object)
                                      : SlimForFollowUp(std::move(item.state.object)));
  item.state.object = json();
  stored->item = std::move(item);
  if (follow_ups_->Full()) {
    // The backlog cannot hold the whole initial inventory: writing back must start now, or the
    // lists (waiting for the workers, which wait for the backlog) would never end.
    absl::MutexLock lock(&lists_mu_);
    unlisted_kinds_ = 0;
  }
  follow_ups_->Submit([this, stored] {
    Unpack(&stored->item.state);
    std::optional<json> patch;
    if (!stored->patch.empty()) patch = json::from_cbor(stored->patch);
    FollowUp(stored->item, std::move(patch), stored->hash);
    ++counters_.followed_up;
  });
}

void Controller::FollowUpUnchanged(Queue::Item& item, const std::string& hash) {
  std::optional<json> patch = WriteBackPatch(item.state, {}, hash);
  if (patch.has_value()) {
    AwaitFollowUp(std::move(item), std::move(patch), hash);
  } else {
    FollowUp(item, std::nullopt, hash);
    ++counters_.followed_up;
  }
}

bool Controller::Prepare(Queue::Item& item, Pending* pending) {
  QueuedRun& run = item.state;
  const RunKind& kind = WatchedKinds()[run.kind];
  const json& object = run.object;
  if (!ManagedByAllowed(object, options_.lifecycle.managed_by_values)) {
    // Managed elsewhere: not stored; a finalizer of ours is released without storing.
    if (!run.deleted && BeingDeleted(object) && HasFinalizer(object, kind.finalizer)) {
      ReleaseFinalizer(run);
    }
    queue_.Done(item.key);
    return false;
  }
  const std::string hash = NormalizedObjectHash(object);
  if (AlreadyStored(item.key, object, hash)) {
    ++counters_.unchanged;
    FollowUpUnchanged(item, hash);
    return false;
  }
  if (options_.disable_storing_incomplete_runs && !run.deleted &&
      (!IsDone(object) || AnnotationOf(object, kStoredAnnotation) == "true")) {
    ++counters_.unchanged;
    FollowUpUnchanged(item, "");
    return false;
  }
  absl::StatusOr<TranslatedRun> translated = TranslateRun(object, options_.translation);
  if (!translated.ok()) {
    StorePermanentlyFailed(item, translated.status());
    return false;
  }
  pending->hash = hash;
  pending->run = *std::move(translated);
  return true;
}

std::optional<json> Controller::WriteBackPatch(const QueuedRun& run,
                                               const std::map<std::string, std::string>& write_back,
                                               const std::string& hash) const {
  if (run.deleted || options_.disable_crd_update) return std::nullopt;
  const RunKind& kind = WatchedKinds()[run.kind];
  const json& object = run.object;
  std::optional<json> patch = AnnotationPatch(object, write_back);
  if (!IsDone(object) && !BeingDeleted(object) && !HasFinalizer(object, kind.finalizer)) {
    if (!patch.has_value()) patch = json::object();
    json finalizers = Finalizers(object);
    finalizers.push_back(kind.finalizer);
    (*patch)["metadata"]["finalizers"] = std::move(finalizers);
    (*patch)["metadata"]["resourceVersion"] = MetadataField(object, "resourceVersion");
  }
  if (patch.has_value() && !hash.empty() && AnnotationOf(object, kStoredHashAnnotation) != hash) {
    (*patch)["metadata"]["annotations"][kStoredHashAnnotation] = hash;
  }
  return patch;
}

void Controller::FollowUp(Queue::Item& item, std::optional<json> patch, const std::string& hash) {
  QueuedRun& run = item.state;
  const RunKind& kind = WatchedKinds()[run.kind];
  if (run.deleted) {
    Forget(item.key);
    queue_.Done(item.key);
    return;
  }
  json& object = run.object;
  if (patch.has_value()) {
    AwaitInitialLists();
    ++counters_.patches;
    absl::StatusOr<json> patched = kube_->MergePatch(kind.ref, MetadataField(object, "namespace"),
                                                     MetadataField(object, "name"), *patch);
    if (!patched.ok()) {
      if (patched.status().code() == absl::StatusCode::kNotFound) {
        queue_.Done(item.key);  // gone; its DELETED event carries the last state
      } else {
        Log(absl::StrCat("patching ", item.key, ": ", patched.status().ToString()));
        RetryLater(item.key);
      }
      return;
    }
    object = *std::move(patched);
  }
  if (!hash.empty()) RememberStored(item.key, hash);
  if (BeingDeleted(object) && HasFinalizer(object, kind.finalizer)) {
    const Decision decision =
        options_.disable_crd_update
            ? Decision{Decision::kNow, absl::ZeroDuration()}
            : FinalizerDecision(object, kind.kind, true, absl::Now(), options_.lifecycle);
    if (decision.action == Decision::kNow && !ReleaseFinalizer(run)) {
      RetryLater(item.key);
      return;
    }
    if (decision.action == Decision::kLater) timer_.Schedule(item.key, decision.after);
  } else {
    MaybeDelete(item);
  }
  queue_.Done(item.key);
}

void Controller::AwaitInitialLists() {
  absl::MutexLock lock(&lists_mu_);
  auto listed = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(lists_mu_) { return unlisted_kinds_ == 0; };
  lists_mu_.Await(absl::Condition(&listed));
}

void Controller::RetryLater(const std::string& key) {
  queue_.Done(key);
  timer_.Schedule(key, options_.max_retry_backoff);
}

void Controller::StoreFailed(Queue::Item& item, const absl::Status& status) {
  ++counters_.store_failures;
  QueuedRun& run = item.state;
  const RunKind& kind = WatchedKinds()[run.kind];
  if (!run.deleted && BeingDeleted(run.object) && HasFinalizer(run.object, kind.finalizer) &&
      FinalizerDecision(run.object, kind.kind, false, absl::Now(), options_.lifecycle).action ==
          Decision::kNow) {
    Log(absl::StrCat(item.key, " not stored before its store deadline (", status.ToString(),
                     "); releasing its finalizer"));
    if (ReleaseFinalizer(run)) {
      queue_.Done(item.key);
      return;
    }
  }
  queue_.Retry(item.key, Pack(run.kind, run.object, run.deleted));
}

void Controller::StorePermanentlyFailed(Queue::Item& item, const absl::Status& status) {
  Log(absl::StrCat(item.key, " cannot be stored: ", status.ToString()));
  QueuedRun& run = item.state;
  if (!run.deleted && BeingDeleted(run.object) &&
      HasFinalizer(run.object, WatchedKinds()[run.kind].finalizer)) {
    ReleaseFinalizer(run);
  }
  queue_.Done(item.key);
}

bool Controller::ReleaseFinalizer(const QueuedRun& run) {
  const RunKind& kind = WatchedKinds()[run.kind];
  json finalizers = json::array();
  for (const json& finalizer : Finalizers(run.object)) {
    if (finalizer != kind.finalizer) finalizers.push_back(finalizer);
  }
  const json patch = {{"metadata",
                       {{"finalizers", std::move(finalizers)},
                        {"resourceVersion", MetadataField(run.object, "resourceVersion")}}}};
  ++counters_.patches;
  absl::StatusOr<json> patched = kube_->MergePatch(kind.ref, MetadataField(run.object, "namespace"),
                                                   MetadataField(run.object, "name"), patch);
  if (!patched.ok() && patched.status().code() != absl::StatusCode::kNotFound) {
    Log(absl::StrCat("releasing the finalizer of ", MetadataField(run.object, "name"), ": ",
                     patched.status().ToString()));
    return false;
  }
  ++counters_.finalizers_released;
  return true;
}

void Controller::MaybeDelete(Queue::Item& item) {
  const QueuedRun& run = item.state;
  const RunKind& kind = WatchedKinds()[run.kind];
  const Decision decision = DeletionDecision(run.object, absl::Now(), options_.lifecycle);
  if (decision.action == Decision::kLater) timer_.Schedule(item.key, decision.after);
  if (decision.action != Decision::kNow) return;
  if (kind.kind == "PipelineRun" && !ChildrenReadyForDeletion(run.object)) {
    timer_.Schedule(item.key, options_.lifecycle.requeue_interval);
    return;
  }
  absl::StatusOr<json> deleted =
      kube_->Delete(kind.ref, MetadataField(run.object, "namespace"),
                    MetadataField(run.object, "name"), {MetadataField(run.object, "uid"), ""});
  if (deleted.ok() || deleted.status().code() == absl::StatusCode::kNotFound) {
    ++counters_.deleted;
    return;
  }
  Log(absl::StrCat("deleting ", item.key, ": ", deleted.status().ToString()));
  timer_.Schedule(item.key, kFinalizerRequeueInterval);
}

bool Controller::ChildrenReadyForDeletion(const json& pipeline_run) {
  const std::string ns = MetadataField(pipeline_run, "namespace");
  for (const ChildRef& child : ChildReferences(pipeline_run)) {
    absl::StatusOr<json> object = kube_->Get(WatchedKinds()[child.kind].ref, ns, child.name);
    if (!object.ok()) {
      if (object.status().code() == absl::StatusCode::kNotFound) continue;
      return false;
    }
    if (AnnotationOf(*object, kChildReadyForDeletionAnnotation).empty()) return false;
  }
  return true;
}

void Controller::Refetch(const std::string& key) {
  std::vector<std::string> parts = absl::StrSplit(key, '/');
  if (parts.size() != 3) return;
  for (size_t kind = 0; kind < WatchedKinds().size(); ++kind) {
    if (WatchedKinds()[kind].ref.resource != parts[0]) continue;
    absl::StatusOr<json> object = kube_->Get(WatchedKinds()[kind].ref, parts[1], parts[2]);
    if (object.ok()) {
      queue_.Put(key, Pack(kind, *object, false));
    } else if (object.status().code() != absl::StatusCode::kNotFound) {
      timer_.Schedule(key, kFinalizerRequeueInterval);
    }
  }
}

void Controller::Log(const std::string& message) {
  if (options_.log) options_.log(message);
}

bool Controller::AlreadyStored(const std::string& key, const json& object,
                               const std::string& hash) {
  if (!options_.resync && AnnotationOf(object, kStoredHashAnnotation) == hash) return true;
  absl::MutexLock lock(&hashes_mu_);
  auto it = hashes_.find(key);
  return it != hashes_.end() && it->second == hash;
}

void Controller::RememberStored(const std::string& key, const std::string& hash) {
  absl::MutexLock lock(&hashes_mu_);
  hashes_[key] = hash;
}

void Controller::Forget(const std::string& key) {
  absl::MutexLock lock(&hashes_mu_);
  hashes_.erase(key);
}

}  // namespace runledger::watcher
