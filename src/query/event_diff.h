// What one event changed in its entity, for the History service: the top-level fields whose
// values differ between two states of a Result or Record, and the RFC 6902 JSON Patch between
// two states of a Record's data. An absent state (before creation, after deletion) is nullptr,
// and its data is JSON `null`, as is the data of a Record that has none.
#ifndef RUNLEDGER_QUERY_EVENT_DIFF_H_
#define RUNLEDGER_QUERY_EVENT_DIFF_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "google/protobuf/message.h"
#include "nlohmann/json.hpp"
#include "runledger/v1/event.pb.h"
#include "tekton/results/v1alpha2/resources.pb.h"

namespace runledger {

// The state `event` leaves its entity in: its Result or Record, or nullptr for a deletion.
const google::protobuf::Message* StateOf(const v1::Event& event);

// Names of the top-level fields that differ between `before` and `after` (of the same message
// type; either may be nullptr, not both), in field-number order.
std::vector<std::string> ChangedFields(const google::protobuf::Message* before,
                                       const google::protobuf::Message* after);

// The data of `record` (nullptr: absent) as JSON. DataLoss if it is not JSON.
absl::StatusOr<nlohmann::json> RecordData(const tekton::results::v1alpha2::Record* record);

// The JSON Patch from `before` to `after`, as JSON text.
std::string DataPatch(const nlohmann::json& before, const nlohmann::json& after);

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_EVENT_DIFF_H_
