#include "src/query/log_scan.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "src/log/event_log.h"
#include "src/log/event_view.h"

namespace runledger {
namespace {

// How often (in events) a scan asks whether its request was cancelled.
constexpr uint64_t kCancelCheckInterval = 1024;

// Scans the log events with sequence in [first, last] on thread `thread`; the pass stands at
// `head` (an event counts only if it is its entity's latest at head).
class RangeScan {
 public:
  RangeScan(const Database& database, const LogScanRequest& request,
            const rocksdb::ReadOptions& options, const LogScanVisitor& visit, uint64_t head,
            std::atomic<bool>* stop)
      : database_(database),
        request_(request),
        options_(options),
        visit_(visit),
        head_(head),
        stop_(stop) {}

  absl::Status Run(int thread, uint64_t first, uint64_t last) {
    // A pass over the log should not evict what point reads keep cached.
    rocksdb::ReadOptions sequential = options_;
    sequential.fill_cache = false;
    sequential.readahead_size = 4 << 20;
    std::unique_ptr<rocksdb::Iterator> it(
        database_.db()->NewIterator(sequential, database_.family(kLogFamily)));
    history_.reset(database_.db()->NewIterator(options_, database_.family(kHistoryFamily)));
    EventView view;
    for (it->Seek(EventLog::LogKey(first)); it->Valid() && !stop_->load(); it->Next()) {
      const uint64_t sequence = EventLog::DecodeLogKey(ToView(it->key()));
      if (sequence > last) break;
      if (request_.cancelled && (sequence - first) % kCancelCheckInterval == 0 &&
          request_.cancelled()) {
        return absl::CancelledError("the request was cancelled during a scan of the log");
      }
      // Most events are passed over: look at them in place, without decoding them.
      if (!DecodeEventView(ToView(it->value()), &view)) return EventLog::Undecodable(sequence);
      if (view.kind != v1::RECORD_CREATED && view.kind != v1::RECORD_UPDATED) continue;
      if (!request_.in_scope(view.name)) continue;
      if (request_.filter != nullptr && !request_.filter->Matches(view.record)) continue;
      if (!IsLatest(view.name, sequence)) continue;
      if (!visit_(thread, view.record, ToView(it->value()))) stop_->store(true);
    }
    if (!history_->status().ok()) return FromRocks(history_->status());
    return FromRocks(it->status());
  }

 private:
  // Whether event `sequence` of entity `name` was still the entity's latest at the pass's head:
  // from the successor table when it can tell, else from the history index.
  bool IsLatest(absl::string_view name, uint64_t sequence) {
    if (request_.successors != nullptr) {
      if (std::optional<bool> latest = request_.successors->IsLatest(sequence, head_)) {
        return *latest;
      }
    }
    history_->SeekForPrev(EventLog::HistoryKey(name, head_));
    return history_->Valid() &&
           EventLog::HistorySequence(ToView(history_->key()), name) == std::optional(sequence);
  }

  const Database& database_;
  const LogScanRequest& request_;
  const rocksdb::ReadOptions& options_;
  const LogScanVisitor& visit_;
  const uint64_t head_;
  std::atomic<bool>* stop_;
  std::unique_ptr<rocksdb::Iterator> history_;
};

}  // namespace

absl::Status ScanLogForRecords(const Database& database, const LogScanRequest& request,
                               const rocksdb::ReadOptions& options, const LogScanVisitor& visit) {
  absl::StatusOr<uint64_t> snapshot_head = EventLog::LastSequenceIn(database, options);
  if (!snapshot_head.ok()) return snapshot_head.status();
  const uint64_t head = std::min(request.head, *snapshot_head);
  if (request.successors != nullptr) {
    absl::Status status = request.successors->CatchUp(head, options);
    if (!status.ok()) return status;
  }
  const int threads = std::max(1, request.threads);
  const uint64_t span = head / threads + 1;
  std::atomic<bool> stop{false};
  std::vector<absl::Status> statuses(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      RangeScan scan(database, request, options, visit, head, &stop);
      statuses[t] = scan.Run(t, t * span + 1, std::min(head, (t + 1) * span));
    });
  }
  for (std::thread& w : workers) w.join();
  for (const absl::Status& s : statuses) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace runledger
