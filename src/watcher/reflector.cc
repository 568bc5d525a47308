#include "src/watcher/reflector.h"

#include <algorithm>
#include <memory>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "src/watcher/backoff.h"
#include "src/watcher/json_fields.h"
#include "src/watcher/kube_status.h"

namespace runledger::watcher {
namespace {

// A watch that ends cleanly sooner than this without any event counts as a failure, so that a
// server or proxy that keeps closing streams at once is not re-watched in a tight loop.
constexpr absl::Duration kMinProductiveWatch = absl::Seconds(1);

struct ObjectMeta {
  std::string key;  // "namespace/name" ("/name" for cluster-scoped objects)
  std::string uid;
  std::string resource_version;
};

ObjectMeta MetaOf(const nlohmann::json& object) {
  return {absl::StrCat(MetadataField(object, "namespace"), "/", MetadataField(object, "name")),
          MetadataField(object, "uid"), MetadataField(object, "resourceVersion")};
}

}  // namespace

// The list+watch loop of one namespace ("" = all) and the objects it knows.
class Reflector::Loop {
 public:
  // Takes over the seeded objects of namespace `ns` (all of them if `ns` is empty).
  Loop(Reflector* owner, std::string ns, const absl::Notification& stop)
      : owner_(owner),
        ns_(std::move(ns)),
        stop_(stop),
        backoff_(owner->options_.initial_backoff, owner->options_.max_backoff),
        resource_version_(owner->seed_resource_version_) {
    for (const KnownObject& object : owner->seed_) {
      if (ns_.empty() || object.ns == ns_) {
        known_[absl::StrCat(object.ns, "/", object.name)] = {object.uid, object.resource_version};
      }
    }
  }

  void Run();

 private:
  struct Known {
    std::string uid;
    std::string resource_version;
  };

  // How long to wait before retrying after `status`.
  absl::Duration DelayAfter(const absl::Status& status);
  absl::Status Relist();
  // One watch from resource_version_; `*productive` tells whether it delivered anything.
  absl::Status WatchOnce(bool* productive, bool* error_event);
  absl::Status OnEvent(WatchEvent event, int* delivered, bool* error_event);
  // Records `object` as known, delivering it as ADDED or MODIFIED (and a deletion first if the
  // key now has a new uid).
  void Upsert(const nlohmann::json& object, const ObjectMeta& meta);
  void DeliverLostDeletion(const std::string& key, const Known& known);
  void Deliver(WatchEventType type, const nlohmann::json& object, bool final_state_unknown);

