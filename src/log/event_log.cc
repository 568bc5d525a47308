#include "src/log/event_log.h"

#include "absl/base/internal/endian.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "src/common/proto_util.h"

namespace runledger {
namespace {

// A group is capped so that its batch stays bounded in memory and latency.
constexpr size_t kMaxGroupProposals = 1024;

constexpr absl::string_view kChangesIndexedKey = "changes-indexed";
// Events read per batch while indexing the changes of an older log.
constexpr size_t kIndexChunk = 10000;
// What a scan of the log reads ahead of its iterator.
constexpr size_t kScanReadahead = 1 << 20;

std::string KeyPrefix(absl::string_view name) {
  return absl::StrCat(name, absl::string_view("\0", 1));
}

// The sequence numbers within [from, to] of the keys `prefix + LogKey(sequence)` of `family`, in
// order, at most `max`.
absl::StatusOr<std::vector<uint64_t>> ScanSequences(const Database& database,
                                                    absl::string_view family,
                                                    const std::string& prefix, uint64_t from,
                                                    uint64_t to, size_t max) {
  std::vector<uint64_t> sequences;
  std::unique_ptr<rocksdb::Iterator> it(
      database.db()->NewIterator(rocksdb::ReadOptions(), database.family(family)));
  const std::string start = absl::StrCat(prefix, EventLog::LogKey(from));
  for (it->Seek(ToSlice(start)); it->Valid() && sequences.size() < max; it->Next()) {
    const absl::string_view key = ToView(it->key());
    if (!absl::StartsWith(key, prefix)) break;
    const uint64_t sequence = EventLog::DecodeLogKey(key.substr(prefix.size()));
    if (sequence > to) break;
    sequences.push_back(sequence);
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return sequences;
}

// Appends a fixed list of events; what Append waits on.
class EventsProposal : public EventLog::Proposal {
 public:
  EventsProposal(std::vector<v1::Event>* events, absl::Status* status, absl::Notification* done)
      : events_(events), status_(status), done_(done) {}

  absl::Status Propose(EventLog::ProposalContext& context) override {
    for (v1::Event& event : *events_) event.set_sequence(context.Append(event));
    return absl::OkStatus();
  }
  void Done(const absl::Status& status) override {
    *status_ = status;
    done_->Notify();
  }

 private:
  std::vector<v1::Event>* events_;
  absl::Status* status_;
  absl::Notification* done_;
};

}  // namespace

uint64_t EventLog::ProposalContext::Append(v1::Event event) {
  event.set_sequence(next_sequence_++);
  events_.push_back(std::move(event));
  return events_.back().sequence();
}

EventLog::EventLog(Database* database, Folder* folder) : database_(database), folder_(folder) {}

EventLog::~EventLog() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (commit_thread_.joinable()) commit_thread_.join();
  {
    absl::MutexLock lock(&delivery_mu_);
    committed_all_ = true;
  }
  if (delivery_thread_.joinable()) delivery_thread_.join();
}

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

std::string EventLog::ChangesKey(absl::string_view parent, uint64_t sequence) {
  return HistoryKey(parent, sequence);  // the same layout, under the parent
}

absl::string_view EventLog::ParentOf(absl::string_view name) {
  return name.substr(0, name.find('/'));
}

std::optional<uint64_t> EventLog::HistorySequence(absl::string_view key, absl::string_view name) {
  if (key.size() != name.size() + 9 || !absl::StartsWith(key, name) || key[name.size()] != '\0') {
    return std::nullopt;
  }
  return DecodeLogKey(key.substr(name.size() + 1));
}

absl::string_view EventLog::HistoryEntity(absl::string_view key) {
  return key.size() < 9 ? absl::string_view() : key.substr(0, key.size() - 9);
}

absl::StatusOr<uint64_t> EventLog::LastSequenceIn(const Database& database,
                                                  const rocksdb::ReadOptions& options) {
  std::unique_ptr<rocksdb::Iterator> it(
      database.db()->NewIterator(options, database.family(kLogFamily)));
  it->SeekToLast();
  if (!it->status().ok()) return FromRocks(it->status());
  return it->Valid() ? DecodeLogKey(ToView(it->key())) : 0;
}

absl::Status EventLog::Open() {
  absl::StatusOr<uint64_t> last = LastSequenceIn(*database_, rocksdb::ReadOptions());
  if (!last.ok()) return last.status();
  {
    absl::MutexLock lock(&mu_);
    last_sequence_ = *last;
  }
  absl::Status indexed = IndexChanges();
  if (!indexed.ok()) return indexed;
  commit_thread_ = std::thread([this] { CommitLoop(); });
  delivery_thread_ = std::thread([this] { DeliverLoop(); });
  return absl::OkStatus();
}

uint64_t EventLog::LastSequence() const {
  absl::MutexLock lock(&mu_);
  return last_sequence_;
}

uint64_t EventLog::AwaitAfter(uint64_t sequence, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto advanced = [this, sequence]()
                      ABSL_SHARED_LOCKS_REQUIRED(mu_) { return last_sequence_ > sequence; };
  mu_.AwaitWithTimeout(absl::Condition(&advanced), timeout);
  return last_sequence_;
}

void EventLog::Submit(std::unique_ptr<Proposal> proposal) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(std::move(proposal));
}

