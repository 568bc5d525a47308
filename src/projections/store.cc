#include "src/projections/store.h"

#include <algorithm>
#include <ostream>

#include "absl/strings/escaping.h"

namespace runledger {

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir,
                                                   const Progress& progress) {
  std::unique_ptr<Store> store(new Store());
  store->projections_ = NewCoreProjections();
  absl::StatusOr<std::unique_ptr<Database>> database =
      Database::Open(dir, store->projections_->Families());
  if (!database.ok()) return database.status();
  store->database_ = std::move(*database);
  store->projections_->Attach(store->database_.get());
  store->log_ = std::make_unique<EventLog>(store->database_.get(), store->projections_.get());
  absl::Status s = store->log_->Open();
  if (s.ok()) s = store->projections_->CatchUp(*store->log_, progress);
  if (!s.ok()) return s;
  store->reader_ = std::make_unique<CoreReader>(store->database_.get());
  return store;
}

absl::Status Store::Rebuild(const std::vector<std::string>& names, const Progress& progress) {
  absl::Status s = projections_->Reset(names);
  return s.ok() ? projections_->CatchUp(*log_, progress) : s;
}

absl::Status Store::DumpProjections(std::ostream& out) const {
  std::vector<std::string> families = projections_->Families();
  families.emplace_back(kMetaFamily);
  std::sort(families.begin(), families.end());
  for (const std::string& family : families) {
    std::unique_ptr<rocksdb::Iterator> it(
        database_->db()->NewIterator(rocksdb::ReadOptions(), database_->family(family)));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      out << family << ' ' << absl::CHexEscape(ToView(it->key())) << ' '
          << absl::CHexEscape(ToView(it->value())) << '\n';
    }
    if (!it->status().ok()) return FromRocks(it->status());
  }
  return absl::OkStatus();
}

absl::Status Store::DumpLog(std::ostream& out) const {
  const uint64_t head = log_->LastSequence();
  for (uint64_t next = 1; next <= head;) {
    absl::StatusOr<std::vector<v1::Event>> events = log_->Read(next, 4096);
    if (!events.ok()) return events.status();
    if (events->empty()) break;
    for (const v1::Event& e : *events) {
      out << e.sequence() << ' ' << v1::EventKind_Name(e.kind()) << ' ' << e.name() << '\n';
    }
    next = events->back().sequence() + 1;
  }
  return absl::OkStatus();
}

}  // namespace runledger
