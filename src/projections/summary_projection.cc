#include "src/projections/summary_projection.h"

#include <vector>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "src/common/proto_util.h"
#include "src/common/time_util.h"
#include "src/log/database.h"
#include "src/projections/entity_index.h"

namespace runledger {
namespace {

constexpr char kContributionTag = 'R';
constexpr char kCellTag = 'C';
constexpr char kNextIdKey[] = "N";
constexpr char kDurationTag = 'D';
constexpr char kStartTag = 'S';

std::string Tagged(char tag, absl::string_view rest) {
  return absl::StrCat(absl::string_view(&tag, 1), rest);
}
std::string ContributionKey(absl::string_view name) { return Tagged(kContributionTag, name); }
std::string CellKey(absl::string_view cell) { return Tagged(kCellTag, cell); }

std::string Uint64Bytes(uint64_t value) {
  std::string bytes(8, '\0');
  absl::big_endian::Store64(bytes.data(), value);
  return bytes;
}

// 'D' or 'S' and the cell's id: the prefix of the cell's ordered values.
std::string ValuesPrefix(char tag, uint64_t cell_id) { return Tagged(tag, Uint64Bytes(cell_id)); }

std::string ValueKey(char tag, uint64_t cell_id, int64_t value, absl::string_view uid) {
  std::string key = ValuesPrefix(tag, cell_id);
  AppendOrderedNanos(value, &key);
  AppendUid(uid, &key);
  return key;
}

// The first or last value of the cell's ordered values under `tag`.
absl::StatusOr<std::optional<int64_t>> EdgeValue(char tag, uint64_t cell_id, bool last,
                                                 const FoldState& state) {
  const std::string prefix = ValuesPrefix(tag, cell_id);
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

v1::SummaryContribution ContributionOf(const tekton::results::v1alpha2::Record& record) {
  const RunFacts facts = FactsOf(RecordView::Of(record));
  v1::SummaryContribution c;
  c.set_uid(record.uid());
  c.set_cell(SerializeDeterministic(SummaryProjection::CellOf(facts)));
  c.set_bucket(static_cast<int>(facts.bucket));
  if (auto duration = facts.duration_micros()) c.set_duration_micros(*duration);
  if (facts.started_micros) c.set_start_micros(*facts.started_micros);
  return c;
}

absl::StatusOr<v1::SummaryContribution> ParseContribution(const std::string& bytes) {
  v1::SummaryContribution c;
  if (!c.ParseFromString(bytes)) return absl::DataLossError("malformed summary contribution");
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
      return Put(event.name(), ContributionOf(event.record()), state);
    case v1::RECORD_DELETED:
      return Take(event.name(), state);
    default:
      return absl::OkStatus();
  }
}

absl::Status SummaryProjection::Put(const std::string& name, v1::SummaryContribution now,
                                    FoldState& state) {
  const std::string now_bytes = SerializeDeterministic(now);
  absl::StatusOr<std::optional<std::string>> before = state.Get(ContributionKey(name));
  if (!before.ok()) return before.status();
  if (before->has_value()) {
    if (**before == now_bytes) return absl::OkStatus();  // nothing the summaries see changed
    absl::StatusOr<v1::SummaryContribution> old = ParseContribution(**before);
    if (!old.ok()) return old.status();
    absl::Status s = TakeOut(*old, state);
    if (!s.ok()) return s;
  }
  absl::Status s = PutIn(now, state);
  if (!s.ok()) return s;
  return state.Put(ContributionKey(name), now_bytes);
}

absl::Status SummaryProjection::Take(const std::string& name, FoldState& state) {
  absl::StatusOr<std::optional<std::string>> before = state.Get(ContributionKey(name));
  if (!before.ok()) return before.status();
  if (!before->has_value()) return absl::OkStatus();
  absl::StatusOr<v1::SummaryContribution> old = ParseContribution(**before);
  if (!old.ok()) return old.status();
  absl::Status s = TakeOut(*old, state);
  if (!s.ok()) return s;
  return state.Delete(ContributionKey(name));
}

absl::StatusOr<SummaryProjection::Cell*> SummaryProjection::CellFor(const std::string& bytes) {
  auto [it, inserted] = pending_.try_emplace(bytes);
  Cell& cell = it->second;
  if (!inserted) return &cell;
  if (!cell.key.ParseFromString(bytes)) return absl::DataLossError("malformed summary cell key");
  if (std::optional<SummaryCube::Cell> committed = cube_->Find(cell.key)) {
    cell.id = committed->id;
    cell.aggregate = committed->aggregate;
  }
  return &cell;
}

absl::Status SummaryProjection::TakeOut(const v1::SummaryContribution& c, FoldState& state) {
  absl::StatusOr<Cell*> cell = CellFor(c.cell());
  if (!cell.ok()) return cell.status();
  const uint64_t id = (*cell)->id;
  absl::Status s;
  if (c.has_duration_micros()) {
    s = state.Delete(ValueKey(kDurationTag, id, c.duration_micros(), c.uid()));
  }
  if (s.ok() && c.has_start_micros()) {
    s = state.Delete(ValueKey(kStartTag, id, c.start_micros(), c.uid()));
  }
  if (!s.ok()) return s;
  if ((*cell)->aggregate.Remove(RunOf(c))) return RecomputeExtremes(**cell, state);
  return absl::OkStatus();
}

absl::Status SummaryProjection::PutIn(const v1::SummaryContribution& c, FoldState& state) {
  absl::StatusOr<Cell*> cell = CellFor(c.cell());
  if (!cell.ok()) return cell.status();
  if ((*cell)->aggregate.total == 0) {  // a new cell (or one emptied earlier in the batch)
    (*cell)->id = next_id_++;
    absl::Status s = state.Put(kNextIdKey, Uint64Bytes(next_id_));
    if (!s.ok()) return s;
  }
  const uint64_t id = (*cell)->id;
  absl::Status s;
  if (c.has_duration_micros()) {
    s = state.Put(ValueKey(kDurationTag, id, c.duration_micros(), c.uid()), "");
  }
  if (s.ok() && c.has_start_micros()) {
    s = state.Put(ValueKey(kStartTag, id, c.start_micros(), c.uid()), "");
  }
  if (!s.ok()) return s;
  (*cell)->aggregate.Add(RunOf(c));
  return absl::OkStatus();
}

absl::Status SummaryProjection::RecomputeExtremes(Cell& cell, FoldState& state) const {
  struct Edge {
    char tag;
    bool last;
    std::optional<int64_t>* out;
  };
  SummaryAggregate& a = cell.aggregate;
  for (const Edge& e : {Edge{kDurationTag, false, &a.min_duration_micros},
                        Edge{kDurationTag, true, &a.max_duration_micros},
                        Edge{kStartTag, true, &a.last_start_micros}}) {
    absl::StatusOr<std::optional<int64_t>> value = EdgeValue(e.tag, cell.id, e.last, state);
    if (!value.ok()) return value.status();
    *e.out = *value;
  }
  return absl::OkStatus();
}

absl::Status SummaryProjection::FinishBatch(FoldState& state) {
  for (const auto& [bytes, cell] : pending_) {
    absl::Status s;
    if (cell.aggregate.total == 0) {
      s = state.Delete(CellKey(bytes));
    } else {
      v1::SummaryCellValue value;
      *value.mutable_aggregate() = cell.aggregate.ToProto();
      value.set_id(cell.id);
      s = state.Put(CellKey(bytes), SerializeDeterministic(value));
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void SummaryProjection::Committed() {
  if (pending_.empty()) return;
  std::vector<SummaryCube::Change> changes;
  changes.reserve(pending_.size());
  for (auto& [bytes, cell] : pending_) {
    changes.push_back({std::move(cell.key), cell.id,
                       cell.aggregate.total == 0
                           ? std::nullopt
                           : std::optional<SummaryAggregate>(cell.aggregate)});
  }
  pending_.clear();
  cube_->Publish(changes);
}

absl::Status SummaryProjection::Load(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family) {
  pending_.clear();
  std::string next;
  rocksdb::Status got = db->Get(rocksdb::ReadOptions(), family, kNextIdKey, &next);
  if (!got.ok() && !got.IsNotFound()) return FromRocks(got);
  next_id_ = got.ok() && next.size() == 8 ? absl::big_endian::Load64(next.data()) : 1;
  std::vector<SummaryCube::Change> changes;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(rocksdb::ReadOptions(), family));
  const std::string prefix(1, kCellTag);
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    SummaryCube::Change change;
    v1::SummaryCellValue value;
    if (!change.key.ParseFromArray(it->key().data() + 1, static_cast<int>(it->key().size() - 1)) ||
        !value.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
      return absl::DataLossError("malformed summary cell");
    }
    change.id = value.id();
    change.aggregate = SummaryAggregate::FromProto(value.aggregate());
    changes.push_back(std::move(change));
  }
  if (!it->status().ok()) return FromRocks(it->status());
  cube_->Replace(changes);
  return absl::OkStatus();
}

}  // namespace runledger
