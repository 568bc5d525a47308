#include "src/projections/run_facts.h"

#include <array>
#include <bitset>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/time/civil_time.h"
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

// The facts under the record's `metadata` object.
void ReadMetadata(ondemand::object metadata, RunFacts* facts) {
  constexpr std::array<std::string_view, 4> kKeys = {"namespace", "labels", "annotations",
                                                     "creationTimestamp"};
  ReadFields(metadata, kKeys, [&](size_t i, ondemand::value& v) {
    switch (i) {
      case 0:
        facts->namespace_name = StringOf(v);
        break;
      case 1:
        facts->pipeline = StringField(v, "tekton.dev/pipeline");
        break;
      case 2:
        facts->repository = StringField(v, "pipelinesascode.tekton.dev/repository");
        break;
      case 3:
        facts->created_micros = MicrosOf(v);
        break;
    }
  });
}

// The facts under the record's `status` object.
void ReadStatus(ondemand::object status, RunFacts* facts) {
  constexpr std::array<std::string_view, 3> kKeys = {"startTime", "completionTime", "conditions"};
  ReadFields(status, kKeys, [&](size_t i, ondemand::value& v) {
    switch (i) {
      case 0:
        facts->started_micros = MicrosOf(v);
        break;
      case 1:
        facts->completed_micros = MicrosOf(v);
        break;
      case 2:
        facts->bucket = BucketOfConditions(v);
        break;
    }
  });
}

// The facts in the JSON of a record, read in one pass over `doc` (the paths are in run_facts.h).
void ReadFacts(ondemand::document& doc, RunFacts* facts) {
  doc.rewind();
  ondemand::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) return;
  constexpr std::array<std::string_view, 2> kParts = {"metadata", "status"};
  ReadFields(root, kParts, [&](size_t i, ondemand::value& part) {
    ondemand::object object;
    if (part.get_object().get(object) != simdjson::SUCCESS) return;
    if (i == 0) {
      ReadMetadata(object, facts);
    } else {
      ReadStatus(object, facts);
    }
  });
}

// The digits text[pos, pos + n) as a number; nullopt if any is not a digit.
std::optional<int> Digits(absl::string_view text, size_t pos, size_t n) {
  int value = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!absl::ascii_isdigit(text[i])) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

// The time of `text` when it has the layout almost every record uses,
// YYYY-MM-DDTHH:MM:SS[.fraction of 1 to 9 digits](Z|+HH:MM|-HH:MM), with every field in range;
// nullopt for anything else (which absl::ParseTime then reads, or rejects). Several times faster
// than absl::ParseTime, which interprets its format string for every time it parses.
std::optional<absl::Time> ParseCommonRfc3339(absl::string_view text) {
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || text[10] != 'T' || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  const std::optional<int> year = Digits(text, 0, 4), month = Digits(text, 5, 2),
                           day = Digits(text, 8, 2), hour = Digits(text, 11, 2),
                           minute = Digits(text, 14, 2), second = Digits(text, 17, 2);
  if (!year || !month || !day || !hour || !minute || !second || *hour > 23 || *minute > 59 ||
      *second > 59) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (text[pos] == '.') {
    size_t digits = 0;
    while (pos + 1 + digits < text.size() && absl::ascii_isdigit(text[pos + 1 + digits])) {
      ++digits;
    }
    if (digits == 0 || digits > 9) return std::nullopt;
    nanos = *Digits(text, pos + 1, digits);
    for (size_t i = digits; i < 9; ++i) nanos *= 10;
    pos += 1 + digits;
  }
  int offset_seconds = 0;
  if (text.substr(pos) != "Z") {
    if (text.size() != pos + 6 || (text[pos] != '+' && text[pos] != '-') || text[pos + 3] != ':') {
      return std::nullopt;
    }
    const std::optional<int> hours = Digits(text, pos + 1, 2), minutes = Digits(text, pos + 4, 2);
    if (!hours || !minutes || *hours > 23 || *minutes > 59) return std::nullopt;
    offset_seconds = (text[pos] == '-' ? -1 : 1) * (*hours * 3600 + *minutes * 60);
  }
  const absl::CivilSecond civil(*year, *month, *day, *hour, *minute, *second);
  // A day the month does not have (February 30) normalizes to another: not this layout's.
  if (civil.month() != *month || civil.day() != *day) return std::nullopt;
  return absl::FromCivil(civil, absl::UTCTimeZone()) - absl::Seconds(offset_seconds) +
         absl::Nanoseconds(nanos);
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
  std::optional<absl::Time> t = ParseCommonRfc3339(rfc3339);
  if (!t) {
    absl::Time parsed;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, rfc3339, &parsed, &error)) return std::nullopt;
    t = parsed;
  }
  // Round half to even, as PostgreSQL does when it stores a timestamp.
  const absl::Duration since_epoch = *t - absl::UnixEpoch();
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
