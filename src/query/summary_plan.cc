#include "src/query/summary_plan.h"

#include <algorithm>
#include <string_view>

#include "src/query/filter_plan.h"

namespace runledger {
namespace {

using cel::CallExpr;
using cel::Expr;

constexpr int64_t kNanosPerDay = int64_t{86400} * 1000000000;

// The key values a path reads, by the CellConstraint member that constrains them.
using KeyMember = std::optional<std::vector<std::string>> CellConstraint::*;

struct KeyPath {
  std::string_view variable;
  std::vector<std::string_view> steps;
  KeyMember member;
};

struct TimePath {
  std::vector<std::string_view> steps;  // under `data`
  RunTime time;
};

const std::vector<KeyPath>& KeyPaths() {
  static const auto* paths = new std::vector<KeyPath>{
      {"parent", {}, &CellConstraint::parents},
      {"data_type", {}, &CellConstraint::types},
      {"data", {"metadata", "namespace"}, &CellConstraint::namespaces},
      {"data", {"metadata", "labels", "tekton.dev/pipeline"}, &CellConstraint::pipelines},
      {"data",
       {"metadata", "annotations", "pipelinesascode.tekton.dev/repository"},
       &CellConstraint::repositories},
  };
  return *paths;
}

const std::vector<TimePath>& TimePaths() {
  static const auto* paths = new std::vector<TimePath>{
      {{"metadata", "creationTimestamp"}, RunTime::kCreated},
      {{"status", "startTime"}, RunTime::kStarted},
      {{"status", "completionTime"}, RunTime::kCompleted},
  };
  return *paths;
}

bool PathIs(const std::string_view variable, const std::vector<std::string>& steps,
            std::string_view want_variable, const std::vector<std::string_view>& want_steps) {
  return variable == want_variable &&
         std::equal(steps.begin(), steps.end(), want_steps.begin(), want_steps.end());
}

const KeyPath* KeyOf(const Expr& e) {
  std::string_view variable;
  std::vector<std::string> steps;
  if (!ReadPath(e, &variable, &steps)) return nullptr;
  for (const KeyPath& path : KeyPaths()) {
    if (PathIs(variable, steps, path.variable, path.steps)) return &path;
  }
  return nullptr;
}

// The run time `e` reads: a time path, bare or as the argument of timestamp().
std::optional<RunTime> TimeOf(const Expr& e) {
  const Expr* path = &e;
  if (const auto* call = e.As<CallExpr>(); call != nullptr && call->function == "timestamp" &&
                                           call->target == nullptr && call->args.size() == 1) {
    path = call->args[0].get();
  }
  std::string_view variable;
  std::vector<std::string> steps;
  if (!ReadPath(*path, &variable, &steps)) return std::nullopt;
  for (const TimePath& t : TimePaths()) {
    if (PathIs(variable, steps, "data", t.steps)) return t.time;
  }
  return std::nullopt;
}

// Keeps in `*allowed` only the values also in `values` (all of them if it was unset).
void Intersect(std::vector<std::string> values, std::optional<std::vector<std::string>>* allowed) {
  std::sort(values.begin(), values.end());
  values.erase(std::unique(values.begin(), values.end()), values.end());
  if (*allowed) {
    std::vector<std::string> both;
    std::set_intersection((*allowed)->begin(), (*allowed)->end(), values.begin(), values.end(),
                          std::back_inserter(both));
    values = std::move(both);
  }
  *allowed = std::move(values);
}

bool Equality(const Expr& key_side, const Expr& value_side, CellConstraint* c) {
  const KeyPath* key = KeyOf(key_side);
  std::optional<std::string> value = ConstantText(value_side);
  if (key == nullptr || !value) return false;
  Intersect({*value}, &(c->*key->member));
  return true;
}

bool Membership(const CallExpr& call, CellConstraint* c) {
  const KeyPath* key = KeyOf(*call.args[0]);
  const auto* list = call.args[1]->As<cel::ListExpr>();
  if (key == nullptr || list == nullptr) return false;
  std::vector<std::string> values;
  for (const cel::ExprPtr& element : list->elements) {
    std::optional<std::string> value = ConstantText(*element);
    if (!value) return false;
    values.push_back(std::move(*value));
  }
  Intersect(std::move(values), &(c->*key->member));
  return true;
}

// `time >= midnight` or `time < midnight`: a whole-day bound.
bool DayBound(const Expr& e, CellConstraint* c) {
  std::optional<TimeComparison> comparison = ReadTimeComparison(e);
  if (!comparison || comparison->nanos % kNanosPerDay != 0) return false;
  std::optional<RunTime> time = TimeOf(*comparison->subject);
  if (!time) return false;
  const int64_t day = comparison->nanos / kNanosPerDay;
  std::optional<CellConstraint::Days>& days = c->days[static_cast<int>(*time)];
  if (!days) days = CellConstraint::Days{INT64_MIN, INT64_MAX};
  if (comparison->op == "_>=_") {
    days->first = std::max(days->first, day);
  } else if (comparison->op == "_<_") {
    days->last = std::min(days->last, day - 1);
  } else {
    return false;
  }
  return true;
}

bool IsTrue(const Expr& e) {
  const auto* c = e.As<cel::ConstExpr>();
  return c != nullptr && std::get_if<bool>(&c->value) != nullptr && std::get<bool>(c->value);
}

bool Constrain(const Expr& e, CellConstraint* c) {
  if (IsTrue(e)) return true;
  const auto* call = e.As<CallExpr>();
  if (call == nullptr || call->target != nullptr || call->args.size() != 2) return false;
  if (call->function == "_==_") {
    return Equality(*call->args[0], *call->args[1], c) ||
           Equality(*call->args[1], *call->args[0], c);
  }
  if (call->function == "@in") return Membership(*call, c);
  return DayBound(e, c);
}

}  // namespace

std::optional<CellConstraint> CellConstraintOf(const cel::Expr& filter) {
  std::vector<const Expr*> conjuncts;
  Conjuncts(filter, &conjuncts);
  CellConstraint constraint;
  for (const Expr* e : conjuncts) {
    if (!Constrain(*e, &constraint)) return std::nullopt;
  }
  return constraint;
}

}  // namespace runledger
