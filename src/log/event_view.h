// EventView: the few fields of a stored event that a pass over the log looks at first (its kind,
// its entity name and, when its state is a record, that record's name, type and data), read in
// place from the event's stored bytes (the encoding is in event_log.h) without materializing the
// message. A pass decodes the whole runledger.v1.Event only for the events it keeps, so the
// common case costs no allocation and no copy of the record's JSON.
#ifndef RUNLEDGER_LOG_EVENT_VIEW_H_
#define RUNLEDGER_LOG_EVENT_VIEW_H_

#include "absl/strings/string_view.h"
#include "runledger/v1/event.pb.h"
#include "src/common/record_view.h"

namespace runledger {

struct EventView {
  v1::EventKind kind = v1::EVENT_KIND_UNSPECIFIED;
  absl::string_view name;
  bool has_record = false;
  RecordView record;  // set when has_record
};

// Reads `bytes`, an encoded runledger.v1.Event, into `view` (views into `bytes`). Returns false
// if the bytes are not a well-formed encoding of an Event.
bool DecodeEventView(absl::string_view bytes, EventView* view);

}  // namespace runledger

#endif  // RUNLEDGER_LOG_EVENT_VIEW_H_
