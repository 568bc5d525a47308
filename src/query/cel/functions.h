// CEL's functions as one table of overloads, and the dispatch that picks an overload for the
// argument values at hand.
//
// Every overload names its function, its call style, its parameters as sets of value kinds and
// the kinds it may return; the table is grouped by function name once per process, so a
// compiled call holds a `const Function*` and never looks a name up again. Invariant: an
// implementation is only called with arguments whose kinds its parameters accept; Call()
// answers errors, lazy values and JSON-string timestamps before that.
#ifndef RUNLEDGER_QUERY_CEL_FUNCTIONS_H_
#define RUNLEDGER_QUERY_CEL_FUNCTIONS_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/types/span.h"
#include "src/query/cel/value.h"

namespace runledger::cel {

// A set of value kinds, one bit per ValueKind.
using KindMask = uint16_t;
constexpr KindMask Mask(ValueKind k) { return static_cast<KindMask>(1u << static_cast<int>(k)); }
inline constexpr KindMask kAnyKind = 0xFFFF;
inline constexpr KindMask kNumeric =
    Mask(ValueKind::kInt) | Mask(ValueKind::kUint) | Mask(ValueKind::kDouble);
// Single kinds, as the overload tables spell them.
inline constexpr KindMask kInt = Mask(ValueKind::kInt);
inline constexpr KindMask kUint = Mask(ValueKind::kUint);
inline constexpr KindMask kDouble = Mask(ValueKind::kDouble);
inline constexpr KindMask kBool = Mask(ValueKind::kBool);
inline constexpr KindMask kString = Mask(ValueKind::kString);
inline constexpr KindMask kBytes = Mask(ValueKind::kBytes);
inline constexpr KindMask kList = Mask(ValueKind::kList);
inline constexpr KindMask kMap = Mask(ValueKind::kMap);
inline constexpr KindMask kTs = Mask(ValueKind::kTimestamp);
inline constexpr KindMask kDur = Mask(ValueKind::kDuration);

enum class CallStyle : uint8_t {
  kGlobal,    // f(a, b)
  kReceiver,  // a.f(b)
  kEither,    // both
};

using FunctionImpl = Value (*)(absl::Span<const Value> args);

inline constexpr int8_t kVariadic = -1;  // any number (at least one) of params[0]

struct Overload {
  std::string_view function;
  CallStyle style;
  int8_t arity;  // including the receiver
  std::array<KindMask, 4> params;
  KindMask result;
  FunctionImpl impl;
};

// All overloads of one function name.
class Function {
 public:
  explicit Function(std::string_view name) : name_(name) {}

  std::string_view name() const { return name_; }
  // Whether some overload takes `n` arguments in this call style.
  bool Accepts(bool receiver_style, size_t n) const;
  // The kinds a call may return given the kinds its arguments may have (for the checker).
  KindMask ResultKinds(bool receiver_style, absl::Span<const KindMask> args) const;
  // Calls the overload that fits `args` (which it may rewrite: lazy values are resolved, JSON
  // strings turned into timestamps when only a timestamp overload fits). The first error
  // argument is the result; "no such overload" when nothing fits.
  Value Call(bool receiver_style, absl::Span<Value> args) const;

 private:
  friend class FunctionTable;
  // With `json_as_timestamp`, JSON strings count as timestamps.
  const Overload* Match(bool receiver_style, absl::Span<const Value> args,
                        bool json_as_timestamp) const;

  std::string_view name_;
  std::vector<const Overload*> overloads_;
};

// The function called `name` (e.g. "_+_", "size", "math.greatest"), or null.
const Function* FindFunction(std::string_view name);

// "no such overload: f(int, string)".
Value NoSuchOverload(std::string_view function, absl::Span<const Value> args);

// Shared by the overload files.
namespace internal {

// The overload groups of the standard library and of the extensions, one per file.
absl::Span<const Overload> ArithmeticOverloads();
absl::Span<const Overload> ComparisonOverloads();
absl::Span<const Overload> StringOverloads();
absl::Span<const Overload> ConversionOverloads();
absl::Span<const Overload> TimeOverloads();
absl::Span<const Overload> StringExtOverloads();
absl::Span<const Overload> MathExtOverloads();
absl::Span<const Overload> EncoderExtOverloads();
absl::Span<const Overload> MapInsertOverloads();
absl::Span<const Overload> FormatExtOverloads();

// A double as string(double) writes it: the shortest text that reads back exactly (cel-go).
std::string FormatDouble(double d);

// Largest string, bytes or list a function may build (guards against runaway growth).
inline constexpr size_t kMaxBuiltSize = size_t{1} << 24;
inline constexpr size_t kMaxListSize = size_t{1} << 20;

}  // namespace internal
}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_FUNCTIONS_H_
