#include "src/projections/projection_set.h"

#include <algorithm>

#include "absl/base/internal/endian.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/projections/filter_index_projection.h"
#include "src/projections/records_projection.h"
#include "src/projections/results_projection.h"
#include "src/projections/summary_projection.h"

namespace runledger {
namespace {

// Events folded per batch while catching up: big enough to amortize the write, small enough to
// keep the batch in memory.
constexpr size_t kCatchUpChunk = 4096;

std::string CheckpointKey(const Projection& p) { return absl::StrCat("checkpoint/", p.name()); }
std::string VersionKey(const Projection& p) { return absl::StrCat("version/", p.name()); }

}  // namespace

ProjectionSet::ProjectionSet(std::vector<std::unique_ptr<Projection>> projections)
    : projections_(std::move(projections)) {}

std::vector<std::string> ProjectionSet::Families() const {
  std::vector<std::string> names;
  for (const auto& p : projections_) names.emplace_back(p->name());
  return names;
}

absl::Status ProjectionSet::FoldOne(Projection& projection,
                                    absl::Span<const v1::Event* const> events,
                                    rocksdb::WriteBatchWithIndex* batch) {
  FoldState state(database_->db(), database_->family(projection.name()), batch);
  for (const v1::Event* event : events) {
    absl::Status s = projection.Apply(*event, state);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("projection ", projection.name(), " at event ",
                                                 event->sequence(), ": ", s.message()));
    }
  }
  return projection.FinishBatch(state);
}

absl::Status ProjectionSet::CheckpointOne(const Projection& projection, uint64_t last_sequence,
                                          rocksdb::WriteBatchWithIndex* batch) {
  std::string checkpoint(8, '\0');
  absl::big_endian::Store64(checkpoint.data(), last_sequence);
  rocksdb::ColumnFamilyHandle* meta = database_->family(kMetaFamily);
  rocksdb::Status s = batch->Put(meta, CheckpointKey(projection), checkpoint);
  if (s.ok()) s = batch->Put(meta, VersionKey(projection), absl::StrCat(projection.version()));
  return FromRocks(s);
}

