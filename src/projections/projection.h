// Projection: a pure fold of the event log into state of its own.
//
// A projection has a name (which is also the RocksDB column family holding its state) and a
// version; a change of version means its stored state must be rebuilt from the log. Apply sees
// one event at a time, in sequence order, exactly once: the projection's checkpoint (in the
// meta column family, see projection_set.h) is written in the same atomic batch as the effects.
// Apply must depend on nothing but the event and the projection's own state, so that replaying
// the log yields the same state as the live fold.
#ifndef RUNLEDGER_PROJECTIONS_PROJECTION_H_
#define RUNLEDGER_PROJECTIONS_PROJECTION_H_

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "runledger/v1/event.pb.h"

namespace runledger {

// A projection's view of its own column family while folding: reads see the effects of the
// events folded earlier in the same (not yet written) batch.
class FoldState {
 public:
  FoldState(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
            rocksdb::WriteBatchWithIndex* batch)
      : db_(db), family_(family), batch_(batch) {}

  // The value under `key`, or nullopt if there is none.
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) const;
  // The first (or, when `last`, the last) key that starts with `prefix`, if any.
  absl::StatusOr<std::optional<std::string>> EdgeKey(absl::string_view prefix, bool last) const;
  absl::Status Put(absl::string_view key, absl::string_view value);
  absl::Status Delete(absl::string_view key);

 private:
  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* family_;
  rocksdb::WriteBatchWithIndex* batch_;
};

class Projection {
 public:
  virtual ~Projection() = default;
  virtual absl::string_view name() const = 0;
  virtual int version() const = 0;
  virtual absl::Status Apply(const v1::Event& event, FoldState& state) = 0;
  // Called after the last Apply of a batch, before the batch's checkpoint: a projection that
  // gathers effects across the batch's events writes them here.
  virtual absl::Status FinishBatch(FoldState& state) { return absl::OkStatus(); }

  // For a projection that mirrors its state in memory. Such a projection must be folded behind
  // the log (ProjectionSet::CatchUp, which calls these), never inline with appends.
  // Load: (re)build the mirror from the committed state in `family` — at open, after a reset, and
  // after a batch holding Apply effects was dropped. Committed: the batch holding the effects of
  // every Apply since the last Load or Committed is written; publish them.
  virtual absl::Status Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family) {
    return absl::OkStatus();
  }
  virtual void Committed() {}
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_PROJECTION_H_
