// ChangedFields on encoded states (EncodedState) against ChangedFields on decoded ones
// (MessageDifferencer): the same names for creations, updates of every kind of field, deletions,
// and the empty-message edge; encodings out of field order are refused.
#include "src/query/event_diff.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/common/proto_util.h"

namespace runledger {
namespace {

namespace api = tekton::results::v1alpha2;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

v1::Event EventOf(const api::Result* result) {
  v1::Event event;
  event.set_sequence(3);
  event.set_name("p/results/r");
  if (result != nullptr) *event.mutable_result() = *result;
  return event;
}

v1::Event EventOf(const api::Record* record) {
  v1::Event event;
  event.set_sequence(4);
  event.set_name("p/results/r/records/x");
  if (record != nullptr) *event.mutable_record() = *record;
  return event;
}

// ChangedFields of the two states from their encodings, after checking that the decoded
// comparison agrees.
template <typename State>
std::vector<std::string> Changed(const State* before, const State* after) {
  EncodedState a;
  EncodedState b;
  EXPECT_TRUE(a.Parse(SerializeDeterministic(EventOf(before))));
  EXPECT_TRUE(b.Parse(SerializeDeterministic(EventOf(after))));
  std::vector<std::string> changed = ChangedFields(a, b, *State::descriptor());
  EXPECT_EQ(changed, ChangedFields(before, after));
  return changed;
}

api::Record SomeRecord() {
  api::Record record;
  record.set_name("p/results/r/records/x");
  record.set_uid("u");
  record.mutable_data()->set_type("tekton.dev/v1.TaskRun");
  record.mutable_data()->set_value(R"({"a":1})");
  record.set_etag("e1");
  record.mutable_create_time()->set_seconds(10);
  record.mutable_update_time()->set_seconds(10);
  return record;
}

api::Result SomeResult() {
  api::Result result;
  result.set_name("p/results/r");
  (*result.mutable_annotations())["b"] = "2";
  (*result.mutable_annotations())["a"] = "1";
  result.mutable_summary()->set_record("p/results/r/records/x");
  result.mutable_summary()->set_status(api::RecordSummary::SUCCESS);
  return result;
}

TEST(EventDiffTest, ACreationChangesEverySetFieldAndADeletionToo) {
  const api::Record record = SomeRecord();
  EXPECT_THAT(Changed<api::Record>(nullptr, &record),
              ElementsAre("name", "uid", "data", "etag", "create_time", "update_time"));
  EXPECT_THAT(Changed<api::Record>(&record, nullptr),
              ElementsAre("name", "uid", "data", "etag", "create_time", "update_time"));
  const api::Result result = SomeResult();
  EXPECT_THAT(Changed<api::Result>(nullptr, &result),
              ElementsAre("name", "annotations", "summary"));
}

TEST(EventDiffTest, AnUpdateChangesTheFieldsThatDiffer) {
  const api::Record before = SomeRecord();
  api::Record after = before;
  EXPECT_THAT(Changed(&before, &after), IsEmpty());
  after.mutable_data()->set_value(R"({"a":2})");
  after.set_etag("e2");
  after.mutable_update_time()->set_nanos(5);
  EXPECT_THAT(Changed(&before, &after), ElementsAre("data", "etag", "update_time"));
  after = before;
  after.clear_uid();
  EXPECT_THAT(Changed(&before, &after), ElementsAre("uid"));
}

TEST(EventDiffTest, MapsCompareAsMapsAndMessagesByValue) {
  const api::Result before = SomeResult();
  api::Result after;
  after.set_name("p/results/r");
  (*after.mutable_annotations())["a"] = "1";  // the same map, entries added in another order
  (*after.mutable_annotations())["b"] = "2";
  *after.mutable_summary() = before.summary();
  EXPECT_THAT(Changed(&before, &after), IsEmpty());
  (*after.mutable_annotations())["c"] = "";
  after.mutable_summary()->set_status(api::RecordSummary::FAILURE);
  EXPECT_THAT(Changed(&before, &after), ElementsAre("annotations", "summary"));
}

TEST(EventDiffTest, AnEmptyMessageFieldIsNoChangeFromAnUnsetOne) {
  api::Record before = SomeRecord();
  before.clear_create_time();
  before.clear_data();
  api::Record after = before;
  after.mutable_create_time();  // set, at the epoch: encoded as an empty message
  after.mutable_data();
  EXPECT_THAT(Changed(&before, &after), IsEmpty());
  after.mutable_create_time()->set_seconds(1);
  EXPECT_THAT(Changed(&before, &after), ElementsAre("create_time"));
  api::Result result;
  result.set_name("p/results/r");
  api::Result with_summary = result;
  with_summary.mutable_summary()->mutable_start_time();  // not empty: holds an empty message
  EXPECT_THAT(Changed(&result, &with_summary), ElementsAre("summary"));
}

TEST(EventDiffTest, AnEncodingOutOfFieldOrderIsRefused) {
  api::Record uid_only;
  uid_only.set_uid("u");  // field 7
  api::Record name_only;
  name_only.set_name("n");  // field 1
  v1::Event event;
  event.set_sequence(1);
  // The record's fields 7 then 1: a valid encoding, but not a deterministic one.
  const std::string record = uid_only.SerializeAsString() + name_only.SerializeAsString();
  std::string encoded = SerializeDeterministic(event);
  encoded += static_cast<char>((v1::Event::kRecordFieldNumber << 3) | 2);
  encoded += static_cast<char>(record.size());
  encoded += record;
  EncodedState state;
  EXPECT_FALSE(state.Parse(encoded));
  api::Record record_only;
  record_only.set_name("n");
  v1::Event twice;
  *twice.mutable_record() = record_only;
  EXPECT_FALSE(state.Parse(SerializeDeterministic(twice) + SerializeDeterministic(twice)));
  EXPECT_TRUE(state.Parse(SerializeDeterministic(twice)));
  EXPECT_FALSE(state.Parse("\xff"));
  EXPECT_TRUE(state.Parse(""));
}

}  // namespace
}  // namespace runledger
