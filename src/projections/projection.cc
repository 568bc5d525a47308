#include "src/projections/projection.h"

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

absl::Status FoldState::Put(absl::string_view key, absl::string_view value) {
  return FromRocks(batch_->Put(family_, ToSlice(key), ToSlice(value)));
}

absl::Status FoldState::Delete(absl::string_view key) {
  return FromRocks(batch_->Delete(family_, ToSlice(key)));
}

}  // namespace runledger
