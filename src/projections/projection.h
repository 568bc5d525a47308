// Projection: a pure fold of the event log into state of its own.
//
// A projection has a name and a version; a change of version means its stored state must be
// rebuilt from the log. Its state lives in a RocksDB column family of its own (named after the
// projection for the core ones, after a generation for indexes: index_set.h). Apply sees one
// event at a time, in sequence order, exactly once: the projection's checkpoint is written in
// the same atomic batch as the effects, and in the same column family, so that even a write
// without WAL (rebuilds) can never leave a durable checkpoint ahead of durable effects — a
// column family's memtable is flushed whole. Apply must depend on nothing but the event and the
// projection's own state, so that replaying the log yields the same state as the live fold.
//
// Bookkeeping keys inside every projection family (projection keys never start with '\0'):
//   "\0checkpoint" -> 8 bytes big-endian: sequence of the last folded event
//   "\0version"    -> decimal version of the projection that wrote the state
#ifndef RUNLEDGER_PROJECTIONS_PROJECTION_H_
#define RUNLEDGER_PROJECTIONS_PROJECTION_H_

#include <array>
#include <optional>
#include <string>

#include "absl/container/btree_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rocksdb/db.h"
#include "rocksdb/utilities/write_batch_with_index.h"
#include "runledger/v1/event.pb.h"
#include "src/projections/fresh_build.h"

namespace runledger {

// The writes of a fold not yet written to the database, by key: a value, or nullopt for a delete.
using FoldOverlay = absl::btree_map<std::string, std::optional<std::string>>;

// A projection's view of its own column family while folding: reads see the effects of the
// events folded earlier in the same (not yet written) batch. The pending writes are kept in a
// WriteBatchWithIndex shared with the log's append (inline folds), or in an overlay of the
// fold's own (folds behind the log, fold.h), which costs a fraction per write and yields the
// writes in key order.
class FoldState {
 public:
  FoldState(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
            rocksdb::WriteBatchWithIndex* batch)
      : db_(db), family_(family), batch_(batch) {}
  // `fresh` (optional): the family started empty, and reads of keys never read before in the
  // build need no lookup (fresh_build.h).
  FoldState(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family, FoldOverlay* overlay,
            FreshBuild* fresh = nullptr)
      : db_(db), family_(family), overlay_(overlay), fresh_(fresh) {}

  // The value under `key`, or nullopt if there is none.
  absl::StatusOr<std::optional<std::string>> Get(absl::string_view key) const;
  // The first (or, when `last`, the last) key that starts with `prefix`, if any.
  absl::StatusOr<std::optional<std::string>> EdgeKey(absl::string_view prefix, bool last) const;
  absl::Status Put(absl::string_view key, absl::string_view value);
  absl::Status Delete(absl::string_view key);

 private:
  absl::StatusOr<std::optional<std::string>> OverlayEdgeKey(absl::string_view prefix,
                                                            bool last) const;

  rocksdb::DB* db_;
  rocksdb::ColumnFamilyHandle* family_;
  rocksdb::WriteBatchWithIndex* batch_ = nullptr;  // one of these two
  FoldOverlay* overlay_ = nullptr;
  FreshBuild* fresh_ = nullptr;
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
  // the log (FoldChunk in fold.h, which calls these), never inline with appends.
  // Load: (re)build the mirror from the committed state in `family` — at open, after a reset, and
  // after a batch holding Apply effects was dropped. Committed: the batch holding the effects of
  // every Apply since the last Load or Committed is written; publish them.
  virtual absl::Status Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family) {
    return absl::OkStatus();
  }
  virtual void Committed() {}
};

// The bookkeeping entries that record `last_sequence` as the last event folded by `projection`
// (checkpoint, then version: in key order, before every projection key).
struct CheckpointEntry {
  rocksdb::Slice key;
  std::string value;
};
std::array<CheckpointEntry, 2> CheckpointEntries(const Projection& projection,
                                                 uint64_t last_sequence);
// Stages CheckpointEntries(projection, last_sequence) in `family`.
absl::Status PutCheckpoint(const Projection& projection, rocksdb::ColumnFamilyHandle* family,
                           uint64_t last_sequence, rocksdb::WriteBatchBase* batch);
// The checkpoint stored in `family` (0 if none).
absl::StatusOr<uint64_t> ReadCheckpoint(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family);
// The version stored in `family` (0 if none).
absl::StatusOr<int> ReadVersion(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family);

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_PROJECTION_H_
