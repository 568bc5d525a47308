// HistoryReader: the reads of the runledger.v1.History service (proto/runledger/v1/history.proto)
// as functions of the event log alone. An entity's events come from the history index (a Result's
// records' from the same index, under the prefix `<result>/records/`), one parent's changes from
// the changes index, and every parent's changes from the log read in order from the start of the
// range; a time bound becomes a sequence bound by a binary search of the log, whose event times
// follow sequence order. So nothing reads the log beyond the range it answers for.
//
// Requests are checked before anything is read: name or parent, page_size, page_token, then the
// range; a bad one is InvalidArgument with a message that names the field. Page tokens are
// runledger.v1.HistoryPageToken in base64url: the request they continue (without its paging
// fields) and the last sequence number returned.
#ifndef RUNLEDGER_QUERY_HISTORY_READER_H_
#define RUNLEDGER_QUERY_HISTORY_READER_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runledger/v1/history.pb.h"
#include "src/log/event_log.h"

namespace runledger {

class HistoryReader {
 public:
  // A list page stops short of page_size once its events reach this encoded size.
  static constexpr size_t kMaxPageBytes = 32 << 20;

  explicit HistoryReader(const EventLog* log) : log_(log) {}

  absl::StatusOr<v1::ListEventsResponse> ListEvents(const v1::ListEventsRequest& request) const;
  absl::StatusOr<v1::ResultAt> GetResultAt(const v1::GetAtRequest& request) const;
  absl::StatusOr<v1::RecordAt> GetRecordAt(const v1::GetAtRequest& request) const;
  absl::StatusOr<v1::ListChangesResponse> ListChanges(const v1::ListChangesRequest& request) const;

  // OK if `parent` may filter a change feed: "-" or empty (every parent), or a parent id.
  static absl::Status CheckFeedParent(absl::string_view parent);

  // The changes under `parent` ("-" or empty: every parent) with sequence numbers in [from, to],
  // in order: at most `max_events`, stopping after the one that brings their encoded size to
  // `max_bytes`.
  absl::StatusOr<std::vector<v1::Event>> ReadChanges(absl::string_view parent, uint64_t from,
                                                     uint64_t to, size_t max_events,
                                                     size_t max_bytes) const;
  // Visits the events ReadChanges returns, undecoded: Subscribe reads its feed with it.
  absl::Status VisitChanges(absl::string_view parent, uint64_t from, uint64_t to, size_t max_events,
                            size_t max_bytes, EventLog::EncodedVisitor visit) const;

 private:
  // An inclusive range of sequence numbers (empty when from > to).
  struct Range {
    uint64_t from;
    uint64_t to;
  };
  // An entity's state as of a point: the event that made it, and the last state (the event
  // before a deletion).
  struct StateAt {
    v1::Event at;
    v1::Event state;
  };

  template <typename Request>
  absl::StatusOr<Range> ResolveRange(const Request& request) const;
  // The first sequence number whose event's time is >= `nanos` (LastSequence() + 1 if none).
  absl::StatusOr<uint64_t> FirstSequenceFrom(int64_t nanos) const;
  // The events of ListEvents' entity (and its records, if asked) in `range`: at most `max`.
  absl::StatusOr<std::vector<uint64_t>> EventSequences(const v1::ListEventsRequest& request,
                                                       Range range, size_t max) const;
  // Visits the events `sequences`, in order, stopping after the one that reaches `max_bytes`.
  absl::Status VisitUpTo(const std::vector<uint64_t>& sequences, size_t max_bytes,
                         EventLog::EncodedVisitor visit) const;
  absl::StatusOr<StateAt> GetStateAt(absl::string_view name, const v1::GetAtRequest& request) const;
  // NotFound if entity `name` has no history at all.
  absl::Status CheckHasHistory(absl::string_view name) const;

  const EventLog* log_;
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_HISTORY_READER_H_