absl::Status EventLog::Append(std::vector<v1::Event>* events) {
  if (events->empty()) return absl::OkStatus();
  absl::Status status;
  absl::Notification done;
  Submit(std::make_unique<EventsProposal>(events, &status, &done));
  done.WaitForNotification();
  return status;
}

void EventLog::CommitLoop() {
  while (true) {
    std::vector<std::unique_ptr<Proposal>> group;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](EventLog* log) ABSL_EXCLUSIVE_LOCKS_REQUIRED(log->mu_) {
            return log->stopping_ || !log->queue_.empty();
          },
          this));
      if (queue_.empty()) return;  // stopping, and nothing left to commit
      while (!queue_.empty() && group.size() < kMaxGroupProposals) {
        group.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    std::vector<absl::Status> outcomes = Commit(group);
    absl::MutexLock lock(&delivery_mu_);
    for (size_t i = 0; i < group.size(); ++i) {
      outcomes_.push_back({std::move(group[i]), std::move(outcomes[i])});
    }
  }
}

void EventLog::DeliverLoop() {
  while (true) {
    std::deque<Outcome> ready;
    {
      absl::MutexLock lock(&delivery_mu_);
      delivery_mu_.Await(absl::Condition(
          +[](EventLog* log) ABSL_EXCLUSIVE_LOCKS_REQUIRED(log->delivery_mu_) {
            return log->committed_all_ || !log->outcomes_.empty();
          },
          this));
      if (outcomes_.empty()) return;  // everything committed has been delivered
      ready.swap(outcomes_);
    }
    for (Outcome& outcome : ready) outcome.proposal->Done(outcome.status);
  }
}

absl::Status EventLog::IndexChanges() {
  rocksdb::DB* db = database_->db();
  rocksdb::ColumnFamilyHandle* meta = database_->family(kMetaFamily);
  std::string marker;
  rocksdb::Status s = db->Get(rocksdb::ReadOptions(), meta, ToSlice(kChangesIndexedKey), &marker);
  if (!s.IsNotFound()) return FromRocks(s);
  for (uint64_t from = 1;;) {
    absl::StatusOr<std::vector<v1::Event>> events = Read(from, kIndexChunk);
    if (!events.ok()) return events.status();
    if (events->empty()) break;
    rocksdb::WriteBatch batch;
    for (const v1::Event& event : *events) {
      s = batch.Put(database_->family(kChangesFamily),
                    ChangesKey(ParentOf(event.name()), event.sequence()), "");
      if (!s.ok()) return FromRocks(s);
    }
    s = db->Write(rocksdb::WriteOptions(), &batch);
    if (!s.ok()) return FromRocks(s);
    from = events->back().sequence() + 1;
  }
  rocksdb::WriteOptions synced;
  synced.sync = true;
  return FromRocks(db->Put(synced, meta, ToSlice(kChangesIndexedKey), "1"));
}

