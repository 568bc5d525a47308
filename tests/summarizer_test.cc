// The summary API in process: every aggregate, group_by, order_by and error, and the two ways of
// answering (the summary projection's cells and the records themselves) checked against each
// other and against a brute-force model, across creates, updates and deletes.
#include "src/query/summarizer.h"

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/projections/summary_projection.h"
#include "src/query/arena_message_allocator.h"
#include "src/query/interval_text.h"
#include "tests/lister_fixture.h"

namespace runledger {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kSecond = 1000000;
constexpr int64_t kDay = 86400 * kSecond;
// 2026-01-01T00:00:00Z, a Thursday.
constexpr int64_t kBase = int64_t{1767225600} * kSecond;

std::string Rfc3339(int64_t micros) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E*SZ", absl::FromUnixMicros(micros),
                          absl::UTCTimeZone());
}

// The test's model of one record: the values the summaries read, as the test wrote them.
struct TestRun {
  std::string type;
  std::optional<std::string> ns, pipeline, repository, reason;
  bool numeric_reason = false;
  std::optional<int64_t> created, started, completed;  // microseconds

  std::string Json() const {
    nlohmann::json j = {{"kind", type}};
    if (ns) j["metadata"]["namespace"] = *ns;
    if (pipeline) j["metadata"]["labels"]["tekton.dev/pipeline"] = *pipeline;
    if (repository)
      j["metadata"]["annotations"]["pipelinesascode.tekton.dev/repository"] = *repository;
    j["metadata"]["name"] = "run";
    if (created) j["metadata"]["creationTimestamp"] = Rfc3339(*created);
    if (started) j["status"]["startTime"] = Rfc3339(*started);
    if (completed) j["status"]["completionTime"] = Rfc3339(*completed);
    if (numeric_reason) {
      j["status"]["conditions"] = {{{"type", "Succeeded"}, {"reason", 5}}};
    } else if (reason) {
      j["status"]["conditions"] = {{{"type", "Succeeded"}, {"reason", *reason}}};
    }
    return j.dump();
  }
};

constexpr char kPipelineRun[] = "tekton.dev/v1.PipelineRun";
constexpr char kTaskRun[] = "tekton.dev/v1.TaskRun";

TestRun RandomRun(std::mt19937_64& rng) {
  auto pick = [&](auto... options) {
    const std::vector<std::optional<std::string>> v = {options...};
    return v[rng() % v.size()];
  };
  auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
  TestRun run;
  run.type = chance(30) ? kPipelineRun : kTaskRun;
  run.ns = pick(std::optional<std::string>("team-a"), std::optional<std::string>("team-b"),
                std::optional<std::string>(), std::optional<std::string>("default"));
  run.pipeline = pick(std::optional<std::string>("build"), std::optional<std::string>("test"),
                      std::optional<std::string>("deploy"), std::optional<std::string>(),
                      std::optional<std::string>(""));
  run.repository = pick(std::optional<std::string>("repo1"), std::optional<std::string>("repo2"),
                        std::optional<std::string>());
  run.reason = pick(std::optional<std::string>("Succeeded"),
                    std::optional<std::string>("Completed"), std::optional<std::string>("Failed"),
                    std::optional<std::string>("Cancelled"), std::optional<std::string>("Running"),
                    std::optional<std::string>("PipelineRunTimeout"), std::optional<std::string>());
  run.numeric_reason = chance(3);
  if (chance(95)) {
    // Over 45 days from 2025-12-10: weeks, month ends, a new year; on whole or half seconds.
    run.created = kBase - 22 * kDay + static_cast<int64_t>(rng() % (45 * 86400)) * kSecond +
                  (chance(20) ? kSecond / 2 : 0);
  }
  if (run.created && chance(85))
    run.started = *run.created + static_cast<int64_t>(rng() % 30) * kSecond;
  if (run.started && chance(80)) {
    // Mostly minutes; sometimes more than a day; sometimes (clock skew) negative.
    int64_t length = static_cast<int64_t>(rng() % 3600) * kSecond + (chance(10) ? 250000 : 0);
    if (chance(5)) length += 2 * kDay;
    if (chance(3)) length = -length;
    run.completed = *run.started + length;
  }
  return run;
}

