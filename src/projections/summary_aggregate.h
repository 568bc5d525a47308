// SummaryAggregate: the aggregates of the summary API (spec/api.md §4.2) for a set of runs, kept
// in a form that combines exactly: counts, the sum of durations as PostgreSQL keeps an interval
// sum (days and time apart), and the extremes. Adding two sets' aggregates gives the aggregates of
// their union. Removing a run is exact for the counts and sums; the extremes (min, max, last
// start) can only be recomputed from the runs themselves, so Remove says when they are stale.
#ifndef RUNLEDGER_PROJECTIONS_SUMMARY_AGGREGATE_H_
#define RUNLEDGER_PROJECTIONS_SUMMARY_AGGREGATE_H_

#include <array>
#include <cstdint>
#include <optional>

#include "runledger/v1/stored.pb.h"
#include "src/projections/run_facts.h"

namespace runledger {

inline constexpr int64_t kMicrosPerDay = int64_t{86400} * 1000000;

// A duration as PostgreSQL's interval keeps `completion - start`: whole 24-hour blocks in days,
// the rest in time, both with the sign of the whole.
struct Interval {
  int64_t days = 0;
  int64_t micros = 0;
  static Interval Justified(int64_t total_micros) {
    return {total_micros / kMicrosPerDay, total_micros % kMicrosPerDay};
  }
};

struct SummaryAggregate {
  int64_t total = 0;
  std::array<int64_t, kStatusBuckets> buckets{};
  int64_t durations = 0;  // runs with both a start and a completion time
  Interval duration_sum;  // days and time summed apart, never re-justified
  std::optional<int64_t> min_duration_micros;
  std::optional<int64_t> max_duration_micros;
  std::optional<int64_t> last_start_micros;

  // The aggregates of one run.
  static SummaryAggregate Of(StatusBucket bucket, std::optional<int64_t> duration_micros,
                             std::optional<int64_t> start_micros);
  static SummaryAggregate Of(const RunFacts& facts) {
    return Of(facts.bucket, facts.duration_micros(), facts.started_micros);
  }

  void Add(const SummaryAggregate& other);
  // Takes out one run that `run` (from Of) describes and that is part of the set. Returns true
  // when an extreme may have been that run's, so it must be recomputed from the runs left.
  bool Remove(const SummaryAggregate& run);

  v1::SummaryAggregateValue ToProto() const;
  static SummaryAggregate FromProto(const v1::SummaryAggregateValue& proto);

  bool operator==(const SummaryAggregate& o) const;
};

// Inline: summaries add up every cell they read.
inline void SummaryAggregate::Add(const SummaryAggregate& other) {
  auto keep = [](std::optional<int64_t> value, std::optional<int64_t>* extreme, bool lower) {
    if (value && (!*extreme || (lower ? *value < **extreme : *value > **extreme))) *extreme = value;
  };
  total += other.total;
  for (int i = 0; i < kStatusBuckets; ++i) buckets[i] += other.buckets[i];
  durations += other.durations;
  duration_sum.days += other.duration_sum.days;
  duration_sum.micros += other.duration_sum.micros;
  keep(other.min_duration_micros, &min_duration_micros, true);
  keep(other.max_duration_micros, &max_duration_micros, false);
  keep(other.last_start_micros, &last_start_micros, false);
}

// Days since the epoch of a time in microseconds (rounded down), in UTC.
int32_t DayOf(int64_t micros);

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_SUMMARY_AGGREGATE_H_
