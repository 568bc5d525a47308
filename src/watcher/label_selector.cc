#include "src/watcher/label_selector.h"

#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace runledger::watcher {
namespace {

// Splits on commas outside parentheses.
std::vector<std::string> SplitRequirements(const std::string& text) {
  std::vector<std::string> parts;
  std::string current;
  int depth = 0;
  for (char c : text) {
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c == ',' && depth == 0) {
      parts.push_back(std::move(current));
      current.clear();
    } else {
      current += c;
    }
  }
  parts.push_back(std::move(current));
  return parts;
}

bool ValidToken(absl::string_view token) {
  if (token.empty()) return false;
  for (char c : token) {
    if (!absl::ascii_isalnum(c) && c != '-' && c != '_' && c != '.' && c != '/') return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<LabelSelector> LabelSelector::Parse(const std::string& text) {
  LabelSelector selector;
  if (absl::StripAsciiWhitespace(text).empty()) return selector;
  for (const std::string& raw : SplitRequirements(text)) {
    absl::string_view part = absl::StripAsciiWhitespace(raw);
    auto invalid = [&part](absl::string_view why) {
      return absl::InvalidArgumentError(
          absl::StrCat("label_selector: requirement \"", part, "\": ", why));
    };
    Requirement requirement;
    size_t op_at;
    if ((op_at = part.find("!=")) != absl::string_view::npos) {
      requirement = {std::string(absl::StripAsciiWhitespace(part.substr(0, op_at))),
                     Op::kNotIn,
                     {std::string(absl::StripAsciiWhitespace(part.substr(op_at + 2)))}};
    } else if ((op_at = part.find('=')) != absl::string_view::npos) {
      absl::string_view value = part.substr(op_at + 1);
      absl::ConsumePrefix(&value, "=");
      requirement = {std::string(absl::StripAsciiWhitespace(part.substr(0, op_at))),
                     Op::kIn,
                     {std::string(absl::StripAsciiWhitespace(value))}};
    } else if (part.find('(') != absl::string_view::npos) {
      std::vector<absl::string_view> words =
          absl::StrSplit(part.substr(0, part.find('(')), ' ', absl::SkipWhitespace());
      if (words.size() != 2 || (words[1] != "in" && words[1] != "notin") || part.back() != ')') {
        return invalid("expected `key in (values)` or `key notin (values)`");
      }
      requirement.key = std::string(words[0]);
      requirement.op = words[1] == "in" ? Op::kIn : Op::kNotIn;
      absl::string_view list = part.substr(part.find('(') + 1);
      list.remove_suffix(1);
      for (absl::string_view value : absl::StrSplit(list, ',')) {
        value = absl::StripAsciiWhitespace(value);
        if (!value.empty() && !ValidToken(value)) return invalid("bad value");
        requirement.values.insert(std::string(value));
      }
    } else if (absl::ConsumePrefix(&part, "!")) {
      requirement = {std::string(absl::StripAsciiWhitespace(part)), Op::kDoesNotExist, {}};
    } else {
      requirement = {std::string(part), Op::kExists, {}};
    }
    if (!ValidToken(requirement.key)) return invalid("bad or missing key");
    for (const std::string& value : requirement.values) {
      if (!value.empty() && !ValidToken(value)) return invalid("bad value");
    }
    selector.requirements_.push_back(std::move(requirement));
  }
  return selector;
}

bool LabelSelector::Matches(const std::map<std::string, std::string>& labels) const {
  for (const Requirement& requirement : requirements_) {
    auto it = labels.find(requirement.key);
    const bool present = it != labels.end();
    switch (requirement.op) {
      case Op::kIn:
        if (!present || requirement.values.count(it->second) == 0) return false;
        break;
      case Op::kNotIn:
        if (present && requirement.values.count(it->second) != 0) return false;
        break;
      case Op::kExists:
        if (!present) return false;
        break;
      case Op::kDoesNotExist:
        if (present) return false;
        break;
    }
  }
  return true;
}

bool LabelSelector::Matches(const nlohmann::json& object) const {
  std::map<std::string, std::string> labels;
  auto metadata = object.find("metadata");
  if (metadata != object.end() && metadata->is_object()) {
    auto found = metadata->find("labels");
    if (found != metadata->end() && found->is_object()) {
      for (const auto& [key, value] : found->items()) {
        if (value.is_string()) labels[key] = value.get<std::string>();
      }
    }
  }
  return Matches(labels);
}

}  // namespace runledger::watcher