absl::Status EventLog::Stage(const std::vector<v1::Event>& events,
                             rocksdb::WriteBatchWithIndex* batch) {
  rocksdb::ColumnFamilyHandle* log = database_->family(kLogFamily);
  rocksdb::ColumnFamilyHandle* history = database_->family(kHistoryFamily);
  rocksdb::ColumnFamilyHandle* changes = database_->family(kChangesFamily);
  std::vector<const v1::Event*> staged;
  for (const v1::Event& event : events) {
    rocksdb::Status s = batch->Put(log, LogKey(event.sequence()), SerializeDeterministic(event));
    if (s.ok()) s = batch->Put(history, HistoryKey(event.name(), event.sequence()), "");
    if (s.ok()) s = batch->Put(changes, ChangesKey(ParentOf(event.name()), event.sequence()), "");
    if (!s.ok()) return FromRocks(s);
    staged.push_back(&event);
  }
  return folder_ == nullptr ? absl::OkStatus() : folder_->Fold(staged, batch);
}

std::vector<absl::Status> EventLog::Commit(absl::Span<const std::unique_ptr<Proposal>> group) {
  const uint64_t first_sequence = LastSequence() + 1;
  rocksdb::WriteBatchWithIndex batch(rocksdb::BytewiseComparator(), 0, /*overwrite_key=*/true);
  ProposalContext context(&batch, first_sequence);
  std::vector<absl::Status> outcomes;
  outcomes.reserve(group.size());
  for (const std::unique_ptr<Proposal>& proposal : group) {
    context.events_.clear();
    absl::Status outcome = proposal->Propose(context);
    if (!outcome.ok()) {
      context.next_sequence_ -= context.events_.size();  // a refused proposal appends nothing
    } else if (!context.events_.empty()) {
      absl::Status staged = Stage(context.events_, &batch);
      // The batch may hold part of the proposal's effects: nothing of the group can be written.
      if (!staged.ok()) return std::vector<absl::Status>(group.size(), staged);
    }
    outcomes.push_back(std::move(outcome));
  }
  if (context.next_sequence_ == first_sequence) return outcomes;
  if (folder_ != nullptr) {
    absl::Status checkpointed = folder_->Checkpoint(context.next_sequence_ - 1, &batch);
    if (!checkpointed.ok()) return std::vector<absl::Status>(group.size(), checkpointed);
  }

  rocksdb::WriteOptions options;
  options.sync = true;
  absl::Status written = FromRocks(database_->db()->Write(options, batch.GetWriteBatch()));
  if (!written.ok()) {
    for (absl::Status& outcome : outcomes) {
      if (outcome.ok()) outcome = written;
    }
    return outcomes;
  }
  absl::MutexLock lock(&mu_);
  last_sequence_ = context.next_sequence_ - 1;
  return outcomes;
}

absl::Status EventLog::Undecodable(uint64_t sequence) {
  return absl::DataLossError(absl::StrCat("undecodable event at sequence ", sequence));
}

absl::Status EventLog::Decode(uint64_t sequence, absl::string_view encoded, v1::Event* event) {
  if (!event->ParseFromArray(encoded.data(), encoded.size())) return Undecodable(sequence);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<v1::Event>> EventLog::Read(uint64_t from, size_t max_events,
                                                      size_t max_bytes) const {
  std::vector<v1::Event> events;
  absl::Status read = ReadEncoded(from, UINT64_MAX, max_events, max_bytes, DecodeInto(&events));
  if (!read.ok()) return read;
  return events;
}

absl::Status EventLog::ReadEncoded(uint64_t from, uint64_t to, size_t max_events, size_t max_bytes,
                                   EncodedVisitor visit) const {
  // A scan reads each block once: it reads ahead, and leaves the block cache to point reads.
  rocksdb::ReadOptions options;
  options.fill_cache = false;
  options.readahead_size = kScanReadahead;
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(options, database_->family(kLogFamily)));
  size_t events = 0;
  size_t bytes = 0;
  for (it->Seek(LogKey(from)); it->Valid() && events < max_events && bytes < max_bytes;
       it->Next()) {
    const uint64_t sequence = DecodeLogKey(ToView(it->key()));
    if (sequence > to) break;
    ++events;
    bytes += it->value().size();
    absl::Status visited = visit(sequence, ToView(it->value()));
    if (!visited.ok()) return visited;
  }
  return FromRocks(it->status());
}

