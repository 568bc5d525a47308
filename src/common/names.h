// Resource names of the Tekton Results API (spec/api.md §2.1):
//   Result  <parent>/results/<result>
//   Record  <parent>/results/<result>/records/<record>
//   Log     <parent>/results/<result>/logs/<record>
// where every id is 1 to 63 characters of [a-z0-9_-]. `-` is a valid id; in List and Summary
// parents it means "any". Failures are InvalidArgument with upstream's message.
#ifndef RUNLEDGER_COMMON_NAMES_H_
#define RUNLEDGER_COMMON_NAMES_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace runledger {

struct ResultName {
  std::string parent;
  std::string result;
};

struct RecordName {
  std::string parent;
  std::string result;
  std::string record;
};

// The ids of a Record name, as views into it.
struct RecordNameView {
  absl::string_view parent;
  absl::string_view result;
  absl::string_view record;
};

inline constexpr absl::string_view kWildcard = "-";

// True if `id` is 1 to 63 characters of [a-z0-9_-].
bool IsValidId(absl::string_view id);

absl::StatusOr<ResultName> ParseResultName(absl::string_view name);
absl::StatusOr<RecordName> ParseRecordName(absl::string_view name);
absl::StatusOr<RecordName> ParseLogName(absl::string_view name);
// Splits a stored Record name, already validated when it was written, without validating it
// again or copying it. False if `name` does not have the shape <a>/results/<b>/records/<c>.
bool SplitStoredRecordName(absl::string_view name, RecordNameView* ids);

std::string FormatResultName(absl::string_view parent, absl::string_view result);
std::string FormatRecordName(absl::string_view result_name, absl::string_view record);

}  // namespace runledger

#endif  // RUNLEDGER_COMMON_NAMES_H_
