// What one event changed in its entity, for the History service: the top-level fields whose
// values differ between two states of a Result or Record, and the RFC 6902 JSON Patch between
// two states of a Record's data. An absent state (before creation, after deletion) is nullptr,
// and its data is JSON `null`, as is the data of a Record that has none.
#ifndef RUNLEDGER_QUERY_EVENT_DIFF_H_
#define RUNLEDGER_QUERY_EVENT_DIFF_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"
#include "runledger/v1/event.pb.h"
#include "simdjson.h"
#include "tekton/results/v1alpha2/resources.pb.h"

namespace runledger {

// The state `event` leaves its entity in: its Result or Record, or nullptr for a deletion.
const google::protobuf::Message* StateOf(const v1::Event& event);

// Names of the top-level fields that differ between `before` and `after` (of the same message
// type; either may be nullptr, not both), in field-number order.
std::vector<std::string> ChangedFields(const google::protobuf::Message* before,
                                       const google::protobuf::Message* after);

// One state of a Result or Record as the log encodes it, split into its top-level fields, for
// comparing field by field without decoding. The log holds deterministic encodings: fields in
// field-number order, map entries sorted by key, so a field's bytes are contiguous and two values
// of a field (none of them floating point) are equal exactly when their bytes are.
class EncodedState {
 public:
  // Takes the state out of `event`, an encoded runledger.v1.Event (none: a deletion), replacing
  // what this held. false if the encoding is not deterministic (fields out of order) or is
  // malformed: then compare the decoded states instead.
  bool Parse(absl::string_view event);

  // ChangedFields(before, after) of the states these encode, as `descriptor` (Result or Record)
  // declares them.
  friend std::vector<std::string> ChangedFields(const EncodedState& before,
                                                const EncodedState& after,
                                                const google::protobuf::Descriptor& descriptor);

 private:
  struct Field {
    int number;
    size_t begin;  // offsets in state_ of its bytes: tags included, every occurrence
    size_t end;
  };
  // The bytes of field `number` in `state`; for a singular message field, empty if its message
  // is (MessageDifferencer compares an unset message field as its empty default).
  absl::string_view Bytes(const google::protobuf::FieldDescriptor& field) const;

  std::string state_;
  std::vector<Field> fields_;  // by number
};

// The data of one state of a Record, parsed for DataPatch: JSON `null` for an absent state or
// empty data, and before the first Parse. Parsing again reuses the storage of the last parse.
class ParsedData {
 public:
  ParsedData();

  // Parses the data of `record` (nullptr: absent), replacing what this held. DataLoss if it is
  // not JSON.
  absl::Status Parse(const tekton::results::v1alpha2::Record* record);

  // The JSON Patch from `before` to `after`, as JSON text: nlohmann::json::diff's, byte for byte.
  friend std::string DataPatch(const ParsedData& before, const ParsedData& after);

 private:
  nlohmann::json AsNlohmann() const;

  simdjson::dom::document document_;        // the data, unless `fallback_` holds it
  std::optional<nlohmann::json> fallback_;  // what simdjson refuses but JSON allows
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_EVENT_DIFF_H_
