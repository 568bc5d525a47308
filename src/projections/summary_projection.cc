#include "src/projections/summary_projection.h"

#include <vector>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "src/common/proto_util.h"
#include "src/common/time_util.h"
#include "src/log/database.h"

namespace runledger {
namespace {

constexpr char kContributionTag = 'R';
constexpr char kCellTag = 'C';
constexpr char kDurationTag = 'D';
constexpr char kStartTag = 'S';

std::string Tagged(char tag, absl::string_view rest) {
  return absl::StrCat(absl::string_view(&tag, 1), rest);
}
std::string ContributionKey(absl::string_view name) { return Tagged(kContributionTag, name); }
std::string CellKey(absl::string_view cell) { return Tagged(kCellTag, cell); }

// 'D' or 'S', the cell's length and the cell: the prefix of the cell's ordered values.
std::string ValuesPrefix(char tag, absl::string_view cell) {
  std::string prefix(5, tag);
  absl::big_endian::Store32(&prefix[1], static_cast<uint32_t>(cell.size()));
  absl::StrAppend(&prefix, cell);
  return prefix;
}

std::string ValueKey(char tag, absl::string_view cell, int64_t value, absl::string_view name) {
  std::string key = ValuesPrefix(tag, cell);
  AppendOrderedNanos(value, &key);
  absl::StrAppend(&key, name);
  return key;
}

// The first or last value of the cell's ordered values under `tag`.
absl::StatusOr<std::optional<int64_t>> EdgeValue(char tag, absl::string_view cell, bool last,
                                                 const FoldState& state) {
  const std::string prefix = ValuesPrefix(tag, cell);
  absl::StatusOr<std::optional<std::string>> key = state.EdgeKey(prefix, last);
  if (!key.ok()) return key.status();
  if (!key->has_value()) return std::nullopt;
  if ((*key)->size() < prefix.size() + 8) return absl::DataLossError("malformed summary key");
  return DecodeOrderedNanos(absl::string_view(**key).substr(prefix.size(), 8));
}

SummaryAggregate RunOf(const v1::SummaryContribution& c) {
  return SummaryAggregate::Of(
      static_cast<StatusBucket>(c.bucket()),
      c.has_duration_micros() ? std::optional<int64_t>(c.duration_micros()) : std::nullopt,
      c.has_start_micros() ? std::optional<int64_t>(c.start_micros()) : std::nullopt);
}

v1::SummaryContribution ContributionOf(const RunFacts& facts) {
  v1::SummaryContribution c;
  c.set_cell(SerializeDeterministic(SummaryProjection::CellOf(facts)));
  c.set_bucket(static_cast<int>(facts.bucket));
  if (auto duration = facts.duration_micros()) c.set_duration_micros(*duration);
  if (facts.started_micros) c.set_start_micros(*facts.started_micros);
  return c;
}

}  // namespace

v1::SummaryCellKey SummaryProjection::CellOf(const RunFacts& facts) {
  v1::SummaryCellKey key;
  key.set_parent(facts.parent);
  key.set_type(facts.type);
  if (facts.namespace_name) key.set_namespace_(*facts.namespace_name);
  if (facts.pipeline) key.set_pipeline(*facts.pipeline);
  if (facts.repository) key.set_repository(*facts.repository);
  if (facts.created_micros) key.set_created_day(DayOf(*facts.created_micros));
  if (facts.started_micros) key.set_started_day(DayOf(*facts.started_micros));
  if (facts.completed_micros) key.set_completed_day(DayOf(*facts.completed_micros));
  return key;
}

absl::Status SummaryProjection::Apply(const v1::Event& event, FoldState& state) {
  switch (event.kind()) {
    case v1::RECORD_CREATED:
    case v1::RECORD_UPDATED:
      return Put(event.name(), FactsOf(event.name(), event.record()), state);
    case v1::RECORD_DELETED:
      return Take(event.name(), state);
    default:
      return absl::OkStatus();
  }
}

absl::Status SummaryProjection::Put(const std::string& name, const RunFacts& facts,
                                    FoldState& state) {
  const v1::SummaryContribution now = ContributionOf(facts);
  const std::string now_bytes = SerializeDeterministic(now);
  absl::StatusOr<std::optional<std::string>> before = state.Get(ContributionKey(name));
  if (!before.ok()) return before.status();
  if (before->has_value()) {
    if (**before == now_bytes) return absl::OkStatus();  // nothing the summaries see changed
    v1::SummaryContribution old;
    if (!old.ParseFromString(**before)) return absl::DataLossError("malformed contribution");
    absl::Status s = TakeOut(name, old, state);
    if (!s.ok()) return s;
  }
  absl::Status s = PutIn(name, now, state);
  if (!s.ok()) return s;
  return state.Put(ContributionKey(name), now_bytes);
}

absl::Status SummaryProjection::Take(const std::string& name, FoldState& state) {
  absl::StatusOr<std::optional<std::string>> before = state.Get(ContributionKey(name));
  if (!before.ok()) return before.status();
  if (!before->has_value()) return absl::OkStatus();
  v1::SummaryContribution old;
  if (!old.ParseFromString(**before)) return absl::DataLossError("malformed contribution");
  absl::Status s = TakeOut(name, old, state);
  if (!s.ok()) return s;
  return state.Delete(ContributionKey(name));
}

absl::Status SummaryProjection::TakeOut(const std::string& name, const v1::SummaryContribution& c,
                                        FoldState& state) {
  absl::Status s;
  if (c.has_duration_micros()) {
    s = state.Delete(ValueKey(kDurationTag, c.cell(), c.duration_micros(), name));
  }
  if (s.ok() && c.has_start_micros()) {
    s = state.Delete(ValueKey(kStartTag, c.cell(), c.start_micros(), name));
  }
  if (!s.ok()) return s;
  SummaryAggregate aggregate = CellAggregate(c.cell());
  if (aggregate.Remove(RunOf(c))) {
    s = RecomputeExtremes(c.cell(), &aggregate, state);
    if (!s.ok()) return s;
  }
  return SetCell(c.cell(), aggregate, state);
}

absl::Status SummaryProjection::PutIn(const std::string& name, const v1::SummaryContribution& c,
                                      FoldState& state) {
  absl::Status s;
  if (c.has_duration_micros()) {
    s = state.Put(ValueKey(kDurationTag, c.cell(), c.duration_micros(), name), "");
  }
  if (s.ok() && c.has_start_micros()) {
    s = state.Put(ValueKey(kStartTag, c.cell(), c.start_micros(), name), "");
  }
  if (!s.ok()) return s;
  SummaryAggregate aggregate = CellAggregate(c.cell());
  aggregate.Add(RunOf(c));
  return SetCell(c.cell(), aggregate, state);
}

absl::Status SummaryProjection::RecomputeExtremes(const std::string& cell,
                                                  SummaryAggregate* aggregate,
                                                  FoldState& state) const {
  struct Edge {
    char tag;
    bool last;
    std::optional<int64_t>* out;
  };
  for (const Edge& e : {Edge{kDurationTag, false, &aggregate->min_duration_micros},
                        Edge{kDurationTag, true, &aggregate->max_duration_micros},
                        Edge{kStartTag, true, &aggregate->last_start_micros}}) {
    absl::StatusOr<std::optional<int64_t>> value = EdgeValue(e.tag, cell, e.last, state);
    if (!value.ok()) return value.status();
    *e.out = *value;
  }
  return absl::OkStatus();
}

SummaryAggregate SummaryProjection::CellAggregate(const std::string& cell) const {
  if (auto it = pending_.find(cell); it != pending_.end()) {
    return it->second.value_or(SummaryAggregate());
  }
  return cube_->Find(cell).value_or(SummaryAggregate());
}

absl::Status SummaryProjection::SetCell(const std::string& cell, const SummaryAggregate& aggregate,
                                        FoldState& state) {
  if (aggregate.total == 0) {
    pending_[cell] = std::nullopt;
    return state.Delete(CellKey(cell));
  }
  pending_[cell] = aggregate;
  return state.Put(CellKey(cell), SerializeDeterministic(aggregate.ToProto()));
}

void SummaryProjection::Committed() {
  if (pending_.empty()) return;
  std::vector<SummaryCube::Change> changes(pending_.begin(), pending_.end());
  pending_.clear();
  cube_->Publish(changes);
}

absl::Status SummaryProjection::Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family) {
  pending_.clear();
  cube_->Clear();
  std::vector<SummaryCube::Change> changes;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), family));
  const std::string prefix(1, kCellTag);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    v1::SummaryAggregateValue value;
    if (!value.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("malformed summary cell");
    }
    changes.emplace_back(std::string(ToView(it->key()).substr(1)),
                         SummaryAggregate::FromProto(value));
  }
  if (!it->status().ok()) return FromRocks(it->status());
  cube_->Publish(changes);
  return absl::OkStatus();
}

}  // namespace runledger
