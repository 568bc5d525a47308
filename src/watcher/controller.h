// Controller: RunLedger's Tekton Results watcher. Reflectors list and watch tekton.dev/v1
// TaskRuns and PipelineRuns and tekton.dev/v1beta1 CustomRuns (all namespaces or selected ones);
// every event Puts the object's state into a LatestStateQueue under "<resource>/<ns>/<name>";
// `threadiness` workers take what is ready (up to `batch_size` objects at once), drop states
// already stored, store the rest with one RunSink::UpsertRuns call per batch, then write back
// annotations and handle finalizers and the deletion of completed runs (run_lifecycle.h).
//
// Invariants:
//   - A state is "stored" once UpsertRuns has acknowledged it. Its NormalizedObjectHash
//     (object_hash.h) is then remembered in memory and, unless -disable_crd_update, written back
//     as annotation runledger.dev/stored-hash whenever a patch is made anyway (upstream's
//     annotations change: the first store, a run becoming done; or a finalizer is added), so a
//     run costs the API server one patch, not one per change. A state whose hash equals either
//     is not sent again: the event caused by the watcher's own patch, a change to
//     managedFields/resourceVersion only, and, after a restart, every run stored since it last
//     changed in a way that needed a patch (the annotation is the resume point, kept on the
//     object itself). A run changed since without a patch (e.g. a label on a done run) is sent
//     again after a restart, which the server stores as no change.
//   - The annotation is written only after the store succeeded, so a restart can cause a resend
//     (idempotent: the server appends nothing) but never a loss.
//   - Storing never waits for writing back (up to `write_back_backlog` stored runs, default
//     enough for a cold start over 100k runs): workers store batch after batch while
//     `patch_threads` threads make the patches, each stored run waiting packed with its patch
//     (CBOR, under 1 KB); an object is Done only after its patches, so a change to it made
//     meanwhile is stored after them. Write-back patches wait until every reflector has
//     finished its first list (or the backlog is full): made during a long list, they would slow
//     it down and fill the API server's watch cache with events, so that the watch from the
//     list's resourceVersion fails with 410 Expired and the whole list is repeated.
//   - The Results finalizer is added to runs that are not done yet, in the write-back patch, and
//     released from a run being deleted only once its last state is stored (or -store_deadline
//     has passed: spec/watcher.md §1.10). A finalizer patch carries the object's
//     resourceVersion, so it never overwrites another controller's finalizer change.
//   - One object is never processed by two workers at once (LatestStateQueue).
#ifndef RUNLEDGER_WATCHER_CONTROLLER_H_
#define RUNLEDGER_WATCHER_CONTROLLER_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "nlohmann/json.hpp"
#include "src/watcher/bounded_pool.h"
#include "src/watcher/kube_client.h"
#include "src/watcher/latest_state_queue.h"
#include "src/watcher/reflector.h"
#include "src/watcher/requeue_timer.h"
#include "src/watcher/run_lifecycle.h"
#include "src/watcher/run_sink.h"
#include "src/watcher/run_translation.h"

namespace runledger::watcher {

struct ControllerOptions {
  std::vector<std::string> namespaces;  // empty: all namespaces
  int threadiness = 4;                  // workers
  int batch_size = 100;                 // runs per UpsertRuns call at most
  int patch_threads = 16;               // threads writing back annotations and finalizers
  int write_back_backlog = 100000;      // stored runs waiting for their patches, at most
  // Objects waiting in the queue, at most: beyond, the reflectors wait (a cold start over many
  // runs lists them no faster than they are stored, so memory stays bounded).
  int max_queued = 10000;
  bool disable_crd_update = false;  // no annotation or finalizer patches
  bool disable_storing_incomplete_runs = false;
  // Ignore the stored-hash annotations: send every run once. For a watcher pointed at another
  // server, whose store the annotations do not describe. (A server that has the run appends an
  // update only if the object changed since it was stored, its own write-back included.)
  bool resync = false;
  LifecycleOptions lifecycle;
  TranslationOptions translation;
  // Retries of a failed store or patch back off from 100 ms up to this.
  absl::Duration max_retry_backoff = absl::Seconds(10);
  ReflectorOptions reflector;  // its `namespaces` is set from `namespaces`
  // Told about every problem (a run that cannot be stored, a failed patch); may be empty.
  std::function<void(const std::string&)> log;
};

// Counters since start (for logs, tests and benchmarks).
struct ControllerStats {
  uint64_t events = 0;          // states Put into the queue
  uint64_t unchanged = 0;       // states taken that were already stored
  uint64_t stored = 0;          // states acknowledged by UpsertRuns
  uint64_t batches = 0;         // UpsertRuns calls that succeeded
  uint64_t followed_up = 0;     // stored or unchanged states whose follow-up (patch...) has run
  uint64_t store_failures = 0;  // states whose store failed (retried)
  uint64_t patches = 0;         // annotation / finalizer patches
  uint64_t deleted = 0;         // completed runs deleted
  uint64_t finalizers_released = 0;
};

class Controller {
 public:
  Controller(KubeClient* kube, RunSink* sink, ControllerOptions options);
  ~Controller();

