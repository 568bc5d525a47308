#include "src/query/log_scan.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "src/log/event_log.h"

namespace runledger {
namespace {

// How often (in events) a scan asks whether its request was cancelled.
constexpr uint64_t kCancelCheckInterval = 1024;

// Whether `sequence` is the last event of entity `name` (so the entity still has that state).
bool IsLatest(rocksdb::Iterator* history, const std::string& name, uint64_t sequence) {
  history->SeekForPrev(EventLog::HistoryKey(name, ~uint64_t{0}));
  return history->Valid() &&
         EventLog::HistorySequence(ToView(history->key()), name) == std::optional(sequence);
}

// Scans the log events with sequence in [first, last] (last 0: to the end) on thread `thread`.
class RangeScan {
 public:
  RangeScan(const Database& database, const LogScanRequest& request,
            const rocksdb::ReadOptions& options, const LogScanVisitor& visit,
            std::atomic<bool>* stop)
      : database_(database), request_(request), options_(options), visit_(visit), stop_(stop) {}

  absl::Status Run(int thread, uint64_t first, uint64_t last) {
    // A pass over the log should not evict what point reads keep cached.
    rocksdb::ReadOptions sequential = options_;
    sequential.fill_cache = false;
    sequential.readahead_size = 4 << 20;
    std::unique_ptr<rocksdb::Iterator> it(
        database_.db()->NewIterator(sequential, database_.family(kLogFamily)));
    std::unique_ptr<rocksdb::Iterator> history(
        database_.db()->NewIterator(options_, database_.family(kHistoryFamily)));
    v1::Event event;
    for (it->Seek(EventLog::LogKey(first)); it->Valid() && !stop_->load(); it->Next()) {
      const uint64_t sequence = EventLog::DecodeLogKey(ToView(it->key()));
      if (last != 0 && sequence > last) break;
      if (request_.cancelled && (sequence - first) % kCancelCheckInterval == 0 &&
          request_.cancelled()) {
        return absl::CancelledError("the request was cancelled during a scan of the log");
      }
      if (!event.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError("undecodable log event");
      }
      if (event.kind() != v1::RECORD_CREATED && event.kind() != v1::RECORD_UPDATED) continue;
      if (!request_.in_scope(event.name())) continue;
      if (request_.filter != nullptr && !request_.filter->Matches(event.record())) continue;
      if (!IsLatest(history.get(), event.name(), sequence)) continue;
      if (!visit_(thread, event.name(), event.record())) stop_->store(true);
    }
    if (!history->status().ok()) return FromRocks(history->status());
    return FromRocks(it->status());
  }

 private:
  const Database& database_;
  const LogScanRequest& request_;
  const rocksdb::ReadOptions& options_;
  const LogScanVisitor& visit_;
  std::atomic<bool>* stop_;
};

}  // namespace

absl::Status ScanLogForRecords(const Database& database, const LogScanRequest& request,
                               const rocksdb::ReadOptions& options, const LogScanVisitor& visit) {
  const int threads = std::max(1, request.threads);
  const uint64_t span = request.head / threads + 1;
  std::atomic<bool> stop{false};
  std::vector<absl::Status> statuses(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      RangeScan scan(database, request, options, visit, &stop);
      const uint64_t last = t == threads - 1 ? 0 : (t + 1) * span;
      statuses[t] = scan.Run(t, t * span + 1, last);
    });
  }
  for (std::thread& w : workers) w.join();
  for (const absl::Status& s : statuses) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace runledger
