#include "src/projections/projection.h"

#include <memory>

#include "absl/base/internal/endian.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/log/database.h"

namespace runledger {
namespace {

const rocksdb::Slice kCheckpointKey("\0checkpoint", 11);
const rocksdb::Slice kVersionKey("\0version", 8);

// The value under `key` in `family`, or nullopt.
absl::StatusOr<std::optional<std::string>> ReadKey(rocksdb::DB* db,
                                                   rocksdb::ColumnFamilyHandle* family,
                                                   const rocksdb::Slice& key) {
  std::string value;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), family, key, &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s);
  return value;
}

}  // namespace

std::array<CheckpointEntry, 2> CheckpointEntries(const Projection& projection,
                                                 uint64_t last_sequence) {
  std::string checkpoint(8, '\0');
  absl::big_endian::Store64(checkpoint.data(), last_sequence);
  return {CheckpointEntry{kCheckpointKey, std::move(checkpoint)},
          CheckpointEntry{kVersionKey, absl::StrCat(projection.version())}};
}

absl::Status PutCheckpoint(const Projection& projection, rocksdb::ColumnFamilyHandle* family,
                           uint64_t last_sequence, rocksdb::WriteBatchBase* batch) {
  for (const CheckpointEntry& entry : CheckpointEntries(projection, last_sequence)) {
    rocksdb::Status s = batch->Put(family, entry.key, entry.value);
    if (!s.ok()) return FromRocks(s);
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> ReadCheckpoint(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family) {
  absl::StatusOr<std::optional<std::string>> value = ReadKey(db, family, kCheckpointKey);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return 0;
  if ((*value)->size() != 8) return absl::DataLossError("malformed projection checkpoint");
  return absl::big_endian::Load64((*value)->data());
}

absl::StatusOr<int> ReadVersion(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family) {
  absl::StatusOr<std::optional<std::string>> value = ReadKey(db, family, kVersionKey);
  if (!value.ok()) return value.status();
  if (!value->has_value()) return 0;
  int version = 0;
  if (!absl::SimpleAtoi(**value, &version)) return absl::DataLossError("malformed version");
  return version;
}

absl::StatusOr<std::optional<std::string>> FoldState::Get(absl::string_view key) const {
  if (fresh_ != nullptr && fresh_->FirstRead(key)) return std::nullopt;
  if (overlay_ != nullptr) {
    if (auto it = overlay_->find(key); it != overlay_->end()) return it->second;
  }
  std::string value;
  rocksdb::Status s =
      batch_ != nullptr
          ? batch_->GetFromBatchAndDB(db_, rocksdb::ReadOptions(), family_, ToSlice(key), &value)
          : db_->Get(rocksdb::ReadOptions(), family_, ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s);
  return value;
}

namespace {

// The smallest key after every key that starts with `prefix`, or "" if there is none.
std::string After(absl::string_view prefix) {
  std::string after(prefix);
  while (!after.empty() && static_cast<unsigned char>(after.back()) == 0xff) after.pop_back();
  if (!after.empty())
    after.back() = static_cast<char>(static_cast<unsigned char>(after.back()) + 1);
  return after;
}

// Positions `it` on the first (or, when `last`, the last) key >= prefix (< After(prefix)).
void SeekEdge(rocksdb::Iterator* it, absl::string_view prefix, bool last) {
  if (!last) {
    it->Seek(ToSlice(prefix));
    return;
  }
  // The last key with the prefix is the one before the first key after every such key.
  const std::string after = After(prefix);
  if (after.empty()) {
    it->SeekToLast();
  } else {
    it->SeekForPrev(after);
    if (it->Valid() && it->key() == ToSlice(after)) it->Prev();
  }
}

}  // namespace

absl::StatusOr<std::optional<std::string>> FoldState::EdgeKey(absl::string_view prefix,
                                                              bool last) const {
  if (overlay_ != nullptr) return OverlayEdgeKey(prefix, last);
  std::unique_ptr<rocksdb::Iterator> it(
      batch_->NewIteratorWithBase(family_, db_->NewIterator(rocksdb::ReadOptions(), family_)));
  SeekEdge(it.get(), prefix, last);
  if (!it->status().ok()) return FromRocks(it->status());
  if (!it->Valid() || !it->key().starts_with(ToSlice(prefix))) return std::nullopt;
  return it->key().ToString();
}

absl::StatusOr<std::optional<std::string>> FoldState::OverlayEdgeKey(absl::string_view prefix,
                                                                     bool last) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions(), family_));
  SeekEdge(it.get(), prefix, last);
  // Walks the overlay's keys with the prefix from the same edge, merged with the database's:
  // the first key met that the overlay does not delete is the edge.
  const std::string after = After(prefix);
  auto lower = overlay_->lower_bound(prefix);
  auto upper = after.empty() ? overlay_->end() : overlay_->lower_bound(after);
  auto forward = lower;
  auto backward = std::make_reverse_iterator(upper);
  auto overlay_end = std::make_reverse_iterator(lower);
  auto inner = [&]() -> const FoldOverlay::value_type* {
    if (last) return backward == overlay_end ? nullptr : &*backward;
    return forward == upper ? nullptr : &*forward;
  };
  auto step = [&] { last ? (void)++backward : (void)++forward; };
  // Whether key `a` comes no later than `b` in the walk's direction.
  auto no_later = [&](absl::string_view a, absl::string_view b) { return last ? a >= b : a <= b; };
  while (true) {
    if (!it->status().ok()) return FromRocks(it->status());
    const bool in_db = it->Valid() && it->key().starts_with(ToSlice(prefix));
    const FoldOverlay::value_type* pending = inner();
    if (!in_db && pending == nullptr) return std::nullopt;
    if (pending != nullptr && (!in_db || no_later(pending->first, ToView(it->key())))) {
      if (pending->second.has_value()) return pending->first;
      if (in_db && pending->first == ToView(it->key())) last ? it->Prev() : it->Next();
      step();
      continue;
    }
    return it->key().ToString();
  }
}

absl::Status FoldState::Put(absl::string_view key, absl::string_view value) {
  if (overlay_ != nullptr) {
    (*overlay_)[key] = std::string(value);
    return absl::OkStatus();
  }
  return FromRocks(batch_->Put(family_, ToSlice(key), ToSlice(value)));
}

absl::Status FoldState::Delete(absl::string_view key) {
  if (overlay_ != nullptr) {
    (*overlay_)[key] = std::nullopt;
    return absl::OkStatus();
  }
  return FromRocks(batch_->Delete(family_, ToSlice(key)));
}

}  // namespace runledger
