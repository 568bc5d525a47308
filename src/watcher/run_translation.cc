#include "src/watcher/run_translation.h"

#include <charconv>
#include <cstdlib>
#include <tuple>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "src/common/names.h"
#include "src/common/time_util.h"

namespace runledger::watcher {
namespace {

namespace api = tekton::results::v1alpha2;
using nlohmann::json;

// `object[key]` if `object` is a JSON object holding `key`, else null.
const json* Member(const json& object, const char* key) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

// The string at object[key], or "" if there is none.
std::string StringAt(const json& object, const char* key) {
  const json* value = Member(object, key);
  return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
}

// metadata.annotations or metadata.labels as a string map (non-string values are skipped).
std::map<std::string, std::string> StringMapAt(const json& metadata, const char* key) {
  std::map<std::string, std::string> out;
  const json* map = Member(metadata, key);
  if (map == nullptr || !map->is_object()) return out;
  for (const auto& [k, v] : map->items()) {
    if (v.is_string()) out[k] = v.get<std::string>();
  }
  return out;
}

// A JSON number as Go's fmt.Sprint prints a float64 (%v: the shortest digits, in exponent form
// when the exponent is below -4 or at least 6).
std::string GoFloat(double number) {
  char buffer[64];
  char* end =
      std::to_chars(buffer, buffer + sizeof(buffer), number, std::chars_format::scientific).ptr;
  std::string scientific(buffer, end);
  const size_t e = scientific.find('e');
  const int exponent = std::atoi(scientific.c_str() + e + 1);
  if (exponent < -4 || exponent >= 6) return scientific;
  end = std::to_chars(buffer, buffer + sizeof(buffer), number, std::chars_format::fixed).ptr;
  return std::string(buffer, end);
}

// A JSON value as Go's fmt.Sprint prints the value encoding/json decodes it to.
std::string GoSprint(const json& value) {
  switch (value.type()) {
    case json::value_t::string:
      return value.get<std::string>();
    case json::value_t::boolean:
      return value.get<bool>() ? "true" : "false";
    case json::value_t::null:
      return "<nil>";
    case json::value_t::array: {
      std::vector<std::string> items;
      for (const json& item : value) items.push_back(GoSprint(item));
      return absl::StrCat("[", absl::StrJoin(items, " "), "]");
    }
    case json::value_t::object: {
      std::vector<std::string> items;  // json objects iterate in key order, as Go prints maps
      for (const auto& [key, item] : value.items()) items.push_back(key + ":" + GoSprint(item));
      return absl::StrCat("map[", absl::StrJoin(items, " "), "]");
    }
    default:
      return GoFloat(value.get<double>());
  }
}

// The JSON object held in annotation `key`, its values as text; empty if the annotation is
// absent.
absl::StatusOr<std::map<std::string, std::string>> AnnotationObject(
    const std::map<std::string, std::string>& annotations, const char* key) {
  std::map<std::string, std::string> out;
  auto it = annotations.find(key);
  if (it == annotations.end()) return out;
  json parsed = json::parse(it->second, nullptr, /*allow_exceptions=*/false);
  if (!parsed.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "metadata.annotations[\"", key, "\"]: must hold a JSON object, got: ", it->second));
  }
  for (const auto& [k, v] : parsed.items()) out[k] = GoSprint(v);
  return out;
}

// RFC 3339 time at status[key]; nullopt if absent or unparsable.
std::optional<google::protobuf::Timestamp> TimeAt(const json& status, const char* key) {
  const std::string text = StringAt(status, key);
  absl::Time time;
  std::string error;
  if (text.empty() || !absl::ParseTime(absl::RFC3339_full, text, &time, &error)) {
    return std::nullopt;
  }
  return NanosToTimestamp(absl::ToUnixNanos(time));
}

// The condition of type Succeeded, or null.
const json* SucceededCondition(const json& object) {
  const json* status = Member(object, "status");
  const json* conditions = status == nullptr ? nullptr : Member(*status, "conditions");
  if (conditions == nullptr || !conditions->is_array()) return nullptr;
  for (const json& condition : *conditions) {
    if (StringAt(condition, "type") == "Succeeded") return &condition;
  }
  return nullptr;
}

