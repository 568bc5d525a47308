#include "src/query/cel/functions.h"

namespace runledger::cel::internal {

absl::Span<const Overload> EncoderExtOverloads() { return {}; }

}  // namespace runledger::cel::internal
