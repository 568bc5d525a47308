#include "src/projections/store.h"

#include <algorithm>
#include <ostream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace runledger {

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir,
                                                   const Progress& progress) {
  std::unique_ptr<Store> store(new Store());
  store->projections_ = NewCoreProjections();
  store->summaries_ = std::make_shared<SummaryCube>();
  store->indexes_ = NewIndexProjections(store->summaries_);
  std::vector<std::string> families = store->projections_->Families();
  for (std::string& family : store->indexes_->Families()) families.push_back(std::move(family));
  absl::StatusOr<std::unique_ptr<Database>> database = Database::Open(dir, families);
  if (!database.ok()) return database.status();
  store->database_ = std::move(*database);
  store->projections_->Attach(store->database_.get());
  store->indexes_->Attach(store->database_.get());
  if (absl::Status s = store->indexes_->Load(); !s.ok()) return s;
  store->log_ = std::make_unique<EventLog>(store->database_.get(), store->projections_.get());
  absl::Status s = store->log_->Open();
  if (s.ok()) s = store->projections_->CatchUp(*store->log_, progress);
  if (!s.ok()) return s;
  store->reader_ = std::make_unique<CoreReader>(store->database_.get());
  store->StartIndexWorker();
  return store;
}

void Store::StartIndexWorker() {
  index_worker_ = std::make_unique<ProjectionWorker>(indexes_.get(), log_.get());
  index_worker_->Start();
}

bool Store::AwaitIndexes(uint64_t sequence, absl::Duration timeout) const {
  return index_worker_->AwaitFolded(sequence, timeout);
}

absl::Status Store::Rebuild(const std::vector<std::string>& names, const Progress& progress) {
  for (const std::string& name : names) {
    if (!projections_->Owns(name) && !indexes_->Owns(name)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown projection \"", name, "\""));
    }
  }
  index_worker_.reset();  // the rebuild folds the indexes itself
  for (ProjectionSet* set : {projections_.get(), indexes_.get()}) {
    std::vector<std::string> own;
    for (const std::string& name : names) {
      if (set->Owns(name)) own.push_back(name);
    }
    if (!names.empty() && own.empty()) continue;
    absl::Status s = set->Reset(own);
    if (s.ok()) s = set->CatchUp(*log_, progress);
    if (!s.ok()) return s;
  }
  StartIndexWorker();
  return absl::OkStatus();
}

absl::Status Store::DumpProjections(std::ostream& out) const {
  AwaitIndexes(log_->LastSequence(), absl::InfiniteDuration());
  std::vector<std::string> families = projections_->Families();
  for (std::string& family : indexes_->Families()) families.push_back(std::move(family));
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
