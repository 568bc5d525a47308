#include "src/query/filter_plan.h"

#include <algorithm>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "src/projections/facets.h"
#include "src/projections/user_index_projection.h"
#include "src/query/filter_env_constants.h"

namespace runledger {
namespace {

using cel::CallExpr;
using cel::ConstExpr;
using cel::Expr;
using cel::IdentExpr;
using cel::SelectExpr;

// A facet and the path that reads it: a variable and the steps below it (array indexes are
// written as decimal text). Listed from the most to the least selective facet.
struct FacetPath {
  Facet facet;
  FilterTarget target;
  std::string_view variable;
  std::vector<std::string_view> steps;
};

const std::vector<FacetPath>& FacetPaths() {
  static const auto* paths = new std::vector<FacetPath>{
      {Facet::kRunName, FilterTarget::kRecords, "data", {"metadata", "name"}},
      {Facet::kPipeline,
       FilterTarget::kRecords,
       "data",
       {"metadata", "labels", "tekton.dev/pipeline"}},
      {Facet::kReason, FilterTarget::kRecords, "data", {"status", "conditions", "0", "reason"}},
      {Facet::kNamespace, FilterTarget::kRecords, "data", {"metadata", "namespace"}},
      {Facet::kDataType, FilterTarget::kRecords, "data_type", {}},
      {Facet::kSummaryType, FilterTarget::kResults, "summary", {"type"}},
      {Facet::kSummaryStatus, FilterTarget::kResults, "summary", {"status"}},
  };
  return *paths;
}

const FacetPath* FacetOf(const Expr& e, FilterTarget target) {
  std::string_view variable;
  std::vector<std::string> steps;
  if (!ReadPath(e, &variable, &steps)) return nullptr;
  for (const FacetPath& path : FacetPaths()) {
    if (path.target == target && path.variable == variable &&
        std::equal(steps.begin(), steps.end(), path.steps.begin(), path.steps.end())) {
      return &path;
    }
  }
  return nullptr;
}

// The text a facet holds when it equals the literal `e`, if `e` is a literal the facet can hold.
std::optional<std::string> FacetText(const Expr& e, Facet facet) {
  if (facet != Facet::kSummaryStatus) return ConstantText(e);
  if (const auto* c = e.As<ConstExpr>()) {
    if (const auto* i = std::get_if<int64_t>(&c->value)) return absl::StrCat(*i);
    return std::nullopt;
  }
  const auto* ident = e.As<IdentExpr>();
  if (ident == nullptr) return std::nullopt;
  for (const StatusConstant& s : kStatusConstants) {
    if (ident->name == s.name) return absl::StrCat(s.value);
  }
  return std::nullopt;
}

// A conjunct the index answers, with the rank of its facet (lower is more selective).
struct Candidate {
  size_t rank;
  FacetChoice choice;
};

size_t RankOf(const FacetPath* path) { return path - FacetPaths().data(); }

std::optional<Candidate> Equality(const Expr& facet_side, const Expr& value_side,
                                  FilterTarget target) {
  const FacetPath* path = FacetOf(facet_side, target);
  if (path == nullptr) return std::nullopt;
  std::optional<std::string> text = FacetText(value_side, path->facet);
  if (!text) return std::nullopt;
  return Candidate{RankOf(path), {{FacetScope(path->facet, *text)}, std::nullopt}};
}

std::optional<Candidate> Membership(const CallExpr& call, FilterTarget target) {
  const FacetPath* path = FacetOf(*call.args[0], target);
  const auto* list = call.args[1]->As<cel::ListExpr>();
  if (path == nullptr || list == nullptr) return std::nullopt;
  FacetChoice choice;
  for (const cel::ExprPtr& element : list->elements) {
    std::optional<std::string> text = FacetText(*element, path->facet);
    if (!text) return std::nullopt;
    choice.scopes.push_back(FacetScope(path->facet, *text));
  }
  std::sort(choice.scopes.begin(), choice.scopes.end());
  choice.scopes.erase(std::unique(choice.scopes.begin(), choice.scopes.end()), choice.scopes.end());
  // Several values cost a merge of several postings: rank them after every single value.
  return Candidate{RankOf(path) + FacetPaths().size(), std::move(choice)};
}

std::optional<Candidate> Prefix(const CallExpr& call, FilterTarget target) {
  const FacetPath* path = FacetOf(*call.target, target);
  if (path == nullptr || path->facet == Facet::kSummaryStatus) return std::nullopt;
  std::optional<std::string> text = FacetText(*call.args[0], path->facet);
  if (!text) return std::nullopt;
  FacetChoice choice;
  choice.scope_prefix = FacetScope(path->facet, *text);
  return Candidate{RankOf(path) + 2 * FacetPaths().size(), std::move(choice)};
}

std::optional<Candidate> Conjunct(const Expr& e, FilterTarget target) {
  const auto* call = e.As<CallExpr>();
  if (call == nullptr) return std::nullopt;
  const bool binary = call->target == nullptr && call->args.size() == 2;
  if (binary && call->function == "_==_") {
    std::optional<Candidate> c = Equality(*call->args[0], *call->args[1], target);
    return c ? c : Equality(*call->args[1], *call->args[0], target);
  }
  if (binary && call->function == "@in") return Membership(*call, target);
  if (call->function == "startsWith" && call->target != nullptr && call->args.size() == 1) {
    return Prefix(*call, target);
  }
  return std::nullopt;
}

}  // namespace

bool ReadPath(const Expr& e, std::string_view* variable, std::vector<std::string>* steps) {
  if (const auto* ident = e.As<IdentExpr>()) {
    *variable = ident->name;
    return true;
  }
  if (const auto* select = e.As<SelectExpr>()) {
    if (select->test_only || !ReadPath(*select->operand, variable, steps)) return false;
    steps->push_back(select->field);
    return true;
  }
  const auto* call = e.As<CallExpr>();
  if (call == nullptr || call->function != "_[_]" || call->args.size() != 2) return false;
  const auto* key = call->args[1]->As<ConstExpr>();
  if (key == nullptr || !ReadPath(*call->args[0], variable, steps)) return false;
  if (const auto* s = std::get_if<std::string>(&key->value)) {
    steps->push_back(*s);
  } else if (const auto* i = std::get_if<int64_t>(&key->value); i != nullptr && *i >= 0) {
    steps->push_back(absl::StrCat(*i));
  } else {
    return false;
  }
  return true;
}

void Conjuncts(const Expr& e, std::vector<const Expr*>* out) {
  const auto* call = e.As<CallExpr>();
  if (call != nullptr && call->function == "_&&_" && call->args.size() == 2) {
    Conjuncts(*call->args[0], out);
    Conjuncts(*call->args[1], out);
    return;
  }
  out->push_back(&e);
}

std::optional<int64_t> ConstantTime(const Expr& e) {
  const auto* call = e.As<CallExpr>();
  if (call == nullptr || call->target != nullptr || call->function != "timestamp" ||
      call->args.size() != 1) {
    return std::nullopt;
  }
  const auto* c = call->args[0]->As<ConstExpr>();
  const auto* text = c == nullptr ? nullptr : std::get_if<std::string>(&c->value);
  absl::Time t;
  std::string error;
  if (text == nullptr || !absl::ParseTime(absl::RFC3339_full, *text, &t, &error)) {
    return std::nullopt;
  }
  return absl::ToUnixNanos(t);
}

std::optional<std::string> ConstantText(const Expr& e) {
  if (const auto* c = e.As<ConstExpr>()) {
    if (const auto* s = std::get_if<std::string>(&c->value)) return *s;
    return std::nullopt;
  }
  const auto* ident = e.As<IdentExpr>();
  if (ident == nullptr) return std::nullopt;
  for (const TypeConstant& t : kTypeConstants) {
    if (ident->name == t.name) return std::string(t.value);
  }
  return std::nullopt;
}

std::optional<TimeComparison> ReadTimeComparison(const Expr& e) {
  const auto* call = e.As<CallExpr>();
  if (call == nullptr || call->target != nullptr || call->args.size() != 2) return std::nullopt;
  std::string_view op = call->function;
  if (op != "_<_" && op != "_<=_" && op != "_>_" && op != "_>=_") return std::nullopt;
  if (std::optional<int64_t> t = ConstantTime(*call->args[1])) {
    return TimeComparison{call->args[0].get(), op, *t};
  }
  std::optional<int64_t> t = ConstantTime(*call->args[0]);
  if (!t) return std::nullopt;
  // t op v is v op' t, with the comparison mirrored.
  op = op == "_<_" ? "_>_" : op == "_<=_" ? "_>=_" : op == "_>_" ? "_<_" : "_<=_";
  return TimeComparison{call->args[1].get(), op, *t};
}

namespace {

bool IsVariable(const Expr& e, std::string_view name) {
  const auto* ident = e.As<IdentExpr>();
  return ident != nullptr && ident->name == name;
}

// Narrows `range` by the conjunct `e` if it compares `variable` with a constant time.
void Narrow(const Expr& e, std::string_view variable, TimeRange* range) {
  std::optional<TimeComparison> c = ReadTimeComparison(e);
  if (!c || !IsVariable(*c->subject, variable)) return;
  if (c->op == "_<_" || c->op == "_<=_") range->highest = std::min(range->highest, c->nanos);
  if (c->op == "_>_" || c->op == "_>=_") range->lowest = std::max(range->lowest, c->nanos);
}

}  // namespace

std::optional<TimeRange> ChooseTimeRange(const Expr& filter, std::string_view variable) {
  std::vector<const Expr*> conjuncts;
  Conjuncts(filter, &conjuncts);
  TimeRange range;
  for (const Expr* e : conjuncts) Narrow(*e, variable, &range);
  if (range.lowest == TimeRange().lowest && range.highest == TimeRange().highest) {
    return std::nullopt;
  }
  return range;
}

std::optional<FacetChoice> ChooseFacets(const Expr& filter, FilterTarget target) {
  std::vector<const Expr*> conjuncts;
  Conjuncts(filter, &conjuncts);
  std::optional<Candidate> best;
  for (const Expr* e : conjuncts) {
    std::optional<Candidate> c = Conjunct(*e, target);
    if (c && (!best || c->rank < best->rank)) best = std::move(c);
  }
  if (!best) return std::nullopt;
  return std::move(best->choice);
}

namespace {

using Index = UserIndexProjection;

// The smallest key after every key that starts with `prefix`.
std::string Successor(std::string prefix) {
  while (!prefix.empty() && static_cast<unsigned char>(prefix.back()) == 0xff) prefix.pop_back();
  if (!prefix.empty()) prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

std::string Posting(absl::string_view encoded) {
  return absl::StrCat(absl::string_view(&Index::kPostingTag, 1), encoded);
}

KeyRange PrefixRange(const std::string& prefix) { return {prefix, Successor(prefix)}; }

// Every posting of one value type: 'V' <tag> ...
KeyRange TypeRange(char tag) {
  const std::string prefix = Posting(absl::string_view(&tag, 1));
  return PrefixRange(prefix);
}

// The encoded value of a literal, for equality: a string or a number.
std::optional<std::string> EncodedLiteral(const Expr& e) {
  if (std::optional<std::string> text = ConstantText(e)) {
    if (text->find('\0') != std::string::npos) return std::nullopt;
    return Index::EncodeString(*text);
  }
  const auto* c = e.As<ConstExpr>();
  if (c == nullptr) return std::nullopt;
  if (const auto* i = std::get_if<int64_t>(&c->value)) return Index::EncodeNumber(*i);
  if (const auto* u = std::get_if<uint64_t>(&c->value)) return Index::EncodeNumber(*u);
  if (const auto* d = std::get_if<double>(&c->value)) {
    if (*d != *d) return std::nullopt;  // NaN equals nothing
    return Index::EncodeNumber(*d);
  }
  return std::nullopt;
}

// The keys of values `op` the encoded value `encoded` (tag first), within its type's range.
KeyRange Compare(std::string_view op, const std::string& encoded) {
  const KeyRange type = TypeRange(encoded[0]);
  const std::string value = Posting(encoded);
  // For strings the encoding ends with '\0', so Successor(value) is the key after every
  // posting of exactly this value.
  if (op == "_<_") return {type.low, value};
  if (op == "_<=_") return {type.low, Successor(value)};
  if (op == "_>_") return {Successor(value), type.high};
  return {value, type.high};  // _>=_
}

std::string_view Mirrored(std::string_view op) {
  return op == "_<_" ? "_>_" : op == "_<=_" ? "_>=_" : op == "_>_" ? "_<_" : "_<=_";
}

// How well a conjunct narrows the index: lower is better.
enum class Strength { kValues = 0, kPrefix = 1, kRange = 2 };

struct IndexConjunct {
  Strength strength;
  std::vector<KeyRange> ranges;
};

class UserIndexMatcher {
 public:
  explicit UserIndexMatcher(const v1::IndexDefinition& definition) {
    Index::PathOf(definition.field(), &variable_, &steps_);
  }

  bool IsPath(const Expr& e) const {
    std::string_view variable;
    std::vector<std::string> steps;
    return ReadPath(e, &variable, &steps) && variable == variable_ && steps == steps_;
  }

  std::optional<IndexConjunct> Read(const Expr& e) const {
    const auto* call = e.As<CallExpr>();
    if (call == nullptr) return std::nullopt;
    const bool binary = call->target == nullptr && call->args.size() == 2;
    if (binary && call->function == "_==_") {
      for (int side : {0, 1}) {
        if (!IsPath(*call->args[side])) continue;
        if (auto v = EncodedLiteral(*call->args[1 - side])) {
          return IndexConjunct{Strength::kValues, {PrefixRange(Posting(*v))}};
        }
      }
      return std::nullopt;
    }
    if (binary && call->function == "@in") return Membership(*call);
    if (call->function == "startsWith" && call->target != nullptr && call->args.size() == 1) {
      std::optional<std::string> prefix = ConstantText(*call->args[0]);
      if (!IsPath(*call->target) || !prefix || prefix->find('\0') != std::string::npos) {
        return std::nullopt;
      }
      std::string key = Posting(absl::string_view(&Index::kStringTag, 1));
      absl::StrAppend(&key, *prefix);
      return IndexConjunct{Strength::kPrefix, {PrefixRange(key)}};
    }
    if (binary) return Comparison(e, *call);
    return std::nullopt;
  }

 private:
  std::optional<IndexConjunct> Membership(const CallExpr& call) const {
    const auto* list = call.args[1]->As<cel::ListExpr>();
    if (!IsPath(*call.args[0]) || list == nullptr) return std::nullopt;
    IndexConjunct conjunct{Strength::kValues, {}};
    for (const cel::ExprPtr& element : list->elements) {
      std::optional<std::string> v = EncodedLiteral(*element);
      if (!v) return std::nullopt;
      conjunct.ranges.push_back(PrefixRange(Posting(*v)));
    }
    return conjunct;
  }

  // `<path> op literal` (either side), or timestamp(<path>) op timestamp('...').
  std::optional<IndexConjunct> Comparison(const Expr& e, const CallExpr& call) const {
    std::string_view op = call.function;
    if (op != "_<_" && op != "_<=_" && op != "_>_" && op != "_>=_") return std::nullopt;
    if (std::optional<TimeComparison> t = ReadTimeComparison(e)) {
      const auto* subject = t->subject->As<CallExpr>();
      if (subject == nullptr || subject->target != nullptr || subject->function != "timestamp" ||
          subject->args.size() != 1 || !IsPath(*subject->args[0])) {
        return std::nullopt;
      }
      return IndexConjunct{Strength::kRange, {Compare(t->op, Index::EncodeTime(t->nanos))}};
    }
    for (int side : {0, 1}) {
      if (!IsPath(*call.args[side])) continue;
      std::optional<std::string> v = EncodedLiteral(*call.args[1 - side]);
      if (!v) return std::nullopt;
      return IndexConjunct{Strength::kRange, {Compare(side == 0 ? op : Mirrored(op), *v)}};
    }
    return std::nullopt;
  }

  std::string variable_;
  std::vector<std::string> steps_;
};

// Intersects two ranges of one conjunct each.
KeyRange Intersect(const KeyRange& a, const KeyRange& b) {
  return {std::max(a.low, b.low), std::min(a.high, b.high)};
}

}  // namespace

std::optional<UserIndexChoice> ChooseUserIndex(const Expr& filter,
                                               const std::vector<v1::IndexDefinition>& indexes) {
  std::vector<const Expr*> conjuncts;
  Conjuncts(filter, &conjuncts);
  std::optional<IndexConjunct> best;
  std::string best_index;
  for (const v1::IndexDefinition& index : indexes) {
    const UserIndexMatcher matcher(index);
    std::optional<IndexConjunct> narrowest;
    for (const Expr* e : conjuncts) {
      std::optional<IndexConjunct> c = matcher.Read(*e);
      if (!c) continue;
      if (narrowest && c->strength == Strength::kRange && narrowest->strength == Strength::kRange &&
          c->ranges[0].low[1] == narrowest->ranges[0].low[1]) {
        narrowest->ranges[0] = Intersect(narrowest->ranges[0], c->ranges[0]);
      } else if (!narrowest || c->strength < narrowest->strength) {
        narrowest = std::move(c);
      }
    }
    if (narrowest && (!best || narrowest->strength < best->strength)) {
      best = std::move(narrowest);
      best_index = index.name();
    }
  }
  if (!best) return std::nullopt;
  return UserIndexChoice{best_index, std::move(best->ranges)};
}

}  // namespace runledger