// The Result name, by upstream's precedence (see the header).
std::string ResultNameOf(const json& metadata,
                         const std::map<std::string, std::string>& annotations,
                         const std::string& namespace_name, const std::string& uid) {
  if (auto it = annotations.find(kResultAnnotation); it != annotations.end()) return it->second;
  const std::map<std::string, std::string> labels = StringMapAt(metadata, "labels");
  if (auto it = labels.find(kTriggersEventIdLabel); it != labels.end()) {
    return FormatResultName(namespace_name, it->second);
  }
  if (const json* owners = Member(metadata, "ownerReferences"); owners && owners->is_array()) {
    for (const json& owner : *owners) {
      if (absl::EqualsIgnoreCase(StringAt(owner, "kind"), "PipelineRun")) {
        return FormatResultName(namespace_name, StringAt(owner, "uid"));
      }
    }
  }
  return FormatResultName(namespace_name, uid);
}

bool HasOwners(const json& metadata) {
  const json* owners = Member(metadata, "ownerReferences");
  return owners != nullptr && owners->is_array() && !owners->empty();
}

// What identifies a run object; every field is required.
struct Identity {
  std::string api_version;
  std::string kind;
  std::string uid;
  std::string namespace_name;
  const json* metadata;
};

absl::StatusOr<Identity> IdentityOf(const json& object) {
  static const json& kNoMetadata = *new json(json::object());
  Identity id;
  const json* metadata = Member(object, "metadata");
  id.metadata = metadata != nullptr ? metadata : &kNoMetadata;
  for (auto [from, key, field, out] :
       {std::make_tuple(&object, "apiVersion", "apiVersion", &id.api_version),
        std::make_tuple(&object, "kind", "kind", &id.kind),
        std::make_tuple(id.metadata, "uid", "metadata.uid", &id.uid),
        std::make_tuple(id.metadata, "namespace", "metadata.namespace", &id.namespace_name)}) {
    *out = StringAt(*from, key);
    if (out->empty()) return absl::InvalidArgumentError(absl::StrCat(field, ": required"));
  }
  return id;
}

// A top-level run's own Result annotations: its summary labels and its name.
void SetTopLevelAnnotations(const json& metadata, const TranslationOptions& options,
                            google::protobuf::Map<std::string, std::string>* annotations) {
  const std::map<std::string, std::string> labels = StringMapAt(metadata, "labels");
  for (const std::string& label : options.summary_labels) {
    if (auto it = labels.find(label); it != labels.end()) (*annotations)[label] = it->second;
  }
  (*annotations)[kObjectNameResultAnnotation] = StringAt(metadata, "name");
}

// A top-level run's RecordSummary.
absl::StatusOr<api::RecordSummary> SummaryOf(const json& object, const json* succeeded,
                                             const std::map<std::string, std::string>& annotations,
                                             const std::string& record_name,
                                             const std::string& type) {
  api::RecordSummary summary;
  summary.set_record(record_name);
  summary.set_type(type);
  summary.set_status(succeeded == nullptr ? api::RecordSummary::UNKNOWN
                                          : SummaryStatusOfReason(StringAt(*succeeded, "reason")));
  if (const json* status = Member(object, "status"); status != nullptr) {
    if (auto start = TimeAt(*status, "startTime")) *summary.mutable_start_time() = *start;
    if (auto end = TimeAt(*status, "completionTime")) *summary.mutable_end_time() = *end;
  }
  absl::StatusOr<std::map<std::string, std::string>> summary_annotations =
      AnnotationObject(annotations, kRecordSummaryAnnotationsAnnotation);
  if (!summary_annotations.ok()) return summary_annotations.status();
  summary.mutable_annotations()->insert(summary_annotations->begin(), summary_annotations->end());
  return summary;
}

}  // namespace

