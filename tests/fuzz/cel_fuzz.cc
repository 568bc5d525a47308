// libFuzzer target for the CEL language: parses its input, compiles it in an environment with
// a few variables (unchecked, so any name and function is accepted), and evaluates it. Any crash,
// hang, sanitizer report or runaway allocation is a bug. Run it with scripts/fuzz.sh.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "src/query/cel/evaluator.h"
#include "src/query/cel/parser.h"

namespace {

using runledger::cel::Environment;
using runledger::cel::Program;
using runledger::cel::Type;
using runledger::cel::Value;

const Environment& FuzzEnvironment() {
  static const Environment* env = [] {
    auto* e = new Environment();
    (void)e->AddVariable("x", Type::Dyn());
    (void)e->AddVariable("s", Type::String());
    (void)e->AddVariable("m", Type::Dyn());
    e->set_check_references(false);
    return e;
  }();
  return *env;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = runledger::cel::Parse(text);
  if (!parsed.ok()) return 0;
  auto program = Program::Compile(*parsed, FuzzEnvironment(), /*require_bool=*/false);
  if (!program.ok()) return 0;
  const Value slots[] = {
      Value::Int(7),
      Value::StringView("tekton.dev/v1.PipelineRun"),
      Value::Map({{Value::StringView("a"), Value::List({Value::Double(1.5), Value::Null()})},
                  {Value::StringView("t"), Value::StringView("2024-01-02T03:04:05Z")}}),
  };
  program->Evaluate(slots);
  return 0;
}
