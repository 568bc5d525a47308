#include "src/query/history_reader.h"

#include <algorithm>
#include <limits>
#include <string>
#include <utility>

#include "absl/container/node_hash_map.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "runledger/v1/history_page_token.pb.h"
#include "src/common/names.h"
#include "src/common/proto_util.h"
#include "src/common/time_util.h"
#include "src/query/event_diff.h"
#include "src/query/lister.h"

namespace runledger {
namespace {

// Events read from the log per MultiGet while filling a page.
constexpr size_t kGetChunk = 64;
// Timestamps must be representable as int64 nanoseconds since the epoch (years 1678 to 2261).
constexpr int64_t kMaxTimestampSeconds = std::numeric_limits<int64_t>::max() / 1000000000 - 1;

#define RETURN_IF_ERROR(expr)          \
  do {                                 \
    absl::Status status_ = (expr);     \
    if (!status_.ok()) return status_; \
  } while (false)

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

absl::Status CheckTimestamp(absl::string_view field, const google::protobuf::Timestamp& time) {
  if (time.nanos() < 0 || time.nanos() > 999999999 || time.seconds() > kMaxTimestampSeconds ||
      time.seconds() < -kMaxTimestampSeconds) {
    return Invalid(field, absl::StrCat("not a timestamp within years 1678 to 2261 (seconds ",
                                       time.seconds(), ", nanos ", time.nanos(), ")"));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> PageSize(int32_t requested) {
  if (requested == 0) return kDefaultPageSize;
  if (requested < kMinPageSize || requested > kMaxPageSize) {
    return Invalid("page_size", absl::StrCat(requested, " is not within [", kMinPageSize, ", ",
                                             kMaxPageSize, "] (0 means ", kDefaultPageSize, ")"));
  }
  return requested;
}

// What a page token binds: the request without its paging fields.
template <typename Request>
std::string BoundRequest(Request request) {
  request.clear_page_size();
  request.clear_page_token();
  return SerializeDeterministic(request);
}

// The last sequence number the previous page returned (0 without a token).
template <typename Request>
absl::StatusOr<uint64_t> ResumeAfter(const Request& request) {
  if (request.page_token().empty()) return 0;
  std::string bytes;
  v1::HistoryPageToken token;
  if (!absl::WebSafeBase64Unescape(request.page_token(), &bytes) || !token.ParseFromString(bytes)) {
    return Invalid("page_token", "not a page token of this service");
  }
  if (token.method() != Request::descriptor()->name() || token.request() != BoundRequest(request)) {
    return Invalid("page_token",
                   "issued for a different request (every field but page_size must repeat)");
  }
  return token.last_sequence();
}

template <typename Request>
std::string NextPageToken(const Request& request, uint64_t last_sequence) {
  v1::HistoryPageToken token;
  token.set_method(Request::descriptor()->name());
  token.set_request(BoundRequest(request));
  token.set_last_sequence(last_sequence);
  return absl::WebSafeBase64Escape(SerializeDeterministic(token));
}

bool IsRecordEvent(const v1::Event& event) {
  return event.kind() == v1::RECORD_CREATED || event.kind() == v1::RECORD_UPDATED ||
         event.kind() == v1::RECORD_DELETED;
}

// Describes the events of a ListEvents page, one at a time in sequence order, into the response:
// each with what it changed from its entity's previous state, the last one seen of that entity
// (read from the log for its first event on the page).
class PageDescriber {
 public:
  PageDescriber(const EventLog* log, v1::ListEventsResponse* response)
      : log_(log), response_(response) {}

  absl::Status Add(uint64_t sequence, absl::string_view encoded) {
    v1::HistoryEvent* described = response_->add_events();
    v1::Event* event = described->mutable_event();
    RETURN_IF_ERROR(EventLog::Decode(sequence, encoded, event));
    auto [it, inserted] = known_.try_emplace(event->name());
    KnownState& state = it->second;
    if (inserted) RETURN_IF_ERROR(LoadStateBefore(*event, &state));
    const bool encoded_ok = fields_.Parse(encoded);
    const google::protobuf::Message* old_state =
        state.last == nullptr ? nullptr : StateOf(*state.last);
    const google::protobuf::Message* new_state = StateOf(*event);
    if (old_state != nullptr || new_state != nullptr) {
      const google::protobuf::Descriptor& type =
          *(new_state != nullptr ? new_state : old_state)->GetDescriptor();
      for (std::string& field : encoded_ok&& state.fields_ok
                                    ? ChangedFields(state.fields, fields_, type)
                                    : ChangedFields(old_state, new_state)) {
        described->add_changed_fields(std::move(field));
      }
    }
    std::swap(state.fields, fields_);
    state.fields_ok = encoded_ok;
    if (IsRecordEvent(*event)) {
      RETURN_IF_ERROR(data_.Parse(event->has_record() ? &event->record() : nullptr));
      described->set_data_patch(DataPatch(state.data, data_));
      std::swap(state.data, data_);
    }
    state.last = event;  // stable: a repeated field's elements never move
    return absl::OkStatus();
  }

 private:
  // An entity's last state seen: its last event (none, or one without a state, when the entity
  // is absent), that state's fields as encoded and, for a Record, its data.
  struct KnownState {
    v1::Event loaded;                 // the event before the page, when read from the log
    const v1::Event* last = nullptr;  // `loaded` or an event of the page
    EncodedState fields;
    bool fields_ok = true;  // whether `fields` could be split (else compare decoded states)
    ParsedData data;
  };

  // Sets `state` to the state of `event`'s entity just before `event`.
  absl::Status LoadStateBefore(const v1::Event& event, KnownState* state) const {
    absl::StatusOr<std::optional<uint64_t>> previous =
        log_->LastEntitySequence(event.name(), event.sequence() - 1);
    if (!previous.ok()) return previous.status();
    if (!previous->has_value()) return absl::OkStatus();
    const uint64_t sequences[] = {**previous};
    return log_->GetManyEncoded(sequences, [state](uint64_t sequence, absl::string_view encoded) {
      RETURN_IF_ERROR(EventLog::Decode(sequence, encoded, &state->loaded));
      state->last = &state->loaded;
      state->fields_ok = state->fields.Parse(encoded);
      return state->data.Parse(state->loaded.has_record() ? &state->loaded.record() : nullptr);
    });
  }

  const EventLog* const log_;
  v1::ListEventsResponse* const response_;
  absl::node_hash_map<std::string, KnownState> known_;  // stable: `last` may point into one
  // Storage for the event being described, swapped with its entity's state once it is.
  EncodedState fields_;
  ParsedData data_;
};

}  // namespace

absl::Status HistoryReader::CheckFeedParent(absl::string_view parent) {
  if (parent.empty() || parent == kWildcard || IsValidId(parent)) return absl::OkStatus();
  return Invalid("parent", absl::StrCat("\"", parent,
                                        "\" is neither \"-\" nor a parent id ([a-z0-9_-]{1,63})"));
}

absl::StatusOr<uint64_t> HistoryReader::FirstSequenceFrom(int64_t nanos) const {
  uint64_t low = 1;
  uint64_t high = log_->LastSequence() + 1;
  while (low < high) {
    const uint64_t middle = low + (high - low) / 2;
    absl::StatusOr<v1::Event> event = log_->Get(middle);
    if (!event.ok()) return event.status();
    if (TimestampToNanos(event->time()) >= nanos) {
      high = middle;
    } else {
      low = middle + 1;
    }
  }
  return low;
}

template <typename Request>
absl::StatusOr<HistoryReader::Range> HistoryReader::ResolveRange(const Request& request) const {
  Range range{std::max<uint64_t>(request.min_sequence(), 1),
              request.max_sequence() == 0 ? UINT64_MAX : request.max_sequence()};
  if (request.max_sequence() != 0 && request.min_sequence() > request.max_sequence()) {
    return Invalid("max_sequence", absl::StrCat(request.max_sequence(), " is below min_sequence ",
                                                request.min_sequence()));
  }
  if (request.has_start_time()) RETURN_IF_ERROR(CheckTimestamp("start_time", request.start_time()));
  if (request.has_end_time()) RETURN_IF_ERROR(CheckTimestamp("end_time", request.end_time()));
  if (request.has_start_time() && request.has_end_time() &&
      TimestampToNanos(request.end_time()) <= TimestampToNanos(request.start_time())) {
    return Invalid("end_time", "must be after start_time");
  }
  if (request.has_start_time()) {
    absl::StatusOr<uint64_t> first = FirstSequenceFrom(TimestampToNanos(request.start_time()));
    if (!first.ok()) return first.status();
    range.from = std::max(range.from, *first);
  }
  if (request.has_end_time()) {
    absl::StatusOr<uint64_t> end = FirstSequenceFrom(TimestampToNanos(request.end_time()));
    if (!end.ok()) return end.status();
    range.to = std::min(range.to, *end - 1);
  }
  return range;
}

absl::StatusOr<std::vector<uint64_t>> HistoryReader::EventSequences(
    const v1::ListEventsRequest& request, Range range, size_t max) const {
  absl::StatusOr<std::vector<uint64_t>> own =
      log_->EntitySequences(request.name(), range.from, range.to, max);
  if (!own.ok() || !request.include_records()) return own;
  absl::StatusOr<std::vector<uint64_t>> records =
      log_->PrefixSequences(absl::StrCat(request.name(), "/records/"), range.from, range.to);
  if (!records.ok()) return records.status();
  own->insert(own->end(), records->begin(), records->end());
  if (own->size() > max) {
    std::nth_element(own->begin(), own->begin() + max, own->end());
    own->resize(max);
  }
  std::sort(own->begin(), own->end());
  return own;
}

absl::Status HistoryReader::VisitUpTo(const std::vector<uint64_t>& sequences, size_t max_bytes,
                                      EventLog::EncodedVisitor visit) const {
  size_t bytes = 0;
  auto visit_up_to = [&](uint64_t sequence, absl::string_view encoded) -> absl::Status {
    if (bytes >= max_bytes) return absl::OkStatus();
    bytes += encoded.size();
    return visit(sequence, encoded);
  };
  for (size_t i = 0; i < sequences.size() && bytes < max_bytes; i += kGetChunk) {
    const size_t end = std::min(sequences.size(), i + kGetChunk);
    RETURN_IF_ERROR(log_->GetManyEncoded(absl::MakeConstSpan(&sequences[i], end - i), visit_up_to));
  }
  return absl::OkStatus();
}

absl::Status HistoryReader::CheckHasHistory(absl::string_view name) const {
  absl::StatusOr<std::vector<uint64_t>> any = log_->EntitySequences(name, 0, UINT64_MAX, 1);
  if (!any.ok()) return any.status();
  if (any->empty()) return absl::NotFoundError(absl::StrCat(name, " has no history"));
  return absl::OkStatus();
}

absl::StatusOr<v1::ListEventsResponse> HistoryReader::ListEvents(
    const v1::ListEventsRequest& request) const {
  const bool is_result = ParseResultName(request.name()).ok();
  if (!is_result && !ParseRecordName(request.name()).ok()) {
    return Invalid("name", absl::StrCat("\"", request.name(), "\" is neither a Result name ",
                                        "(<parent>/results/<result>) nor a Record name "
                                        "(<parent>/results/<result>/records/<record>)"));
  }
  if (request.include_records() && !is_result) {
    return Invalid("include_records", "only a Result has records, and name is a Record");
  }
  absl::StatusOr<size_t> page_size = PageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  absl::StatusOr<uint64_t> after = ResumeAfter(request);
  if (!after.ok()) return after.status();
  absl::StatusOr<Range> range = ResolveRange(request);
  if (!range.ok()) return range.status();
  range->from = std::max(range->from, *after + 1);

  absl::StatusOr<std::vector<uint64_t>> sequences = EventSequences(request, *range, *page_size + 1);
  if (!sequences.ok()) return sequences.status();
  if (sequences->empty() && *after == 0) RETURN_IF_ERROR(CheckHasHistory(request.name()));
  bool more = sequences->size() > *page_size;
  sequences->resize(std::min(sequences->size(), *page_size));
  v1::ListEventsResponse response;
  PageDescriber describer(log_, &response);
  RETURN_IF_ERROR(VisitUpTo(*sequences, kMaxPageBytes,
                            [&describer](uint64_t sequence, absl::string_view encoded) {
                              return describer.Add(sequence, encoded);
                            }));
  more = more || static_cast<size_t>(response.events_size()) < sequences->size();
  if (more) {
    response.set_next_page_token(
        NextPageToken(request, response.events().rbegin()->event().sequence()));
  }
  return response;
}

absl::StatusOr<HistoryReader::StateAt> HistoryReader::GetStateAt(
    absl::string_view name, const v1::GetAtRequest& request) const {
  uint64_t at = 0;
  switch (request.at_case()) {
    case v1::GetAtRequest::kSequence:
      at = request.sequence();
      break;
    case v1::GetAtRequest::kTime: {
      RETURN_IF_ERROR(CheckTimestamp("time", request.time()));
      absl::StatusOr<uint64_t> after = FirstSequenceFrom(TimestampToNanos(request.time()) + 1);
      if (!after.ok()) return after.status();
      at = *after - 1;
      break;
    }
    case v1::GetAtRequest::AT_NOT_SET:
      return Invalid("at", "one of sequence or time is required");
  }
  absl::StatusOr<std::optional<uint64_t>> last = log_->LastEntitySequence(name, at);
  if (!last.ok()) return last.status();
  if (!last->has_value()) {
    RETURN_IF_ERROR(CheckHasHistory(name));
    return absl::NotFoundError(absl::StrCat(name, " did not exist yet at sequence ", at));
  }
  StateAt state;
  absl::StatusOr<v1::Event> event = log_->Get(**last);
  if (!event.ok()) return event.status();
  state.at = *std::move(event);
  if (StateOf(state.at) != nullptr) {
    state.state = state.at;
    return state;
  }
  // A deletion: the state is the one before it (a deletion always follows a state).
  absl::StatusOr<std::optional<uint64_t>> before = log_->LastEntitySequence(name, **last - 1);
  if (!before.ok()) return before.status();
  if (!before->has_value()) {
    return absl::DataLossError(
        absl::StrCat("the deletion of ", name, " at sequence ", **last, " follows no state"));
  }
  event = log_->Get(**before);
  if (!event.ok()) return event.status();
  state.state = *std::move(event);
  return state;
}

// Where an as-of answer stands: the event it is as of, and whether that event deleted it.
template <typename At>
static void SetPoint(const v1::Event& at, At* response) {
  response->set_deleted(StateOf(at) == nullptr);
  response->set_sequence(at.sequence());
  *response->mutable_time() = at.time();
}

absl::StatusOr<v1::ResultAt> HistoryReader::GetResultAt(const v1::GetAtRequest& request) const {
  absl::StatusOr<ResultName> name = ParseResultName(request.name());
  if (!name.ok()) return Invalid("name", name.status().message());
  absl::StatusOr<StateAt> state = GetStateAt(request.name(), request);
  if (!state.ok()) return state.status();
  v1::ResultAt response;
  *response.mutable_result() = std::move(*state->state.mutable_result());
  SetPoint(state->at, &response);
  return response;
}

absl::StatusOr<v1::RecordAt> HistoryReader::GetRecordAt(const v1::GetAtRequest& request) const {
  absl::StatusOr<RecordName> name = ParseRecordName(request.name());
  if (!name.ok()) return Invalid("name", name.status().message());
  absl::StatusOr<StateAt> state = GetStateAt(request.name(), request);
  if (!state.ok()) return state.status();
  v1::RecordAt response;
  *response.mutable_record() = std::move(*state->state.mutable_record());
  SetPoint(state->at, &response);
  return response;
}

absl::Status HistoryReader::VisitChanges(absl::string_view parent, uint64_t from, uint64_t to,
                                         size_t max_events, size_t max_bytes,
                                         EventLog::EncodedVisitor visit) const {
  if (from > to) return absl::OkStatus();
  if (parent.empty() || parent == kWildcard) {
    return log_->ReadEncoded(from, to, max_events, max_bytes, visit);
  }
  absl::StatusOr<std::vector<uint64_t>> sequences =
      log_->ParentSequences(parent, from, to, max_events);
  if (!sequences.ok()) return sequences.status();
  return VisitUpTo(*sequences, max_bytes, visit);
}

absl::StatusOr<std::vector<v1::Event>> HistoryReader::ReadChanges(absl::string_view parent,
                                                                  uint64_t from, uint64_t to,
                                                                  size_t max_events,
                                                                  size_t max_bytes) const {
  std::vector<v1::Event> events;
  RETURN_IF_ERROR(
      VisitChanges(parent, from, to, max_events, max_bytes, EventLog::DecodeInto(&events)));
  return events;
}

absl::StatusOr<v1::ListChangesResponse> HistoryReader::ListChanges(
    const v1::ListChangesRequest& request) const {
  if (request.parent().empty()) {
    return Invalid("parent", "required: a parent id, or \"-\" for every parent");
  }
  RETURN_IF_ERROR(CheckFeedParent(request.parent()));
  absl::StatusOr<size_t> page_size = PageSize(request.page_size());
  if (!page_size.ok()) return page_size.status();
  absl::StatusOr<uint64_t> after = ResumeAfter(request);
  if (!after.ok()) return after.status();
  absl::StatusOr<Range> range = ResolveRange(request);
  if (!range.ok()) return range.status();
  range->from = std::max(range->from, *after + 1);

  absl::StatusOr<std::vector<v1::Event>> events =
      ReadChanges(request.parent(), range->from, range->to, *page_size + 1, kMaxPageBytes);
  if (!events.ok()) return events.status();
  v1::ListChangesResponse response;
  size_t bytes = 0;
  for (const v1::Event& event : *events) bytes += event.ByteSizeLong();
  const bool more = events->size() > *page_size || bytes >= kMaxPageBytes;
  if (events->size() > *page_size) events->pop_back();
  for (v1::Event& event : *events) *response.add_events() = std::move(event);
  if (more) {
    response.set_next_page_token(NextPageToken(request, response.events().rbegin()->sequence()));
  }
  return response;
}

#undef RETURN_IF_ERROR

}  // namespace runledger
