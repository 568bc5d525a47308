#include "src/query/cel/conformance.h"

#include <fstream>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "src/query/cel/evaluator.h"
#include "src/query/cel/parser.h"
#include "src/query/cel/typed_json.h"

namespace runledger::cel {
namespace {

using json = nlohmann::json;

constexpr KnownSkip kKnownSkips[] = {
    {"block_ext", "", "optional", "optional values are not implemented"},
    {"network_ext", "", "", "the network extension (ip, cidr) is not implemented"},
    {"optionals", "", "", "optional values are not implemented (the parser rejects x.?f)"},
};

const KnownSkip* FindKnownSkip(const CaseOutcome& c, const std::string& expr) {
  for (const KnownSkip& s : kKnownSkips) {
    if (!s.file.empty() && s.file != c.file) continue;
    if (!s.section.empty() && s.section != c.section) continue;
    if (!s.mention.empty() && expr.find(s.mention) == std::string::npos) continue;
    return &s;
  }
  return nullptr;
}

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

CaseOutcome Fail(CaseOutcome c, std::string detail) {
  c.status = CaseOutcome::Status::kFail;
  c.detail = std::move(detail);
  return c;
}

CaseOutcome Pass(CaseOutcome c) {
  c.status = CaseOutcome::Status::kPass;
  return c;
}

CaseOutcome Skip(CaseOutcome c, std::string reason) {
  c.status = CaseOutcome::Status::kSkip;
  c.detail = std::move(reason);
  return c;
}

// The reason to skip a case, or empty to run it.
std::string SkipReason(const CaseOutcome& c, const json& record, const std::string& expr) {
  if (record.value("needs_proto", false)) {
    std::string reason = "needs protobuf messages";
    if (record.contains("proto_reasons"))
      absl::StrAppend(&reason, ": ", Dump(record["proto_reasons"]));
    return reason;
  }
  const json& expected = record["expected"];
  if (expected.contains("skip"))
    return absl::StrCat("expectation is a skip: ", Dump(expected["skip"]));
  if (const KnownSkip* s = FindKnownSkip(c, expr)) return std::string(s->reason);
  return "";
}

// Compiles and evaluates; a compile error comes back as an error Value.
Value Run(const json& record, const std::string& expr, absl::Status* setup_error) {
  ParseOptions options;
  options.enable_macros = !record.value("disable_macros", false);
  auto parsed = Parse(expr, options);
  if (!parsed.ok()) {
    *setup_error = parsed.status();
    return Value();
  }
  Environment env;
  env.set_container(record.value("container", ""));
  env.set_check_references(!record.value("disable_check", false));
  std::vector<Value> values;
  *setup_error = BindTypedValues(record.value("bindings", json::object()), &env, &values);
  if (!setup_error->ok()) return Value();
  auto program = Program::Compile(*parsed, env, /*require_bool=*/false);
  if (!program.ok()) return Value::Error(std::string(program.status().message()));
  // The result may borrow from the program, which ends here.
  return program->Evaluate(values).Detached();
}

CaseOutcome Judge(CaseOutcome c, const json& expected, const Value& got) {
  std::string got_text = Dump(ToTypedJson(got));
  if (expected.contains("error")) {
    if (got.is_error()) return Pass(std::move(c));
    return Fail(std::move(c), absl::StrCat("expected an error, got ", got_text));
  }
  auto want = FromTypedJson(expected["value"]);
  if (!want.ok()) return Fail(std::move(c), std::string(want.status().message()));
  if (TypedEqual(*want, got)) return Pass(std::move(c));
  return Fail(std::move(c), absl::StrCat("expected ", Dump(expected["value"]), " got ", got_text));
}

CaseOutcome RunRecord(const json& record) {
  CaseOutcome c;
  c.file = record.value("file", "");
  c.ordinal = record.value("ordinal", 0);
  c.section = record.value("section", "");
  c.name = record.value("name", "");
  std::string expr = record.value("expr", "");
  std::string skip = SkipReason(c, record, expr);
  if (!skip.empty()) return Skip(std::move(c), std::move(skip));
  absl::Status setup;
  Value got = Run(record, expr, &setup);
  if (!setup.ok()) return Fail(std::move(c), absl::StrCat("setup failed: ", setup.ToString()));
  return Judge(std::move(c), record["expected"], got);
}

}  // namespace

std::string CaseOutcome::Id() const {
  return absl::StrCat(file, "#", ordinal, " ", section, "/", name);
}

absl::Span<const KnownSkip> KnownSkips() { return kKnownSkips; }

CaseOutcome RunConformanceCase(std::string_view line) {
  try {
    return RunRecord(json::parse(line));
  } catch (const json::exception& e) {
    CaseOutcome c;
    c.detail = absl::StrCat("unreadable record: ", e.what());
    return c;
  }
}

absl::StatusOr<FileResults> RunConformanceFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("cannot read ", path));
  FileResults results;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    CaseOutcome c = RunConformanceCase(line);
    if (results.file.empty()) results.file = c.file;
    switch (c.status) {
      case CaseOutcome::Status::kPass:
        ++results.pass;
        break;
      case CaseOutcome::Status::kFail:
        ++results.fail;
        break;
      case CaseOutcome::Status::kSkip:
        ++results.skip;
        break;
    }
    results.outcomes.push_back(std::move(c));
  }
  return results;
}

}  // namespace runledger::cel
