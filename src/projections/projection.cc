#include "src/projections/projection.h"

#include <memory>

#include "src/log/database.h"

namespace runledger {

absl::StatusOr<std::optional<std::string>> FoldState::Get(absl::string_view key) const {
  std::string value;
  rocksdb::Status s =
      batch_->GetFromBatchAndDB(db_, rocksdb::ReadOptions(), family_, ToSlice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s);
  return value;
}

absl::StatusOr<std::optional<std::string>> FoldState::EdgeKey(absl::string_view prefix,
                                                              bool last) const {
  std::unique_ptr<rocksdb::Iterator> it(
      batch_->NewIteratorWithBase(family_, db_->NewIterator(rocksdb::ReadOptions(), family_)));
  if (last) {
    // The last key with the prefix is the one before the first key after every such key.
    std::string after(prefix);
    while (!after.empty() && static_cast<unsigned char>(after.back()) == 0xff) after.pop_back();
    if (after.empty()) {
      it->SeekToLast();
    } else {
      after.back() = static_cast<char>(static_cast<unsigned char>(after.back()) + 1);
      it->SeekForPrev(after);
      if (it->Valid() && it->key() == ToSlice(after)) it->Prev();
    }
  } else {
    it->Seek(ToSlice(prefix));
  }
  if (!it->status().ok()) return FromRocks(it->status());
  if (!it->Valid() || !it->key().starts_with(ToSlice(prefix))) return std::nullopt;
  return it->key().ToString();
}

absl::Status FoldState::Put(absl::string_view key, absl::string_view value) {
  return FromRocks(batch_->Put(family_, ToSlice(key), ToSlice(value)));
}

absl::Status FoldState::Delete(absl::string_view key) {
  return FromRocks(batch_->Delete(family_, ToSlice(key)));
}

}  // namespace runledger
