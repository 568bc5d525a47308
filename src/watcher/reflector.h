// An informer-like list+watch loop for one resource type (k8s.md a.3, a.4): it LISTs (paged),
// then WATCHes from the list's resourceVersion, following bookmarks, and hands each change to a
// handler as ADDED / MODIFIED / DELETED with the object's JSON.
//
// Invariant: the handler sees, per object key (namespace/name), the sequence of states the
// server reported, with nothing repeated: after a watch ends it resumes from the last
// resourceVersion seen; when that is compacted away (410 Expired/Gone, as an HTTP answer or an
// ERROR event) it lists again and diffs the list against what it knows, so objects that changed
// meanwhile arrive as MODIFIED, new ones as ADDED, and vanished ones (or ones re-created with a
// new uid) as DELETED with `final_state_unknown` set. It keeps only namespace, name, uid and
// resourceVersion per object, never whole objects.
//
// Failures (refused connections, dropped streams, 5xx, 429, 401/403) are retried with capped,
// jittered exponential backoff (at least the server's retryAfterSeconds; the cap at once for
// 401/403, which only a change of credentials or RBAC fixes); a dropped stream resumes from the
// last resourceVersion without a relist, an ERROR event other than 410 causes a relist. Lists
// are quorum reads (no resourceVersion), so a relist is never older than what was already seen.
#ifndef RUNLEDGER_WATCHER_REFLECTOR_H_
#define RUNLEDGER_WATCHER_REFLECTOR_H_

#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "src/watcher/kube_client.h"

namespace runledger::watcher {

struct ReflectorEvent {
  WatchEventType type;  // kAdded, kModified or kDeleted
  // The object as the server sent it. For an inferred deletion: only apiVersion, kind and
  // metadata name, namespace, uid and resourceVersion as last seen.
  const nlohmann::json& object;
  // A deletion inferred on a relist (the object vanished while the watch was not running).
  bool final_state_unknown = false;
};

// Called from the reflector's threads, one call at a time.
using ReflectorHandler = std::function<void(const ReflectorEvent& event)>;

struct ReflectorOptions {
  std::vector<std::string> namespaces;  // empty: all namespaces (needs cluster-wide RBAC)
  std::string label_selector;
  int page_size = 500;  // LIST limit
  // Each watch asks the server to end it after a random time in this range (seconds), so that
  // many watchers do not restart together.
  int min_watch_seconds = 300;
  int max_watch_seconds = 600;
  absl::Duration initial_backoff = absl::Milliseconds(800);
  absl::Duration max_backoff = absl::Seconds(30);
  // Told about every failure the reflector recovers from (for logs and metrics); may be empty.
  std::function<void(const absl::Status&)> on_error;
  // Called once, when every loop has finished its first list, successfully or not (or needed
  // none, being seeded with a resource version): the initial inventory has been delivered and
  // the watches begin. May be empty.
  std::function<void()> on_listed;
};

// What the reflector keeps per object, and what a restarted caller can hand back (Seed).
struct KnownObject {
  std::string ns;  // "" for a cluster-scoped object
  std::string name;
  std::string uid;
  std::string resource_version;
};

class Reflector {
 public:
  Reflector(KubeClient* client, ResourceRef ref, ReflectorOptions options,
            ReflectorHandler handler);

  // Optional, before Run: the objects the handler already knows (e.g. from a store, after a
  // restart) and, optionally, where it had got to. Run then starts with a list (or, given a
  // resourceVersion, a watch from it, falling back to a list if it has expired), so that only
  // what changed since arrives: new states as ADDED/MODIFIED, objects gone meanwhile as DELETED
  // (inferred when a list finds them missing). Without Seed, every existing object arrives as
  // ADDED.
  //
  // `resource_version` must be the metadata.resourceVersion of the last event whose effect
  // `objects` includes, delivered by a reflector watching the same namespaces with a single loop
  // (all namespaces, or one): a watch from it only sees later changes. When unsure, pass "": the
  // list finds every difference.
  void Seed(std::vector<KnownObject> objects, std::string resource_version = "");

  // Lists and watches until `stop` is notified: on the calling thread for all namespaces or a
  // single one, else on one thread per namespace (joined before returning).
  void Run(const absl::Notification& stop);

 private:
  class Loop;

  void Deliver(const ReflectorEvent& event);
  // A loop has finished its first list; the last one calls options_.on_listed.
  void LoopListed();

  std::vector<KnownObject> seed_;  // handed to the loops by Run, then dropped
  std::string seed_resource_version_;

  KubeClient* const client_;
  const ResourceRef ref_;
  const ReflectorOptions options_;
  const ReflectorHandler handler_;
  absl::Mutex handler_mu_;  // one handler call at a time
  std::atomic<size_t> unlisted_loops_{0};
};

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_REFLECTOR_H_
