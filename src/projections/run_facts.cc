#include "src/projections/run_facts.h"

#include <array>
#include <bitset>
#include <string_view>

#include "absl/time/time.h"
#include "simdjson.h"
#include "src/common/padded_json.h"

namespace runledger {
namespace {

namespace ondemand = simdjson::ondemand;

// Reads `object` once, handing the first field named keys[i] to `read(i, value)` (a later field of
// the same name is ignored, as JSON Pointer lookups ignore it). Keys compare unescaped to the raw
// key, as simdjson's find_field does.
template <size_t N, typename Read>
void ReadFields(ondemand::object object, const std::array<std::string_view, N>& keys,
                const Read& read) {
  std::bitset<N> seen;
  for (auto field : object) {
    ondemand::raw_json_string key;
    if (field.key().get(key) != simdjson::SUCCESS) return;
    for (size_t i = 0; i < N; ++i) {
      if (seen[i] || !(key == keys[i])) continue;
      seen[i] = true;
      ondemand::value value;
      if (field.value().get(value) == simdjson::SUCCESS) read(i, value);
      break;
    }
    if (seen.all()) return;
  }
}

std::optional<std::string> StringOf(ondemand::value& value) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return std::nullopt;
  return std::string(text);
}

std::optional<int64_t> MicrosOf(ondemand::value& value) {
  std::string_view text;
  if (value.get_string().get(text) != simdjson::SUCCESS) return std::nullopt;
  return ParseMicros(absl::string_view(text.data(), text.size()));
}

// The string at key `key` of `value`, an object.
std::optional<std::string> StringField(ondemand::value& value, std::string_view key) {
  ondemand::object object;
  if (value.get_object().get(object) != simdjson::SUCCESS) return std::nullopt;
  std::optional<std::string> text;
  ReadFields(object, std::array{key}, [&](size_t, ondemand::value& v) { text = StringOf(v); });
  return text;
}

// A reason: a string by its text, a number or boolean as others (its text is a reason no bucket
// names), anything else (null, object, array) as no reason.
StatusBucket BucketOf(ondemand::value& reason) {
  ondemand::json_type type;
  if (reason.type().get(type) != simdjson::SUCCESS) return StatusBucket::kNone;
  switch (type) {
    case ondemand::json_type::string: {
      std::string_view text;
      if (reason.get_string().get(text) != simdjson::SUCCESS) return StatusBucket::kNone;
      return BucketOfReason(absl::string_view(text.data(), text.size()));
    }
    case ondemand::json_type::number:
    case ondemand::json_type::boolean:
      return StatusBucket::kOthers;
    default:
      return StatusBucket::kNone;
  }
}

// The bucket of the first condition's reason (/status/conditions/0/reason, where "0" is the first
// element of an array or the field "0" of an object, as a JSON Pointer reads it).
StatusBucket BucketOfConditions(ondemand::value& conditions) {
  ondemand::json_type type;
  if (conditions.type().get(type) != simdjson::SUCCESS) return StatusBucket::kNone;
  ondemand::value first;
  if (type == ondemand::json_type::array) {
    if (conditions.at(0).get(first) != simdjson::SUCCESS) return StatusBucket::kNone;
  } else if (type != ondemand::json_type::object ||
             conditions.find_field("0").get(first) != simdjson::SUCCESS) {
    return StatusBucket::kNone;
  }
  ondemand::object condition;
  if (first.get_object().get(condition) != simdjson::SUCCESS) return StatusBucket::kNone;
  StatusBucket bucket = StatusBucket::kNone;
  ReadFields(condition, std::array<std::string_view, 1>{"reason"},
             [&](size_t, ondemand::value& reason) { bucket = BucketOf(reason); });
  return bucket;
}

// The facts in the JSON of a record, read in one pass over `doc` (the paths are in run_facts.h).
void ReadFacts(ondemand::document& doc, RunFacts* facts) {
  doc.rewind();
  ondemand::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) return;
  ReadFields(root, std::array<std::string_view, 2>{"metadata", "status"},
             [&](size_t i, ondemand::value& part) {
               ondemand::object object;
               if (part.get_object().get(object) != simdjson::SUCCESS) return;
               if (i == 0) {
                 ReadFields(object,
                            std::array<std::string_view, 4>{"namespace", "labels", "annotations",
                                                            "creationTimestamp"},
                            [&](size_t j, ondemand::value& v) {
                              if (j == 0) facts->namespace_name = StringOf(v);
                              if (j == 1) facts->pipeline = StringField(v, "tekton.dev/pipeline");
                              if (j == 2) {
                                facts->repository =
                                    StringField(v, "pipelinesascode.tekton.dev/repository");
                              }
                              if (j == 3) facts->created_micros = MicrosOf(v);
                            });
                 return;
               }
               ReadFields(
                   object,
                   std::array<std::string_view, 3>{"startTime", "completionTime", "conditions"},
                   [&](size_t j, ondemand::value& v) {
                     if (j == 0) facts->started_micros = MicrosOf(v);
                     if (j == 1) facts->completed_micros = MicrosOf(v);
                     if (j == 2) facts->bucket = BucketOfConditions(v);
                   });
             });
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
  ReadFacts(*doc, &facts);
  return facts;
}

}  // namespace runledger
