#include "src/query/encoded_event_batch.h"

#include <cstdint>
#include <utility>

#include "google/protobuf/io/coded_stream.h"
#include "google/protobuf/wire_format_lite.h"
#include "grpcpp/support/slice.h"

namespace runledger {

using google::protobuf::internal::WireFormatLite;
using google::protobuf::io::CodedOutputStream;

void EncodedEventBatch::Add(absl::string_view encoded_event) {
  constexpr int kEventsField = 1;
  if (events_ == 0) wire_.reserve(expected_bytes_);
  uint8_t header[1 + 5];  // field 1's tag, then the length as a varint32 (at most 5 bytes)
  uint8_t* end = CodedOutputStream::WriteTagToArray(
      WireFormatLite::MakeTag(kEventsField, WireFormatLite::WIRETYPE_LENGTH_DELIMITED), header);
  end = CodedOutputStream::WriteVarint32ToArray(static_cast<uint32_t>(encoded_event.size()), end);
  wire_.append(reinterpret_cast<const char*>(header), end - header);
  wire_.append(encoded_event.data(), encoded_event.size());
  ++events_;
}

grpc::ByteBuffer EncodedEventBatch::Release() {
  auto* owned = new std::string(std::move(wire_));
  wire_.clear();
  events_ = 0;
  grpc::Slice slice(
      owned->data(), owned->size(), [](void* bytes) { delete static_cast<std::string*>(bytes); },
      owned);
  return grpc::ByteBuffer(&slice, 1);
}

}  // namespace runledger