absl::StatusOr<v1::Event> EventLog::Get(uint64_t sequence) const {
  std::string value;
  rocksdb::Status s = database_->db()->Get(rocksdb::ReadOptions(), database_->family(kLogFamily),
                                           LogKey(sequence), &value);
  if (!s.ok()) return FromRocks(s);
  v1::Event event;
  absl::Status decoded = Decode(sequence, value, &event);
  if (!decoded.ok()) return decoded;
  return event;
}

absl::StatusOr<std::vector<v1::Event>> EventLog::GetMany(
    const std::vector<uint64_t>& sequences) const {
  std::vector<v1::Event> events;
  events.reserve(sequences.size());
  absl::Status got = GetManyEncoded(sequences, DecodeInto(&events));
  if (!got.ok()) return got;
  return events;
}

absl::Status EventLog::GetManyEncoded(absl::Span<const uint64_t> sequences,
                                      EncodedVisitor visit) const {
  std::vector<std::string> keys;
  keys.reserve(sequences.size());
  for (uint64_t sequence : sequences) keys.push_back(LogKey(sequence));
  std::vector<rocksdb::Slice> slices(keys.begin(), keys.end());
  std::vector<rocksdb::PinnableSlice> values(keys.size());
  std::vector<rocksdb::Status> statuses(keys.size());
  database_->db()->MultiGet(rocksdb::ReadOptions(), database_->family(kLogFamily), slices.size(),
                            slices.data(), values.data(), statuses.data());
  for (size_t i = 0; i < sequences.size(); ++i) {
    if (!statuses[i].ok()) return FromRocks(statuses[i]);
    absl::Status visited = visit(sequences[i], ToView(values[i]));
    if (!visited.ok()) return visited;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<uint64_t>> EventLog::EntitySequences(absl::string_view name,
                                                                uint64_t from, uint64_t to,
                                                                size_t max) const {
  return ScanSequences(*database_, kHistoryFamily, KeyPrefix(name), from, to, max);
}

absl::StatusOr<std::vector<uint64_t>> EventLog::ParentSequences(absl::string_view parent,
                                                                uint64_t from, uint64_t to,
                                                                size_t max) const {
  return ScanSequences(*database_, kChangesFamily, KeyPrefix(parent), from, to, max);
}

absl::StatusOr<std::optional<uint64_t>> EventLog::LastEntitySequence(absl::string_view name,
                                                                     uint64_t at) const {
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(rocksdb::ReadOptions(), database_->family(kHistoryFamily)));
  it->SeekForPrev(HistoryKey(name, at));
  if (!it->status().ok()) return FromRocks(it->status());
  if (!it->Valid()) return std::nullopt;
  return HistorySequence(ToView(it->key()), name);
}

absl::StatusOr<std::vector<uint64_t>> EventLog::PrefixSequences(absl::string_view name_prefix,
                                                                uint64_t from, uint64_t to) const {
  std::vector<uint64_t> sequences;
  std::unique_ptr<rocksdb::Iterator> it(
      database_->db()->NewIterator(rocksdb::ReadOptions(), database_->family(kHistoryFamily)));
  for (it->Seek(ToSlice(name_prefix)); it->Valid() && it->key().starts_with(ToSlice(name_prefix));
       it->Next()) {
    const absl::string_view key = ToView(it->key());
    const uint64_t sequence = DecodeLogKey(key.substr(key.size() - 8));
    if (sequence >= from && sequence <= to) sequences.push_back(sequence);
  }
  if (!it->status().ok()) return FromRocks(it->status());
  return sequences;
}

}  // namespace runledger
