#include "src/projections/summary_aggregate.h"

namespace runledger {

SummaryAggregate SummaryAggregate::Of(StatusBucket bucket, std::optional<int64_t> duration_micros,
                                      std::optional<int64_t> start_micros) {
  SummaryAggregate a;
  a.total = 1;
  if (bucket != StatusBucket::kNone) a.buckets[static_cast<int>(bucket)] = 1;
  if (duration_micros) {
    a.durations = 1;
    a.duration_sum = Interval::Justified(*duration_micros);
    a.min_duration_micros = a.max_duration_micros = duration_micros;
  }
  a.last_start_micros = start_micros;
  return a;
}

bool SummaryAggregate::Remove(const SummaryAggregate& run) {
  total -= run.total;
  for (int i = 0; i < kStatusBuckets; ++i) buckets[i] -= run.buckets[i];
  durations -= run.durations;
  duration_sum.days -= run.duration_sum.days;
  duration_sum.micros -= run.duration_sum.micros;
  const bool stale = (run.min_duration_micros && run.min_duration_micros == min_duration_micros) ||
                     (run.max_duration_micros && run.max_duration_micros == max_duration_micros) ||
                     (run.last_start_micros && run.last_start_micros == last_start_micros);
  if (durations == 0) min_duration_micros = max_duration_micros = std::nullopt;
  if (total == 0) last_start_micros = std::nullopt;
  return stale && total > 0;
}

v1::SummaryAggregateValue SummaryAggregate::ToProto() const {
  v1::SummaryAggregateValue p;
  p.set_total(total);
  for (int64_t b : buckets) p.add_buckets(b);
  p.set_durations(durations);
  p.set_duration_days(duration_sum.days);
  p.set_duration_micros(duration_sum.micros);
  if (min_duration_micros) p.set_min_duration_micros(*min_duration_micros);
  if (max_duration_micros) p.set_max_duration_micros(*max_duration_micros);
  if (last_start_micros) p.set_last_start_micros(*last_start_micros);
  return p;
}

SummaryAggregate SummaryAggregate::FromProto(const v1::SummaryAggregateValue& p) {
  SummaryAggregate a;
  a.total = p.total();
  for (int i = 0; i < kStatusBuckets && i < p.buckets_size(); ++i) a.buckets[i] = p.buckets(i);
  a.durations = p.durations();
  a.duration_sum = {p.duration_days(), p.duration_micros()};
  if (p.has_min_duration_micros()) a.min_duration_micros = p.min_duration_micros();
  if (p.has_max_duration_micros()) a.max_duration_micros = p.max_duration_micros();
  if (p.has_last_start_micros()) a.last_start_micros = p.last_start_micros();
  return a;
}

bool SummaryAggregate::operator==(const SummaryAggregate& o) const {
  return total == o.total && buckets == o.buckets && durations == o.durations &&
         duration_sum.days == o.duration_sum.days && duration_sum.micros == o.duration_sum.micros &&
         min_duration_micros == o.min_duration_micros &&
         max_duration_micros == o.max_duration_micros && last_start_micros == o.last_start_micros;
}

int32_t DayOf(int64_t micros) {
  int64_t day = micros / kMicrosPerDay;
  if (micros % kMicrosPerDay < 0) --day;
  return static_cast<int32_t>(day);
}

}  // namespace runledger
