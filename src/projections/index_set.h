// IndexSet: the projections folded behind the log — the built-in indexes (filter_index, summary)
// and user-defined indexes — each kept in generations, so that one can be (re)built from the
// whole log while the server keeps serving, then swapped in.
//
// A generation is one column family, "<name>.v<version>.g<n>", holding the projection's state
// with its checkpoint and version (projection.h). An index has at most one serving generation
// (readers use it once it has folded the log position they need: Ready) and at most one building
// generation (folded from the start of the log). Meta keys (column family "meta"):
//   "index/<name>/serving"  -> family of the serving generation
//   "index/<name>/building" -> family of the building generation
//   "index/<name>/next"     -> decimal n of the next generation
//
// Lifecycle. At open (Add), an index without a serving generation of its code's version gets a
// building one, or keeps the one a crash interrupted: the build resumes from that generation's
// checkpoint. A serving generation of another version is never read again (its code is gone;
// readers do without the index meanwhile) and is dropped at the switch. One worker thread folds
// the serving generations to the head of the log first, then the building ones a slice at a time;
// a building generation that has reached the head — the same point as the serving one — is
// flushed, named serving in one synced meta write, and the old family is dropped (its files go
// once the last reader lets go of its handle). A crash between two of these steps leaves either
// the old or the new generation serving, and at most an orphan family, which DropOrphans removes.
//
// Folding behind the log costs mostly per round (a batch per generation, the summary's cells), so
// while nobody waits the worker lets a round's events gather for up to Options::fold_window; a
// reader that waits for an index (Ready, AwaitAll) ends the window at once.
//
// Invariants: a serving generation's checkpoint never goes back (switches happen at equal
// checkpoints); no generation serves before its effects are durable; a checkpoint is never ahead
// of the durable effects it covers (fold.h).
#ifndef RUNLEDGER_PROJECTIONS_INDEX_SET_H_
#define RUNLEDGER_PROJECTIONS_INDEX_SET_H_

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "runledger/v1/admin.pb.h"
#include "src/log/database.h"
#include "src/log/event_log.h"
#include "src/projections/fold.h"

namespace runledger {

class IndexSet {
 public:
  // Makes the projection of a generation: `serving` is true for the one readers use (the summary
  // projection then mirrors its cells into the store's cube), false for one being built.
  using Factory = std::function<std::unique_ptr<Projection>(bool serving)>;

  struct Options {
    // Limits how fast builds fold (events per second; 0: as fast as they can), so that a build
    // leaves the machine to the live load.
    uint64_t build_events_per_second = 0;
    // How long the worker lets new events gather before folding them, unless a reader waits.
    absl::Duration fold_window = absl::Milliseconds(50);
  };

  // `database` and `log` must outlive the set.
  IndexSet(Database* database, const EventLog* log, Options options)
      : database_(database), log_(log), options_(options) {}
  // Stops the worker; what is folded stays folded.
  ~IndexSet();

  // Declares index `name` of `kind` ("index" or "user_index") and opens its generations as the
  // meta keys record them, starting a build if none serves at the code's version.
  absl::Status Add(const std::string& name, const std::string& kind, Factory factory);
  // Forgets index `name` and drops every generation of it.
  absl::Status Remove(const std::string& name);
  // Starts building a fresh generation of `name` (abandoning a build in progress); the serving
  // one keeps serving until the switch. NotFound for an unknown name.
  absl::Status Rebuild(const std::string& name);
  bool Has(const std::string& name) const;
  // Drops generation families that no index refers to, and the families of an older layout
  // named exactly as an index. Call after the last Add at open.
  absl::Status DropOrphans();

  // Starts the worker thread, which also logs build progress to stderr every few seconds.
  void Start();
  // Offline (no worker): folds every build to the head of the log and switches it in, folding
  // `extra` targets in the same pass over the log. `progress` is called after every chunk.
  absl::Status FinishBuilds(absl::Span<FoldTarget> extra, const FoldProgress& progress);

