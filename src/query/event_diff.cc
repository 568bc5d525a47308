#include "src/query/event_diff.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/message_differencer.h"
#include "simdjson.h"

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

namespace {

// `element` as nlohmann::json. simdjson parses several times faster than nlohmann's own parser,
// which matters when a page of history holds dozens of multi-kilobyte documents.
nlohmann::json ToJson(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::ARRAY: {
      // (value_unsafe() returns into its temporary: copy before iterating.)
      const simdjson::dom::array items = element.get_array().value_unsafe();
      nlohmann::json array = nlohmann::json::array();
      for (simdjson::dom::element item : items) array.push_back(ToJson(item));
      return array;
    }
    case simdjson::dom::element_type::OBJECT: {
      const simdjson::dom::object fields = element.get_object().value_unsafe();
      nlohmann::json object = nlohmann::json::object();
      for (simdjson::dom::key_value_pair field : fields) {
        object[std::string(field.key)] = ToJson(field.value);
      }
      return object;
    }
    case simdjson::dom::element_type::INT64:
      return element.get_int64().value_unsafe();
    case simdjson::dom::element_type::UINT64:
      return element.get_uint64().value_unsafe();
    case simdjson::dom::element_type::DOUBLE:
      return element.get_double().value_unsafe();
    case simdjson::dom::element_type::STRING:
      return std::string(element.get_string().value_unsafe());
    case simdjson::dom::element_type::BOOL:
      return element.get_bool().value_unsafe();
    case simdjson::dom::element_type::NULL_VALUE:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<nlohmann::json> RecordData(const tekton::results::v1alpha2::Record* record) {
  if (record == nullptr || record->data().value().empty()) return nlohmann::json();
  const std::string& text = record->data().value();
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element element;
  if (parser.parse(text.data(), text.size()).get(element) == simdjson::SUCCESS) {
    return ToJson(element);
  }
  // What simdjson refuses but JSON allows (e.g. integers beyond 64 bits).
  nlohmann::json data = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (data.is_discarded()) {
    return absl::DataLossError(absl::StrCat("the data of ", record->name(), " is not JSON"));
  }
  return data;
}

std::string DataPatch(const nlohmann::json& before, const nlohmann::json& after) {
  return nlohmann::json::diff(before, after).dump();
}

}  // namespace runledger
