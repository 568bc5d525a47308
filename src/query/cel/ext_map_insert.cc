// cel.@mapInsert, the step function the parser's transformMap and transformMapEntry macros
// expand into: (map, key, value) adds one entry, (map, map) adds all entries of the second; a
// key already present is an error. The evaluator does this in place for accumulators (see
// AccumulateNode); this is the general form.
#include <utility>
#include <vector>

#include "src/query/cel/functions.h"

namespace runledger::cel::internal {
namespace {

Value InsertAll(const MapValue& map, absl::Span<const std::pair<Value, Value>> more) {
  std::vector<std::pair<Value, Value>> entries = map.entries();
  for (const auto& [key, value] : more) {
    if (map.Find(key) != nullptr) return Value::ErrorView("insert failed: repeated map key");
    entries.emplace_back(key, value);
  }
  return Value::Map(std::move(entries));
}

Value InsertEntry(absl::Span<const Value> a) {
  std::pair<Value, Value> entry(a[1], a[2]);
  return InsertAll(a[0].map(), absl::MakeConstSpan(&entry, 1));
}

Value InsertMap(absl::Span<const Value> a) { return InsertAll(a[0].map(), a[1].map().entries()); }

constexpr CallStyle G = CallStyle::kGlobal;

const Overload kOverloads[] = {
    {"cel.@mapInsert", G, 3, {kMap, kAnyKind, kAnyKind}, kMap, InsertEntry},
    {"cel.@mapInsert", G, 2, {kMap, kMap}, kMap, InsertMap},
};

}  // namespace

absl::Span<const Overload> MapInsertOverloads() { return kOverloads; }

}  // namespace runledger::cel::internal
