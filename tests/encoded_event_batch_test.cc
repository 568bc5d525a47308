// EncodedEventBatch: the bytes it builds from encoded events decode as the SubscribeResponse (and
// ListChangesResponse) holding those events, for small and large events.
#include "src/query/encoded_event_batch.h"

#include <string>
#include <vector>

#include "google/protobuf/util/message_differencer.h"
#include "grpcpp/impl/codegen/proto_utils.h"
#include "gtest/gtest.h"
#include "runledger/v1/history.pb.h"

namespace runledger {
namespace {

template <typename Message>
Message Decode(grpc::ByteBuffer buffer) {
  Message message;
  EXPECT_TRUE(grpc::SerializationTraits<Message>::Deserialize(&buffer, &message).ok());
  return message;
}

std::vector<v1::Event> SomeEvents() {
  std::vector<v1::Event> events(3);
  events[0].set_sequence(7);
  events[0].set_kind(v1::RESULT_CREATED);
  events[0].set_name("p/results/r");
  events[0].mutable_result()->set_name("p/results/r");
  events[1].set_sequence(8);
  events[1].set_kind(v1::RECORD_UPDATED);
  events[1].set_name("p/results/r/records/x");
  events[1].mutable_record()->mutable_data()->set_value(std::string(300000, 'x'));  // 3-byte length
  events[2].set_sequence(9);  // a deletion: few bytes
  events[2].set_kind(v1::RECORD_DELETED);
  return events;
}

TEST(EncodedEventBatchTest, DecodesAsTheResponseHoldingTheEvents) {
  EncodedEventBatch batch;
  v1::SubscribeResponse expected;
  size_t encoded_bytes = 0;
  for (const v1::Event& event : SomeEvents()) {
    const std::string encoded = event.SerializeAsString();
    batch.Add(encoded);
    encoded_bytes += encoded.size();
    *expected.add_events() = event;
  }
  EXPECT_EQ(batch.events(), 3u);
  EXPECT_GT(batch.bytes(), encoded_bytes);
  const v1::SubscribeResponse decoded = Decode<v1::SubscribeResponse>(batch.Release());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(decoded, expected));
  EXPECT_EQ(decoded.SerializeAsString(), expected.SerializeAsString());
  EXPECT_EQ(batch.events(), 0u);
  EXPECT_EQ(batch.bytes(), 0u);
}

TEST(EncodedEventBatchTest, AReleasedBatchStartsAfresh) {
  EncodedEventBatch batch;
  const std::vector<v1::Event> events = SomeEvents();
  batch.Add(events[0].SerializeAsString());
  grpc::ByteBuffer first = batch.Release();
  batch.Add(events[2].SerializeAsString());
  const v1::ListChangesResponse second = Decode<v1::ListChangesResponse>(batch.Release());
  ASSERT_EQ(second.events_size(), 1);
  EXPECT_EQ(second.events(0).sequence(), 9u);
  EXPECT_EQ(Decode<v1::SubscribeResponse>(std::move(first)).events(0).name(), "p/results/r");
}

}  // namespace
}  // namespace runledger