// --- Brute force over the model. ---

using Predicate = std::function<bool(const std::string& name, const TestRun&)>;

struct Expected {
  int64_t total = 0, succeeded = 0, failed = 0, cancelled = 0, running = 0, others = 0;
  std::vector<int64_t> durations;
  std::optional<int64_t> last_start;
};

std::optional<std::string> Group(const std::string& group_by, const TestRun& run, bool* is_null) {
  *is_null = false;
  auto joined = [&](const std::optional<std::string>& part) {
    return run.ns.value_or("") + "/" + part.value_or("");
  };
  if (group_by.empty()) return "";
  if (group_by == "namespace") {
    *is_null = !run.ns;
    return run.ns.value_or("");
  }
  if (group_by == "pipeline") return joined(run.pipeline);
  if (group_by == "repository") return joined(run.repository);
  const size_t space = group_by.find(' ');
  const std::string unit = group_by.substr(0, space);
  const std::string field = space == std::string::npos ? "" : group_by.substr(space + 1);
  const std::optional<int64_t>& t = field == "startTime"        ? run.started
                                    : field == "completionTime" ? run.completed
                                                                : run.created;
  if (!t) {
    *is_null = true;
    return "";
  }
  const absl::CivilSecond c = absl::ToCivilSecond(absl::FromUnixMicros(*t), absl::UTCTimeZone());
  absl::CivilSecond start;
  if (unit == "minute") start = absl::CivilMinute(c);
  if (unit == "hour") start = absl::CivilHour(c);
  if (unit == "day") start = absl::CivilDay(c);
  if (unit == "week") {
    absl::CivilDay d(c);
    while (absl::GetWeekday(d) != absl::Weekday::monday) --d;
    start = d;
  }
  if (unit == "month") start = absl::CivilMonth(c);
  if (unit == "year") start = absl::CivilYear(c);
  return absl::StrCat(absl::ToUnixSeconds(absl::FromCivil(start, absl::UTCTimeZone())));
}