absl::Status ProjectionSet::Checkpoint(uint64_t last_sequence,
                                       rocksdb::WriteBatchWithIndex* batch) {
  for (const auto& projection : projections_) {
    absl::Status s = CheckpointOne(*projection, last_sequence, batch);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ProjectionSet::Fold(absl::Span<const v1::Event* const> events,
                                 rocksdb::WriteBatchWithIndex* batch) {
  if (events.empty()) return absl::OkStatus();
  for (auto& projection : projections_) {
    absl::Status s = FoldOne(*projection, events, batch);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ProjectionSet::Checkpoint(const Projection& projection) const {
  std::string value;
  rocksdb::Status s = database_->db()->Get(rocksdb::ReadOptions(), database_->family(kMetaFamily),
                                           CheckpointKey(projection), &value);
  if (s.IsNotFound()) return 0;
  if (!s.ok()) return FromRocks(s);
  if (value.size() != 8) return absl::DataLossError("malformed projection checkpoint");
  return absl::big_endian::Load64(value.data());
}

absl::StatusOr<int> ProjectionSet::StoredVersion(const Projection& projection) const {
  std::string value;
  rocksdb::Status s = database_->db()->Get(rocksdb::ReadOptions(), database_->family(kMetaFamily),
                                           VersionKey(projection), &value);
  if (s.IsNotFound()) return 0;
  if (!s.ok()) return FromRocks(s);
  int version = 0;
  if (!absl::SimpleAtoi(value, &version)) return absl::DataLossError("malformed version");
  return version;
}

absl::Status ProjectionSet::ResetOne(Projection& projection) {
  absl::Status s = database_->ResetFamily(projection.name());
  if (!s.ok()) return s;
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* meta = database_->family(kMetaFamily);
  batch.Delete(meta, CheckpointKey(projection));
  batch.Delete(meta, VersionKey(projection));
  rocksdb::WriteOptions options;
  options.sync = true;
  s = FromRocks(database_->db()->Write(options, &batch));
  return s.ok() ? LoadOne(projection) : s;
}

absl::Status ProjectionSet::LoadOne(Projection& projection) {
  return projection.Load(database_->db(), database_->family(projection.name()));
}

absl::Status ProjectionSet::Load() {
  for (const auto& projection : projections_) {
    absl::Status s = LoadOne(*projection);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

bool ProjectionSet::Owns(absl::string_view name) const {
  return std::any_of(projections_.begin(), projections_.end(),
                     [&](const auto& p) { return p->name() == name; });
}

absl::Status ProjectionSet::Reset(const std::vector<std::string>& names) {
  for (const auto& projection : projections_) {
    if (!names.empty() &&
        std::find(names.begin(), names.end(), projection->name()) == names.end()) {
      continue;
    }
    absl::Status s = ResetOne(*projection);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ProjectionSet::CatchUp(const EventLog& log,
                                    const std::function<void(uint64_t, uint64_t)>& progress,
                                    const std::atomic<bool>* stop) {
  std::vector<uint64_t> checkpoints;
  for (const auto& projection : projections_) {
    absl::StatusOr<int> version = StoredVersion(*projection);
    if (!version.ok()) return version.status();
    if (*version != projection->version()) {
      absl::Status s = ResetOne(*projection);
      if (!s.ok()) return s;
    }
    absl::StatusOr<uint64_t> checkpoint = Checkpoint(*projection);
    if (!checkpoint.ok()) return checkpoint.status();
    checkpoints.push_back(*checkpoint);
  }
  const uint64_t head = log.LastSequence();
  const uint64_t start =
      checkpoints.empty() ? head : *std::min_element(checkpoints.begin(), checkpoints.end());
  for (uint64_t next = start + 1; next <= head;) {
    absl::StatusOr<std::vector<v1::Event>> events = log.Read(next, kCatchUpChunk);
    if (!events.ok()) return events.status();
    if (events->empty()) return absl::DataLossError(absl::StrCat("log ends before ", head));
    rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, true);
    absl::Status s;
    for (size_t i = 0; i < projections_.size() && s.ok(); ++i) {
      std::vector<const v1::Event*> pending;
      for (const v1::Event& e : *events) {
        if (e.sequence() > checkpoints[i]) pending.push_back(&e);
      }
      if (pending.empty()) continue;
      s = FoldOne(*projections_[i], pending, &batch);
      if (s.ok()) s = CheckpointOne(*projections_[i], pending.back()->sequence(), &batch);
    }
    if (s.ok())
      s = FromRocks(database_->db()->Write(rocksdb::WriteOptions(), batch.GetWriteBatch()));
    if (!s.ok()) {
      Load().IgnoreError();  // the batch is dropped: mirrors go back to the committed state
      return s;
    }
    for (const auto& projection : projections_) projection->Committed();
    next = events->back().sequence() + 1;
    if (progress) progress(next - 1 - start, head - start);
    if (stop != nullptr && stop->load()) return absl::CancelledError("catch-up stopped");
  }
  return FromRocks(database_->db()->FlushWAL(/*sync=*/true));
}

std::unique_ptr<ProjectionSet> NewCoreProjections() {
  std::vector<std::unique_ptr<Projection>> projections;
  projections.push_back(std::make_unique<ResultsProjection>());
  projections.push_back(std::make_unique<RecordsProjection>());
  return std::make_unique<ProjectionSet>(std::move(projections));
}

std::unique_ptr<ProjectionSet> NewIndexProjections(std::shared_ptr<SummaryCube> summaries) {
  std::vector<std::unique_ptr<Projection>> projections;
  projections.push_back(std::make_unique<FilterIndexProjection>());
  projections.push_back(std::make_unique<SummaryProjection>(std::move(summaries)));
  return std::make_unique<ProjectionSet>(std::move(projections));
}

}  // namespace runledger
