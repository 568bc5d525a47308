#include "src/query/event_diff.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"

namespace runledger {

using google::protobuf::Message;

const Message* StateOf(const v1::Event& event) {
  switch (event.state_case()) {
    case v1::Event::kResult:
      return &event.result();
    case v1::Event::kRecord:
      return &event.record();
    case v1::Event::STATE_NOT_SET:
      return nullptr;
  }
  return nullptr;
}

std::vector<std::string> ChangedFields(const Message* before, const Message* after) {
  // An absent state compares as the empty message of the other's type.
  std::unique_ptr<Message> empty((before != nullptr ? before : after)->New());
  const Message& a = before != nullptr ? *before : *empty;
  const Message& b = after != nullptr ? *after : *empty;
  const google::protobuf::Descriptor* descriptor = a.GetDescriptor();
  google::protobuf::util::MessageDifferencer differencer;
  std::vector<std::string> changed;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const google::protobuf::FieldDescriptor* field = descriptor->field(i);
    if (!differencer.CompareWithFields(a, b, {field}, {field})) changed.push_back(field->name());
  }
  return changed;
}

absl::StatusOr<nlohmann::json> RecordData(const tekton::results::v1alpha2::Record* record) {
  if (record == nullptr || record->data().value().empty()) return nlohmann::json();
  nlohmann::json data = nlohmann::json::parse(record->data().value(), nullptr,
                                              /*allow_exceptions=*/false);
  if (data.is_discarded()) {
    return absl::DataLossError(absl::StrCat("the data of ", record->name(), " is not JSON"));
  }
  return data;
}

std::string DataPatch(const nlohmann::json& before, const nlohmann::json& after) {
  return nlohmann::json::diff(before, after).dump();
}

}  // namespace runledger
