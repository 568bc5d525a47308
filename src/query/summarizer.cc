#include "src/query/summarizer.h"

#include <algorithm>
#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "google/protobuf/struct.pb.h"
#include "src/common/names.h"
#include "src/projections/run_facts.h"
#include "src/projections/summary_aggregate.h"
#include "src/projections/summary_cube.h"
#include "src/projections/summary_projection.h"
#include "src/query/filter.h"
#include "src/query/interval_text.h"
#include "src/query/summary_plan.h"

namespace runledger {
namespace {

namespace api = tekton::results::v1alpha2;

// --- The request. ---

enum class Aggregate {
  kTotal,
  kSucceeded,
  kFailed,
  kCancelled,
  kRunning,
  kOthers,
  kAvgDuration,
  kMaxDuration,
  kMinDuration,
  kTotalDuration,
  kLastRuntime,
};

struct AggregateName {
  absl::string_view name;
  Aggregate aggregate;
};

constexpr AggregateName kAggregateNames[] = {
    {"total", Aggregate::kTotal},
    {"succeeded", Aggregate::kSucceeded},
    {"failed", Aggregate::kFailed},
    {"cancelled", Aggregate::kCancelled},
    {"running", Aggregate::kRunning},
    {"others", Aggregate::kOthers},
    {"avg_duration", Aggregate::kAvgDuration},
    {"max_duration", Aggregate::kMaxDuration},
    {"min_duration", Aggregate::kMinDuration},
    {"total_duration", Aggregate::kTotalDuration},
    {"last_runtime", Aggregate::kLastRuntime},
};

enum class GroupKind { kNone, kTime, kNamespace, kPipeline, kRepository };
enum class TimeUnit { kMinute, kHour, kDay, kWeek, kMonth, kYear };

struct GroupBy {
  GroupKind kind = GroupKind::kNone;
  TimeUnit unit = TimeUnit::kDay;
  RunTime time = RunTime::kCreated;
};

struct Order {
  const AggregateName* field;
  bool descending;
};

struct SummaryQuery {
  ResultName scope;
  std::unique_ptr<const Filter> filter;  // null when the request has none
  std::vector<const AggregateName*> aggregates;
  GroupBy group_by;
  std::optional<Order> order;
};

absl::StatusOr<std::vector<const AggregateName*>> ParseAggregates(absl::string_view summary) {
  // Upstream splits on commas and does not trim the items, so "total, failed" names " failed".
  summary = absl::StripAsciiWhitespace(summary);
  if (summary.empty()) summary = "total";
  std::vector<const AggregateName*> aggregates;
  for (absl::string_view item : absl::StrSplit(summary, ',')) {
    auto known = std::find_if(std::begin(kAggregateNames), std::end(kAggregateNames),
                              [&](const AggregateName& a) { return a.name == item; });
    if (known == std::end(kAggregateNames)) {
      return absl::InvalidArgumentError(absl::StrCat("invalid aggregate query: ", item));
    }
    aggregates.push_back(known);
  }
  return aggregates;
}

absl::StatusOr<GroupBy> ParseGroupBy(absl::string_view text) {
  static constexpr std::pair<absl::string_view, TimeUnit> kUnits[] = {
      {"minute", TimeUnit::kMinute}, {"hour", TimeUnit::kHour},   {"day", TimeUnit::kDay},
      {"week", TimeUnit::kWeek},     {"month", TimeUnit::kMonth}, {"year", TimeUnit::kYear}};
  static constexpr std::pair<absl::string_view, GroupKind> kKeys[] = {
      {"namespace", GroupKind::kNamespace},
      {"pipeline", GroupKind::kPipeline},
      {"repository", GroupKind::kRepository}};
  GroupBy group_by;
  if (text.empty()) return group_by;
  const std::vector<absl::string_view> words = absl::StrSplit(text, ' ');
  const absl::Status unknown =
      absl::InvalidArgumentError(absl::StrCat("group_by does not recognize ", text));
  for (const auto& [name, kind] : kKeys) {
    if (words[0] != name) continue;
    if (words.size() != 1) return unknown;
    group_by.kind = kind;
    return group_by;
  }
  auto unit = std::find_if(std::begin(kUnits), std::end(kUnits),
                           [&](const auto& u) { return u.first == words[0]; });
  if (unit == std::end(kUnits) || words.size() > 2) return unknown;
  group_by.kind = GroupKind::kTime;
  group_by.unit = unit->second;
  if (words.size() == 2) {
    if (words[1] == "startTime") {
      group_by.time = RunTime::kStarted;
    } else if (words[1] == "completionTime") {
      group_by.time = RunTime::kCompleted;
    } else {
      return unknown;
    }
  }
  return group_by;
}

absl::StatusOr<Order> ParseOrder(absl::string_view text,
                                 const std::vector<const AggregateName*>& aggregates) {
  const std::vector<absl::string_view> words = absl::StrSplit(text, ' ');
  const bool ascending = words.size() == 2 && (words[1] == "ASC" || words[1] == "asc");
  const bool descending = words.size() == 2 && (words[1] == "DESC" || words[1] == "desc");
  if (!ascending && !descending) {
    return absl::InvalidArgumentError(absl::StrCat("order_by does not recognize ", text));
  }
  auto field = std::find_if(aggregates.begin(), aggregates.end(),
                            [&](const AggregateName* a) { return a->name == words[0]; });
  if (field == aggregates.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("field name ", words[0], " is not allowed, must be one of summary"));
  }
  return Order{*field, descending};
}

absl::StatusOr<SummaryQuery> ParseQuery(const api::RecordListSummaryRequest& request) {
  SummaryQuery query;
  const absl::string_view parent = absl::StripAsciiWhitespace(request.parent());
  if (parent.empty()) return absl::InvalidArgumentError("parent missing");
  absl::StatusOr<ResultName> scope = ParseResultName(parent);
  if (!scope.ok()) return scope.status();
  query.scope = std::move(*scope);
  const absl::string_view filter = absl::StripAsciiWhitespace(request.filter());
  if (!filter.empty()) {
    absl::StatusOr<std::unique_ptr<const Filter>> compiled =
        Filter::Compile(std::string_view(filter.data(), filter.size()), FilterTarget::kRecords);
    if (!compiled.ok()) return compiled.status();
    query.filter = std::move(*compiled);
  }
  absl::StatusOr<std::vector<const AggregateName*>> aggregates = ParseAggregates(request.summary());
  if (!aggregates.ok()) return aggregates.status();
  query.aggregates = std::move(*aggregates);
  absl::StatusOr<GroupBy> group_by = ParseGroupBy(absl::StripAsciiWhitespace(request.group_by()));
  if (!group_by.ok()) return group_by.status();
  query.group_by = *group_by;
  const absl::string_view order = absl::StripAsciiWhitespace(request.order_by());
  if (query.group_by.kind != GroupKind::kNone && !order.empty()) {
    absl::StatusOr<Order> parsed = ParseOrder(order, query.aggregates);
    if (!parsed.ok()) return parsed.status();
    query.order = *parsed;
  }
  return query;
}

// --- Groups. ---

// A group's value: null, epoch seconds (time groups) or text.
struct GroupValue {
  enum Kind { kNull, kNumber, kText } kind = kNull;
  int64_t seconds = 0;
  std::string text;

