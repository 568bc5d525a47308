#include "src/projections/run_facts.h"

#include <string_view>

#include "absl/time/time.h"
#include "simdjson.h"
#include "src/common/padded_json.h"

namespace runledger {
namespace {

std::optional<std::string> StringAt(simdjson::ondemand::document& doc, std::string_view pointer) {
  std::string_view value;
  if (doc.at_pointer(pointer).get_string().get(value) != simdjson::SUCCESS) return std::nullopt;
  return std::string(value);
}

std::optional<int64_t> MicrosAt(simdjson::ondemand::document& doc, std::string_view pointer) {
  std::string_view value;
  if (doc.at_pointer(pointer).get_string().get(value) != simdjson::SUCCESS) return std::nullopt;
  return ParseMicros(absl::string_view(value.data(), value.size()));
}

// The first condition's reason: a string by its text, a number or boolean as others (its text
// is a reason no bucket names), anything else (absent, null, object) as no reason.
StatusBucket BucketAt(simdjson::ondemand::document& doc) {
  simdjson::ondemand::value reason;
  if (doc.at_pointer("/status/conditions/0/reason").get(reason) != simdjson::SUCCESS) {
    return StatusBucket::kNone;
  }
  simdjson::ondemand::json_type type;
  if (reason.type().get(type) != simdjson::SUCCESS) return StatusBucket::kNone;
  switch (type) {
    case simdjson::ondemand::json_type::string: {
      std::string_view text;
      if (reason.get_string().get(text) != simdjson::SUCCESS) return StatusBucket::kNone;
      return BucketOfReason(absl::string_view(text.data(), text.size()));
    }
    case simdjson::ondemand::json_type::number:
    case simdjson::ondemand::json_type::boolean:
      return StatusBucket::kOthers;
    default:
      return StatusBucket::kNone;
  }
}

}  // namespace

StatusBucket BucketOfReason(absl::string_view reason) {
  if (reason == "Succeeded" || reason == "Completed") return StatusBucket::kSucceeded;
  if (reason == "Failed") return StatusBucket::kFailed;
  if (reason == "Cancelled") return StatusBucket::kCancelled;
  if (reason == "Running") return StatusBucket::kRunning;
  return StatusBucket::kOthers;
}

std::optional<int64_t> ParseMicros(absl::string_view rfc3339) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, rfc3339, &t, &error)) return std::nullopt;
  // Round half to even, as PostgreSQL does when it stores a timestamp.
  const absl::Duration since_epoch = t - absl::UnixEpoch();
  const int64_t floor_micros =
      absl::ToInt64Microseconds(absl::Floor(since_epoch, absl::Microseconds(1)));
  const int64_t rest_nanos =
      absl::ToInt64Nanoseconds(since_epoch - absl::Microseconds(floor_micros));
  if (rest_nanos > 500 || (rest_nanos == 500 && floor_micros % 2 != 0)) return floor_micros + 1;
  return floor_micros;
}

RunFacts FactsOf(const RecordView& record) {
  RunFacts facts;
  facts.parent = std::string(record.name.substr(0, record.name.find('/')));
  facts.type = std::string(record.data_type);
  if (record.data.empty()) return facts;
  simdjson::ondemand::document* doc = record.parsed_data;
  // Folds and fallbacks call this for every record: keep one parser per thread.
  thread_local simdjson::ondemand::parser parser;
  simdjson::ondemand::document own;
  if (doc == nullptr) {
    if (parser.iterate(PaddedCopy(std::string_view(record.data.data(), record.data.size())))
            .get(own) != simdjson::SUCCESS)
      return facts;
    doc = &own;
  }
  facts.namespace_name = StringAt(*doc, "/metadata/namespace");
  facts.pipeline = StringAt(*doc, "/metadata/labels/tekton.dev~1pipeline");
  facts.repository = StringAt(*doc, "/metadata/annotations/pipelinesascode.tekton.dev~1repository");
  facts.created_micros = MicrosAt(*doc, "/metadata/creationTimestamp");
  facts.started_micros = MicrosAt(*doc, "/status/startTime");
  facts.completed_micros = MicrosAt(*doc, "/status/completionTime");
  facts.bucket = BucketAt(*doc);
  return facts;
}

}  // namespace runledger
