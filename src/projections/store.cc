#include "src/projections/store.h"

#include <algorithm>
#include <map>
#include <ostream>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/common/proto_util.h"
#include "src/projections/filter_index_projection.h"
#include "src/projections/summary_projection.h"
#include "src/projections/user_index_projection.h"

namespace runledger {
namespace {

constexpr absl::string_view kUserIndexPrefix = "userindex/";
// Meta keys of the index generations (index_set.h): bookkeeping, not projection state.
constexpr absl::string_view kGenerationPrefix = "index/";

std::string UserIndexKey(absl::string_view name) { return absl::StrCat(kUserIndexPrefix, name); }

absl::Status WriteSynced(rocksdb::DB* db, rocksdb::WriteBatch* batch) {
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(db->Write(options, batch));
}

}  // namespace

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const std::string& dir, const Progress& progress,
                                                   IndexSet::Options index_options) {
  std::unique_ptr<Store> store(new Store());
  store->projections_ = NewCoreProjections();
  store->summaries_ = std::make_shared<SummaryCube>();
  absl::StatusOr<std::unique_ptr<Database>> database =
      Database::Open(dir, store->projections_->Families());
  if (!database.ok()) return database.status();
  store->database_ = std::move(*database);
  store->projections_->Attach(store->database_.get());
  store->log_ = std::make_unique<EventLog>(store->database_.get(), store->projections_.get());
  store->indexes_ =
      std::make_unique<IndexSet>(store->database_.get(), store->log_.get(), index_options);
  absl::Status s = store->AddBuiltInIndexes();
  if (s.ok()) s = store->LoadUserIndexes();
  if (s.ok()) s = store->indexes_->DropOrphans();
  if (s.ok()) s = store->ForgetMetaCheckpoints();
  if (s.ok()) s = store->log_->Open();
  if (s.ok()) s = store->projections_->CatchUp(*store->log_, progress);
  if (!s.ok()) return s;
  store->reader_ = std::make_unique<CoreReader>(store->database_.get());
  store->successors_ = std::make_unique<SuccessorTable>(store->database_.get());
  store->indexes_->Start();
  return store;
}

absl::Status Store::AddBuiltInIndexes() {
  absl::Status s = indexes_->Add(std::string(FilterIndexProjection::kName), "index",
                                 [](bool) { return std::make_unique<FilterIndexProjection>(); });
  if (!s.ok()) return s;
  // The serving generation mirrors its cells into the readers' cube; one being built, into a
  // cube of its own that the switch replaces the readers' with.
  return indexes_->Add(std::string(SummaryProjection::kName), "index", [this](bool serving) {
    return std::make_unique<SummaryProjection>(serving ? summaries_
                                                       : std::make_shared<SummaryCube>());
  });
}

absl::Status Store::AddUserIndex(const v1::IndexDefinition& definition) {
  absl::Status s = indexes_->Add(definition.name(), "user_index", [definition](bool) {
    return std::make_unique<UserIndexProjection>(definition);
  });
  if (!s.ok()) return s;
  absl::MutexLock lock(&user_mu_);
  auto definitions = std::make_shared<IndexDefinitions>(*user_indexes_);
  definitions->push_back(definition);
  std::sort(definitions->begin(), definitions->end(),
            [](const auto& a, const auto& b) { return a.name() < b.name(); });
  user_indexes_ = std::move(definitions);
  return absl::OkStatus();
}