  // Lists, watches and works until `stop` is notified; joins every thread it started.
  void Run(const absl::Notification& stop);

  ControllerStats stats() const;
  // Objects waiting in the queue.
  size_t waiting() const { return queue_.waiting(); }

 private:
  struct QueuedRun {
    size_t kind = 0;  // index into WatchedKinds()
    // While queued the object is kept packed (CBOR: a fraction of the parsed form's memory);
    // a worker unpacks it into `object` when it takes it.
    std::vector<uint8_t> packed;
    nlohmann::json object;
    bool deleted = false;  // the object is gone: store its last state, patch nothing
  };
  static QueuedRun Pack(size_t kind, const nlohmann::json& object, bool deleted);
  static void Unpack(QueuedRun* run);
  using Queue = LatestStateQueue<QueuedRun>;
  struct Pending;
  // A stored state waiting for its FollowUp; `patch` is CBOR, empty when none is needed.
  struct StoredRun {
    Queue::Item item;
    std::vector<uint8_t> patch;
    std::string hash;
  };

  void OnEvent(size_t kind, const ReflectorEvent& event);
  void Work();
  void ProcessBatch(std::vector<Queue::Item> batch);
  // Decides whether a taken state must be stored; if not, finishes it. True: store it.
  bool Prepare(Queue::Item& item, Pending* pending);
  // A stored state with its write-back patch (if any) waits packed (slimmed to what FollowUp
  // reads: with a patch, only its name) until a patch thread runs FollowUp.
  void AwaitFollowUp(Queue::Item item, std::optional<nlohmann::json> patch,
                     const std::string& hash);
  // A state found stored: followed up at once if it needs no patch (the common case: the event
  // of the watcher's own patch), else like a stored one.
  void FollowUpUnchanged(Queue::Item& item, const std::string& hash);
  // The merge patch a stored (or found stored) state needs: `write_back` annotations not yet on
  // it, the finalizer of a run not done yet, and then the stored hash; none if nothing is
  // missing, for a deleted run, or with -disable_crd_update.
  std::optional<nlohmann::json> WriteBackPatch(const QueuedRun& run,
                                               const std::map<std::string, std::string>& write_back,
                                               const std::string& hash) const;
  // Blocks until every reflector has finished its first list (or Run is stopping).
  void AwaitInitialLists();
  // After a state is stored (or found stored): the patch, finalizers, deletion; then Done.
  void FollowUp(Queue::Item& item, std::optional<nlohmann::json> patch, const std::string& hash);
  // A write-back that failed: the object is fetched again after max_retry_backoff (its state
  // here may be slimmed, so it is not put back as it is).
  void RetryLater(const std::string& key);
  // A state that cannot be stored now: Retry, or release a finalizer whose deadline passed.
  void StoreFailed(Queue::Item& item, const absl::Status& status);
  // Gives up on a state that can never be stored (bad names, bad annotations).
  void StorePermanentlyFailed(Queue::Item& item, const absl::Status& status);
  bool ReleaseFinalizer(const QueuedRun& run);
  void MaybeDelete(Queue::Item& item);
  bool ChildrenReadyForDeletion(const nlohmann::json& pipeline_run);
  void Refetch(const std::string& key);
  void Log(const std::string& message);

  bool AlreadyStored(const std::string& key, const nlohmann::json& object, const std::string& hash);
  void RememberStored(const std::string& key, const std::string& hash);
  void Forget(const std::string& key);

  KubeClient* const kube_;
  RunSink* const sink_;
  const ControllerOptions options_;
  Queue queue_;
  RequeueTimer timer_;
  std::unique_ptr<BoundedPool> follow_ups_;   // while Run runs
  const absl::Notification* stop_ = nullptr;  // while Run runs

  absl::Mutex lists_mu_;
  size_t unlisted_kinds_ ABSL_GUARDED_BY(lists_mu_) = 0;  // reflectors still in their first list

  absl::Mutex hashes_mu_;
  absl::flat_hash_map<std::string, std::string> hashes_ ABSL_GUARDED_BY(hashes_mu_);

  struct Counters {
    std::atomic<uint64_t> events{0}, unchanged{0}, stored{0}, batches{0}, followed_up{0},
        store_failures{0}, patches{0}, deleted{0}, finalizers_released{0};
  };
  Counters counters_;
};

// "<resource>/<namespace>/<name>": the queue key of an object of WatchedKinds()[kind].
std::string RunKey(size_t kind, const std::string& ns, const std::string& name);

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_CONTROLLER_H_
