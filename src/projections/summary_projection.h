// SummaryProjection: the aggregates of the summary API (spec/api.md §4), folded from the log as
// records change, so that a summary costs time in the number of groups, not of records.
//
// Every record is in exactly one cell: its parent, record type, namespace, pipeline label,
// repository annotation and the UTC days of its creationTimestamp, startTime and completionTime
// (v1::SummaryCellKey, from run_facts.h). A cell holds the SummaryAggregate of its records. Days
// combine exactly into weeks (from Monday), months and years, and a run's three days are almost
// always equal, so a store has few cells per parent, type and group.
//
// Keys (in this projection's column family; <cell> is a deterministically serialized
// v1::SummaryCellKey, <id> a cell's id as 8 big-endian bytes):
//   'R' <record name>                           -> v1::SummaryContribution (the record's cell and
//                                                  what it adds there, to take it out again)
//   'C' <cell>                                  -> v1::SummaryCellValue (aggregates and id)
//   'N'                                         -> the next cell id, 8 big-endian bytes
//   'D' <id> <ordered duration µs> <uid>        -> ""  (durations in the cell, in order)
//   'S' <id> <ordered start µs> <uid>           -> ""  (start times in the cell, in order)
// <uid> is the record's, as AppendUid encodes it (16 bytes): unique, and far shorter than a name.
// The ordered D and S keys keep a cell's min and max duration and last start time exact when the
// run holding one is updated or deleted: the new extreme is the first or last key left.
//
// An index folded behind the log in generations (index_set.h). Cells are written once per batch,
// however many of its events change them, and mirrored in a SummaryCube for the summary API.
#ifndef RUNLEDGER_PROJECTIONS_SUMMARY_PROJECTION_H_
#define RUNLEDGER_PROJECTIONS_SUMMARY_PROJECTION_H_

#include <memory>
#include <optional>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "runledger/v1/stored.pb.h"
#include "src/projections/projection.h"
#include "src/projections/run_facts.h"
#include "src/projections/summary_cube.h"

namespace runledger {

class SummaryProjection : public Projection {
 public:
  static constexpr absl::string_view kName = "summary";

  explicit SummaryProjection(std::shared_ptr<SummaryCube> cube) : cube_(std::move(cube)) {}

  absl::string_view name() const override { return kName; }
  int version() const override { return 3; }
  absl::Status Apply(const v1::Event& event, FoldState& state) override;
  absl::Status FinishBatch(FoldState& state) override;
  absl::Status Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family) override;
  void Committed() override;

  // The cell a record with these facts is in.
  static v1::SummaryCellKey CellOf(const RunFacts& facts);

 private:
  // A cell as of the events folded so far in the batch.
  struct Cell {
    v1::SummaryCellKey key;
    uint64_t id = 0;
    SummaryAggregate aggregate;  // total 0: the cell is gone
  };

  absl::Status Put(const std::string& name, v1::SummaryContribution now, FoldState& state);
  absl::Status Take(const std::string& name, FoldState& state);
  absl::Status TakeOut(const v1::SummaryContribution& c, FoldState& state);
  absl::Status PutIn(const v1::SummaryContribution& c, FoldState& state);
  absl::Status RecomputeExtremes(Cell& cell, FoldState& state) const;
  // The cell with serialized key `bytes`, pending in this batch or committed, or a new one.
  absl::StatusOr<Cell*> CellFor(const std::string& bytes);

  std::shared_ptr<SummaryCube> cube_;
  // Cells changed since the last Committed: written at FinishBatch, published once written.
  absl::flat_hash_map<std::string, Cell> pending_;
  uint64_t next_id_ = 1;
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_SUMMARY_PROJECTION_H_