// Rows in the summarizer's order when no order_by is given: by group value, nulls last.
std::vector<google::protobuf::Struct> BruteForce(const std::map<std::string, TestRun>& runs,
                                                 const Predicate& matches,
                                                 const std::string& group_by) {
  struct Key {
    bool is_null;
    bool numeric;
    std::string text;
    bool operator<(const Key& o) const {
      if (is_null || o.is_null) return !is_null && o.is_null;
      if (numeric) return std::stoll(text) < std::stoll(o.text);
      return text < o.text;
    }
  };
  const bool numeric = !group_by.empty() && group_by != "namespace" && group_by != "pipeline" &&
                       group_by != "repository";
  std::map<Key, Expected> groups;
  for (const auto& [name, run] : runs) {
    if (!matches(name, run)) continue;
    bool is_null;
    const std::string value = *Group(group_by, run, &is_null);
    Expected& e = groups[{is_null, numeric, is_null ? "" : value}];
    ++e.total;
    if (run.numeric_reason) {
      ++e.others;
    } else if (run.reason) {
      const std::string& r = *run.reason;
      (r == "Succeeded" || r == "Completed" ? e.succeeded
       : r == "Failed"                      ? e.failed
       : r == "Cancelled"                   ? e.cancelled
       : r == "Running"                     ? e.running
                                            : e.others)++;
    }
    if (run.started && run.completed) e.durations.push_back(*run.completed - *run.started);
    if (run.started && (!e.last_start || *run.started > *e.last_start)) e.last_start = run.started;
  }
  if (group_by.empty() && groups.empty()) groups[{false, false, ""}];
  std::vector<google::protobuf::Struct> rows;
  for (const auto& [key, e] : groups) {
    google::protobuf::Struct row;
    auto& f = *row.mutable_fields();
    f["total"].set_number_value(e.total);
    f["succeeded"].set_number_value(e.succeeded);
    f["failed"].set_number_value(e.failed);
    f["cancelled"].set_number_value(e.cancelled);
    f["running"].set_number_value(e.running);
    f["others"].set_number_value(e.others);
    auto duration = [&](const std::string& field, std::optional<Interval> i) {
      if (i) {
        f[field].set_string_value(FormatInterval(*i));
      } else {
        f[field].set_null_value(google::protobuf::NULL_VALUE);
      }
    };
    std::optional<Interval> sum, min, max, avg;
    if (!e.durations.empty()) {
      sum = Interval{};
      for (int64_t d : e.durations) {
        sum->days += Interval::Justified(d).days;
        sum->micros += Interval::Justified(d).micros;
      }
      min = Interval::Justified(*std::min_element(e.durations.begin(), e.durations.end()));
      max = Interval::Justified(*std::max_element(e.durations.begin(), e.durations.end()));
      avg = AverageInterval(*sum, static_cast<int64_t>(e.durations.size()));
    }
    duration("avg_duration", avg);
    duration("max_duration", max);
    duration("min_duration", min);
    duration("total_duration", sum);
    if (e.last_start) {
      f["last_runtime"].set_number_value(static_cast<double>(*e.last_start) / 1e6);
    } else {
      f["last_runtime"].set_null_value(google::protobuf::NULL_VALUE);
    }
    if (!group_by.empty()) {
      if (key.is_null) {
        f["group_value"].set_null_value(google::protobuf::NULL_VALUE);
      } else if (numeric) {
        f["group_value"].set_number_value(static_cast<double>(std::stoll(key.text)));
      } else {
        f["group_value"].set_string_value(key.text);
      }
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::string Text(const std::vector<google::protobuf::Struct>& rows) {
  std::string out;
  for (const auto& row : rows) {
    std::string json;
    (void)google::protobuf::util::MessageToJsonString(row, &json);
    absl::StrAppend(&out, nlohmann::json::parse(json).dump(), "\n");  // keys in order
  }
  return out;
}

std::vector<google::protobuf::Struct> Rows(const rpc::RecordListSummary& summary) {
  return {summary.summary().begin(), summary.summary().end()};
}

constexpr char kAllAggregates[] =
    "total,succeeded,failed,cancelled,running,others,avg_duration,max_duration,min_duration,"
    "total_duration,last_runtime";

rpc::RecordListSummaryRequest SummaryReq(const std::string& parent, const std::string& filter,
                                         const std::string& group_by,
                                         const std::string& summary = kAllAggregates,
                                         const std::string& order_by = "") {
  rpc::RecordListSummaryRequest req;
  req.set_parent(parent);
  req.set_filter(filter);
  req.set_group_by(group_by);
  req.set_summary(summary);
  req.set_order_by(order_by);
  return req;
}

class SummarizerTest : public ::testing::Test {
 public:
  SummarizerTest()
      : cells_(&fixture_.store()), records_(&fixture_.store(), Summarizer::Paths::kRecordsOnly) {}

  std::string NewRecord(const std::string& result, const TestRun& run) {
    const std::string name = absl::StrCat(result, "/records/r", next_++);
    fixture_.CreateRecord(name, run.type, run.Json());
    runs_[name] = run;
    return name;
  }

  void UpdateRecord(const std::string& name, const TestRun& run) {
    fixture_.TouchRecord(name, run.type, run.Json());
    runs_[name] = run;
  }

  void DeleteRecord(const std::string& name) {
    rpc::DeleteRecordRequest req;
    req.set_name(name);
    ASSERT_TRUE(fixture_.ingestor().DeleteRecord(req, "test").ok());
    runs_.erase(name);
  }

  // Both summarizers answer `req` alike; returns the answer.
  std::vector<google::protobuf::Struct> Both(const rpc::RecordListSummaryRequest& req) {
    absl::StatusOr<rpc::RecordListSummary> from_cells = cells_.Summarize(req);
    absl::StatusOr<rpc::RecordListSummary> from_records = records_.Summarize(req);
    EXPECT_TRUE(from_cells.ok()) << from_cells.status();
    EXPECT_TRUE(from_records.ok()) << from_records.status();
    if (!from_cells.ok() || !from_records.ok()) return {};
    EXPECT_EQ(Text(Rows(*from_cells)), Text(Rows(*from_records)))
        << req.parent() << " | " << req.filter() << " | " << req.group_by();
    return Rows(*from_cells);
  }

  ListerFixture fixture_;
  Summarizer cells_;
  Summarizer records_;
  std::map<std::string, TestRun> runs_;
  int next_ = 0;
};

struct FilterCase {
  std::string filter;
  Predicate matches;
};

std::vector<FilterCase> FilterCases() {
  auto in_days = [](const std::optional<int64_t>& t, int first, int end) {
    return t && *t >= kBase + first * kDay && *t < kBase + end * kDay;
  };
  return {
      {"", [](const std::string&, const TestRun&) { return true; }},
      {"data_type == PIPELINE_RUN",
       [](const std::string&, const TestRun& r) { return r.type == kPipelineRun; }},
      {"data.metadata.namespace == 'team-a' && data_type in [TASK_RUN, 'x']",
       [](const std::string&, const TestRun& r) { return r.ns == "team-a" && r.type == kTaskRun; }},
      {"data.metadata.labels['tekton.dev/pipeline'] in ['build', '']",
       [](const std::string&, const TestRun& r) {
         return r.pipeline == "build" || r.pipeline == "";
       }},
      {"data.metadata.annotations['pipelinesascode.tekton.dev/repository'] == 'repo1'",
       [](const std::string&, const TestRun& r) { return r.repository == "repo1"; }},
      {"data.metadata.creationTimestamp >= timestamp('2026-01-05T00:00:00Z') && "
       "data.metadata.creationTimestamp < timestamp('2026-01-20T00:00:00Z')",
       [=](const std::string&, const TestRun& r) { return in_days(r.created, 4, 19); }},
      {"timestamp(data.status.startTime) >= timestamp('2026-01-10T00:00:00Z') && parent == 'ns1'",
       [=](const std::string& name, const TestRun& r) {
         return in_days(r.started, 9, 10000) && name.rfind("ns1/", 0) == 0;
       }},
      // Not answered by the cells: evaluated on every candidate record.
      {"data.status.conditions[0].reason == 'Failed'",
       [](const std::string&, const TestRun& r) {
         return !r.numeric_reason && r.reason == "Failed";
       }},
      {"data.metadata.namespace == 'team-b' && has(data.status.completionTime)",
       [](const std::string&, const TestRun& r) {
         return r.ns == "team-b" && r.completed.has_value();
       }},
  };
}

const std::vector<std::string> kGroupBys = {"",
                                            "minute",
                                            "hour",
                                            "day",
                                            "week",
                                            "month",
                                            "year",
                                            "namespace",
                                            "pipeline",
                                            "repository",
                                            "day startTime",
                                            "week completionTime",
                                            "hour completionTime"};

// Every filter and grouping, on every kind of scope: both ways agree with each other and with
// brute force over the model.
void CheckEverything(SummarizerTest* t, const std::vector<std::string>& results) {
  // The cells hold every record once.
  Store& store = t->fixture_.store();
  ASSERT_TRUE(store.AwaitIndexes(store.log().LastSequence(), absl::Seconds(10)));
  int64_t in_cells = 0;
  store.summaries().Read([&](const SummaryCube::View& view) {
    for (const SummaryCube::Cell& cell : view.cells()) in_cells += cell.aggregate.total;
  });
  EXPECT_EQ(in_cells, static_cast<int64_t>(t->runs_.size()));
  for (const FilterCase& f : FilterCases()) {
    for (const std::string& group_by : kGroupBys) {
      SCOPED_TRACE(absl::StrCat(f.filter, " / ", group_by));
      auto all = t->Both(SummaryReq("-/results/-", f.filter, group_by));
      EXPECT_EQ(Text(all), Text(BruteForce(t->runs_, f.matches, group_by)));
      auto one_parent = t->Both(SummaryReq("ns1/results/-", f.filter, group_by));
      EXPECT_EQ(Text(one_parent), Text(BruteForce(
                                      t->runs_,
                                      [&](const std::string& n, const TestRun& r) {
                                        return n.rfind("ns1/", 0) == 0 && f.matches(n, r);
                                      },
                                      group_by)));
      // Any parent, one result id: res0 under every parent.
      auto any_parent = t->Both(SummaryReq("-/results/res0", f.filter, group_by));
      EXPECT_EQ(Text(any_parent), Text(BruteForce(
                                      t->runs_,
                                      [&](const std::string& n, const TestRun& r) {
                                        return n.find("/results/res0/") != std::string::npos &&
                                               f.matches(n, r);
                                      },
                                      group_by)));
      const std::string& result = results[0];
      auto one_result = t->Both(SummaryReq(result, f.filter, group_by));
      EXPECT_EQ(Text(one_result), Text(BruteForce(
                                      t->runs_,
                                      [&](const std::string& n, const TestRun& r) {
                                        return n.rfind(result + "/", 0) == 0 && f.matches(n, r);
                                      },
                                      group_by)));
    }
  }
}

TEST_F(SummarizerTest, BothWaysMatchBruteForceAcrossCreatesUpdatesAndDeletes) {
  std::mt19937_64 rng(20261124);
  std::vector<std::string> results;
  for (const char* parent : {"ns1", "ns2"}) {
    for (int i = 0; i < 3; ++i) {
      results.push_back(absl::StrCat(parent, "/results/res", i));
      fixture_.CreateResult(results.back());
    }
  }
  std::vector<std::string> names;
  for (int i = 0; i < 240; ++i) {
    names.push_back(NewRecord(results[rng() % results.size()], RandomRun(rng)));
  }
  CheckEverything(this, results);

  // Updates move records between cells; deletes take them out, including a cell's extremes.
  for (int i = 0; i < 80; ++i) UpdateRecord(names[rng() % names.size()], RandomRun(rng));
  for (int i = 0; i < 40; ++i) {
    const std::string& name = names[rng() % names.size()];
    if (runs_.count(name)) DeleteRecord(name);
  }
  CheckEverything(this, results);
}

TEST_F(SummarizerTest, MinAndMaxStayExactWhenTheirRunsGo) {
  fixture_.CreateResult("ns1/results/a");
  auto run = [](int64_t seconds) {
    TestRun r;
    r.type = kTaskRun;
    r.ns = "team-a";
    r.created = kBase;
    r.started = kBase + kSecond;
    r.completed = *r.started + seconds * kSecond;
    return r;
  };
  const std::string shortest = NewRecord("ns1/results/a", run(10));
  const std::string middle = NewRecord("ns1/results/a", run(20));
  const std::string longest = NewRecord("ns1/results/a", run(30));
  auto extremes = [&] {
    auto rows = Both(SummaryReq("-/results/-", "", "", "min_duration,max_duration,total"));
    return rows.empty() ? std::string() : Text(rows);
  };
  EXPECT_THAT(extremes(), HasSubstr(R"("max_duration":"00:00:30","min_duration":"00:00:10")"));
  DeleteRecord(longest);
  EXPECT_THAT(extremes(), HasSubstr(R"("max_duration":"00:00:20","min_duration":"00:00:10")"));
  UpdateRecord(shortest, run(25));
  EXPECT_THAT(extremes(), HasSubstr(R"("max_duration":"00:00:25","min_duration":"00:00:20")"));
  DeleteRecord(middle);
  DeleteRecord(shortest);
  EXPECT_EQ(extremes(), R"({"max_duration":null,"min_duration":null,"total":0})"
                        "\n");
}

TEST_F(SummarizerTest, ARebuildFromTheLogEqualsTheLiveFold) {
  std::mt19937_64 rng(7);
  fixture_.CreateResult("ns1/results/a");
  std::vector<std::string> names;
  for (int i = 0; i < 120; ++i) names.push_back(NewRecord("ns1/results/a", RandomRun(rng)));
  for (int i = 0; i < 40; ++i) UpdateRecord(names[rng() % names.size()], RandomRun(rng));
  for (int i = 0; i < 20; ++i) {
    if (runs_.count(names[i * 3])) DeleteRecord(names[i * 3]);
  }
  auto answers = [&] {
    std::string out;
    for (const std::string& group_by : kGroupBys) {
      absl::StrAppend(&out, Text(Both(SummaryReq("-/results/-", "", group_by))));
    }
    return out;
  };
  std::ostringstream live_dump;
  ASSERT_TRUE(fixture_.store().DumpProjections(live_dump).ok());
  const std::string live_answers = answers();
  ASSERT_TRUE(fixture_.store().Rebuild({std::string(SummaryProjection::kName)}).ok());
  std::ostringstream rebuilt_dump;
  ASSERT_TRUE(fixture_.store().DumpProjections(rebuilt_dump).ok());
  EXPECT_EQ(live_dump.str(), rebuilt_dump.str());
  EXPECT_EQ(answers(), live_answers);
}

TEST_F(SummarizerTest, RejectsBadRequestsWithUpstreamsTexts) {
  struct Case {
    rpc::RecordListSummaryRequest req;
    std::string message;
  };
  const std::vector<Case> cases = {
      {SummaryReq("", "", ""), "parent missing"},
      {SummaryReq("-/results/-", "data_type ==", ""), "error compiling CEL filters"},
      {SummaryReq("-/results/-", "", "", "total, failed"), "invalid aggregate query:  failed"},
      {SummaryReq("-/results/-", "", "", "total,bogus"), "invalid aggregate query: bogus"},
      {SummaryReq("-/results/-", "", "", "total,"), "invalid aggregate query: "},
      {SummaryReq("-/results/-", "", "fortnight"), "group_by does not recognize fortnight"},
      {SummaryReq("-/results/-", "", "day endTime"), "group_by does not recognize day endTime"},
      {SummaryReq("-/results/-", "", "namespace startTime"),
       "group_by does not recognize namespace startTime"},
      {SummaryReq("-/results/-", "", "day startTime x"),
       "group_by does not recognize day startTime x"},
      {SummaryReq("-/results/-", "", "Day"), "group_by does not recognize Day"},
      {SummaryReq("-/results/-", "", "day", "total", "total"), "order_by does not recognize total"},
      {SummaryReq("-/results/-", "", "day", "total", "total WRONG"),
       "order_by does not recognize total WRONG"},
      {SummaryReq("-/results/-", "", "day", "total", "total  asc"),
       "order_by does not recognize total  asc"},
      {SummaryReq("-/results/-", "", "day", "total", "failed asc"),
       "field name failed is not allowed, must be one of summary"},
      {SummaryReq("-/results/-", "", "day", "total", "group_value desc"),
       "field name group_value is not allowed, must be one of summary"},
  };
  for (const Case& c : cases) {
    absl::StatusOr<rpc::RecordListSummary> got = cells_.Summarize(c.req);
    ASSERT_FALSE(got.ok()) << c.message;
    EXPECT_EQ(got.status().code(), absl::StatusCode::kInvalidArgument) << c.message;
    EXPECT_THAT(std::string(got.status().message()), HasSubstr(c.message));
  }
  // order_by is ignored without group_by; an empty summary means total.
  absl::StatusOr<rpc::RecordListSummary> plain =
      cells_.Summarize(SummaryReq("-/results/-", "", "", "", "anything at all"));
  ASSERT_TRUE(plain.ok()) << plain.status();
  EXPECT_EQ(Text(Rows(*plain)), "{\"total\":0}\n");
}

TEST_F(SummarizerTest, OrdersGroupsByAnAggregateWithSqlNullOrdering) {
  fixture_.CreateResult("ns1/results/a");
  auto run = [](const char* ns, std::optional<int64_t> seconds) {
    TestRun r;
    r.type = kTaskRun;
    r.ns = ns;
    r.created = kBase;
    if (seconds) {
      r.started = kBase;
      r.completed = kBase + *seconds * kSecond;
    }
    return r;
  };
  NewRecord("ns1/results/a", run("a", 30));
  NewRecord("ns1/results/a", run("b", 10));
  NewRecord("ns1/results/a", run("b", 10));
  NewRecord("ns1/results/a", run("c", std::nullopt));
  auto order = [&](const std::string& order_by) {
    std::string groups;
    for (const auto& row :
         Both(SummaryReq("-/results/-", "", "namespace", "total,max_duration", order_by))) {
      absl::StrAppend(&groups, row.fields().at("group_value").string_value());
    }
    return groups;
  };
  EXPECT_EQ(order("max_duration ASC"), "bac");   // null last
  EXPECT_EQ(order("max_duration desc"), "cab");  // null first
  EXPECT_EQ(order("total DESC"), "bac");         // ties by group value
  EXPECT_EQ(order(""), "abc");
}

TEST_F(SummarizerTest, AnswersTheDocumentedShape) {
  fixture_.CreateResult("ns1/results/a");
  TestRun r;
  r.type = kPipelineRun;
  r.ns = "team-a";
  r.reason = "Succeeded";
  r.created = kBase;
  r.started = kBase + kSecond / 2;  // a fractional start: last_runtime keeps the fraction
  r.completed = *r.started + 198 * kSecond;
  NewRecord("ns1/results/a", r);
  auto rows = Both(SummaryReq("ns1/results/-", "", ""));
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(Text(rows),
            "{\"avg_duration\":\"00:03:18\",\"cancelled\":0,\"failed\":0,\"last_runtime\":"
            "1767225600.5,\"max_duration\":\"00:03:18\",\"min_duration\":\"00:03:18\",\"others\":0,"
            "\"running\":0,\"succeeded\":1,\"total\":1,\"total_duration\":\"00:03:18\"}\n");
  // Grouped with no match: no rows at all.
  EXPECT_TRUE(Both(SummaryReq("ns2/results/-", "", "day")).empty());
}

// The server builds a summary in the reply its call's arena holds (ArenaMessageAllocator): the
// rows live on that arena and read the same as a summary built on the heap.
TEST_F(SummarizerTest, BuildsRowsOnTheReplysArena) {
  fixture_.CreateResult("ns1/results/a");
  for (const char* pipeline : {"build", "deploy", "test"}) {
    TestRun r;
    r.type = kPipelineRun;
    r.ns = "team-a";
    r.pipeline = pipeline;
    r.reason = "Succeeded";
    r.created = kBase;
    r.started = kBase + kSecond;
    r.completed = kBase + 60 * kSecond;
    NewRecord("ns1/results/a", r);
  }
  const rpc::RecordListSummaryRequest req = SummaryReq("ns1/results/-", "", "pipeline");
  ArenaMessageAllocator<rpc::RecordListSummaryRequest, rpc::RecordListSummary> allocator;
  auto* holder = allocator.AllocateMessages();
  rpc::RecordListSummary* reply = holder->response();
  ASSERT_NE(reply->GetArena(), nullptr);
  EXPECT_EQ(holder->request()->GetArena(), reply->GetArena());

  ASSERT_TRUE(cells_.Summarize(req, reply).ok());
  ASSERT_EQ(reply->summary_size(), 3);
  for (const google::protobuf::Struct& row : reply->summary()) {
    EXPECT_EQ(row.GetArena(), reply->GetArena());
  }
  absl::StatusOr<rpc::RecordListSummary> on_heap = cells_.Summarize(req);
  ASSERT_TRUE(on_heap.ok()) << on_heap.status();
  EXPECT_EQ(Text(Rows(*reply)), Text(Rows(*on_heap)));
  holder->Release();
}

}  // namespace
}  // namespace runledger
