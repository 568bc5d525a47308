#include "src/query/cel/functions.h"

namespace runledger::cel::internal {

absl::Span<const Overload> MathExtOverloads() { return {}; }

}  // namespace runledger::cel::internal
