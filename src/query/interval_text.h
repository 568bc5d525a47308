// PostgreSQL interval arithmetic and text, as upstream's summary API returns durations
// (spec/api.md §4.3): an interval is days and time (microseconds) kept apart, rendered in
// IntervalStyle=postgres, e.g. "00:01:16.21875", "1 day 02:03:04", "26:00:00", "-1 days".
#ifndef RUNLEDGER_QUERY_INTERVAL_TEXT_H_
#define RUNLEDGER_QUERY_INTERVAL_TEXT_H_

#include <cstdint>
#include <string>

#include "src/projections/summary_aggregate.h"

namespace runledger {

// The text of `interval`, character for character as PostgreSQL prints it.
std::string FormatInterval(const Interval& interval);

// AVG over `count` intervals whose sum is `sum`: PostgreSQL's interval division, which divides
// days and time apart and moves the fraction of a day into time (rounded to microseconds).
Interval AverageInterval(const Interval& sum, int64_t count);

// An interval's length in microseconds, a day counting as 24 hours (how PostgreSQL orders them).
inline int64_t IntervalLength(const Interval& i) { return i.days * kMicrosPerDay + i.micros; }

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_INTERVAL_TEXT_H_
