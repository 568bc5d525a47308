// End-to-end: GetRecordListSummary on the real server over gRPC — the reply's shape, upstream's
// error codes and texts, and summaries that survive a clean restart and a SIGKILL.
#include <string>

#include "absl/strings/str_cat.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/test_util.h"

namespace runledger::e2e {
namespace {

rpc::RecordListSummaryRequest SummaryReq(const std::string& parent, const std::string& summary,
                                         const std::string& group_by = "",
                                         const std::string& order_by = "",
                                         const std::string& filter = "") {
  rpc::RecordListSummaryRequest req;
  req.set_parent(parent);
  req.set_summary(summary);
  req.set_group_by(group_by);
  req.set_order_by(order_by);
  req.set_filter(filter);
  return req;
}

// The rows as JSON with keys in order, one per line.
std::string Rows(const rpc::RecordListSummary& summary) {
  std::string out;
  for (const auto& row : summary.summary()) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(row, &json);
    absl::StrAppend(&out, nlohmann::json::parse(json).dump(), "\n");
  }
  return out;
}

// A PipelineRun that ran `seconds` from 2026-01-0<day>T10:00:00Z and ended with `reason`.
std::string RunJson(const std::string& ns, const std::string& pipeline, int day, int seconds,
                    const std::string& reason) {
  const std::string start = absl::StrCat("2026-01-0", day, "T10:00:00Z");
  nlohmann::json j = {
      {"kind", "PipelineRun"},
      {"metadata",
       {{"name", "run"},
        {"namespace", ns},
        {"labels", {{"tekton.dev/pipeline", pipeline}}},
        {"creationTimestamp", start}}},
      {"status",
       {{"startTime", start},
        {"completionTime",
         absl::StrCat("2026-01-0", day, "T10:", seconds / 60 < 10 ? "0" : "", seconds / 60, ":",
                      seconds % 60 < 10 ? "0" : "", seconds % 60, "Z")},
        {"conditions", {{{"type", "Succeeded"}, {"reason", reason}}}}}}};
  return j.dump();
}

void WriteRuns(ResultsClient& client) {
  MustCreateResult(client, "ns1/results/a");
  MustCreateResult(client, "ns2/results/b");
  struct Spec {
    const char* result;
    const char* id;
    const char* ns;
    const char* pipeline;
    int day;
    int seconds;
    const char* reason;
  };
  for (const Spec& s : {Spec{"ns1/results/a", "r1", "team-a", "build", 5, 198, "Succeeded"},
                        Spec{"ns1/results/a", "r2", "team-a", "build", 5, 40, "Failed"},
                        Spec{"ns1/results/a", "r3", "team-a", "test", 6, 60, "Completed"},
                        Spec{"ns2/results/b", "r4", "team-b", "build", 7, 20, "Cancelled"}}) {
    MustCreateRecord(client, MakeRecord(RecordName(s.result, s.id), "tekton.dev/v1.PipelineRun",
                                        RunJson(s.ns, s.pipeline, s.day, s.seconds, s.reason)));
  }
}

constexpr char kAll[] =
    "total,succeeded,failed,cancelled,running,others,avg_duration,max_duration,min_duration,"
    "total_duration,last_runtime";

TEST(E2eSummaryTest, AnswersEveryAggregateOverTheWire) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  ResultsClient client(server.NewChannel());
  WriteRuns(client);

  Reply<rpc::RecordListSummary> all = client.GetRecordListSummary(SummaryReq("-/results/-", kAll));
  ASSERT_OK(all);
  // Durations 198 + 40 + 60 + 20 = 318 s over 4 runs: 79.5 s on average.
  EXPECT_EQ(Rows(all.value),
            R"({"avg_duration":"00:01:19.5","cancelled":1,"failed":1,"last_runtime":1767780000,)"
            R"("max_duration":"00:03:18","min_duration":"00:00:20","others":0,"running":0,)"
            R"("succeeded":2,"total":4,"total_duration":"00:05:18"})"
            "\n");

  Reply<rpc::RecordListSummary> by_pipeline = client.GetRecordListSummary(
      SummaryReq("-/results/-", "total,failed", "pipeline", "total DESC"));
  ASSERT_OK(by_pipeline);
  EXPECT_EQ(Rows(by_pipeline.value),
            "{\"failed\":1,\"group_value\":\"team-a/build\",\"total\":2}\n"
            "{\"failed\":0,\"group_value\":\"team-a/test\",\"total\":1}\n"
            "{\"failed\":0,\"group_value\":\"team-b/build\",\"total\":1}\n");