api::RecordSummary::Status SummaryStatusOfReason(const std::string& reason) {
  static const auto* const kStatuses = new std::map<std::string, api::RecordSummary::Status>{
      {"Succeeded", api::RecordSummary::SUCCESS},
      {"Completed", api::RecordSummary::SUCCESS},
      {"Failed", api::RecordSummary::FAILURE},
      {"TaskRunTimeout", api::RecordSummary::TIMEOUT},
      {"PipelineRunTimeout", api::RecordSummary::TIMEOUT},
      {"TaskRunCancelled", api::RecordSummary::CANCELLED},
      {"Cancelled", api::RecordSummary::CANCELLED},
      {"TaskRunResolutionFailed", api::RecordSummary::FAILURE},
      {"TaskRunValidationFailed", api::RecordSummary::FAILURE},
      {"TaskValidationFailed", api::RecordSummary::FAILURE},
      {"ResourceVerificationFailed", api::RecordSummary::FAILURE},
      {"ExceededResourceQuota", api::RecordSummary::FAILURE},
      {"ExceededNodeResources", api::RecordSummary::FAILURE},
      {"PullImageFailed", api::RecordSummary::FAILURE},
      {"CreateContainerConfigError", api::RecordSummary::FAILURE},
      {"PodCreationFailed", api::RecordSummary::FAILURE},
      {"PodAdmissionFailed", api::RecordSummary::FAILURE},
  };
  auto it = kStatuses->find(reason);
  return it == kStatuses->end() ? api::RecordSummary::UNKNOWN : it->second;
}

absl::StatusOr<TranslatedRun> TranslateRun(const json& object, const TranslationOptions& options) {
  absl::StatusOr<Identity> id = IdentityOf(object);
  if (!id.ok()) return id.status();
  const std::map<std::string, std::string> annotations = StringMapAt(*id->metadata, "annotations");
  const json* succeeded = SucceededCondition(object);

  TranslatedRun run;
  run.top_level = !HasOwners(*id->metadata);
  run.done = succeeded != nullptr && StringAt(*succeeded, "status") != "Unknown";
  const std::string result_name =
      ResultNameOf(*id->metadata, annotations, id->namespace_name, id->uid);
  auto record_annotation = annotations.find(kRecordAnnotation);
  const std::string record_name = run.top_level && record_annotation != annotations.end()
                                      ? record_annotation->second
                                      : FormatRecordName(result_name, id->uid);
  const std::string type = absl::StrCat(id->api_version, ".", id->kind);

  v1::RunUpsert& upsert = run.upsert;
  upsert.set_update_result(run.top_level);
  api::Record& record = *upsert.mutable_record();
  record.set_name(record_name);
  record.mutable_data()->set_type(type);
  record.mutable_data()->set_value(object.dump(-1, ' ', false, json::error_handler_t::replace));

  api::Result& result = *upsert.mutable_result();
  result.set_name(result_name);
  if (run.top_level) {
    SetTopLevelAnnotations(*id->metadata, options, result.mutable_annotations());
    absl::StatusOr<api::RecordSummary> summary =
        SummaryOf(object, succeeded, annotations, record_name, type);
    if (!summary.ok()) return summary.status();
    *result.mutable_summary() = *std::move(summary);
  }
  absl::StatusOr<std::map<std::string, std::string>> extra =
      AnnotationObject(annotations, kResultAnnotationsAnnotation);
  if (!extra.ok()) return extra.status();
  for (const auto& [key, value] : *extra) (*result.mutable_annotations())[key] = value;

  run.write_back[kResultAnnotation] = result_name;
  run.write_back[kRecordAnnotation] = record_name;
  run.write_back[kStoredAnnotation] = run.done ? "true" : "false";
  if (!run.top_level && run.done) run.write_back[kChildReadyForDeletionAnnotation] = "true";
  return run;
}

std::optional<json> AnnotationPatch(const json& object,
                                    const std::map<std::string, std::string>& annotations) {
  const json* metadata = Member(object, "metadata");
  const std::map<std::string, std::string> current = metadata == nullptr
                                                         ? std::map<std::string, std::string>()
                                                         : StringMapAt(*metadata, "annotations");
  json changes = json::object();
  for (const auto& [key, value] : annotations) {
    auto it = current.find(key);
    if (it == current.end() || it->second != value) changes[key] = value;
  }
  if (changes.empty()) return std::nullopt;
  return json{{"metadata", {{"annotations", std::move(changes)}}}};
}

}  // namespace runledger::watcher
