#include "src/projections/core_reader.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "src/projections/entity_index.h"
#include "src/projections/records_projection.h"
#include "src/projections/results_projection.h"

namespace runledger {
namespace {

using tekton::results::v1alpha2::Record;
using tekton::results::v1alpha2::Result;

template <typename Entity>
absl::StatusOr<std::optional<Entity>> Lookup(Database* database, absl::string_view family,
                                             absl::string_view name,
                                             const rocksdb::ReadOptions& options) {
  std::string value;
  rocksdb::Status s =
      database->db()->Get(options, database->family(family), EntityKey(name), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) return FromRocks(s);
  Entity entity;
  if (!entity.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat("undecodable stored state of ", name));
  }
  return entity;
}

template <typename Entity>
absl::StatusOr<std::vector<Entity>> LookupMany(Database* database, absl::string_view family,
                                               const std::vector<std::string>& names,
                                               const rocksdb::ReadOptions& options) {
  std::vector<std::string> keys;
  keys.reserve(names.size());
  for (const std::string& name : names) keys.push_back(EntityKey(name));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  database->db()->MultiGet(options, database->family(family), keys.size(), slices.data(),
                           values.data(), statuses.data());
  std::vector<Entity> entities;
  entities.reserve(names.size());
  for (size_t i = 0; i < keys.size(); ++i) {
    if (statuses[i].IsNotFound()) continue;
    if (!statuses[i].ok()) return FromRocks(statuses[i]);
    if (!entities.emplace_back().ParseFromArray(values[i].data(), values[i].size())) {
      return absl::DataLossError(absl::StrCat("undecodable stored state of ", names[i]));
    }
  }
  return entities;
}

}  // namespace

absl::StatusOr<std::optional<Result>> CoreReader::GetResult(
    absl::string_view name, const rocksdb::ReadOptions& options) const {
  return Lookup<Result>(database_, ResultsProjection::kName, name, options);
}

absl::StatusOr<std::optional<Record>> CoreReader::GetRecord(
    absl::string_view name, const rocksdb::ReadOptions& options) const {
  return Lookup<Record>(database_, RecordsProjection::kName, name, options);
}

absl::StatusOr<std::vector<Record>> CoreReader::GetRecords(
    const std::vector<std::string>& names, const rocksdb::ReadOptions& options) const {
  return LookupMany<Record>(database_, RecordsProjection::kName, names, options);
}

absl::StatusOr<std::vector<Result>> CoreReader::GetResults(
    const std::vector<std::string>& names, const rocksdb::ReadOptions& options) const {
  return LookupMany<Result>(database_, ResultsProjection::kName, names, options);
}

absl::StatusOr<std::vector<std::string>> CoreReader::RecordNamesOf(
    absl::string_view parent, absl::string_view result) const {
  const std::string prefix = IndexPrefix(SortField::kUid, ScopeResult(parent, result));
  std::vector<std::string> names;
  std::unique_ptr<rocksdb::Iterator> it(database_->db()->NewIterator(
      rocksdb::ReadOptions(), database_->family(RecordsProjection::kName)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    names.push_back(it->value().ToString());
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return names;
}

}  // namespace runledger
