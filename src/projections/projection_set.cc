#include "src/projections/projection_set.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/projections/records_projection.h"
#include "src/projections/results_projection.h"

namespace runledger {

ProjectionSet::ProjectionSet(std::vector<std::unique_ptr<Projection>> projections)
    : projections_(std::move(projections)) {}

std::vector<std::string> ProjectionSet::Families() const {
  std::vector<std::string> names;
  for (const auto& p : projections_) names.emplace_back(p->name());
  return names;
}

absl::Status ProjectionSet::Fold(absl::Span<const v1::Event* const> events,
                                 rocksdb::WriteBatchWithIndex* batch) {
  for (auto& projection : projections_) {
    FoldState state(database_->db(), FamilyOf(*projection), batch);
    for (const v1::Event* event : events) {
      absl::Status s = projection->Apply(*event, state);
      if (!s.ok()) {
        return absl::Status(s.code(), absl::StrCat("projection ", projection->name(), " at event ",
                                                   event->sequence(), ": ", s.message()));
      }
    }
    absl::Status s = projection->FinishBatch(state);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status ProjectionSet::Checkpoint(uint64_t last_sequence,
                                       rocksdb::WriteBatchWithIndex* batch) {
  for (const auto& projection : projections_) {
    absl::Status s = PutCheckpoint(*projection, FamilyOf(*projection), last_sequence, batch);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ProjectionSet::Checkpoint(const Projection& projection) const {
  return ReadCheckpoint(database_->db(), FamilyOf(projection));
}

absl::Status ProjectionSet::ResetOne(Projection& projection) {
  absl::Status s = database_->ResetFamily(projection.name());
  return s.ok() ? LoadOne(projection) : s;
}

absl::Status ProjectionSet::LoadOne(Projection& projection) {
  return projection.Load(database_->db(), FamilyOf(projection));
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

absl::StatusOr<std::vector<FoldTarget>> ProjectionSet::Targets() {
  std::vector<FoldTarget> targets;
  for (const auto& projection : projections_) {
    absl::StatusOr<int> version = ReadVersion(database_->db(), FamilyOf(*projection));
    if (!version.ok()) return version.status();
    if (*version != projection->version()) {
      absl::Status s = ResetOne(*projection);
      if (!s.ok()) return s;
    }
    absl::StatusOr<uint64_t> checkpoint = Checkpoint(*projection);
    if (!checkpoint.ok()) return checkpoint.status();
    std::unique_ptr<FreshBuild>& fresh = fresh_[projection.get()];
    if (*checkpoint == 0 && fresh == nullptr) {
      absl::StatusOr<std::unique_ptr<FreshBuild>> started =
          FreshBuild::Start(database_->db(), FamilyOf(*projection));
      if (!started.ok()) return started.status();
      fresh = std::move(*started);
    }
    targets.push_back({projection.get(), FamilyOf(*projection), *checkpoint, fresh.get()});
  }
  return targets;
}

absl::Status ProjectionSet::Flush() {
  for (auto& [projection, fresh] : fresh_) {
    absl::Status s =
        fresh == nullptr ? absl::OkStatus() : fresh->Finish(database_->db(), FamilyOf(*projection));
    if (!s.ok()) return s;
  }
  fresh_.clear();
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  for (const auto& projection : projections_) families.push_back(FamilyOf(*projection));
  return FlushFamilies(database_->db(), families);
}

absl::Status ProjectionSet::CatchUp(const EventLog& log, const FoldProgress& progress,
                                    const std::atomic<bool>* stop) {
  absl::StatusOr<std::vector<FoldTarget>> targets = Targets();
  if (!targets.ok()) return targets.status();
  CatchUpOptions options;
  options.progress = progress;
  options.stop = stop;
  absl::Status s =
      CatchUpTargets(database_->db(), log, log.LastSequence(), absl::MakeSpan(*targets), options);
  // Whatever was folded, even before an error, is made durable.
  absl::Status flushed = Flush();
  return s.ok() ? flushed : s;
}

std::unique_ptr<ProjectionSet> NewCoreProjections() {
  std::vector<std::unique_ptr<Projection>> projections;
  projections.push_back(std::make_unique<ResultsProjection>());
  projections.push_back(std::make_unique<RecordsProjection>());
  return std::make_unique<ProjectionSet>(std::move(projections));
}

}  // namespace runledger
