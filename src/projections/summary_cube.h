// SummaryCube: the summary projection's cells (summary_projection.h) in memory, laid out for the
// summary API to scan: one contiguous array of fixed-size cells whose strings (parent, type,
// namespace, pipeline, repository) are interned as small ids.
//
// A summary answered from the aggregates scans every cell of its parent once, so its cost
// grows with the number of cells (distinct parent, type, namespace, pipeline, repository and
// days), not with the number of records.
//
// Invariant: the cube holds exactly the cells of the projection's committed state. The
// projection changes it only after the batch holding the same changes is written (Publish), and
// reloads it whole when a batch is dropped or the projection is reset. Readers see one
// published state at a time (Read holds a shared lock).
#ifndef RUNLEDGER_PROJECTIONS_SUMMARY_CUBE_H_
#define RUNLEDGER_PROJECTIONS_SUMMARY_CUBE_H_

#include <cstdint>
#include <functional>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/types/span.h"
#include "runledger/v1/stored.pb.h"
#include "src/projections/summary_aggregate.h"

namespace runledger {

class SummaryCube {
 public:
  static constexpr uint32_t kAbsent = 0;  // the id of an absent string
  static constexpr int32_t kNoDay = std::numeric_limits<int32_t>::min();

  // A cell's key with its strings interned: what tells cells apart.
  struct Key {
    uint32_t parent;
    uint32_t type;
    uint32_t namespace_name;
    uint32_t pipeline;
    uint32_t repository;
    int32_t created_day;
    int32_t started_day;
    int32_t completed_day;

    bool operator==(const Key& o) const;
    template <typename H>
    friend H AbslHashValue(H h, const Key& k) {
      return H::combine(std::move(h), k.parent, k.type, k.namespace_name, k.pipeline, k.repository,
                        k.created_day, k.started_day, k.completed_day);
    }
  };

  struct Cell {
    Key key;
    uint64_t id;  // the projection's id of the cell
    SummaryAggregate aggregate;
  };

  // What a reader sees: the cells and the strings behind their ids.
  class View {
   public:
    absl::Span<const Cell> cells() const { return cube_.cells_; }
    // The string of an id other than kAbsent.
    absl::string_view Text(uint32_t id) const { return cube_.strings_[id]; }
    // The id of a string, if any cell has ever held it.
    std::optional<uint32_t> Id(absl::string_view text) const;
    // One more than the largest string id.
    size_t id_limit() const { return cube_.strings_.size(); }

   private:
    friend class SummaryCube;
    explicit View(const SummaryCube& cube) : cube_(cube) {}
    const SummaryCube& cube_;
  };

  // A change of one cell: its new aggregate, or nullopt when the cell has no run left.
  struct Change {
    v1::SummaryCellKey key;
    uint64_t id;
    std::optional<SummaryAggregate> aggregate;
  };

  void Publish(absl::Span<const Change> changes);
  // Replaces every cell by the cells of `changes` at once: readers see the old cube or the new.
  void Replace(absl::Span<const Change> changes);
  // The cell with `key`, if there is one.
  std::optional<Cell> Find(const v1::SummaryCellKey& key) const;
  // Calls `read` with a consistent view; publishing waits until it returns.
  void Read(const std::function<void(const View&)>& read) const;

 private:
  // The interned key, if every string of `key` is interned.
  std::optional<Key> FindKeyLocked(const v1::SummaryCellKey& key) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  Key InternKeyLocked(const v1::SummaryCellKey& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void PublishLocked(absl::Span<const Change> changes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void SetLocked(const Change& change) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void EraseLocked(const v1::SummaryCellKey& key) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<Cell> cells_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<Key, size_t> index_ ABSL_GUARDED_BY(mu_);   // key -> position in cells_
  std::vector<std::string> strings_ ABSL_GUARDED_BY(mu_) = {""};  // strings_[kAbsent] unused
  absl::flat_hash_map<std::string, uint32_t> ids_ ABSL_GUARDED_BY(mu_);
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_SUMMARY_CUBE_H_
