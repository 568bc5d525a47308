#include "src/query/log_scan.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "src/log/event_log.h"
#include "src/log/event_view.h"
#include "src/query/cel/string_view_compat.h"
#include "src/query/json_value.h"

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
      const absl::string_view event = ToView(it->value());
      if (!DecodeEventView(event, &view)) return EventLog::Undecodable(sequence);
      if (view.kind != v1::RECORD_CREATED && view.kind != v1::RECORD_UPDATED) continue;
      if (!request_.in_scope(view.name)) continue;
      // A superseded event is dropped before its JSON is parsed, when the table can tell.
      const std::optional<bool> latest = KnownLatest(sequence);
      if (latest == false) continue;
      if (request_.filter != nullptr) {
        // Parsed once, in place in the event's bytes, for the filter and then the visitor.
        json_.Bind(cel::FromAbsl(view.record.data), cel::FromAbsl(event));
        if (!request_.filter->Matches(view.record, json_)) continue;
        view.record.parsed_data = json_.parsed();
      }
      if (!latest.has_value() && !IsLatestInHistory(view.name, sequence)) continue;
      if (!visit_(thread, view.record, event)) stop_->store(true);
    }
    if (!history_->status().ok()) return FromRocks(history_->status());
    return FromRocks(it->status());
  }

 private:
  // Whether event `sequence` was still its entity's latest at the pass's head, when the
  // successor table can tell.
  std::optional<bool> KnownLatest(uint64_t sequence) const {
    if (request_.successors == nullptr) return std::nullopt;
    return request_.successors->IsLatest(sequence, head_);
  }

  // The same, told by the history index of entity `name`.
  bool IsLatestInHistory(absl::string_view name, uint64_t sequence) {
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
  JsonDocument json_;  // the current event's record data, when a filter reads it
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