  Reply<rpc::RecordListSummary> by_day =
      client.GetRecordListSummary(SummaryReq("ns1/results/-", "total", "day"));
  ASSERT_OK(by_day);
  EXPECT_EQ(Rows(by_day.value),
            "{\"group_value\":1767571200,\"total\":2}\n"
            "{\"group_value\":1767657600,\"total\":1}\n");

  // One result, and a filter no aggregate is keyed by: answered from the records.
  Reply<rpc::RecordListSummary> filtered = client.GetRecordListSummary(
      SummaryReq("ns1/results/a", "total,max_duration", "", "",
                 "data.status.conditions[0].reason in ['Succeeded', 'Completed']"));
  ASSERT_OK(filtered);
  EXPECT_EQ(Rows(filtered.value), "{\"max_duration\":\"00:03:18\",\"total\":2}\n");

  // An empty summary means total; no match without grouping is one row of zeros and nulls.
  Reply<rpc::RecordListSummary> empty =
      client.GetRecordListSummary(SummaryReq("nobody/results/-", "", "", "", ""));
  ASSERT_OK(empty);
  EXPECT_EQ(Rows(empty.value), "{\"total\":0}\n");
}

TEST(E2eSummaryTest, BadRequestsGetInvalidArgumentAndTheServerKeepsServing) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  ResultsClient client(server.NewChannel());
  WriteRuns(client);
  struct Case {
    rpc::RecordListSummaryRequest req;
    std::string message;
  };
  for (const Case& c : {
           Case{SummaryReq("", "total"), "parent missing"},
           Case{SummaryReq("a/b", "total"), ""},
           Case{SummaryReq("-/results/-", "total, failed"), "invalid aggregate query:  failed"},
           Case{SummaryReq("-/results/-", "total", "", "", "data_type =="),
                "error compiling CEL filters"},
           Case{SummaryReq("-/results/-", "total", "fortnight"),
                "group_by does not recognize fortnight"},
           Case{SummaryReq("-/results/-", "total", "day", "total"),
                "order_by does not recognize total"},
           Case{SummaryReq("-/results/-", "total", "day", "failed ASC"),
                "field name failed is not allowed, must be one of summary"},
       }) {
    Reply<rpc::RecordListSummary> reply = client.GetRecordListSummary(c.req);
    EXPECT_CODE(reply, grpc::StatusCode::INVALID_ARGUMENT) << c.message;
    EXPECT_NE(reply.message().find(c.message), std::string::npos) << reply.message();
  }
  Reply<rpc::RecordListSummary> still = client.GetRecordListSummary(SummaryReq("-/results/-", ""));
  ASSERT_OK(still);
  EXPECT_EQ(Rows(still.value), "{\"total\":4}\n");
}

TEST(E2eSummaryTest, SummariesSurviveARestartAndAKill) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  std::string before;
  {
    ResultsClient client(server.NewChannel());
    WriteRuns(client);
    Reply<rpc::RecordListSummary> r =
        client.GetRecordListSummary(SummaryReq("-/results/-", kAll, "namespace"));
    ASSERT_OK(r);
    before = Rows(r.value);
  }
  ASSERT_EQ(server.Stop(), 0);
  ASSERT_TRUE(server.Restart());
  {
    ResultsClient client(server.NewChannel());
    Reply<rpc::RecordListSummary> r =
        client.GetRecordListSummary(SummaryReq("-/results/-", kAll, "namespace"));
    ASSERT_OK(r);
    EXPECT_EQ(Rows(r.value), before);
    // An acknowledged write, then SIGKILL: the summary after the restart counts it.
    MustCreateRecord(client, MakeRecord("ns1/results/a/records/late", "tekton.dev/v1.PipelineRun",
                                        RunJson("team-c", "deploy", 8, 30, "Running")));
  }
  server.Kill();
  ASSERT_TRUE(server.Restart());
  ResultsClient client(server.NewChannel());
  Reply<rpc::RecordListSummary> r =
      client.GetRecordListSummary(SummaryReq("-/results/-", "total,running", "namespace"));
  ASSERT_OK(r);
  EXPECT_EQ(Rows(r.value),
            "{\"group_value\":\"team-a\",\"running\":0,\"total\":3}\n"
            "{\"group_value\":\"team-b\",\"running\":0,\"total\":1}\n"
            "{\"group_value\":\"team-c\",\"running\":1,\"total\":1}\n");
}

}  // namespace
}  // namespace runledger::e2e
