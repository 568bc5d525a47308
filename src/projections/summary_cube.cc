#include "src/projections/summary_cube.h"

namespace runledger {
namespace {

int32_t DayOrNone(bool has, int32_t day) { return has ? day : SummaryCube::kNoDay; }

}  // namespace

bool SummaryCube::Key::operator==(const Key& o) const {
  return parent == o.parent && type == o.type && namespace_name == o.namespace_name &&
         pipeline == o.pipeline && repository == o.repository && created_day == o.created_day &&
         started_day == o.started_day && completed_day == o.completed_day;
}

std::optional<uint32_t> SummaryCube::View::Id(absl::string_view text) const {
  auto it = cube_.ids_.find(text);
  if (it == cube_.ids_.end()) return std::nullopt;
  return it->second;
}

// The key of `k` with each string (and whether it is present) mapped by `id`.
template <typename IdOf>
static SummaryCube::Key MakeKey(const v1::SummaryCellKey& k, IdOf id) {
  return {id(true, k.parent()),
          id(true, k.type()),
          id(k.has_namespace_(), k.namespace_()),
          id(k.has_pipeline(), k.pipeline()),
          id(k.has_repository(), k.repository()),
          DayOrNone(k.has_created_day(), k.created_day()),
          DayOrNone(k.has_started_day(), k.started_day()),
          DayOrNone(k.has_completed_day(), k.completed_day())};
}

std::optional<SummaryCube::Key> SummaryCube::FindKeyLocked(const v1::SummaryCellKey& k) const {
  bool complete = true;
  const Key key = MakeKey(k, [&](bool has, const std::string& text) -> uint32_t {
    if (!has) return kAbsent;
    auto it = ids_.find(text);
    if (it == ids_.end()) {
      complete = false;
      return kAbsent;
    }
    return it->second;
  });
  if (!complete) return std::nullopt;
  return key;
}

SummaryCube::Key SummaryCube::InternKeyLocked(const v1::SummaryCellKey& k) {
  return MakeKey(k, [&](bool has, const std::string& text) -> uint32_t {
    if (!has) return kAbsent;
    auto [it, inserted] = ids_.try_emplace(text, static_cast<uint32_t>(strings_.size()));
    if (inserted) strings_.push_back(text);
    return it->second;
  });
}

void SummaryCube::SetLocked(const Change& change) {
  const Key key = InternKeyLocked(change.key);
  auto [it, inserted] = index_.try_emplace(key, cells_.size());
  if (inserted) {
    cells_.push_back({key, change.id, *change.aggregate});
    return;
  }
  cells_[it->second].id = change.id;
  cells_[it->second].aggregate = *change.aggregate;
}

void SummaryCube::EraseLocked(const v1::SummaryCellKey& k) {
  std::optional<Key> key = FindKeyLocked(k);
  if (!key) return;
  auto it = index_.find(*key);
  if (it == index_.end()) return;
  const size_t i = it->second;
  index_.erase(it);
  if (i + 1 != cells_.size()) {
    cells_[i] = cells_.back();
    index_[cells_[i].key] = i;
  }
  cells_.pop_back();
}

void SummaryCube::Publish(absl::Span<const Change> changes) {
  absl::MutexLock lock(&mu_);
  PublishLocked(changes);
}

void SummaryCube::PublishLocked(absl::Span<const Change> changes) {
  for (const Change& change : changes) {
    if (change.aggregate) {
      SetLocked(change);
    } else {
      EraseLocked(change.key);
    }
  }
}

void SummaryCube::Replace(absl::Span<const Change> changes) {
  absl::MutexLock lock(&mu_);
  cells_.clear();
  index_.clear();
  PublishLocked(changes);
}

std::optional<SummaryCube::Cell> SummaryCube::Find(const v1::SummaryCellKey& k) const {
  absl::ReaderMutexLock lock(&mu_);
  std::optional<Key> key = FindKeyLocked(k);
  if (!key) return std::nullopt;
  auto it = index_.find(*key);
  if (it == index_.end()) return std::nullopt;
  return cells_[it->second];
}

void SummaryCube::Read(const std::function<void(const View&)>& read) const {
  absl::ReaderMutexLock lock(&mu_);
  read(View(*this));
}

}  // namespace runledger
