#include "src/log/event_view.h"

#include <cstdint>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"

namespace runledger {
namespace {

using ::google::protobuf::internal::WireFormatLite;
using ::google::protobuf::io::CodedInputStream;
using ::tekton::results::v1alpha2::Any;
using ::tekton::results::v1alpha2::Record;

// What a field reader did with the field in front of it.
enum class Field { kRead, kSkip, kBad };

Field Outcome(bool ok) { return ok ? Field::kRead : Field::kBad; }

// Reads the payload of a length-delimited field as a view into the stream's flat buffer.
bool ReadView(CodedInputStream* in, absl::string_view* out) {
  uint32_t size = 0;
  if (!in->ReadVarint32(&size)) return false;
  const void* data = nullptr;
  int available = 0;
  if (size > 0 &&
      (!in->GetDirectBufferPointer(&data, &available) || static_cast<uint32_t>(available) < size)) {
    return false;
  }
  *out = absl::string_view(static_cast<const char*>(data), size);
  return in->Skip(static_cast<int>(size));
}

// Walks the fields of the message encoded in `bytes`: `read(number, wire_type, in)` consumes
// the fields it wants (kRead), leaves the others to be skipped (kSkip) or rejects (kBad).
template <typename Reader>
bool ForEachField(absl::string_view bytes, const Reader& read) {
  CodedInputStream in(reinterpret_cast<const uint8_t*>(bytes.data()),
                      static_cast<int>(bytes.size()));
  while (const uint32_t tag = in.ReadTag()) {
    const Field field =
        read(WireFormatLite::GetTagFieldNumber(tag), WireFormatLite::GetTagWireType(tag), &in);
    if (field == Field::kBad) return false;
    if (field == Field::kSkip && !WireFormatLite::SkipField(&in, tag)) return false;
  }
  return in.ConsumedEntireMessage();
}

constexpr auto kLengthDelimited = WireFormatLite::WIRETYPE_LENGTH_DELIMITED;

bool DecodeAny(absl::string_view bytes, RecordView* record) {
  return ForEachField(bytes, [&](int number, auto wire_type, CodedInputStream* in) {
    if (wire_type != kLengthDelimited) return Field::kSkip;
    if (number == Any::kTypeFieldNumber) return Outcome(ReadView(in, &record->data_type));
    if (number == Any::kValueFieldNumber) return Outcome(ReadView(in, &record->data));
    return Field::kSkip;
  });
}

bool DecodeRecord(absl::string_view bytes, RecordView* record) {
  return ForEachField(bytes, [&](int number, auto wire_type, CodedInputStream* in) {
    if (wire_type != kLengthDelimited) return Field::kSkip;
    if (number == Record::kNameFieldNumber) return Outcome(ReadView(in, &record->name));
    if (number == Record::kDataFieldNumber) {
      absl::string_view any;
      return Outcome(ReadView(in, &any) && DecodeAny(any, record));
    }
    return Field::kSkip;
  });
}

}  // namespace

bool DecodeEventView(absl::string_view bytes, EventView* view) {
  *view = EventView();
  return ForEachField(bytes, [&](int number, auto wire_type, CodedInputStream* in) {
    if (number == v1::Event::kKindFieldNumber && wire_type == WireFormatLite::WIRETYPE_VARINT) {
      uint32_t kind = 0;
      if (!in->ReadVarint32(&kind)) return Field::kBad;
      view->kind = static_cast<v1::EventKind>(kind);
      return Field::kRead;
    }
    if (wire_type != kLengthDelimited) return Field::kSkip;
    if (number == v1::Event::kNameFieldNumber) return Outcome(ReadView(in, &view->name));
    if (number == v1::Event::kRecordFieldNumber) {
      absl::string_view record;
      view->has_record = true;
      return Outcome(ReadView(in, &record) && DecodeRecord(record, &view->record));
    }
    return Field::kSkip;
  });
}

}  // namespace runledger
