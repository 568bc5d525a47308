#include "src/projections/index_set.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "re2/re2.h"

namespace runledger {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(200);
constexpr absl::Duration kRetryAfterError = absl::Seconds(1);
constexpr absl::Duration kProgressEvery = absl::Seconds(5);
// Chunks a build folds per round of the worker, between two catch-ups of the serving generations.
constexpr size_t kBuildSliceChunks = 8;
constexpr size_t kChunkEvents = 4096;
constexpr absl::Duration kBuildFlushEvery = absl::Seconds(2);

std::string MetaKey(absl::string_view name, absl::string_view what) {
  return absl::StrCat("index/", name, "/", what);
}

bool IsGenerationFamily(const std::string& family) {
  static const RE2* pattern = new RE2(R"([a-z0-9_-]+\.v\d+\.g\d+)");
  return RE2::FullMatch(family, *pattern);
}

}  // namespace

IndexSet::~IndexSet() {
  {
    absl::MutexLock lock(&mu_);  // so that a worker gathering events sees it at once
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

absl::Status IndexSet::WriteMeta(rocksdb::WriteBatch* batch) const {
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(database_->db()->Write(options, batch));
}

absl::StatusOr<std::unique_ptr<IndexSet::Generation>> IndexSet::OpenGeneration(
    const Slot& slot, const std::string& family, bool serving) const {
  auto generation = std::make_unique<Generation>();
  generation->family = family;
  generation->handle = database_->SharedFamily(family);
  if (generation->handle == nullptr) return absl::NotFoundError(family);
  generation->projection = slot.factory(serving);
  absl::StatusOr<uint64_t> checkpoint = ReadCheckpoint(database_->db(), generation->handle.get());
  if (!checkpoint.ok()) return checkpoint.status();
  generation->checkpoint = *checkpoint;
  absl::Status s = generation->projection->Load(database_->db(), generation->handle.get());
  if (!s.ok()) return s;
  return generation;
}

absl::Status IndexSet::Add(const std::string& name, const std::string& kind, Factory factory) {
  absl::MutexLock work(&work_mu_);
  auto slot = std::make_unique<Slot>();
  slot->name = name;
  slot->kind = kind;
  slot->factory = std::move(factory);
  slot->version = slot->factory(false)->version();
  for (bool serving : {true, false}) {
    std::string family;
    rocksdb::Status got =
        database_->db()->Get(rocksdb::ReadOptions(), database_->family(kMetaFamily),
                             MetaKey(name, serving ? "serving" : "building"), &family);
    if (got.IsNotFound()) continue;
    if (!got.ok()) return FromRocks(got);
    rocksdb::ColumnFamilyHandle* handle = database_->family(family);
    absl::StatusOr<int> version = handle == nullptr ? 0 : ReadVersion(database_->db(), handle);
    if (!version.ok()) return version.status();
    // A generation of other code, or one that was never written to, is of no use.
    const bool usable = handle != nullptr && (*version == slot->version || *version == 0);
    if (!usable) {
      if (serving && handle != nullptr) slot->stale_family = family;
      continue;
    }
    absl::StatusOr<std::unique_ptr<Generation>> generation = OpenGeneration(*slot, family, serving);
    if (!generation.ok()) return generation.status();
    (serving ? slot->serving : slot->building) = std::move(*generation);
  }
  if (slot->building != nullptr) {
    slot->published.build_start = slot->building->checkpoint;
    slot->published.build_started = absl::Now();
  }
  if (slot->serving == nullptr && slot->building == nullptr) {
    absl::Status s = StartBuild(*slot);
    if (!s.ok()) return s;
  }
  Publish(*slot);
  absl::MutexLock lock(&mu_);
  slots_[name] = std::move(slot);
  return absl::OkStatus();
}

absl::Status IndexSet::StartBuild(Slot& slot) {
  std::string next_text;
  uint64_t next = 1;
  rocksdb::Status got = database_->db()->Get(rocksdb::ReadOptions(), database_->family(kMetaFamily),
                                             MetaKey(slot.name, "next"), &next_text);
  if (got.ok() && !absl::SimpleAtoi(next_text, &next)) {
    return absl::DataLossError("malformed generation counter");
  }
  const std::string family = absl::StrCat(slot.name, ".v", slot.version, ".g", next);
  absl::Status s = database_->CreateFamily(family);
  if (!s.ok()) return s;
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* meta = database_->family(kMetaFamily);
  batch.Put(meta, MetaKey(slot.name, "building"), family);
  batch.Put(meta, MetaKey(slot.name, "next"), absl::StrCat(next + 1));
  s = WriteMeta(&batch);
  if (!s.ok()) return s;
  std::unique_ptr<Generation> abandoned = std::move(slot.building);
  absl::StatusOr<std::unique_ptr<Generation>> generation = OpenGeneration(slot, family, false);
  if (!generation.ok()) return generation.status();
  slot.building = std::move(*generation);
  absl::StatusOr<std::unique_ptr<FreshBuild>> fresh =
      FreshBuild::Start(database_->db(), slot.building->handle.get());
  if (!fresh.ok()) return fresh.status();
  slot.building->fresh = std::move(*fresh);
  slot.published.build_started = absl::Now();
  slot.published.build_start = 0;
  if (abandoned != nullptr) return database_->DropFamily(abandoned->family);
  return absl::OkStatus();
}

absl::Status IndexSet::Switch(Slot& slot) {
  Generation& built = *slot.building;
  absl::Status s = built.fresh == nullptr
                       ? absl::OkStatus()
                       : built.fresh->Finish(database_->db(), built.handle.get());
  if (s.ok()) s = FlushFamilies(database_->db(), {built.handle.get()});
  if (!s.ok()) return s;
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* meta = database_->family(kMetaFamily);
  batch.Put(meta, MetaKey(slot.name, "serving"), built.family);
  batch.Delete(meta, MetaKey(slot.name, "building"));
  s = WriteMeta(&batch);
  if (!s.ok()) return s;
  // The serving projection mirrors into the readers' memory (the summary cube): load it from the
  // new family, in one step for readers.
  absl::StatusOr<std::unique_ptr<Generation>> serving = OpenGeneration(slot, built.family, true);
  if (!serving.ok()) return serving.status();
  std::string old = slot.serving != nullptr ? slot.serving->family : slot.stale_family;
  if (log_progress_) {
    std::cerr << absl::StrFormat(
        "runledger: index %s serves from %s (%d events folded in %.1f s)\n", slot.name,
        built.family, built.checkpoint - slot.published.build_start,
        absl::ToDoubleSeconds(absl::Now() - slot.published.build_started));
  }
  slot.serving = std::move(*serving);
  slot.building.reset();
  slot.stale_family.clear();
  Publish(slot);
  return old.empty() ? absl::OkStatus() : database_->DropFamily(old);
}

absl::Status IndexSet::Remove(const std::string& name) {
  absl::MutexLock work(&work_mu_);
  std::unique_ptr<Slot> slot;
  {
    absl::MutexLock lock(&mu_);
    auto it = slots_.find(name);
    if (it == slots_.end()) return absl::NotFoundError(absl::StrCat("no index \"", name, "\""));
    slot = std::move(it->second);
    slots_.erase(it);
  }
  rocksdb::WriteBatch batch;
  rocksdb::ColumnFamilyHandle* meta = database_->family(kMetaFamily);
  for (const char* what : {"serving", "building", "next"}) batch.Delete(meta, MetaKey(name, what));
  absl::Status s = WriteMeta(&batch);
  for (const Generation* g : {slot->serving.get(), slot->building.get()}) {
    if (s.ok() && g != nullptr) s = database_->DropFamily(g->family);
  }
  if (s.ok() && !slot->stale_family.empty()) s = database_->DropFamily(slot->stale_family);
  return s;
}

absl::Status IndexSet::Rebuild(const std::string& name) {
  absl::MutexLock work(&work_mu_);
  auto it = slots_.find(name);
  if (it == slots_.end()) return absl::NotFoundError(absl::StrCat("no index \"", name, "\""));
  absl::Status s = StartBuild(*it->second);
  Publish(*it->second);
  return s;
}

bool IndexSet::Has(const std::string& name) const {
  absl::MutexLock lock(&mu_);
  return slots_.count(name) > 0;
}

absl::Status IndexSet::DropOrphans() {
  absl::MutexLock work(&work_mu_);
  for (const std::string& family : database_->FamilyNames()) {
    bool referenced = false;
    bool legacy = false;
    for (const auto& [name, slot] : slots_) {
      legacy = legacy || family == name;
      referenced = referenced || family == slot->stale_family ||
                   (slot->serving != nullptr && family == slot->serving->family) ||
                   (slot->building != nullptr && family == slot->building->family);
    }
    if (referenced || !(legacy || IsGenerationFamily(family))) continue;
    absl::Status s = database_->DropFamily(family);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

void IndexSet::Publish(Slot& slot) {
  absl::MutexLock lock(&mu_);
  Published& p = slot.published;
  p.serving = slot.serving ? slot.serving->handle : nullptr;
  p.serving_family = slot.serving ? slot.serving->family : "";
  p.checkpoint = slot.serving ? slot.serving->checkpoint : 0;
  p.build_family = slot.building ? slot.building->family : "";
  p.build_checkpoint = slot.building ? slot.building->checkpoint : 0;
}

absl::Status IndexSet::FoldGenerations(bool building, uint64_t head, size_t max_chunks,
                                       size_t chunk_events, absl::Span<FoldTarget> extra,
                                       const FoldProgress& progress) {
  std::vector<FoldTarget> targets(extra.begin(), extra.end());
  std::vector<std::pair<Slot*, Generation*>> folded;
  for (auto& [name, slot] : slots_) {
    Generation* g = building ? slot->building.get() : slot->serving.get();
    if (g == nullptr || g->checkpoint >= head) continue;
    targets.push_back({g->projection.get(), g->handle.get(), g->checkpoint, g->fresh.get()});
    folded.emplace_back(slot.get(), g);
  }
  auto publish = [&] {
    for (size_t i = 0; i < folded.size(); ++i) {
      folded[i].second->checkpoint = targets[extra.size() + i].checkpoint;
      Publish(*folded[i].first);
    }
  };
  CatchUpOptions options;
  options.max_chunks = max_chunks;
  options.chunk_events = chunk_events;
  options.stop = &stopping_;
  options.progress = [&](uint64_t done, uint64_t total) {
    publish();
    if (progress) progress(done, total);
  };
  absl::Status s = CatchUpTargets(database_->db(), *log_, head, absl::MakeSpan(targets), options);
  publish();
  for (size_t i = 0; i < extra.size(); ++i) extra[i].checkpoint = targets[i].checkpoint;
  return s;
}

size_t IndexSet::BuildChunkEvents() const {
  const uint64_t limit = options_.build_events_per_second;
  return limit == 0 ? kChunkEvents : std::clamp<size_t>(limit / 4, 1, kChunkEvents);
}

absl::Duration IndexSet::BuildPause() const {
  const uint64_t limit = options_.build_events_per_second;
  return limit == 0 ? absl::ZeroDuration() : absl::Seconds(1) * BuildChunkEvents() / limit;
}

absl::Status IndexSet::FlushBuilds() {
  if (absl::Now() - last_build_flush_ < kBuildFlushEvery) return absl::OkStatus();
  std::vector<rocksdb::ColumnFamilyHandle*> families;
  for (auto& [name, slot] : slots_) {
    if (slot->building != nullptr) families.push_back(slot->building->handle.get());
  }
  last_build_flush_ = absl::Now();
  return FlushFamilies(database_->db(), families);
}

absl::Status IndexSet::Step(bool* building) {
  const uint64_t head = log_->LastSequence();
  absl::Status s = FoldGenerations(false, head, SIZE_MAX, kChunkEvents, {}, nullptr);
  const size_t slice = options_.build_events_per_second == 0 ? kBuildSliceChunks : 1;
  if (s.ok()) s = FoldGenerations(true, head, slice, BuildChunkEvents(), {}, nullptr);
  if (s.ok()) s = FlushBuilds();
  if (!s.ok()) return s;
  *building = false;
  for (auto& [name, slot] : slots_) {
    if (slot->building == nullptr) continue;
    if (slot->building->checkpoint >= head) {
      s = Switch(*slot);
      if (!s.ok()) return s;
    } else {
      *building = true;
    }
  }
  LogProgress();
  return absl::OkStatus();
}

void IndexSet::LogProgress() {
  if (!log_progress_ || absl::Now() - last_log_ < kProgressEvery) return;
  bool any = false;
  for (const v1::ProjectionStatus& status : Statuses()) {
    if (status.state() != v1::ProjectionStatus::BUILDING) continue;
    any = true;
    std::cerr << absl::StrFormat(
        "runledger: building index %s (%s): %d/%d events, %d behind, %.0f events/s, ETA %.0f s\n",
        status.name(), status.build_family(), status.build_checkpoint(), status.head(),
        status.behind(), status.events_per_second(), status.eta_seconds());
  }
  if (any) last_log_ = absl::Now();
}

void IndexSet::Start() {
  log_progress_ = true;
  thread_ = std::thread([this] { Run(); });
}

void IndexSet::Run() {
  uint64_t seen = 0;
  while (!stopping_) {
    bool building = false;
    absl::Status s;
    {
      absl::MutexLock work(&work_mu_);
      seen = log_->LastSequence();
      s = Step(&building);
    }
    if (stopping_) return;
    if (!s.ok()) {
      std::cerr << "runledger: index worker: " << s << "\n";
      absl::SleepFor(kRetryAfterError);
      continue;
    }
    if (!building) {
      if (log_->AwaitAfter(seen, kPollInterval) > seen) GatherEvents();
    } else {
      absl::SleepFor(BuildPause());  // outside the lock: readers and admin calls go on
    }
  }
}

void IndexSet::GatherEvents() {
  absl::MutexLock lock(&mu_);
  auto wanted = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return waiting_readers_ > 0 || stopping_.load();
  };
  mu_.AwaitWithTimeout(absl::Condition(&wanted), options_.fold_window);
}

absl::Status IndexSet::FinishBuilds(absl::Span<FoldTarget> extra, const FoldProgress& progress) {
  absl::MutexLock work(&work_mu_);
  const uint64_t head = log_->LastSequence();
  absl::Status s = FoldGenerations(false, head, SIZE_MAX, kChunkEvents, {}, nullptr);
  if (s.ok()) s = FoldGenerations(true, head, SIZE_MAX, kChunkEvents, extra, progress);
  std::vector<rocksdb::ColumnFamilyHandle*> serving;
  for (auto& [name, slot] : slots_) {
    if (s.ok() && slot->building != nullptr) s = Switch(*slot);
    if (slot->serving != nullptr) serving.push_back(slot->serving->handle.get());
  }
  return s.ok() ? FlushFamilies(database_->db(), serving) : s;
}

std::shared_ptr<rocksdb::ColumnFamilyHandle> IndexSet::Ready(const std::string& name,
                                                             uint64_t sequence,
                                                             absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto settled = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    auto it = slots_.find(name);
    return it == slots_.end() || it->second->published.serving == nullptr ||
           it->second->published.checkpoint >= sequence;
  };
  ++waiting_readers_;
  mu_.AwaitWithTimeout(absl::Condition(&settled), timeout);
  --waiting_readers_;
  auto it = slots_.find(name);
  if (it == slots_.end() || it->second->published.checkpoint < sequence) return nullptr;
  return it->second->published.serving;
}

bool IndexSet::AwaitAll(uint64_t sequence, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto caught_up = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    return std::all_of(slots_.begin(), slots_.end(), [&](const auto& entry) {
      const Published& p = entry.second->published;
      return p.serving != nullptr && p.build_family.empty() && p.checkpoint >= sequence;
    });
  };
  ++waiting_readers_;
  const bool done = mu_.AwaitWithTimeout(absl::Condition(&caught_up), timeout);
  --waiting_readers_;
  return done;
}

std::vector<v1::ProjectionStatus> IndexSet::Statuses() const {
  const uint64_t head = log_->LastSequence();
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mu_);
  std::vector<v1::ProjectionStatus> statuses;
  for (const auto& [name, slot] : slots_) {
    const Published& p = slot->published;
    v1::ProjectionStatus& status = statuses.emplace_back();
    status.set_name(name);
    status.set_version(slot->version);
    status.set_kind(slot->kind);
    status.set_head(head);
    status.set_checkpoint(p.checkpoint);
    status.set_family(p.serving_family);
    if (p.build_family.empty()) {
      status.set_state(v1::ProjectionStatus::SERVING);
      status.set_behind(head - std::min(head, p.checkpoint));
      continue;
    }
    status.set_state(v1::ProjectionStatus::BUILDING);
    status.set_previous_serving(p.serving != nullptr);
    status.set_build_family(p.build_family);
    status.set_build_checkpoint(p.build_checkpoint);
    status.set_behind(head - std::min(head, p.build_checkpoint));
    const double seconds = absl::ToDoubleSeconds(now - p.build_started);
    const double rate = seconds > 0 ? (p.build_checkpoint - p.build_start) / seconds : 0;
    status.set_events_per_second(rate);
    status.set_eta_seconds(rate > 0 ? status.behind() / rate : -1);
  }
  return statuses;
}

std::map<std::string, std::shared_ptr<rocksdb::ColumnFamilyHandle>> IndexSet::ServingFamilies()
    const {
  absl::MutexLock lock(&mu_);
  std::map<std::string, std::shared_ptr<rocksdb::ColumnFamilyHandle>> families;
  for (const auto& [name, slot] : slots_) {
    if (slot->published.serving != nullptr) families[name] = slot->published.serving;
  }
  return families;
}

}  // namespace runledger
