#include "src/query/cel/cel_command.h"

#include <iostream>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "cxxopts.hpp"
#include "nlohmann/json.hpp"
#include "src/query/cel/conformance.h"
#include "src/query/cel/evaluator.h"
#include "src/query/cel/parser.h"
#include "src/query/cel/string_view_compat.h"
#include "src/query/cel/typed_json.h"

namespace runledger::cel {
namespace {

using json = nlohmann::json;

constexpr char kUsage[] =
    "usage: runledger cel eval --expr EXPR [--bindings JSON] [--container NAME]\n"
    "       runledger cel eval --cases FILE.jsonl\n";

std::string Dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

int PrintError(std::string_view message) {
  std::cout << Dump(json{{"error", std::string(message)}}) << std::endl;
  return 1;
}

// The typed-JSON bindings object as variables declared in `env` and their values.
absl::Status ReadBindings(const std::string& text, Environment* env, std::vector<Value>* values) {
  json bindings = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!bindings.is_object()) return absl::InvalidArgumentError("--bindings must be a JSON object");
  return BindTypedValues(bindings, env, values);
}

int EvalExpression(const std::string& expr, const std::string& bindings,
                   const std::string& container) {
  Environment env;
  env.set_container(container);
  std::vector<Value> values;
  if (absl::Status s = ReadBindings(bindings, &env, &values); !s.ok()) {
    return PrintError(FromAbsl(s.message()));
  }
  auto parsed = Parse(expr);
  if (!parsed.ok()) return PrintError(FromAbsl(parsed.status().message()));
  auto program = Program::Compile(*parsed, env, /*require_bool=*/false);
  if (!program.ok()) return PrintError(FromAbsl(program.status().message()));
  Value result = program->Evaluate(values);
  if (result.is_error()) return PrintError(result.text());
  std::cout << Dump(json{{"value", ToTypedJson(result)}}) << std::endl;
  return 0;
}

std::string_view Label(CaseOutcome::Status status) {
  switch (status) {
    case CaseOutcome::Status::kPass:
      return "PASS";
    case CaseOutcome::Status::kFail:
      return "FAIL";
    case CaseOutcome::Status::kSkip:
      break;
  }
  return "SKIP";
}

int RunCases(const std::string& path) {
  auto results = RunConformanceFile(path);
  if (!results.ok()) {
    std::cerr << "runledger cel: " << results.status() << std::endl;
    return 2;
  }
  for (const CaseOutcome& c : results->outcomes) {
    std::cout << Label(c.status) << " " << c.Id();
    if (!c.detail.empty()) std::cout << " " << c.detail;
    std::cout << "\n";
  }
  std::cout << "TOTAL pass=" << results->pass << " fail=" << results->fail
            << " skip=" << results->skip << std::endl;
  return results->fail == 0 ? 0 : 1;
}

}  // namespace

int RunCelCommand(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) != "eval") {
    std::cerr << kUsage;
    return 2;
  }
  cxxopts::Options options("runledger cel eval", "Evaluate CEL expressions.");
  options.add_options()("expr", "The expression.", cxxopts::value<std::string>())(
      "bindings", "Variables as a JSON object of typed values.",
      cxxopts::value<std::string>()->default_value("{}"))(
      "container", "The container (namespace) names are resolved in.",
      cxxopts::value<std::string>()->default_value(""))(
      "cases", "A .jsonl file of conformance cases to run.", cxxopts::value<std::string>())(
      "h,help", "Print this help.");
  try {
    cxxopts::ParseResult args = options.parse(argc - 1, argv + 1);
    if (args.count("help")) {
      std::cout << options.help() << std::endl;
      return 0;
    }
    if (args.count("cases")) return RunCases(args["cases"].as<std::string>());
    if (!args.count("expr")) {
      std::cerr << kUsage;
      return 2;
    }
    return EvalExpression(args["expr"].as<std::string>(), args["bindings"].as<std::string>(),
                          args["container"].as<std::string>());
  } catch (const cxxopts::exceptions::exception& e) {
    std::cerr << "runledger cel: " << e.what() << "\n" << kUsage;
    return 2;
  }
}

}  // namespace runledger::cel
