#include "src/query/cel/functions.h"

#include <memory>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/query/cel/cel_time.h"
#include "src/query/cel/string_view_compat.h"

namespace runledger::cel {

// Groups every overload group by function name, once.
class FunctionTable {
 public:
  FunctionTable() {
    for (auto group : {internal::ArithmeticOverloads(), internal::ComparisonOverloads(),
                       internal::StringOverloads(), internal::ConversionOverloads(),
                       internal::TimeOverloads(), internal::StringExtOverloads(),
                       internal::MathExtOverloads(), internal::EncoderExtOverloads(),
                       internal::MapInsertOverloads(), internal::FormatExtOverloads()}) {
      for (const Overload& o : group) Add(&o);
    }
  }

  const Function* Find(std::string_view name) const {
    auto it = functions_.find(absl::string_view(name.data(), name.size()));
    return it == functions_.end() ? nullptr : it->second.get();
  }

 private:
  void Add(const Overload* o) {
    auto& f = functions_[absl::string_view(o->function.data(), o->function.size())];
    if (f == nullptr) f = std::make_unique<Function>(o->function);
    f->overloads_.push_back(o);
  }

  absl::flat_hash_map<absl::string_view, std::unique_ptr<Function>> functions_;
};

namespace {

bool StyleFits(CallStyle style, bool receiver_style) {
  return style == CallStyle::kEither || (style == CallStyle::kReceiver) == receiver_style;
}

bool ArityFits(const Overload& o, size_t n) {
  return o.arity == kVariadic ? n >= 1 : static_cast<size_t>(o.arity) == n;
}

KindMask ParamMask(const Overload& o, size_t i) {
  return o.arity == kVariadic ? o.params[0] : o.params[i];
}

bool HasJsonString(absl::Span<const Value> args) {
  for (const Value& a : args) {
    if (a.is_json_string()) return true;
  }
  return false;
}

}  // namespace

bool Function::Accepts(bool receiver_style, size_t n) const {
  for (const Overload* o : overloads_) {
    if (StyleFits(o->style, receiver_style) && ArityFits(*o, n)) return true;
  }
  return false;
}

KindMask Function::ResultKinds(bool receiver_style, absl::Span<const KindMask> args) const {
  KindMask result = 0;
  for (const Overload* o : overloads_) {
    if (!StyleFits(o->style, receiver_style) || !ArityFits(*o, args.size())) continue;
    bool fits = true;
    for (size_t i = 0; i < args.size() && fits; ++i) fits = (ParamMask(*o, i) & args[i]) != 0;
    if (fits) result |= o->result;
  }
  return result;
}

const Overload* Function::Match(bool receiver_style, absl::Span<const Value> args,
                                bool json_as_timestamp) const {
  for (const Overload* o : overloads_) {
    if (!StyleFits(o->style, receiver_style) || !ArityFits(*o, args.size())) continue;
    bool fits = true;
    for (size_t i = 0; i < args.size() && fits; ++i) {
      ValueKind kind =
          json_as_timestamp && args[i].is_json_string() ? ValueKind::kTimestamp : args[i].kind();
      fits = (ParamMask(*o, i) & Mask(kind)) != 0;
    }
    if (fits) return o;
  }
  return nullptr;
}

Value Function::Call(bool receiver_style, absl::Span<Value> args) const {
  for (Value& a : args) {
    if (a.is_lazy()) a = a.lazy()->Resolve();
    if (a.is_error()) return a;
  }
  if (const Overload* o = Match(receiver_style, args, false)) return o->impl(args);
  if (!HasJsonString(args)) return NoSuchOverload(name_, args);
  // No string overload fits, but a timestamp one may: read the JSON strings as RFC 3339.
  const Overload* o = Match(receiver_style, args, true);
  if (o == nullptr) return NoSuchOverload(name_, args);
  for (Value& a : args) {
    if (!a.is_json_string()) continue;
    a = ParseTimestamp(a.text());
    if (a.is_error()) return a;
  }
  return o->impl(args);
}

const Function* FindFunction(std::string_view name) {
  static const FunctionTable* const table = new FunctionTable();
  return table->Find(name);
}

Value NoSuchOverload(std::string_view function, absl::Span<const Value> args) {
  return Value::Error(absl::StrCat("no such overload: ", ToAbsl(function), "(",
                                   absl::StrJoin(args, ", ",
                                                 [](std::string* out, const Value& v) {
                                                   absl::StrAppend(out, ToAbsl(KindName(v.kind())));
                                                 }),
                                   ")"));
}

}  // namespace runledger::cel
