#include "src/query/order_by.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"

namespace runledger {
namespace {

bool IsFieldName(absl::string_view word) {
  return !word.empty() && std::all_of(word.begin(), word.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.';
  });
}

std::string FormatHint(const std::vector<OrderableField>& fields) {
  std::vector<absl::string_view> names;
  for (const OrderableField& f : fields) names.push_back(f.name);
  std::sort(names.begin(), names.end());
  return absl::StrCat("the value must obey the format <", absl::StrJoin(names, "|"),
                      "> [asc|desc]");
}

}  // namespace

const std::vector<OrderableField>& ResultOrderFields() {
  static const auto* fields = new std::vector<OrderableField>{
      {"create_time", SortField::kCreateTime},
      {"update_time", SortField::kUpdateTime},
      {"summary.start_time", SortField::kSummaryStartTime},
      {"summary.end_time", SortField::kSummaryEndTime},
  };
  return *fields;
}

const std::vector<OrderableField>& RecordOrderFields() {
  static const auto* fields = new std::vector<OrderableField>{
      {"create_time", SortField::kCreateTime},
      {"update_time", SortField::kUpdateTime},
  };
  return *fields;
}

absl::StatusOr<OrderBy> ParseOrderBy(absl::string_view text,
                                     const std::vector<OrderableField>& fields) {
  OrderBy order;
  text = absl::StripAsciiWhitespace(text);
  if (text.empty()) return order;
  std::vector<absl::string_view> words =
      absl::StrSplit(text, absl::ByAnyChar(" \t\n\r\f\v"), absl::SkipEmpty());
  const bool direction_ok =
      words.size() == 1 || (words.size() == 2 && (words[1] == "ASC" || words[1] == "asc" ||
                                                  words[1] == "DESC" || words[1] == "desc"));
  if (!direction_ok || !IsFieldName(words[0])) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid order by statement:\n", FormatHint(fields)));
  }
  auto it = std::find_if(fields.begin(), fields.end(),
                         [&](const OrderableField& f) { return f.name == words[0]; });
  if (it == fields.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat(words[0], ": field is unknown or cannot be used in the order by clause\n",
                     FormatHint(fields)));
  }
  order.field = it->field;
  order.field_name = std::string(it->name);
  order.descending = words.size() == 2 && absl::AsciiStrToLower(words[1]) == "desc";
  return order;
}

}  // namespace runledger
