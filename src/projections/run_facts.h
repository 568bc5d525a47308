// RunFacts: what one record contributes to the run summaries (spec/api.md §4): the few values of
// its JSON that the aggregates count, measure or group by, read without building a DOM.
//
// Both the summary projection (folding every record into aggregates) and the summary's fallback
// path (aggregating the records a filter matches) take a record's facts from here, so the two
// paths cannot disagree about a record.
//
// Readings follow upstream's SQL on the JSON: a value that is absent, JSON null or not a string
// is absent; times are RFC 3339 timestamps kept at microsecond precision (PostgreSQL's), and one
// that does not parse is absent.
#ifndef RUNLEDGER_PROJECTIONS_RUN_FACTS_H_
#define RUNLEDGER_PROJECTIONS_RUN_FACTS_H_

#include <cstdint>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"
#include "src/common/record_view.h"

namespace runledger {

// The status bucket of a run, from the reason of its first condition.
enum class StatusBucket : int {
  kSucceeded = 0,  // Succeeded or Completed
  kFailed = 1,
  kCancelled = 2,
  kRunning = 3,
  kOthers = 4,  // any other reason
  kNone = 5,    // no reason: counted in total only
};
inline constexpr int kStatusBuckets = 5;  // the buckets with a count of their own

struct RunFacts {
  std::string parent;                         // the record name's parent
  std::string type;                           // data.type
  std::optional<std::string> namespace_name;  // metadata.namespace
  std::optional<std::string> pipeline;        // metadata.labels["tekton.dev/pipeline"]
  std::optional<std::string>
      repository;  // metadata.annotations["pipelinesascode.tekton.dev/repository"]
  std::optional<int64_t> created_micros;    // metadata.creationTimestamp
  std::optional<int64_t> started_micros;    // status.startTime
  std::optional<int64_t> completed_micros;  // status.completionTime
  StatusBucket bucket = StatusBucket::kNone;

  // completionTime - startTime, when both are there.
  std::optional<int64_t> duration_micros() const {
    if (!started_micros || !completed_micros) return std::nullopt;
    return *completed_micros - *started_micros;
  }
};

// The facts of `record` (named `<parent>/results/<r>/records/<id>`), read from its parsed data
// when the view carries it, else from a parse of its own.
RunFacts FactsOf(const RecordView& record);

StatusBucket BucketOfReason(absl::string_view reason);

// Microseconds since the epoch of an RFC 3339 time, rounded to the nearest microsecond.
std::optional<int64_t> ParseMicros(absl::string_view rfc3339);

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_RUN_FACTS_H_