absl::Status Store::LoadUserIndexes() {
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(rocksdb::ReadOptions(), database_->family(kMetaFamily)));
  std::vector<v1::IndexDefinition> definitions;
  for (it->Seek(ToSlice(kUserIndexPrefix));
       it->Valid() && it->key().starts_with(ToSlice(kUserIndexPrefix)); it->Next()) {
    if (!definitions.emplace_back().ParseFromArray(it->value().data(), it->value().size())) {
      return absl::DataLossError(absl::StrCat("malformed index definition ", ToView(it->key())));
    }
  }
  if (!it->status().ok()) return FromRocks(it->status());
  for (const v1::IndexDefinition& definition : definitions) {
    absl::Status s = AddUserIndex(definition);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status Store::ForgetMetaCheckpoints() {
  // An older layout kept checkpoints and versions in meta; they now live in each family.
  rocksdb::WriteBatch batch;
  for (const char* prefix : {"checkpoint/", "version/"}) {
    std::string end(prefix);
    end.back() = '0';  // the key just after every key with the prefix ('/' + 1)
    batch.DeleteRange(database_->family(kMetaFamily), prefix, end);
  }
  return WriteSynced(database_->db(), &batch);
}

absl::Status Store::CreateIndex(const v1::IndexDefinition& definition) {
  if (projections_->Owns(definition.name()) || indexes_->Has(definition.name())) {
    return absl::AlreadyExistsError(
        absl::StrCat("index.name: \"", definition.name(), "\" is already in use"));
  }
  rocksdb::WriteBatch batch;
  batch.Put(database_->family(kMetaFamily), UserIndexKey(definition.name()),
            SerializeDeterministic(definition));
  absl::Status s = WriteSynced(database_->db(), &batch);
  return s.ok() ? AddUserIndex(definition) : s;
}

absl::Status Store::DropIndex(const std::string& name) {
  {
    absl::MutexLock lock(&user_mu_);
    auto found = std::find_if(user_indexes_->begin(), user_indexes_->end(),
                              [&](const auto& d) { return d.name() == name; });
    if (found == user_indexes_->end()) {
      return absl::NotFoundError(absl::StrCat("no user index \"", name, "\""));
    }
    auto definitions = std::make_shared<IndexDefinitions>(*user_indexes_);
    definitions->erase(definitions->begin() + (found - user_indexes_->begin()));
    user_indexes_ = std::move(definitions);
  }
  // The definition goes first: a crash before the families are dropped leaves orphans, which
  // the next open drops.
  rocksdb::WriteBatch batch;
  batch.Delete(database_->family(kMetaFamily), UserIndexKey(name));
  absl::Status s = WriteSynced(database_->db(), &batch);
  return s.ok() ? indexes_->Remove(name) : s;
}

std::shared_ptr<const Store::IndexDefinitions> Store::UserIndexes() const {
  absl::MutexLock lock(&user_mu_);
  return user_indexes_;
}

std::shared_ptr<rocksdb::ColumnFamilyHandle> Store::ReadyIndex(absl::string_view name,
                                                               uint64_t sequence,
                                                               absl::Duration timeout) const {
  return indexes_->Ready(std::string(name), sequence, timeout);
}

bool Store::AwaitIndexes(uint64_t sequence, absl::Duration timeout) const {
  return indexes_->AwaitAll(sequence, timeout);
}

std::vector<v1::ProjectionStatus> Store::ProjectionStatuses() const {
  std::vector<v1::ProjectionStatus> statuses;
  const uint64_t head = log_->LastSequence();
  for (const auto& projection : projections_->projections()) {
    v1::ProjectionStatus& status = statuses.emplace_back();
    status.set_name(std::string(projection->name()));
    status.set_version(projection->version());
    status.set_kind("core");
    status.set_state(v1::ProjectionStatus::SERVING);
    status.set_family(std::string(projection->name()));
    status.set_head(head);
    absl::StatusOr<uint64_t> checkpoint = projections_->Checkpoint(*projection);
    status.set_checkpoint(checkpoint.ok() ? *checkpoint : 0);
    status.set_behind(head - std::min(head, status.checkpoint()));
  }
  for (v1::ProjectionStatus& status : indexes_->Statuses()) statuses.push_back(std::move(status));
  return statuses;
}

absl::Status Store::RebuildInBackground(const std::string& name) {
  if (projections_->Owns(name)) {
    return absl::FailedPreconditionError(absl::StrCat(
        "name: \"", name, "\" is a core projection: rebuild it offline (runledger replay)"));
  }
  return indexes_->Rebuild(name);
}

absl::Status Store::Rebuild(const std::vector<std::string>& names, const Progress& progress) {
  for (const std::string& name : names) {
    if (!projections_->Owns(name) && !indexes_->Has(name)) {
      return absl::InvalidArgumentError(absl::StrCat("unknown projection \"", name, "\""));
    }
  }
  std::vector<std::string> core;
  for (const auto& projection : projections_->projections()) {
    const std::string name(projection->name());
    if (names.empty() || std::find(names.begin(), names.end(), name) != names.end()) {
      core.push_back(name);
    }
  }
  absl::Status s = core.empty() ? absl::OkStatus() : projections_->Reset(core);
  for (const v1::ProjectionStatus& status : indexes_->Statuses()) {
    if (!s.ok()) break;
    if (names.empty() || std::find(names.begin(), names.end(), status.name()) != names.end()) {
      s = indexes_->Rebuild(status.name());
    }
  }
  if (!s.ok()) return s;
  // The core projections fold in the same pass over the log as the index builds.
  absl::StatusOr<std::vector<FoldTarget>> targets = projections_->Targets();
  if (!targets.ok()) return targets.status();
  s = indexes_->FinishBuilds(absl::MakeSpan(*targets), progress);
  absl::Status flushed = projections_->Flush();
  return s.ok() ? flushed : s;
}

absl::Status Store::DumpProjections(std::ostream& out) const {
  AwaitIndexes(log_->LastSequence(), absl::InfiniteDuration());
  std::map<std::string, std::shared_ptr<rocksdb::ColumnFamilyHandle>> families =
      indexes_->ServingFamilies();
  for (const auto& projection : projections_->projections()) {
    families[std::string(projection->name())] = database_->SharedFamily(projection->name());
  }
  families[std::string(kMetaFamily)] = database_->SharedFamily(kMetaFamily);
  for (const auto& [name, family] : families) {
    std::unique_ptr<rocksdb::Iterator> it(
        database_->db()->NewIterator(rocksdb::ReadOptions(), family.get()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (name == kMetaFamily && absl::StartsWith(ToView(it->key()), kGenerationPrefix)) continue;
      out << name << ' ' << absl::CHexEscape(ToView(it->key())) << ' '
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
