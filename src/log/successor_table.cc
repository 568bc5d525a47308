#include "src/log/successor_table.h"

#include <limits>
#include <string>

#include "src/log/event_log.h"
#include "src/log/event_view.h"

namespace runledger {
namespace {

// Marks an entry whose successor does not fit in 32 bits.
constexpr uint32_t kUnknown = std::numeric_limits<uint32_t>::max();

}  // namespace

std::atomic<uint32_t>* SuccessorTable::Entry(uint64_t sequence) const {
  const uint64_t chunk = sequence >> kChunkBits;
  if (chunk >= kMaxChunks) return nullptr;
  Chunk* entries = chunks_[chunk].load(std::memory_order_acquire);
  return entries == nullptr ? nullptr : &(*entries)[sequence & (kChunkSize - 1)];
}

void SuccessorTable::EnsureChunks(uint64_t head) {
  const uint64_t needed = std::min(kMaxChunks, (head >> kChunkBits) + 1);
  while (owned_.size() < needed) {
    owned_.push_back(std::make_unique<Chunk>());  // value-initialized: every entry 0
    chunks_[owned_.size() - 1].store(owned_.back().get(), std::memory_order_release);
  }
}

void SuccessorTable::Link(uint64_t sequence, uint64_t successor) {
  std::atomic<uint32_t>* entry = Entry(sequence);
  if (entry == nullptr) return;
  entry->store(successor < kUnknown ? static_cast<uint32_t>(successor) : kUnknown,
               std::memory_order_relaxed);
}

absl::Status SuccessorTable::Build(uint64_t head, const rocksdb::ReadOptions& options) {
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(options, database_->family(kHistoryFamily)));
  std::string name;
  uint64_t previous = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    const absl::string_view key = ToView(it->key());
    const absl::string_view entity = EventLog::HistoryEntity(key);
    const std::optional<uint64_t> sequence = EventLog::HistorySequence(key, entity);
    if (!sequence || *sequence > head) continue;
    if (entity == name) Link(previous, *sequence);
    name.assign(entity.data(), entity.size());
    previous = *sequence;
  }
  return FromRocks(it->status());
}

absl::Status SuccessorTable::Extend(uint64_t head, const rocksdb::ReadOptions& options) {
  std::unique_ptr<rocksdb::Iterator> log(
      database_->db()->NewIterator(options, database_->family(kLogFamily)));
  std::unique_ptr<rocksdb::Iterator> history(
      database_->db()->NewIterator(options, database_->family(kHistoryFamily)));
  const uint64_t first = head_.load(std::memory_order_relaxed) + 1;
  EventView view;
  for (log->Seek(EventLog::LogKey(first)); log->Valid(); log->Next()) {
    const uint64_t sequence = EventLog::DecodeLogKey(ToView(log->key()));
    if (sequence > head) break;
    if (!DecodeEventView(ToView(log->value()), &view)) return EventLog::Undecodable(sequence);
    history->SeekForPrev(EventLog::HistoryKey(view.name, sequence - 1));
    if (!history->Valid()) continue;
    const std::optional<uint64_t> previous =
        EventLog::HistorySequence(ToView(history->key()), view.name);
    if (previous) Link(*previous, sequence);
  }
  if (!history->status().ok()) return FromRocks(history->status());
  return FromRocks(log->status());
}

absl::Status SuccessorTable::CatchUp(uint64_t head, const rocksdb::ReadOptions& options) {
  if (head <= head_.load(std::memory_order_acquire)) return absl::OkStatus();
  absl::MutexLock lock(&mu_);
  if (head <= head_.load(std::memory_order_relaxed)) return absl::OkStatus();
  EnsureChunks(head);
  absl::Status status = built_ ? Extend(head, options) : Build(head, options);
  if (!status.ok()) return status;
  built_ = true;
  head_.store(head, std::memory_order_release);
  return absl::OkStatus();
}

std::optional<bool> SuccessorTable::IsLatest(uint64_t sequence, uint64_t head) const {
  if (head > head_.load(std::memory_order_acquire)) return std::nullopt;
  const std::atomic<uint32_t>* entry = Entry(sequence);
  if (entry == nullptr) return std::nullopt;
  const uint32_t successor = entry->load(std::memory_order_relaxed);
  if (successor == kUnknown) return std::nullopt;
  return successor == 0 || successor > head;
}

}  // namespace runledger
