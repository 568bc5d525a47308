// Page tokens of ListResults and ListRecords in upstream's format (spec/api.md §3.4): a
// tekton.results.lister.PageToken, protobuf-encoded, then base64url without padding. A token
// binds the parent, the filter and the order (field and direction) of the query that issued it,
// and names the last item returned (its uid and, when ordered by a time, that time).
#ifndef RUNLEDGER_QUERY_PAGE_TOKEN_H_
#define RUNLEDGER_QUERY_PAGE_TOKEN_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "tekton/results/lister/page_token.pb.h"

namespace runledger {

std::string EncodePageToken(const tekton::results::lister::PageToken& token);

// InvalidArgument if `text` is not base64url; Internal if the bytes are not a PageToken (the
// codes upstream returns).
absl::StatusOr<tekton::results::lister::PageToken> DecodePageToken(absl::string_view text);

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_PAGE_TOKEN_H_
