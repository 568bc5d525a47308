// Runs cel-spec conformance cases as stored in /work/shared/conformance/cel/*.jsonl (one JSON
// record per line: expr, bindings, container, expected value or error; see that README).
//
// A case is skipped -- never silently -- when it needs protobuf messages, when its expectation
// is itself a skip, or when it is on the named list of features this runtime does not
// implement (KnownSkips()); every skip carries its reason. Invariant: running a case never
// throws, whatever the record holds.
#ifndef RUNLEDGER_QUERY_CEL_CONFORMANCE_H_
#define RUNLEDGER_QUERY_CEL_CONFORMANCE_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace runledger::cel {

struct CaseOutcome {
  enum class Status { kPass, kFail, kSkip };
  Status status = Status::kFail;
  std::string file;
  int ordinal = 0;
  std::string section;
  std::string name;
  std::string detail;  // FAIL: expected and got; SKIP: the reason

  // "file#ordinal section/name".
  std::string Id() const;
};

// A feature not implemented, by the cases it covers: a whole file, a section of a file, or the
// cases whose expression mentions `mention`. Empty fields match anything.
struct KnownSkip {
  std::string_view file;
  std::string_view section;
  std::string_view mention;
  std::string_view reason;
};
absl::Span<const KnownSkip> KnownSkips();

// Runs one record (a line of a .jsonl file).
CaseOutcome RunConformanceCase(std::string_view record);

struct FileResults {
  std::string file;
  int pass = 0, fail = 0, skip = 0;
  std::vector<CaseOutcome> outcomes;
};

// Runs every record of a .jsonl file. NotFound if it cannot be read.
absl::StatusOr<FileResults> RunConformanceFile(const std::string& path);

}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_CONFORMANCE_H_
