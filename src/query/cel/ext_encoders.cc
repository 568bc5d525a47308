// The encoders extension (cel-go ext.Encoders): base64.encode(bytes) -> string and
// base64.decode(string) -> bytes (standard alphabet, with or without padding).
#include <string>

#include "absl/strings/escaping.h"
#include "src/query/cel/functions.h"
#include "src/query/cel/string_view_compat.h"

namespace runledger::cel::internal {
namespace {

using K = ValueKind;

Value Encode(absl::Span<const Value> a) {
  return Value::String(absl::Base64Escape(ToAbsl(a[0].text())));
}

Value Decode(absl::Span<const Value> a) {
  std::string text(a[0].text());
  while (text.size() % 4 != 0) text += '=';  // padding is optional
  std::string bytes;
  if (!absl::Base64Unescape(text, &bytes)) return Value::ErrorView("base64.decode: invalid input");
  return Value::Bytes(std::move(bytes));
}

constexpr CallStyle G = CallStyle::kGlobal;

const Overload kOverloads[] = {
    {"base64.encode", G, 1, {Mask(K::kBytes)}, Mask(K::kString), Encode},
    {"base64.decode", G, 1, {Mask(K::kString)}, Mask(K::kBytes), Decode},
};

}  // namespace

absl::Span<const Overload> EncoderExtOverloads() { return kOverloads; }

}  // namespace runledger::cel::internal
