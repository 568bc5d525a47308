// End-to-end tests of the resource name grammar (spec/api.md §2.1) and the create parent rule
// (§2.3): every rejection vector on every Result and Record RPC is InvalidArgument naming the
// grammar, accepted edge cases work, `-` is a literal id outside List, and after all of it the
// server still serves and its data is untouched.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace runledger::e2e {
namespace {

using ::grpc::StatusCode;
using ::testing::HasSubstr;

constexpr char kResultGrammar[] = "name must match (^[a-z0-9_-]{1,63})/results/([a-z0-9_-]{1,63}$)";
constexpr char kRecordGrammar[] =
    "name must match (^[a-z0-9_-]{1,63})/results/([a-z0-9_-]{1,63})/records/([a-z0-9_-]{1,63}$)";

// Rejected both as Result and as Record names.
std::vector<std::string> BadNames() {
  const std::string too_long(64, 'a');  // one character too many for an id
  return {"a/results/", "a/results", "/results/b", "results/b", "a/record/b", "a/b/results/c",
          "a/results/b/records/", "/records/b", "records/b", "a/tacocat/b/records/c",
          "a/results/b/records/c/d", "tacocat", "",
          // Characters outside [a-z0-9_-], empty segments, stray separators.
          "A/results/b", "a/results/B", "a/results/b/records/C", " a/results/b", "a/results/b ",
          "a /results/b", "a.b/results/c", "a/results/b.c", "a//results/b", "a/results/b/",
          "a/results/b\n", "a/r\xc3\xa9sults/b", std::string("a/results/b\0c", 13),
          "a/results/b/logs/c",
          // 64-character ids.
          too_long + "/results/b", "a/results/" + too_long, "a/results/b/records/" + too_long};
}

// Rejected as Result names only, and as Record names only.
std::vector<std::string> BadResultNames() { return {"a/results/b/c", "a/results/b/records/c"}; }
std::vector<std::string> BadRecordNames() { return {"a/results/b", "a/results/b/c/d"}; }

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

template <typename T>
void ExpectGrammarError(const Reply<T>& reply, const char* grammar, const std::string& what) {
  EXPECT_EQ(reply.code(), StatusCode::INVALID_ARGUMENT) << what << ": " << reply.message();
  EXPECT_THAT(reply.message(), HasSubstr(grammar)) << what;
}

// A server holding one result and one record that every test checks are untouched.
class E2eNamesTest : public E2eTest {
 protected:
  static void SetUpTestSuite() {
    E2eTest::SetUpTestSuite();
    if (!server().running()) return;
    result_ = new rpc::Result(MustCreateResult(client(), "keep/results/r", {{"a", "b"}}));
    record_ = new rpc::Record(MustCreateRecord(client(), MakeRecord("keep/results/r/records/x")));
  }

  static void TearDownTestSuite() {
    delete result_;
    delete record_;
    E2eTest::TearDownTestSuite();
  }

  void TearDown() override {
    Reply<rpc::Result> result = client().GetResult(result_->name());
    ASSERT_OK(result);
    EXPECT_TRUE(ProtoEq(*result_, result.value));
    Reply<rpc::Record> record = client().GetRecord(record_->name());
    ASSERT_OK(record);
    EXPECT_TRUE(ProtoEq(*record_, record.value));
    E2eTest::TearDown();
  }