  // Null sorts after every value, as in SQL's ascending order.
  bool operator<(const GroupValue& o) const {
    if (kind != o.kind) return kind == kNull ? false : o.kind == kNull ? true : kind < o.kind;
    return kind == kNumber ? seconds < o.seconds : text < o.text;
  }
  std::string Key() const {
    switch (kind) {
      case kNull:
        return "";
      case kNumber:
        return absl::StrCat("n", seconds);
      default:
        return absl::StrCat("s", text);
    }
  }
};

// What a record (or a cell, for all of its records) tells about the groups it belongs to.
struct GroupSource {
  std::optional<absl::string_view> namespace_name;
  std::optional<absl::string_view> pipeline;
  std::optional<absl::string_view> repository;
  std::array<std::optional<int64_t>, kRunTimes> micros;  // per RunTime
};

int64_t FloorDiv(int64_t a, int64_t b) { return a / b - (a % b < 0 ? 1 : 0); }

// Epoch seconds of the start of the UTC `unit` holding `micros` (weeks start on Monday).
int64_t Truncate(int64_t micros, TimeUnit unit) {
  constexpr int64_t kSecondsPerDay = 86400;
  const absl::CivilDay epoch(1970, 1, 1);
  const int64_t day = DayOf(micros);
  switch (unit) {
    case TimeUnit::kMinute:
      return FloorDiv(micros, 60'000'000) * 60;
    case TimeUnit::kHour:
      return FloorDiv(micros, 3'600'000'000) * 3600;
    case TimeUnit::kDay:
      return day * kSecondsPerDay;
    case TimeUnit::kWeek:  // 1970-01-01 was a Thursday, 3 days after a Monday
      return (day - (day + 3 - FloorDiv(day + 3, 7) * 7)) * kSecondsPerDay;
    case TimeUnit::kMonth:
      return (absl::CivilDay(absl::CivilMonth(epoch + day)) - epoch) * kSecondsPerDay;
    case TimeUnit::kYear:
      return (absl::CivilDay(absl::CivilYear(epoch + day)) - epoch) * kSecondsPerDay;
  }
  return 0;
}

GroupValue Joined(std::optional<absl::string_view> namespace_name,
                  std::optional<absl::string_view> name) {
  // Upstream concatenates with a missing part read as empty: "default/" and never null.
  return {GroupValue::kText, 0, absl::StrCat(namespace_name.value_or(""), "/", name.value_or(""))};
}

GroupValue GroupOf(const GroupBy& g, const GroupSource& s) {
  switch (g.kind) {
    case GroupKind::kNone:
      return {};
    case GroupKind::kNamespace:
      if (!s.namespace_name) return {};
      return {GroupValue::kText, 0, std::string(*s.namespace_name)};
    case GroupKind::kPipeline:
      return Joined(s.namespace_name, s.pipeline);
    case GroupKind::kRepository:
      return Joined(s.namespace_name, s.repository);
    case GroupKind::kTime: {
      const std::optional<int64_t>& micros = s.micros[static_cast<int>(g.time)];
      if (!micros) return {};
      return {GroupValue::kNumber, Truncate(*micros, g.unit), ""};
    }
  }
  return {};
}

// The aggregates per group.
class Groups {
 public:
  void Add(GroupValue value, const SummaryAggregate& aggregate) {
    auto [it, inserted] = index_.try_emplace(value.Key(), groups_.size());
    if (inserted) groups_.emplace_back(std::move(value), SummaryAggregate());
    groups_[it->second].second.Add(aggregate);
  }
  void Merge(Groups& other) {
    for (auto& [value, aggregate] : other.groups_) Add(std::move(value), aggregate);
  }
  std::vector<std::pair<GroupValue, SummaryAggregate>>& groups() { return groups_; }

 private:
  absl::flat_hash_map<std::string, size_t> index_;
  std::vector<std::pair<GroupValue, SummaryAggregate>> groups_;
};

// --- Answering from the cells. ---

// A CellConstraint resolved to the cube's string ids.
class CellMatcher {
 public:
  CellMatcher(const CellConstraint& c, const SummaryCube::View& view) {
    Resolve(c.parents, view, &parents_);
    Resolve(c.types, view, &types_);
    Resolve(c.namespaces, view, &namespaces_);
    Resolve(c.pipelines, view, &pipelines_);
    Resolve(c.repositories, view, &repositories_);
    for (int t = 0; t < kRunTimes; ++t) days_[t] = c.days[t];
  }

  bool Matches(const SummaryCube::Key& cell) const {
    return In(parents_, cell.parent) && In(types_, cell.type) &&
           In(namespaces_, cell.namespace_name) && In(pipelines_, cell.pipeline) &&
           In(repositories_, cell.repository) && InDays(days_[0], cell.created_day) &&
           InDays(days_[1], cell.started_day) && InDays(days_[2], cell.completed_day);
  }

 private:
  using Ids = std::optional<std::vector<uint32_t>>;

  static void Resolve(const std::optional<std::vector<std::string>>& values,
                      const SummaryCube::View& view, Ids* ids) {
    if (!values) return;
    ids->emplace();
    for (const std::string& v : *values) {
      if (std::optional<uint32_t> id = view.Id(v)) (*ids)->push_back(*id);
    }
  }
  static bool In(const Ids& ids, uint32_t id) {
    return !ids || std::find(ids->begin(), ids->end(), id) != ids->end();
  }
  static bool InDays(const std::optional<CellConstraint::Days>& days, int32_t day) {
    return !days || (day != SummaryCube::kNoDay && day >= days->first && day <= days->last);
  }

  Ids parents_, types_, namespaces_, pipelines_, repositories_;
  std::optional<CellConstraint::Days> days_[kRunTimes];
};

// The cells a summary groups by: a group value follows from a pair of string ids or from a day.
uint64_t CellGroupKey(const GroupBy& g, const SummaryCube::Key& cell) {
  auto pair = [&](uint32_t second) { return uint64_t{cell.namespace_name} << 32 | second; };
  switch (g.kind) {
    case GroupKind::kNone:
      return 0;
    case GroupKind::kNamespace:
      return cell.namespace_name;
    case GroupKind::kPipeline:
      return pair(cell.pipeline);
    case GroupKind::kRepository:
      return pair(cell.repository);
    case GroupKind::kTime: {
      const int32_t days[] = {cell.created_day, cell.started_day, cell.completed_day};
      return static_cast<uint32_t>(days[static_cast<int>(g.time)]);
    }
  }
  return 0;
}

// Sums cell aggregates per group key. A key with a small dense form (a string id, a pair of ids
// of a store with few strings, a day since 1970) finds its sum by index instead of by hashing.
class GroupSums {
 public:
  static constexpr size_t kDenseLimit = size_t{1} << 16;

  GroupSums(const GroupBy& g, size_t id_limit) : g_(g), id_limit_(id_limit) {
    dense_.assign(kDenseLimit, -1);
  }

  void Add(const SummaryCube::Key& cell, const SummaryAggregate& aggregate) {
    const uint64_t key = CellGroupKey(g_, cell);
    const uint64_t dense = DenseIndex(key);
    int32_t* slot =
        dense < kDenseLimit ? &dense_[dense] : &sparse_.try_emplace(key, -1).first->second;
    if (*slot < 0) {
      *slot = static_cast<int32_t>(sums_.size());
      sums_.emplace_back(key, SummaryAggregate());
    }
    sums_[*slot].second.Add(aggregate);
  }

  const std::vector<std::pair<uint64_t, SummaryAggregate>>& sums() const { return sums_; }

 private:
  // The key's dense index, or kDenseLimit or more when it has none.
  uint64_t DenseIndex(uint64_t key) const {
    if (g_.kind == GroupKind::kPipeline || g_.kind == GroupKind::kRepository) {
      if (id_limit_ * id_limit_ > kDenseLimit) return kDenseLimit;
      return (key >> 32) * id_limit_ + (key & 0xffffffff);
    }
    return key;  // an id, a day (kNoDay and days before 1970 are large), or 0
  }

  const GroupBy g_;
  const size_t id_limit_;
  std::vector<int32_t> dense_;
  absl::flat_hash_map<uint64_t, int32_t> sparse_;
  std::vector<std::pair<uint64_t, SummaryAggregate>> sums_;
};

GroupSource CellGroupSource(const GroupBy& g, uint64_t key, const SummaryCube::View& view) {
  auto text = [&](uint32_t id) -> std::optional<absl::string_view> {
    if (id == SummaryCube::kAbsent) return std::nullopt;
    return view.Text(id);
  };
  GroupSource source;
  const uint32_t low = static_cast<uint32_t>(key);
  switch (g.kind) {
    case GroupKind::kNamespace:
      source.namespace_name = text(low);
      break;
    case GroupKind::kPipeline:
      source.namespace_name = text(static_cast<uint32_t>(key >> 32));
      source.pipeline = text(low);
      break;
    case GroupKind::kRepository:
      source.namespace_name = text(static_cast<uint32_t>(key >> 32));
      source.repository = text(low);
      break;
    case GroupKind::kTime:
      if (static_cast<int32_t>(low) != SummaryCube::kNoDay) {
        source.micros[static_cast<int>(g.time)] = static_cast<int32_t>(low) * kMicrosPerDay;
      }
      break;
    case GroupKind::kNone:
      break;
  }
  return source;
}

void SummarizeCells(const SummaryCube& cube, const SummaryQuery& query, CellConstraint constraint,
                    Groups* groups) {
  if (query.scope.parent != kWildcard) {
    std::vector<std::string> parent = {query.scope.parent};
    if (constraint.parents && std::find(constraint.parents->begin(), constraint.parents->end(),
                                        parent[0]) == constraint.parents->end()) {
      parent.clear();
    }
    constraint.parents = std::move(parent);
  }
  cube.Read([&](const SummaryCube::View& view) {
    const CellMatcher matcher(constraint, view);
    GroupSums sums(query.group_by, view.id_limit());
    for (const SummaryCube::Cell& cell : view.cells()) {
      if (matcher.Matches(cell.key)) sums.Add(cell.key, cell.aggregate);
    }
    for (const auto& [key, aggregate] : sums.sums()) {
      groups->Add(GroupOf(query.group_by, CellGroupSource(query.group_by, key, view)), aggregate);
    }
  });
}

// --- Answering from the records. ---

GroupSource FactsGroupSource(const RunFacts& facts) {
  GroupSource source;
  source.namespace_name = facts.namespace_name;
  source.pipeline = facts.pipeline;
  source.repository = facts.repository;
  source.micros = {facts.created_micros, facts.started_micros, facts.completed_micros};
  return source;
}

// --- The reply. ---

void SetNull(google::protobuf::Value* v) { v->set_null_value(google::protobuf::NULL_VALUE); }

void SetDuration(const std::optional<Interval>& interval, google::protobuf::Value* v) {
  if (!interval) return SetNull(v);
  v->set_string_value(FormatInterval(*interval));
}

std::optional<Interval> DurationOf(Aggregate which, const SummaryAggregate& a) {
  if (a.durations == 0) return std::nullopt;
  switch (which) {
    case Aggregate::kAvgDuration:
      return AverageInterval(a.duration_sum, a.durations);
    case Aggregate::kMaxDuration:
      return Interval::Justified(*a.max_duration_micros);
    case Aggregate::kMinDuration:
      return Interval::Justified(*a.min_duration_micros);
    case Aggregate::kTotalDuration:
      return a.duration_sum;
    default:
      return std::nullopt;
  }
}

// The value of an aggregate as a number to order by (durations by length), or nullopt for null.
std::optional<double> OrderValue(Aggregate which, const SummaryAggregate& a) {
  switch (which) {
    case Aggregate::kTotal:
      return static_cast<double>(a.total);
    case Aggregate::kSucceeded:
    case Aggregate::kFailed:
    case Aggregate::kCancelled:
    case Aggregate::kRunning:
    case Aggregate::kOthers:
      return static_cast<double>(
          a.buckets[static_cast<int>(which) - static_cast<int>(Aggregate::kSucceeded)]);
    case Aggregate::kLastRuntime:
      if (!a.last_start_micros) return std::nullopt;
      return static_cast<double>(*a.last_start_micros) / 1e6;
    default: {
      std::optional<Interval> d = DurationOf(which, a);
      if (!d) return std::nullopt;
      return static_cast<double>(IntervalLength(*d));
    }
  }
}

void SetAggregate(Aggregate which, const SummaryAggregate& a, google::protobuf::Value* v) {
  switch (which) {
    case Aggregate::kAvgDuration:
    case Aggregate::kMaxDuration:
    case Aggregate::kMinDuration:
    case Aggregate::kTotalDuration:
      return SetDuration(DurationOf(which, a), v);
    default: {
      std::optional<double> n = OrderValue(which, a);
      if (!n) return SetNull(v);
      v->set_number_value(*n);
    }
  }
}

// Fills `row` (on the reply's arena, if it has one) in place.
void FillRow(const SummaryQuery& query, const GroupValue& group, const SummaryAggregate& aggregate,
             google::protobuf::Struct* row) {
  auto& fields = *row->mutable_fields();
  for (const AggregateName* a : query.aggregates) {
    SetAggregate(a->aggregate, aggregate, &fields[std::string(a->name)]);
  }
  if (query.group_by.kind == GroupKind::kNone) return;
  google::protobuf::Value& value = fields["group_value"];
  switch (group.kind) {
    case GroupValue::kNull:
      SetNull(&value);
      break;
    case GroupValue::kNumber:
      value.set_number_value(static_cast<double>(group.seconds));
      break;
    case GroupValue::kText:
      value.set_string_value(group.text);
      break;
  }
}

// Groups in the requested order (SQL's: nulls last ascending, first descending), or by group
// value; ties by group value.
void Sort(const SummaryQuery& query, std::vector<std::pair<GroupValue, SummaryAggregate>>* rows) {
  std::sort(rows->begin(), rows->end(), [&](const auto& a, const auto& b) {
    if (query.order) {
      const std::optional<double> x = OrderValue(query.order->field->aggregate, a.second);
      const std::optional<double> y = OrderValue(query.order->field->aggregate, b.second);
      if (x != y) {
        if (!x || !y) return query.order->descending ? !x : !y;
        return query.order->descending ? *x > *y : *x < *y;
      }
    }
    return a.first < b.first;
  });
}

constexpr absl::Duration kIndexWait = absl::Seconds(1);

}  // namespace

absl::StatusOr<api::RecordListSummary> Summarizer::Summarize(
    const api::RecordListSummaryRequest& request, const std::function<bool()>& cancelled) const {
  api::RecordListSummary summary;
  absl::Status s = Summarize(request, &summary, cancelled);
  if (!s.ok()) return s;
  return summary;
}

absl::Status Summarizer::Summarize(const api::RecordListSummaryRequest& request,
                                   api::RecordListSummary* summary,
                                   const std::function<bool()>& cancelled) const {
  absl::StatusOr<SummaryQuery> query = ParseQuery(request);
  if (!query.ok()) return query.status();
  Groups groups;
  std::optional<CellConstraint> constraint;
  const bool cells_can_group =
      query->group_by.kind != GroupKind::kTime ||
      (query->group_by.unit != TimeUnit::kMinute && query->group_by.unit != TimeUnit::kHour);
  if (paths_ == Paths::kCellsOrRecords && query->scope.result == kWildcard && cells_can_group) {
    constraint = query->filter ? CellConstraintOf(query->filter->expr()) : CellConstraint();
  }
  if (constraint && store_->ReadyIndex(SummaryProjection::kName, store_->log().LastSequence(),
                                       kIndexWait) != nullptr) {
    SummarizeCells(store_->summaries(), *query, std::move(*constraint), &groups);
  } else {
    // Visits run on the scanning threads at once: each adds to a group set of its own.
    std::vector<Groups> parts(Lister::kScanThreads);
    const GroupBy group_by = query->group_by;
    absl::Status s = lister_.ForEachRecord(
        query->scope, std::move(query->filter),
        [&](int thread, const RecordView& record) {
          const RunFacts facts = FactsOf(record);
          parts[thread].Add(GroupOf(group_by, FactsGroupSource(facts)),
                            SummaryAggregate::Of(facts));
          return true;
        },
        cancelled);
    if (!s.ok()) return s;
    for (Groups& part : parts) groups.Merge(part);
  }

  std::vector<std::pair<GroupValue, SummaryAggregate>>& rows = groups.groups();
  // Without grouping there is one row even when nothing matches.
  if (query->group_by.kind == GroupKind::kNone && rows.empty()) {
    rows.emplace_back(GroupValue(), SummaryAggregate());
  }
  Sort(*query, &rows);
  summary->mutable_summary()->Reserve(static_cast<int>(rows.size()));
  for (const auto& [group, aggregate] : rows) {
    FillRow(*query, group, aggregate, summary->add_summary());
  }
  return absl::OkStatus();
}

}  // namespace runledger
