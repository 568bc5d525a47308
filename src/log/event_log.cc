#include "src/log/event_log.h"

#include <memory>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "src/common/proto_util.h"

namespace runledger {
namespace {

// A group is capped so that one leader's batch stays bounded in memory and latency.
constexpr size_t kMaxGroupEvents = 2048;

}  // namespace

struct EventLog::Writer {
  std::vector<v1::Event>* events;
  absl::Status status;
  bool done = false;
  absl::CondVar cv;
};

EventLog::EventLog(Database* database, Folder* folder) : database_(database), folder_(folder) {}

std::string EventLog::LogKey(uint64_t sequence) {
  std::string key(8, '\0');
  absl::big_endian::Store64(key.data(), sequence);
  return key;
}

uint64_t EventLog::DecodeLogKey(absl::string_view key) {
  return absl::big_endian::Load64(key.data());
}

std::string EventLog::HistoryKey(absl::string_view name, uint64_t sequence) {
  std::string key;
  key.reserve(name.size() + 9);
  absl::StrAppend(&key, name, absl::string_view("\0", 1), LogKey(sequence));
  return key;
}

absl::Status EventLog::Open() {
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(rocksdb::ReadOptions(), database_->family(kLogFamily)));
  it->SeekToLast();
  absl::MutexLock lock(&mu_);
  last_sequence_ = it->Valid() ? DecodeLogKey(ToView(it->key())) : 0;
  return FromRocks(it->status());
}

uint64_t EventLog::LastSequence() const {
  absl::MutexLock lock(&mu_);
  return last_sequence_;
}

absl::Status EventLog::Append(std::vector<v1::Event>* events) {
  if (events->empty()) return absl::OkStatus();
  Writer self;
  self.events = events;

  absl::MutexLock lock(&mu_);
  writers_.push_back(&self);
  while (!self.done && writers_.front() != &self) self.cv.Wait(&mu_);
  if (self.done) return self.status;

  // This writer leads: take it and the writers queued behind it as one group.
  std::vector<Writer*> group;
  size_t group_events = 0;
  for (Writer* w : writers_) {
    if (!group.empty() && group_events + w->events->size() > kMaxGroupEvents) break;
    group.push_back(w);
    group_events += w->events->size();
  }
  const uint64_t first_sequence = last_sequence_ + 1;

  // Writers stay queued while the leader works unlocked, so no other leader can start.
  mu_.Unlock();
  absl::Status status = WriteGroup(group, first_sequence);
  mu_.Lock();

  if (status.ok()) last_sequence_ = first_sequence + group_events - 1;
  for (Writer* w : group) {
    writers_.pop_front();
    w->status = status;
    w->done = true;
    if (w != &self) w->cv.Signal();
  }
  if (!writers_.empty()) writers_.front()->cv.Signal();
  return status;
}

absl::Status EventLog::WriteGroup(absl::Span<Writer* const> group, uint64_t first_sequence) {
  std::vector<const v1::Event*> sequenced;
  uint64_t sequence = first_sequence;
  for (Writer* w : group) {
    for (v1::Event& event : *w->events) {
      event.set_sequence(sequence++);
      sequenced.push_back(&event);
    }
  }

  rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
  rocksdb::ColumnFamilyHandle* log = database_->family(kLogFamily);
  rocksdb::ColumnFamilyHandle* history = database_->family(kHistoryFamily);
  for (const v1::Event* event : sequenced) {
    rocksdb::Status s = batch.Put(log, LogKey(event->sequence()), SerializeDeterministic(*event));
    if (s.ok()) s = batch.Put(history, HistoryKey(event->name(), event->sequence()), "");
    if (!s.ok()) return FromRocks(s);
  }
  if (folder_ != nullptr) {
    absl::Status folded = folder_->Fold(sequenced, &batch);
    if (!folded.ok()) return folded;
  }
  rocksdb::WriteOptions options;
  options.sync = true;
  return FromRocks(database_->db()->Write(options, batch.GetWriteBatch()));
}

absl::StatusOr<std::vector<v1::Event>> EventLog::Read(uint64_t from, size_t max_events) const {
  std::vector<v1::Event> events;
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(rocksdb::ReadOptions(), database_->family(kLogFamily)));
  for (it->Seek(LogKey(from)); it->Valid() && events.size() < max_events; it->Next()) {
    if (!events.emplace_back().ParseFromArray(it->value().data(), it->value().size())) {
      return absl::DataLossError(
          absl::StrCat("undecodable event at sequence ", DecodeLogKey(ToView(it->key()))));
    }
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return events;
}

absl::StatusOr<v1::Event> EventLog::Get(uint64_t sequence) const {
  std::string value;
  rocksdb::Status s = database_->db()->Get(rocksdb::ReadOptions(), database_->family(kLogFamily),
                                           LogKey(sequence), &value);
  if (!s.ok()) return FromRocks(s);
  v1::Event event;
  if (!event.ParseFromString(value)) {
    return absl::DataLossError(absl::StrCat("undecodable event at sequence ", sequence));
  }
  return event;
}

absl::StatusOr<std::vector<uint64_t>> EventLog::EntitySequences(absl::string_view name) const {
  std::string prefix = absl::StrCat(name, absl::string_view("\0", 1));
  std::vector<uint64_t> sequences;
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(rocksdb::ReadOptions(), database_->family(kHistoryFamily)));
  for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
    sequences.push_back(DecodeLogKey(ToView(it->key()).substr(prefix.size())));
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return sequences;
}

}  // namespace runledger
