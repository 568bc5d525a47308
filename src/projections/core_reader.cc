#include "src/projections/core_reader.h"

#include <memory>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "runledger/v1/stored.pb.h"
#include "src/common/entity_fields.h"
#include "src/log/event_log.h"
#include "src/log/event_view.h"
#include "src/projections/entity_index.h"
#include "src/projections/records_projection.h"
#include "src/projections/results_projection.h"

namespace runledger {

using tekton::results::v1alpha2::Record;
using tekton::results::v1alpha2::Result;

absl::StatusOr<CoreReader::PinnedValues> CoreReader::ReadValues(
    absl::string_view family, const std::vector<std::string>& keys,
    const rocksdb::ReadOptions& options) const {
  rocksdb::ColumnFamilyHandle* handle = database_->family(family);
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  PinnedValues values{std::vector<rocksdb::PinnableSlice>(keys.size()),
                      std::vector<rocksdb::Status>(keys.size())};
  if (pending_ != nullptr) {
    pending_->MultiGetFromBatchAndDB(database_->db(), options, handle, keys.size(), slices.data(),
                                     values.slices.data(), values.statuses.data(),
                                     /*sorted_input=*/false);
  } else {
    database_->db()->MultiGet(options, handle, keys.size(), slices.data(), values.slices.data(),
                              values.statuses.data());
  }
  for (const rocksdb::Status& s : values.statuses) {
    if (!s.ok() && !s.IsNotFound()) return FromRocks(s);
  }
  return values;
}

template <typename Stored>
absl::StatusOr<std::vector<std::optional<Stored>>> CoreReader::ReadEntities(
    absl::string_view family, const std::vector<std::string>& names,
    const rocksdb::ReadOptions& options) const {
  std::vector<std::string> keys;
  keys.reserve(names.size());
  for (const std::string& name : names) keys.push_back(EntityKey(name));
  absl::StatusOr<PinnedValues> values = ReadValues(family, keys, options);
  if (!values.ok()) return values.status();
  std::vector<std::optional<Stored>> entities(names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    if (!values->found(i)) continue;
    const absl::string_view bytes = values->value(i);
    if (!entities[i].emplace().ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
      return absl::DataLossError(absl::StrCat("undecodable stored state of ", names[i]));
    }
    // Stored entities leave out the name their key holds.
    if constexpr (std::is_same_v<Stored, Result>) {
      entities[i]->set_name(names[i]);
      SetDerivedFields(&*entities[i]);
    } else {
      entities[i]->mutable_record()->set_name(names[i]);
    }
  }
  return entities;
}

absl::StatusOr<std::vector<std::optional<Record>>> CoreReader::ReadRecords(
    const std::vector<std::string>& names, const rocksdb::ReadOptions& options,
    bool cache_data) const {
  absl::StatusOr<std::vector<std::optional<v1::StoredRecord>>> stored =
      ReadEntities<v1::StoredRecord>(RecordsProjection::kName, names, options);
  if (!stored.ok()) return stored.status();
  // Join each record with the event that holds its data.
  std::vector<std::string> event_keys;
  for (const auto& s : *stored) {
    if (s && s->data_sequence() != 0) event_keys.push_back(EventLog::LogKey(s->data_sequence()));
  }
  rocksdb::ReadOptions log_options = options;
  log_options.fill_cache = options.fill_cache && cache_data;
  absl::StatusOr<PinnedValues> events = ReadValues(kLogFamily, event_keys, log_options);
  if (!events.ok()) return events.status();
  std::vector<std::optional<Record>> records(names.size());
  size_t next_event = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    if (!(*stored)[i]) continue;
    records[i] = std::move(*(*stored)[i]->mutable_record());
    SetDerivedFields(&*records[i]);
    if ((*stored)[i]->data_sequence() == 0) continue;
    // Only the record's JSON is taken from the event, read in place.
    const size_t e = next_event++;
    EventView event;
    if (!events->found(e) || !DecodeEventView(events->value(e), &event) || !event.has_record) {
      return absl::DataLossError(absl::StrCat("missing data event of ", names[i]));
    }
    records[i]->mutable_data()->set_value(event.record.data.data(), event.record.data.size());
  }
  return records;
}

namespace {

// The present values of `maybe`, in order.
template <typename T>
std::vector<T> Present(std::vector<std::optional<T>> maybe) {
  std::vector<T> present;
  present.reserve(maybe.size());
  for (std::optional<T>& m : maybe) {
    if (m) present.push_back(std::move(*m));
  }
  return present;
}

// The only element of a one-name read.
template <typename T>
absl::StatusOr<std::optional<T>> Single(absl::StatusOr<std::vector<std::optional<T>>> read) {
  if (!read.ok()) return read.status();
  return std::move(read->front());
}

}  // namespace

absl::StatusOr<std::optional<Result>> CoreReader::GetResult(
    absl::string_view name, const rocksdb::ReadOptions& options) const {
  return Single(ReadEntities<Result>(ResultsProjection::kName, {std::string(name)}, options));
}

absl::StatusOr<std::optional<Record>> CoreReader::GetRecord(
    absl::string_view name, const rocksdb::ReadOptions& options) const {
  // A record fetched by name is one of a log many times the block cache, seldom fetched again
  // before its block would be evicted: caching the block would cost more CPU (an insert and an
  // eviction) than it saves. Lists keep caching theirs: first pages are read again and again.
  return Single(ReadRecords({std::string(name)}, options, /*cache_data=*/false));
}

absl::StatusOr<std::vector<Record>> CoreReader::GetRecords(
    const std::vector<std::string>& names, const rocksdb::ReadOptions& options) const {
  absl::StatusOr<std::vector<std::optional<Record>>> records =
      ReadRecords(names, options, /*cache_data=*/true);
  if (!records.ok()) return records.status();
  return Present(std::move(*records));
}

absl::StatusOr<std::vector<Result>> CoreReader::GetResults(
    const std::vector<std::string>& names, const rocksdb::ReadOptions& options) const {
  absl::StatusOr<std::vector<std::optional<Result>>> results =
      ReadEntities<Result>(ResultsProjection::kName, names, options);
  if (!results.ok()) return results.status();
  return Present(std::move(*results));
}

absl::StatusOr<std::vector<std::string>> CoreReader::NamesOfUids(
    absl::string_view family, const std::vector<std::string>& uids,
    const rocksdb::ReadOptions& options) const {
  std::vector<std::string> keys;
  keys.reserve(uids.size());
  for (const std::string& uid : uids) keys.push_back(UidKey(uid));
  absl::StatusOr<PinnedValues> values = ReadValues(family, keys, options);
  if (!values.ok()) return values.status();
  std::vector<std::string> names;
  names.reserve(uids.size());
  for (size_t i = 0; i < uids.size(); ++i) {
    names.emplace_back(values->found(i) ? values->value(i) : absl::string_view());
  }
  return names;
}

absl::StatusOr<std::vector<std::string>> CoreReader::RecordNamesOf(absl::string_view parent,
                                                                   absl::string_view result) const {
  const std::string prefix = ResultRecordsPrefix(parent, result);
  std::vector<std::string> names;
  rocksdb::ColumnFamilyHandle* family = database_->family(RecordsProjection::kName);
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(rocksdb::ReadOptions(), family));
  if (pending_ != nullptr) it.reset(pending_->NewIteratorWithBase(family, it.release()));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    names.emplace_back(ToView(it->key()).substr(1));  // past the 'N'
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return names;
}

}  // namespace runledger
