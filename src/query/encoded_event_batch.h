// EncodedEventBatch: the protobuf encoding of a message whose field 1 is `repeated
// runledger.v1.Event` (runledger.v1.SubscribeResponse, ListChangesResponse), built from events
// as the log stores them, without decoding them. An embedded message field is encoded as its tag,
// the length of the message's encoding, and that encoding; the log's value for an event is its
// encoding, so each event costs one copy of its bytes. The result is what serializing the decoded
// events would give (protobuf parsers accept either order of map entries).
#ifndef RUNLEDGER_QUERY_ENCODED_EVENT_BATCH_H_
#define RUNLEDGER_QUERY_ENCODED_EVENT_BATCH_H_

#include <cstddef>
#include <string>

#include "absl/strings/string_view.h"
#include "grpcpp/support/byte_buffer.h"

namespace runledger {

class EncodedEventBatch {
 public:
  // `expected_bytes`: the size batches usually grow to, reserved when one starts.
  explicit EncodedEventBatch(size_t expected_bytes = 0) : expected_bytes_(expected_bytes) {}

  // Appends one event, given as its encoding.
  void Add(absl::string_view encoded_event);

  size_t events() const { return events_; }
  size_t bytes() const { return wire_.size(); }

  // The message as a ByteBuffer that takes over the bytes without copying them; this batch is
  // empty again afterwards.
  grpc::ByteBuffer Release();

 private:
  const size_t expected_bytes_;
  std::string wire_;
  size_t events_ = 0;
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_ENCODED_EVENT_BATCH_H_
