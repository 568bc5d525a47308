// cel-spec's conformance cases (RUNLEDGER_SHARED_DIR/conformance/cel/*.jsonl) through the
// conformance runner, and `runledger cel eval` run as a real process.
//
// Every usable case of the core files must pass. The extension files are run too and their
// counts printed, but their failures do not fail the test; features not implemented are
// skipped by name (KnownSkips()).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/query/cel/conformance.h"
#include "tests/test_util.h"

namespace runledger::cel {
namespace {

const std::string kDataDir = std::string(RUNLEDGER_SHARED_DIR) + "/conformance/cel";

constexpr const char* kCoreFiles[] = {
    "plumbing", "basic",  "comparisons", "logic",       "string",       "timestamps", "lists",
    "fields",   "macros", "parse",       "conversions", "integer_math", "fp_math",    "namespace"};
constexpr const char* kExtensionFiles[] = {"string_ext",  "math_ext",     "macros2",
                                           "optionals",   "bindings_ext", "encoders_ext",
                                           "network_ext", "block_ext"};

// Core cases that cannot pass, by file and ordinal, with the reason. Empty: all pass.
struct CoreSkip {
  const char* file;
  int ordinal;
  const char* reason;
};
const std::vector<CoreSkip> kCoreSkips = {};

bool IsCoreSkip(const CaseOutcome& c) {
  for (const CoreSkip& s : kCoreSkips) {
    if (c.file == s.file && c.ordinal == s.ordinal) return true;
  }
  return false;
}

void Report(const FileResults& r) {
  std::cout << "[ cel      ] " << r.file << ": pass " << r.pass << ", fail " << r.fail << ", skip "
            << r.skip << std::endl;
  ::testing::Test::RecordProperty(
      r.file, absl::StrCat(r.pass, " pass/", r.fail, " fail/", r.skip, " skip"));
}

class CelConformance : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::is_directory(kDataDir)) {
      GTEST_SKIP() << "no conformance data at " << kDataDir
                   << " (it is shared data, not part of the repository)";
    }
  }
};

TEST_F(CelConformance, EveryUsableCoreCasePasses) {
  for (const char* file : kCoreFiles) {
    auto results = RunConformanceFile(kDataDir + "/" + file + ".jsonl");
    ASSERT_TRUE(results.ok()) << results.status();
    Report(*results);
    EXPECT_GT(results->pass, 0) << file;
    for (const CaseOutcome& c : results->outcomes) {
      if (c.status == CaseOutcome::Status::kFail && !IsCoreSkip(c)) {
        ADD_FAILURE() << c.Id() << ": " << c.detail;
      }
      // Core files skip only what needs protobuf messages or is a skip upstream.
      if (c.status == CaseOutcome::Status::kSkip) {
        EXPECT_TRUE(absl::StartsWith(c.detail, "needs protobuf") ||
                    absl::StartsWith(c.detail, "expectation is a skip"))
            << c.Id() << ": " << c.detail;
      }
    }
  }
}

TEST_F(CelConformance, ExtensionsAreRunAndCounted) {
  int pass = 0, fail = 0, skip = 0;
  for (const char* file : kExtensionFiles) {
    auto results = RunConformanceFile(kDataDir + "/" + file + ".jsonl");
    if (!results.ok()) {
      std::cout << "[ cel      ] " << file << ": " << results.status() << std::endl;
      continue;
    }
    Report(*results);
    pass += results->pass;
    fail += results->fail;
    skip += results->skip;
    for (const CaseOutcome& c : results->outcomes) {
      if (c.status == CaseOutcome::Status::kFail) {
        std::cout << "[ cel fail ] " << c.Id() << ": " << c.detail.substr(0, 200) << std::endl;
      }
    }
  }
  std::cout << "[ cel      ] extensions: pass " << pass << ", fail " << fail << ", skip " << skip
            << std::endl;
  std::cout << "[ cel      ] skipped by name:" << std::endl;
  for (const KnownSkip& s : KnownSkips()) {
    std::cout << "[ cel      ]   " << s.file << (s.section.empty() ? "" : "/") << s.section
              << (s.mention.empty() ? "" : " mentioning ") << s.mention << ": " << s.reason
              << std::endl;
  }
}

// --- The runner on records written here (runs without the shared data). ---

