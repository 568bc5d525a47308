#include "src/query/log_scan.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <thread>

#include "src/log/event_log.h"
#include "src/projections/records_projection.h"

namespace runledger {
namespace {

// How often (in events) a scan asks whether its request was cancelled.
constexpr uint64_t kCancelCheckInterval = 1024;

struct Candidate {
  uint64_t sequence;
  LogScanMatch match;
};

// Scans the log events with sequence in [first, last] (last 0: to the end).
class RangeScan {
 public:
  RangeScan(const Database& database, const LogScanRequest& request,
            const rocksdb::ReadOptions& options, std::atomic<size_t>* matched)
      : database_(database), request_(request), options_(options), matched_(matched) {}

  absl::Status Run(uint64_t first, uint64_t last, std::vector<Candidate>* out) {
    // A pass over the log should not evict what point reads keep cached.
    rocksdb::ReadOptions sequential = options_;
    sequential.fill_cache = false;
    sequential.readahead_size = 4 << 20;
    std::unique_ptr<rocksdb::Iterator> it(
        database_.db()->NewIterator(sequential, database_.family(kLogFamily)));
    v1::Event event;
    for (it->Seek(EventLog::LogKey(first)); it->Valid(); it->Next()) {
      const uint64_t sequence = EventLog::DecodeLogKey(ToView(it->key()));
      if (last != 0 && sequence > last) break;
      if (matched_->load() > request_.max_matches) return absl::OkStatus();
      if (request_.cancelled && (sequence - first) % kCancelCheckInterval == 0 &&
          request_.cancelled()) {
        return absl::CancelledError("the request was cancelled during a scan of the log");
      }
      if (!event.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError("undecodable log event");
      }
      if (event.kind() != v1::RECORD_CREATED && event.kind() != v1::RECORD_UPDATED) continue;
      if (!request_.in_scope(event.name()) || !request_.filter->Matches(event.record())) continue;
      matched_->fetch_add(1);
      const auto& record = event.record();
      out->push_back(
          {sequence,
           {event.name(),
            SortSuffix(request_.order, RecordsProjection::SortNanos(record, request_.order),
                       record.uid())}});
    }
    return FromRocks(it->status());
  }

 private:
  const Database& database_;
  const LogScanRequest& request_;
  const rocksdb::ReadOptions& options_;
  std::atomic<size_t>* matched_;
};

// Whether `sequence` is the last event of entity `name` (so the entity still has that state).
bool IsLatest(rocksdb::Iterator* history, const std::string& name, uint64_t sequence) {
  history->SeekForPrev(EventLog::HistoryKey(name, ~uint64_t{0}));
  return history->Valid() &&
         EventLog::HistorySequence(ToView(history->key()), name) == std::optional(sequence);
}

}  // namespace

absl::StatusOr<std::optional<std::vector<LogScanMatch>>> ScanLogForRecords(
    const Database& database, const LogScanRequest& request, const rocksdb::ReadOptions& options) {
  const int threads = std::max(1, request.threads);
  const uint64_t span = request.head / threads + 1;
  std::atomic<size_t> matched{0};
  std::vector<std::vector<Candidate>> found(threads);
  std::vector<absl::Status> statuses(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      RangeScan scan(database, request, options, &matched);
      const uint64_t last = t == threads - 1 ? 0 : (t + 1) * span;
      statuses[t] = scan.Run(t * span + 1, last, &found[t]);
    });
  }
  for (std::thread& w : workers) w.join();
  for (const absl::Status& s : statuses) {
    if (!s.ok()) return s;
  }
  if (matched.load() > request.max_matches) return std::nullopt;

  std::vector<LogScanMatch> current;
  std::unique_ptr<rocksdb::Iterator> history(
      database.db()->NewIterator(options, database.family(kHistoryFamily)));
  for (std::vector<Candidate>& part : found) {
    for (Candidate& c : part) {
      if (IsLatest(history.get(), c.match.name, c.sequence)) current.push_back(std::move(c.match));
    }
  }
  if (!history->status().ok()) return FromRocks(history->status());
  return current;
}

}  // namespace runledger