  // The serving family of `name` once it has folded every event up to `sequence` (waiting up to
  // `timeout`), or null: unknown, not built yet, or still behind.
  std::shared_ptr<rocksdb::ColumnFamilyHandle> Ready(const std::string& name, uint64_t sequence,
                                                     absl::Duration timeout) const;
  // Waits up to `timeout` until every index serves, with no build in progress, and has folded
  // every event up to `sequence`; true if so.
  bool AwaitAll(uint64_t sequence, absl::Duration timeout) const;
  // The status of every index, by name.
  std::vector<v1::ProjectionStatus> Statuses() const;
  // The serving family of every index that has one, by index name.
  std::map<std::string, std::shared_ptr<rocksdb::ColumnFamilyHandle>> ServingFamilies() const;

 private:
  struct Generation {
    std::string family;
    std::shared_ptr<rocksdb::ColumnFamilyHandle> handle;
    std::unique_ptr<Projection> projection;
    uint64_t checkpoint = 0;
    std::unique_ptr<FreshBuild> fresh;  // a build this process started from empty
  };
  // What readers and the admin RPC see of a slot, published under mu_.
  struct Published {
    std::shared_ptr<rocksdb::ColumnFamilyHandle> serving;
    std::string serving_family;
    uint64_t checkpoint = 0;
    std::string build_family;
    uint64_t build_checkpoint = 0;
    uint64_t build_start = 0;  // the build's checkpoint when this process took it up
    absl::Time build_started;
  };
  struct Slot {
    std::string name;
    std::string kind;
    int version = 0;
    Factory factory;
    std::unique_ptr<Generation> serving;
    std::unique_ptr<Generation> building;
    std::string stale_family;  // a serving generation of another version, dropped at the switch
    Published published;
  };

  void Run();
  // Waits up to the fold window, or until a reader waits for an index or the set stops.
  void GatherEvents();
  // One round of the worker: serving generations to the head, then a slice of every build, then
  // the switches. Sets `*building` to whether a build is in progress.
  absl::Status Step(bool* building) ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  // Folds the generations of `slots` selected by `which` (serving or building) up to `head`.
  absl::Status FoldGenerations(bool building, uint64_t head, size_t max_chunks, size_t chunk_events,
                               absl::Span<FoldTarget> extra, const FoldProgress& progress)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  absl::Status StartBuild(Slot& slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  absl::Status Switch(Slot& slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  absl::StatusOr<std::unique_ptr<Generation>> OpenGeneration(const Slot& slot,
                                                             const std::string& family,
                                                             bool serving) const;
  void Publish(Slot& slot) ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  void LogProgress() ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);
  absl::Status WriteMeta(rocksdb::WriteBatch* batch) const;

  // Events per chunk a build folds, and the pause after each chunk that holds the rate limit.
  size_t BuildChunkEvents() const;
  absl::Duration BuildPause() const;
  // Makes the building generations' progress durable (every kBuildFlushEvery), so that a build
  // a crash interrupts resumes from near where it was.
  absl::Status FlushBuilds() ABSL_EXCLUSIVE_LOCKS_REQUIRED(work_mu_);

  Database* const database_;
  const EventLog* const log_;
  const Options options_;
  absl::Time last_build_flush_;

  // Held by the worker for each round and by Add/Remove/Rebuild: generations change only under
  // it. Taken before mu_.
  absl::Mutex work_mu_;
  // Guards slots_ (which changes only under both mutexes) and every Slot::published.
  mutable absl::Mutex mu_ ABSL_ACQUIRED_AFTER(work_mu_);
  std::map<std::string, std::unique_ptr<Slot>> slots_;
  // Readers waiting in Ready or AwaitAll.
  mutable int waiting_readers_ ABSL_GUARDED_BY(mu_) = 0;

  bool log_progress_ = false;
  absl::Time last_log_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_INDEX_SET_H_