TEST(CelConformanceRunner, JudgesValuesErrorsAndSkips) {
  auto run = [](const std::string& record) { return RunConformanceCase(record); };
  using S = CaseOutcome::Status;
  EXPECT_EQ(run(R"json({"file":"t","ordinal":1,"section":"s","name":"n","expr":"x + 1u",
      "disable_check":false,"bindings":{"x":{"uint":"2"}},"expected":{"value":{"uint":"3"}},
      "needs_proto":false})json")
                .status,
            S::kPass);
  EXPECT_EQ(run(R"json({"file":"t","ordinal":2,"section":"s","name":"n","expr":"1 + 1",
      "disable_check":false,"bindings":{},"expected":{"value":{"uint":"2"}},"needs_proto":false})json")
                .status,
            S::kFail);  // int 2 is not uint 2
  EXPECT_EQ(run(R"json({"file":"t","ordinal":3,"section":"s","name":"n","expr":"1 / 0",
      "disable_check":false,"bindings":{},"expected":{"error":true},"needs_proto":false})json")
                .status,
            S::kPass);
  EXPECT_EQ(run(R"json({"file":"t","ordinal":4,"section":"s","name":"n","expr":"y",
      "container":"a.b","disable_check":false,"bindings":{"a.y":{"int":"1"}},
      "expected":{"value":{"int":"1"}},"needs_proto":false})json")
                .status,
            S::kPass);
  CaseOutcome proto = run(R"json({"file":"t","ordinal":5,"section":"s","name":"n","expr":"x",
      "disable_check":false,"bindings":{},"expected":{"value":{"int":"1"}},"needs_proto":true})json");
  EXPECT_EQ(proto.status, S::kSkip);
  EXPECT_TRUE(absl::StrContains(proto.detail, "protobuf"));
  CaseOutcome named = run(R"json({"file":"network_ext","ordinal":1,"section":"s","name":"n",
      "expr":"ip('1.2.3.4')","disable_check":false,"bindings":{},
      "expected":{"value":{"bool":true}},"needs_proto":false})json");
  EXPECT_EQ(named.status, S::kSkip);
  EXPECT_EQ(named.Id(), "network_ext#1 s/n");
  EXPECT_EQ(run("not json").status, S::kFail);
}

// --- The command line. ---

TEST(CelCommand, EvaluatesAnExpression) {
  const std::string bindings =
      R"json({"x": {"map": [[{"string": "items"}, {"list": [{"int": "1"}, {"int": "20"}]}]]}})json";
  e2e::CommandResult r = e2e::RunCommand(
      {"cel", "eval", "--expr", "x.items.map(i, i * 2)[1] + 1", "--bindings", bindings});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "{\"value\":{\"int\":\"41\"}}\n");
}

TEST(CelCommand, ReportsErrors) {
  e2e::CommandResult r = e2e::RunCommand({"cel", "eval", "--expr", "1 / 0"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "{\"error\":\"division by zero\"}\n");
  r = e2e::RunCommand({"cel", "eval", "--expr", "1 +"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StartsWith(r.out, "{\"error\":\"1:")) << r.out;
  r = e2e::RunCommand({"cel", "eval", "--expr", "y", "--container", "a"});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.out, "{\"error\":\"1:1: undeclared reference to 'y'\"}\n");
  r = e2e::RunCommand({"cel", "frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
}

// One case per line: (ordinal, name, expr, expected, needs_proto).
std::string CaseLine(int ordinal, const char* name, const char* expr, const char* expected,
                     bool needs_proto) {
  return absl::StrCat(R"json({"file":"t","ordinal":)json", ordinal,
                      R"json(,"section":"s","name":")json", name, R"json(","expr":")json", expr,
                      R"json(","disable_check":false,"bindings":{},"expected":{"value":)json",
                      expected, R"json(},"needs_proto":)json", needs_proto ? "true" : "false",
                      "}\n");
}

TEST(CelCommand, RunsCaseFiles) {
  e2e::TempDir dir;
  const std::string path = dir.path() + "/cases.jsonl";
  std::ofstream(path) << CaseLine(1, "ok", "2 < 2.5", R"json({"bool":true})json", false)
                      << CaseLine(2, "bad", "1", R"json({"int":"2"})json", false)
                      << CaseLine(3, "proto", "1", R"json({"int":"1"})json", true);
  e2e::CommandResult r = e2e::RunCommand({"cel", "eval", "--cases", path});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_TRUE(absl::StrContains(r.out, "PASS t#1 s/ok\n")) << r.out;
  EXPECT_TRUE(
      absl::StrContains(r.out, "FAIL t#2 s/bad expected {\"int\":\"2\"} got {\"int\":\"1\"}"))
      << r.out;
  EXPECT_TRUE(absl::StrContains(r.out, "SKIP t#3 s/proto needs protobuf messages")) << r.out;
  EXPECT_TRUE(absl::EndsWith(r.out, "TOTAL pass=1 fail=1 skip=1\n")) << r.out;
}

}  // namespace
}  // namespace runledger::cel
