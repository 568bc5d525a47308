// ProjectionSet: the projections folded inline with every append, and their rebuild.
//
// Checkpoint format, in the meta column family:
//   key "checkpoint/<projection name>" -> 8 bytes big-endian: sequence of the last folded event
//   key "version/<projection name>"    -> decimal version of the projection that wrote the state
// Invariant: a projection's checkpoint is written in the same atomic batch as the effects of the
// events it covers, whether the batch comes from a live append (Fold) or from a rebuild
// (CatchUp), so state and checkpoint never disagree and each event is applied exactly once.
#ifndef RUNLEDGER_PROJECTIONS_PROJECTION_SET_H_
#define RUNLEDGER_PROJECTIONS_PROJECTION_SET_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "src/log/database.h"
#include "src/log/event_log.h"
#include "src/projections/projection.h"
#include "src/projections/summary_cube.h"

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
  // from its code is reset first; then each folds the events after its checkpoint. `progress`
  // (optional) is called after every chunk with (folded so far, total to fold). When `stop`
  // (optional) becomes true, returns Cancelled after the chunk in hand; what is written stays.
  absl::Status CatchUp(const EventLog& log,
                       const std::function<void(uint64_t, uint64_t)>& progress = nullptr,
                       const std::atomic<bool>* stop = nullptr);

  // Drops the state of every projection (or of those named) so CatchUp rebuilds it from the log.
  // Names of no projection of the set are ignored (see Owns).
  absl::Status Reset(const std::vector<std::string>& names = {});
  // Whether a projection of the set is called `name`.
  bool Owns(absl::string_view name) const;

  absl::StatusOr<uint64_t> Checkpoint(const Projection& projection) const;
  const std::vector<std::unique_ptr<Projection>>& projections() const { return projections_; }

 private:
  absl::StatusOr<int> StoredVersion(const Projection& projection) const;
  absl::Status ResetOne(Projection& projection);
  absl::Status LoadOne(Projection& projection);
  absl::Status FoldOne(Projection& projection, absl::Span<const v1::Event* const> events,
                       rocksdb::WriteBatchWithIndex* batch);
  absl::Status CheckpointOne(const Projection& projection, uint64_t last_sequence,
                             rocksdb::WriteBatchWithIndex* batch);

  std::vector<std::unique_ptr<Projection>> projections_;
  Database* database_ = nullptr;
};

// The built-in projections folded inline with every append, in a set ready to attach.
std::unique_ptr<ProjectionSet> NewCoreProjections();
// The built-in indexes, folded behind the log by a ProjectionWorker; the summary projection
// mirrors its cells in `summaries`.
std::unique_ptr<ProjectionSet> NewIndexProjections(std::shared_ptr<SummaryCube> summaries);

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_PROJECTION_SET_H_
