#include "src/common/names.h"

#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace runledger {
namespace {

constexpr absl::string_view kIdPattern = "[a-z0-9_-]{1,63}";

// Splits `name` into ids separated by the literal words of `words`: with words {"results"},
// "a/results/b" gives {"a", "b"}. Returns false if the name does not have exactly that shape.
bool SplitName(absl::string_view name, const std::vector<absl::string_view>& words,
               std::vector<std::string>* ids) {
  std::vector<absl::string_view> parts = absl::StrSplit(name, '/');
  if (parts.size() != 2 * words.size() + 1) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i % 2 == 1) {
      if (parts[i] != words[i / 2]) return false;
    } else {
      if (!IsValidId(parts[i])) return false;
      ids->emplace_back(parts[i]);
    }
  }
  return true;
}

absl::Status GrammarError(const std::vector<absl::string_view>& words) {
  std::string pattern = absl::StrCat("(^", kIdPattern, ")");
  for (size_t i = 0; i < words.size(); ++i) {
    absl::StrAppend(&pattern, "/", words[i], "/(", kIdPattern, i + 1 == words.size() ? "$)" : ")");
  }
  return absl::InvalidArgumentError(absl::StrCat("name must match ", pattern));
}

absl::StatusOr<RecordName> ParseChildName(absl::string_view name, absl::string_view kind) {
  const std::vector<absl::string_view> words = {"results", kind};
  std::vector<std::string> ids;
  if (!SplitName(name, words, &ids)) return GrammarError(words);
  return RecordName{std::move(ids[0]), std::move(ids[1]), std::move(ids[2])};
}

}  // namespace

bool IsValidId(absl::string_view id) {
  if (id.empty() || id.size() > 63) return false;
  for (char c : id) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

absl::StatusOr<ResultName> ParseResultName(absl::string_view name) {
  const std::vector<absl::string_view> words = {"results"};
  std::vector<std::string> ids;
  if (!SplitName(name, words, &ids)) return GrammarError(words);
  return ResultName{std::move(ids[0]), std::move(ids[1])};
}

absl::StatusOr<RecordName> ParseRecordName(absl::string_view name) {
  return ParseChildName(name, "records");
}

absl::StatusOr<RecordName> ParseLogName(absl::string_view name) {
  return ParseChildName(name, "logs");
}

bool SplitStoredRecordName(absl::string_view name, RecordNameView* ids) {
  constexpr absl::string_view kResults = "/results/";
  constexpr absl::string_view kRecords = "/records/";
  const size_t results = name.find(kResults);
  if (results == absl::string_view::npos) return false;
  const size_t records = name.find(kRecords, results + kResults.size());
  if (records == absl::string_view::npos) return false;
  ids->parent = name.substr(0, results);
  ids->result = name.substr(results + kResults.size(), records - results - kResults.size());
  ids->record = name.substr(records + kRecords.size());
  return true;
}

std::string FormatResultName(absl::string_view parent, absl::string_view result) {
  return absl::StrCat(parent, "/results/", result);
}

std::string FormatRecordName(absl::string_view result_name, absl::string_view record) {
  return absl::StrCat(result_name, "/records/", record);
}

}  // namespace runledger
