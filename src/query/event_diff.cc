#include "src/query/event_diff.h"

#include <algorithm>
#include <memory>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/util/message_differencer.h"
#include "google/protobuf/wire_format_lite.h"
#include "src/common/padded_json.h"
#include "src/query/json_patch.h"

namespace runledger {

using google::protobuf::Message;
using google::protobuf::internal::WireFormatLite;

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

bool EncodedState::Parse(absl::string_view event) {
  state_.clear();
  fields_.clear();
  google::protobuf::io::CodedInputStream in(reinterpret_cast<const uint8_t*>(event.data()),
                                            static_cast<int>(event.size()));
  bool has_state = false;
  for (uint32_t tag = in.ReadTag(); tag != 0; tag = in.ReadTag()) {
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    if ((number == v1::Event::kResultFieldNumber || number == v1::Event::kRecordFieldNumber) &&
        WireFormatLite::GetTagWireType(tag) == WireFormatLite::WIRETYPE_LENGTH_DELIMITED) {
      // A second state would merge into the first when decoded: not a deterministic encoding.
      uint32_t size = 0;
      if (has_state || !in.ReadVarint32(&size) || !in.ReadString(&state_, static_cast<int>(size))) {
        return false;
      }
      has_state = true;
    } else if (!WireFormatLite::SkipField(&in, tag)) {
      return false;
    }
  }
  if (!in.ConsumedEntireMessage()) return false;
  google::protobuf::io::CodedInputStream fields(reinterpret_cast<const uint8_t*>(state_.data()),
                                                static_cast<int>(state_.size()));
  while (true) {
    const size_t begin = fields.CurrentPosition();
    const uint32_t tag = fields.ReadTag();
    if (tag == 0) break;
    if (!WireFormatLite::SkipField(&fields, tag)) return false;
    const int number = WireFormatLite::GetTagFieldNumber(tag);
    if (!fields_.empty() && fields_.back().number == number) {
      fields_.back().end = fields.CurrentPosition();  // the next entry of a repeated field
    } else if (fields_.empty() || fields_.back().number < number) {
      fields_.push_back(Field{number, begin, static_cast<size_t>(fields.CurrentPosition())});
    } else {
      return false;  // out of order: not a deterministic encoding
    }
  }
  return fields.ConsumedEntireMessage();
}

absl::string_view EncodedState::Bytes(const google::protobuf::FieldDescriptor& field) const {
  auto it = std::lower_bound(fields_.begin(), fields_.end(), field.number(),
                             [](const Field& f, int number) { return f.number < number; });
  if (it == fields_.end() || it->number != field.number()) return {};
  const absl::string_view bytes(state_.data() + it->begin, it->end - it->begin);
  // A tag and a zero length, which is the only encoding of a varint to end in a zero byte.
  const bool empty_message =
      !field.is_repeated() &&
      field.cpp_type() == google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE &&
      bytes.back() == '\0' &&
      bytes.size() ==
          1 + google::protobuf::io::CodedOutputStream::VarintSize32(WireFormatLite::MakeTag(
                  field.number(), WireFormatLite::WIRETYPE_LENGTH_DELIMITED));
  return empty_message ? absl::string_view() : bytes;
}

std::vector<std::string> ChangedFields(const EncodedState& before, const EncodedState& after,
                                       const google::protobuf::Descriptor& descriptor) {
  std::vector<std::string> changed;
  for (int i = 0; i < descriptor.field_count(); ++i) {
    const google::protobuf::FieldDescriptor& field = *descriptor.field(i);
    if (before.Bytes(field) != after.Bytes(field)) changed.push_back(field.name());
  }
  return changed;
}

ParsedData::ParsedData() { Parse(nullptr).IgnoreError(); }  // null always parses

absl::Status ParsedData::Parse(const tekton::results::v1alpha2::Record* record) {
  const std::string_view text = record == nullptr || record->data().value().empty()
                                    ? std::string_view("null")
                                    : std::string_view(record->data().value());
  fallback_.reset();
  thread_local simdjson::dom::parser parser;
  const simdjson::padded_string_view padded = PaddedCopy(text);
  if (parser.parse_into_document(document_, padded.data(), padded.length(), false).error() ==
      simdjson::SUCCESS) {
    return absl::OkStatus();
  }
  // What simdjson refuses but JSON allows (e.g. integers beyond 64 bits).
  fallback_ = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (fallback_->is_discarded()) {
    return absl::DataLossError(absl::StrCat("the data of ", record->name(), " is not JSON"));
  }
  return absl::OkStatus();
}

nlohmann::json ParsedData::AsNlohmann() const {
  return fallback_.has_value() ? *fallback_ : ToNlohmann(document_.root());
}

std::string DataPatch(const ParsedData& before, const ParsedData& after) {
  if (!before.fallback_.has_value() && !after.fallback_.has_value()) {
    return JsonPatch(before.document_.root(), after.document_.root());
  }
  return nlohmann::json::diff(before.AsNlohmann(), after.AsNlohmann()).dump();
}

}  // namespace runledger
