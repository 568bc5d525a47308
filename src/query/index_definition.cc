#include "src/query/index_definition.h"

#include <fstream>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "re2/re2.h"
#include "src/projections/user_index_projection.h"
#include "src/query/cel/parser.h"
#include "src/query/filter_plan.h"

namespace runledger {
namespace {

absl::Status Invalid(absl::string_view field, absl::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(field, ": ", problem));
}

}  // namespace

absl::StatusOr<v1::IndexDefinition> CheckIndexDefinition(const v1::IndexDefinition& definition) {
  static const RE2* name_pattern = new RE2("[a-z0-9_-]{1,63}");
  if (definition.name().empty()) return Invalid("index.name", "required");
  if (!RE2::FullMatch(definition.name(), *name_pattern)) {
    return Invalid("index.name",
                   absl::StrCat("\"", definition.name(), "\" must be 1 to 63 of [a-z0-9_-]"));
  }
  if (definition.expression().empty()) return Invalid("index.expression", "required");
  absl::StatusOr<cel::ParsedExpr> parsed = cel::Parse(definition.expression());
  if (!parsed.ok()) return Invalid("index.expression", parsed.status().message());
  std::string_view variable;
  std::vector<std::string> steps;
  const bool path = ReadPath(*parsed->root, &variable, &steps);
  const absl::string_view name(variable.data(), variable.size());
  const bool data_path = path && name == "data" && !steps.empty();
  const bool data_type = path && name == UserIndexProjection::kDataTypeField && steps.empty();
  if (!data_path && !data_type) {
    return Invalid("index.expression",
                   absl::StrCat("\"", definition.expression(),
                                "\" must be data_type or a path below data of fields and "
                                "constant indexes, e.g. data.metadata.labels['app']"));
  }
  v1::IndexDefinition checked;
  checked.set_name(definition.name());
  checked.set_expression(definition.expression());
  checked.set_field(UserIndexProjection::FieldOf(name, steps));
  return checked;
}

absl::StatusOr<std::vector<v1::IndexDefinition>> ReadIndexConfig(const std::string& path) {
  std::ifstream in(path);
  if (!in) return absl::NotFoundError(absl::StrCat("index config ", path, ": cannot read"));
  nlohmann::json config = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
  if (config.is_discarded() || !config.is_object() || !config["indexes"].is_array()) {
    return Invalid(path, "expected a JSON object with an \"indexes\" array");
  }
  std::vector<v1::IndexDefinition> definitions;
  for (const nlohmann::json& entry : config["indexes"]) {
    if (!entry.is_object() || !entry.value("name", nlohmann::json()).is_string() ||
        !entry.value("expression", nlohmann::json()).is_string()) {
      return Invalid(path, "each index needs string \"name\" and \"expression\"");
    }
    v1::IndexDefinition definition;
    definition.set_name(entry["name"].get<std::string>());
    definition.set_expression(entry["expression"].get<std::string>());
    absl::StatusOr<v1::IndexDefinition> checked = CheckIndexDefinition(definition);
    if (!checked.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": ", checked.status().message()));
    }
    definitions.push_back(std::move(*checked));
  }
  return definitions;
}

absl::Status ApplyIndexConfig(const std::vector<v1::IndexDefinition>& definitions, Store& store) {
  for (const v1::IndexDefinition& definition : definitions) {
    bool present = false;
    for (const v1::IndexDefinition& existing : *store.UserIndexes()) {
      if (existing.name() != definition.name()) continue;
      present = existing.field() == definition.field();
      if (!present) {
        absl::Status s = store.DropIndex(definition.name());
        if (!s.ok()) return s;
      }
    }
    if (present) continue;
    absl::Status s = store.CreateIndex(definition);
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace runledger
