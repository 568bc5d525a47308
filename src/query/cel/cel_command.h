// `runledger cel`: evaluate CEL expressions from the command line.
//
//   runledger cel eval --expr EXPR [--bindings JSON] [--container NAME]
//       Prints {"value": TYPED} (exit 0) or {"error": "message"} (exit 1) as one JSON line.
//       JSON maps variable names to typed values (typed_json.h), e.g. {"x": {"int": "1"}}.
//   runledger cel eval --cases FILE.jsonl
//       Runs conformance cases (conformance.h): one PASS/FAIL/SKIP line per case and a total;
//       exit 0 only if none failed.
// Usage errors exit 2.
#ifndef RUNLEDGER_QUERY_CEL_CEL_COMMAND_H_
#define RUNLEDGER_QUERY_CEL_CEL_COMMAND_H_

namespace runledger::cel {

// argv[0] is "cel".
int RunCelCommand(int argc, char** argv);

}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_CEL_COMMAND_H_
