#include "src/query/page_token.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "src/common/proto_util.h"

namespace runledger {

std::string EncodePageToken(const tekton::results::lister::PageToken& token) {
  return absl::WebSafeBase64Escape(SerializeDeterministic(token));
}

absl::StatusOr<tekton::results::lister::PageToken> DecodePageToken(absl::string_view text) {
  std::string bytes;
  if (!absl::WebSafeBase64Unescape(text, &bytes)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid page token: not base64url: \"", text, "\""));
  }
  tekton::results::lister::PageToken token;
  if (!token.ParseFromString(bytes)) {
    return absl::InternalError("invalid page token: cannot parse invalid wire-format data");
  }
  return token;
}

}  // namespace runledger