  static rpc::Result* result_;
  static rpc::Record* record_;
};

rpc::Result* E2eNamesTest::result_ = nullptr;
rpc::Record* E2eNamesTest::record_ = nullptr;

TEST_F(E2eNamesTest, ResultRpcsRejectBadNames) {
  for (const std::string& name : Concat(BadNames(), BadResultNames())) {
    ExpectGrammarError(client().CreateResult("a", MakeResult(name)), kResultGrammar,
                       "CreateResult " + name);
    ExpectGrammarError(client().GetResult(name), kResultGrammar, "GetResult " + name);
    ExpectGrammarError(client().UpdateResult(UpdateResultReq(name, MakeResult(name))),
                       kResultGrammar, "UpdateResult " + name);
    ExpectGrammarError(client().DeleteResult(name), kResultGrammar, "DeleteResult " + name);
  }
}

TEST_F(E2eNamesTest, RecordRpcsRejectBadNames) {
  for (const std::string& name : Concat(BadNames(), BadRecordNames())) {
    ExpectGrammarError(client().CreateRecord("a/results/b", MakeRecord(name)), kRecordGrammar,
                       "CreateRecord " + name);
    ExpectGrammarError(client().GetRecord(name), kRecordGrammar, "GetRecord " + name);
    ExpectGrammarError(client().UpdateRecord(UpdateRecordReq(MakeRecord(name))), kRecordGrammar,
                       "UpdateRecord " + name);
    ExpectGrammarError(client().DeleteRecord(name), kRecordGrammar, "DeleteRecord " + name);
  }
}

TEST_F(E2eNamesTest, UpdateResultUsesOnlyTheTopLevelName) {
  // A bad name in the body does not matter; a bad top-level name does.
  Reply<rpc::Result> updated =
      client().UpdateResult(UpdateResultReq("keep/results/other", MakeResult("Bad Name")));
  EXPECT_CODE(updated, StatusCode::NOT_FOUND);
  ExpectGrammarError(client().UpdateResult(UpdateResultReq("Bad", MakeResult(result_->name()))),
                     kResultGrammar, "UpdateResult with a good body name");
}

TEST_F(E2eNamesTest, AcceptsSixtyThreeCharacterIds) {
  const std::string parent(63, 'p'), result(63, 'r'), record(63, '_');
  const std::string result_name = ResultName(parent, result);
  MustCreateResult(client(), result_name);
  EXPECT_OK(client().GetResult(result_name));
  MustCreateRecord(client(), MakeRecord(RecordName(result_name, record)));
  EXPECT_OK(client().GetRecord(RecordName(result_name, record)));
}

TEST_F(E2eNamesTest, AcceptsLiteralWordsAsIds) {
  rpc::Result result = MustCreateResult(client(), "results/results/results");
  Reply<rpc::Result> got = client().GetResult("results/results/results");
  ASSERT_OK(got);
  EXPECT_TRUE(ProtoEq(result, got.value));

  MustCreateResult(client(), "results/results/records");
  rpc::Record record =
      MustCreateRecord(client(), MakeRecord("results/results/records/records/records"));
  Reply<rpc::Record> got_record = client().GetRecord("results/results/records/records/records");
  ASSERT_OK(got_record);
  EXPECT_TRUE(ProtoEq(record, got_record.value));
}

TEST_F(E2eNamesTest, DashIsALiteralIdOutsideList) {
  for (const char* name : {"keep/results/-", "-/results/r", "-/results/-"}) {
    EXPECT_CODE(client().GetResult(name), StatusCode::NOT_FOUND) << name;
    EXPECT_CODE(client().UpdateResult(UpdateResultReq(name, MakeResult(name))),
                StatusCode::NOT_FOUND)
        << name;
    EXPECT_CODE(client().DeleteResult(name), StatusCode::NOT_FOUND) << name;
  }
  for (const char* name : {"keep/results/r/records/-", "keep/results/-/records/x",
                           "-/results/-/records/-", "-/results/r/records/x"}) {
    EXPECT_CODE(client().GetRecord(name), StatusCode::NOT_FOUND) << name;
    EXPECT_CODE(client().UpdateRecord(UpdateRecordReq(MakeRecord(name))), StatusCode::NOT_FOUND)
        << name;
    EXPECT_CODE(client().DeleteRecord(name), StatusCode::NOT_FOUND) << name;
  }
}

TEST_F(E2eNamesTest, CreateResultParentMustEqualTheNamesParentExactly) {
  for (const char* parent : {"", "other", " keep2", "keep2 ", "Keep2", "keep2/", "-"}) {
    Reply<rpc::Result> created = client().CreateResult(parent, MakeResult("keep2/results/r"));
    EXPECT_CODE(created, StatusCode::INVALID_ARGUMENT) << "'" << parent << "'";
    EXPECT_THAT(created.message(), HasSubstr("parent")) << "'" << parent << "'";
  }
  EXPECT_CODE(client().GetResult("keep2/results/r"), StatusCode::NOT_FOUND);
  EXPECT_OK(client().CreateResult("keep2", MakeResult("keep2/results/r")));
}

TEST_F(E2eNamesTest, CreateRecordParentMustEqualTheResultNameExactly) {
  const std::string name = "keep/results/r/records/y";
  for (const char* parent : {"", "keep", "keep/results/r ", " keep/results/r", "keep/results/-",
                             "-/results/r", "keep/results/r/", "keep/results/other"}) {
    Reply<rpc::Record> created = client().CreateRecord(parent, MakeRecord(name));
    EXPECT_CODE(created, StatusCode::INVALID_ARGUMENT) << "'" << parent << "'";
    EXPECT_THAT(created.message(), HasSubstr("parent")) << "'" << parent << "'";
  }
  EXPECT_CODE(client().GetRecord(name), StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace runledger::e2e