  Reflector* const owner_;
  const std::string ns_;
  const absl::Notification& stop_;
  Backoff backoff_;
  absl::BitGen random_;
  std::string resource_version_;  // where the next watch starts
  absl::flat_hash_map<std::string, Known> known_;
  std::string kind_;  // of the objects, learned from them (for inferred deletions)
};

void Reflector::Loop::Run() {
  bool need_list = resource_version_.empty();
  for (bool first = true; !stop_.HasBeenNotified(); first = false) {
    absl::Status status;
    bool error_event = false;
    if (need_list) status = Relist();
    if (first) owner_->LoopListed();
    if (status.ok()) {
      need_list = false;
      bool productive = false;
      status = WatchOnce(&productive, &error_event);
      if (status.ok() && productive) {
        backoff_.Reset();
        continue;
      }
      if (status.ok()) {
        status = absl::UnavailableError(
            absl::StrCat("watch ", owner_->ref_.Path(ns_), " ended at once without events"));
      }
    }
    if (stop_.HasBeenNotified()) return;
    if (IsExpired(status) || error_event) need_list = true;
    if (owner_->options_.on_error) owner_->options_.on_error(status);
    stop_.WaitForNotificationWithTimeout(DelayAfter(status));
  }
}

absl::Duration Reflector::Loop::DelayAfter(const absl::Status& status) {
  absl::Duration delay = backoff_.Next();
  // Credentials or RBAC: retrying soon cannot help, so do not spin.
  if (absl::IsUnauthenticated(status) || absl::IsPermissionDenied(status)) {
    delay = owner_->options_.max_backoff;
  }
  return std::max(delay, RetryAfter(status));
}

absl::Status Reflector::Loop::Relist() {
  ListOptions options;
  options.limit = owner_->options_.page_size;
  options.label_selector = owner_->options_.label_selector;
  absl::flat_hash_set<std::string> listed;
  std::string list_version;
  // Page by page, so that only one page of objects is in memory at a time.
  do {
    absl::StatusOr<ListPage> page = owner_->client_->List(owner_->ref_, ns_, options, &stop_);
    if (!page.ok()) return page.status();
    if (list_version.empty()) list_version = page->resource_version;
    for (const nlohmann::json& item : page->items) {
      ObjectMeta meta = MetaOf(item);
      Upsert(item, meta);
      listed.insert(meta.key);
    }
    options.continue_token = page->continue_token;
  } while (!options.continue_token.empty());
  for (auto it = known_.begin(); it != known_.end();) {
    if (listed.contains(it->first)) {
      ++it;
    } else {
      DeliverLostDeletion(it->first, it->second);
      known_.erase(it++);
    }
  }
  resource_version_ = list_version;
  return absl::OkStatus();
}

absl::Status Reflector::Loop::WatchOnce(bool* productive, bool* error_event) {
  const ReflectorOptions& options = owner_->options_;
  WatchOptions watch;
  watch.resource_version = resource_version_;
  watch.label_selector = options.label_selector;
  watch.allow_bookmarks = true;
  watch.timeout_seconds =
      absl::Uniform(absl::IntervalClosed, random_, options.min_watch_seconds,
                    std::max(options.min_watch_seconds, options.max_watch_seconds));
  int delivered = 0;
  absl::Time start = absl::Now();
  absl::Status status = owner_->client_->Watch(
      owner_->ref_, ns_, watch,
      [&](WatchEvent event) { return OnEvent(std::move(event), &delivered, error_event); }, &stop_);
  *productive = delivered > 0 || absl::Now() - start >= kMinProductiveWatch;
  return status;
}

absl::Status Reflector::Loop::OnEvent(WatchEvent event, int* delivered, bool* error_event) {
  if (event.type == WatchEventType::kError) {
    *error_event = true;
    return StatusFromKubeStatus(event.object,
                                absl::StrCat("watch ", owner_->ref_.Path(ns_), " ERROR event"));
  }
  ++*delivered;
  ObjectMeta meta = MetaOf(event.object);
  if (!meta.resource_version.empty()) resource_version_ = meta.resource_version;
  switch (event.type) {
    case WatchEventType::kBookmark:
      break;
    case WatchEventType::kDeleted:
      known_.erase(meta.key);
      Deliver(WatchEventType::kDeleted, event.object, false);
      break;
    default:
      Upsert(event.object, meta);
  }
  return absl::OkStatus();
}

void Reflector::Loop::Upsert(const nlohmann::json& object, const ObjectMeta& meta) {
  if (kind_.empty()) kind_ = StringField(object, "kind");
  auto it = known_.find(meta.key);
  if (it == known_.end()) {
    Deliver(WatchEventType::kAdded, object, false);
  } else if (it->second.uid != meta.uid) {
    DeliverLostDeletion(meta.key, it->second);
    Deliver(WatchEventType::kAdded, object, false);
  } else if (it->second.resource_version != meta.resource_version) {
    Deliver(WatchEventType::kModified, object, false);
  }
  known_[meta.key] = Known{meta.uid, meta.resource_version};
}

void Reflector::Loop::DeliverLostDeletion(const std::string& key, const Known& known) {
  std::pair<std::string, std::string> ns_name = absl::StrSplit(key, absl::MaxSplits('/', 1));
  nlohmann::json metadata = {
      {"name", ns_name.second}, {"uid", known.uid}, {"resourceVersion", known.resource_version}};
  if (!ns_name.first.empty()) metadata["namespace"] = ns_name.first;
  nlohmann::json stub = {{"apiVersion", owner_->ref_.ApiVersion()}, {"metadata", metadata}};
  if (!kind_.empty()) stub["kind"] = kind_;
  Deliver(WatchEventType::kDeleted, stub, true);
}

void Reflector::Loop::Deliver(WatchEventType type, const nlohmann::json& object,
                              bool final_state_unknown) {
  owner_->Deliver(ReflectorEvent{type, object, final_state_unknown});
}

Reflector::Reflector(KubeClient* client, ResourceRef ref, ReflectorOptions options,
                     ReflectorHandler handler)
    : client_(client),
      ref_(std::move(ref)),
      options_(std::move(options)),
      handler_(std::move(handler)) {}

void Reflector::Deliver(const ReflectorEvent& event) {
  absl::MutexLock lock(&handler_mu_);
  handler_(event);
}

void Reflector::Seed(std::vector<KnownObject> objects, std::string resource_version) {
  seed_ = std::move(objects);
  seed_resource_version_ = std::move(resource_version);
}

void Reflector::LoopListed() {
  if (--unlisted_loops_ == 0 && options_.on_listed) options_.on_listed();
}

void Reflector::Run(const absl::Notification& stop) {
  std::vector<std::unique_ptr<Loop>> loops;
  if (options_.namespaces.empty()) loops.push_back(std::make_unique<Loop>(this, "", stop));
  for (const std::string& ns : options_.namespaces) {
    loops.push_back(std::make_unique<Loop>(this, ns, stop));
  }
  seed_ = {};
  unlisted_loops_ = loops.size();
  if (loops.size() == 1) return loops[0]->Run();
  std::vector<std::thread> threads;
  for (std::unique_ptr<Loop>& loop : loops) threads.emplace_back([&loop] { loop->Run(); });
  for (std::thread& thread : threads) thread.join();
}

}  // namespace runledger::watcher
