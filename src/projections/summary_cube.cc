#include "src/projections/summary_cube.h"

#include "runledger/v1/stored.pb.h"

namespace runledger {

std::optional<uint32_t> SummaryCube::View::Id(absl::string_view text) const {
  auto it = cube_.ids_.find(text);
  if (it == cube_.ids_.end()) return std::nullopt;
  return it->second;
}

uint32_t SummaryCube::InternLocked(const std::optional<std::string>& text) {
  if (!text) return kAbsent;
  auto [it, inserted] = ids_.try_emplace(*text, static_cast<uint32_t>(strings_.size()));
  if (inserted) strings_.push_back(*text);
  return it->second;
}

void SummaryCube::SetLocked(const std::string& key, const SummaryAggregate& aggregate) {
  if (auto it = index_.find(key); it != index_.end()) {
    cells_[it->second].aggregate = aggregate;
    return;
  }
  v1::SummaryCellKey k;
  k.ParseFromString(key);
  auto optional_text = [](bool has, const std::string& text) {
    return has ? std::optional<std::string>(text) : std::nullopt;
  };
  Cell cell;
  cell.parent = InternLocked(k.parent());
  cell.type = InternLocked(k.type());
  cell.namespace_name = InternLocked(optional_text(k.has_namespace_(), k.namespace_()));
  cell.pipeline = InternLocked(optional_text(k.has_pipeline(), k.pipeline()));
  cell.repository = InternLocked(optional_text(k.has_repository(), k.repository()));
  cell.created_day = k.has_created_day() ? k.created_day() : kNoDay;
  cell.started_day = k.has_started_day() ? k.started_day() : kNoDay;
  cell.completed_day = k.has_completed_day() ? k.completed_day() : kNoDay;
  cell.aggregate = aggregate;
  index_.emplace(key, cells_.size());
  cells_.push_back(cell);
  keys_.push_back(key);
}

void SummaryCube::EraseLocked(const std::string& key) {
  auto it = index_.find(key);
  if (it == index_.end()) return;
  const size_t i = it->second;
  index_.erase(it);
  if (i + 1 != cells_.size()) {
    cells_[i] = cells_.back();
    keys_[i] = std::move(keys_.back());
    index_[keys_[i]] = i;
  }
  cells_.pop_back();
  keys_.pop_back();
}

void SummaryCube::Publish(absl::Span<const Change> changes) {
  absl::MutexLock lock(&mu_);
  for (const auto& [key, aggregate] : changes) {
    if (aggregate) {
      SetLocked(key, *aggregate);
    } else {
      EraseLocked(key);
    }
  }
}

void SummaryCube::Clear() {
  absl::MutexLock lock(&mu_);
  cells_.clear();
  keys_.clear();
  index_.clear();
}

std::optional<SummaryAggregate> SummaryCube::Find(const std::string& key) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = index_.find(key);
  if (it == index_.end()) return std::nullopt;
  return cells_[it->second].aggregate;
}

void SummaryCube::Read(const std::function<void(const View&)>& read) const {
  absl::ReaderMutexLock lock(&mu_);
  read(View(*this));
}

}  // namespace runledger
