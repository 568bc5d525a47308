// Unit tests of reading stored events in place (src/log/event_view.h): the view must agree with
// a full protobuf decode on every kind of event, and reject bytes that are not an Event.
#include "src/log/event_view.h"

#include <string>

#include "gtest/gtest.h"

namespace runledger {
namespace {

namespace api = ::tekton::results::v1alpha2;

v1::Event RecordEvent(v1::EventKind kind) {
  v1::Event event;
  event.set_sequence(42);
  event.mutable_time()->set_seconds(1700000000);
  event.set_source("api:alice");
  event.set_kind(kind);
  event.set_name("ns/results/r1/records/x1");
  api::Record* record = event.mutable_record();
  record->set_name(event.name());
  record->set_uid("00000000-0000-0000-0000-000000000001");
  record->set_etag("etag-1");
  record->mutable_data()->set_type("tekton.dev/v1.TaskRun");
  record->mutable_data()->set_value(R"({"kind":"TaskRun","spec":{"timeout":"1h0m0s"}})");
  record->mutable_create_time()->set_seconds(1700000000);
  return event;
}

std::string Encode(const v1::Event& event) {
  std::string bytes;
  EXPECT_TRUE(event.SerializeToString(&bytes));
  return bytes;
}

TEST(EventViewTest, ReadsARecordEventInPlace) {
  const std::string bytes = Encode(RecordEvent(v1::RECORD_UPDATED));
  EventView view;
  ASSERT_TRUE(DecodeEventView(bytes, &view));
  EXPECT_EQ(view.kind, v1::RECORD_UPDATED);
  EXPECT_EQ(std::string(view.name), "ns/results/r1/records/x1");
  ASSERT_TRUE(view.has_record);
  EXPECT_EQ(std::string(view.record.name), "ns/results/r1/records/x1");
  EXPECT_EQ(std::string(view.record.data_type), "tekton.dev/v1.TaskRun");
  EXPECT_EQ(std::string(view.record.data), R"({"kind":"TaskRun","spec":{"timeout":"1h0m0s"}})");
  // Views, not copies: the data lies inside the stored bytes.
  EXPECT_GE(view.record.data.data(), bytes.data());
  EXPECT_LE(view.record.data.data() + view.record.data.size(), bytes.data() + bytes.size());
}

TEST(EventViewTest, ResultAndDeletedEventsHaveNoRecord) {
  v1::Event result;
  result.set_sequence(7);
  result.set_kind(v1::RESULT_CREATED);
  result.set_name("ns/results/r1");
  result.mutable_result()->set_name("ns/results/r1");
  result.mutable_result()->mutable_annotations()->insert({"a", "b"});
  const std::string result_bytes = Encode(result);
  EventView view;
  ASSERT_TRUE(DecodeEventView(result_bytes, &view));
  EXPECT_EQ(view.kind, v1::RESULT_CREATED);
  EXPECT_EQ(std::string(view.name), "ns/results/r1");
  EXPECT_FALSE(view.has_record);

  v1::Event deleted;
  deleted.set_kind(v1::RECORD_DELETED);
  deleted.set_name("ns/results/r1/records/x1");
  const std::string deleted_bytes = Encode(deleted);
  ASSERT_TRUE(DecodeEventView(deleted_bytes, &view));
  EXPECT_EQ(view.kind, v1::RECORD_DELETED);
  EXPECT_FALSE(view.has_record);
}

TEST(EventViewTest, EmptyFieldsReadAsEmpty) {
  v1::Event event = RecordEvent(v1::RECORD_CREATED);
  event.mutable_record()->mutable_data()->clear_value();
  const std::string bytes = Encode(event);
  EventView view;
  ASSERT_TRUE(DecodeEventView(bytes, &view));
  EXPECT_TRUE(view.record.data.empty());
  EXPECT_EQ(std::string(view.record.data_type), "tekton.dev/v1.TaskRun");
}

TEST(EventViewTest, RejectsBytesThatAreNotAnEvent) {
  const std::string bytes = Encode(RecordEvent(v1::RECORD_CREATED));
  EventView view;
  for (size_t cut : {size_t{1}, bytes.size() / 2, bytes.size() - 1}) {
    EXPECT_FALSE(DecodeEventView(absl::string_view(bytes).substr(0, cut), &view)) << cut;
  }
  EXPECT_FALSE(
      DecodeEventView(std::string("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 11), &view));
}

}  // namespace
}  // namespace runledger
