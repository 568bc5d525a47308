// ProjectionSet: the core projections, folded inline with every append, and their rebuild.
//
// Each projection keeps its state, checkpoint and version in the column family named after it
// (projection.h). Invariant: a projection's checkpoint is written in the same atomic batch as the
// effects of the events it covers, whether the batch comes from a live append (Fold) or from a
// rebuild (CatchUp), so state and checkpoint never disagree and each event is applied exactly
// once. The core projections must be complete before anything is served, so a version change is
// rebuilt by CatchUp at open, before the server listens.
#ifndef RUNLEDGER_PROJECTIONS_PROJECTION_SET_H_
#define RUNLEDGER_PROJECTIONS_PROJECTION_SET_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "src/log/database.h"
#include "src/log/event_log.h"
#include "src/projections/fold.h"
#include "src/projections/projection.h"

namespace runledger {

class ProjectionSet : public EventLog::Folder {
 public:
  explicit ProjectionSet(std::vector<std::unique_ptr<Projection>> projections);

  // The column families the projections need, for Database::Open.
  std::vector<std::string> Families() const;

  // Binds the set to the database it folds into. Call once, before anything else.
  void Attach(Database* database) { database_ = database; }
  // Loads the in-memory mirrors of the projections that keep one (Projection::Load). Call once
  // after Attach.
  absl::Status Load();

  // EventLog::Folder: applies every projection to `events`.
  absl::Status Fold(absl::Span<const v1::Event* const> events,
                    rocksdb::WriteBatchWithIndex* batch) override;
  // EventLog::Folder: advances every projection's checkpoint to `last_sequence`.
  absl::Status Checkpoint(uint64_t last_sequence, rocksdb::WriteBatchWithIndex* batch) override;

  // Brings every projection to the head of `log`: a projection whose stored version differs
  // from its code is reset first; then each folds the events after its checkpoint (FoldChunk),
  // and the families are flushed. `progress` (optional) is called after every chunk. When `stop`
  // (optional) becomes true, returns Cancelled after the chunk in hand; what is written stays.
  absl::Status CatchUp(const EventLog& log, const FoldProgress& progress = nullptr,
                       const std::atomic<bool>* stop = nullptr);

  // The fold targets of every projection, each at its checkpoint, after resetting those whose
  // stored version differs: for a caller that folds them together with other projections (and
  // then calls Flush). A projection at checkpoint 0 (nothing folded: its family is empty) is
  // built as a FreshBuild until Flush.
  absl::StatusOr<std::vector<FoldTarget>> Targets();
  // Makes everything folded so far durable, and finishes the fresh builds.
  absl::Status Flush();

  // Drops the state of every projection (or of those named) so CatchUp rebuilds it from the log.
  // Names of no projection of the set are ignored (see Owns).
  absl::Status Reset(const std::vector<std::string>& names = {});
  // Whether a projection of the set is called `name`.
  bool Owns(absl::string_view name) const;

  absl::StatusOr<uint64_t> Checkpoint(const Projection& projection) const;
  const std::vector<std::unique_ptr<Projection>>& projections() const { return projections_; }

 private:
  rocksdb::ColumnFamilyHandle* FamilyOf(const Projection& projection) const {
    return database_->family(projection.name());
  }
  absl::Status ResetOne(Projection& projection);
  absl::Status LoadOne(Projection& projection);

  std::vector<std::unique_ptr<Projection>> projections_;
  Database* database_ = nullptr;
  // The fresh builds of the targets handed out, by projection.
  std::map<const Projection*, std::unique_ptr<FreshBuild>> fresh_;
};

// The built-in projections folded inline with every append, in a set ready to attach.
std::unique_ptr<ProjectionSet> NewCoreProjections();

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_PROJECTION_SET_H_
