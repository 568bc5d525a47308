// Unit tests of the page-token codec (src/query/page_token.h, api.md §3.4).
#include "src/query/page_token.h"

#include <string>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace runledger {
namespace {

using tekton::results::lister::Order;
using tekton::results::lister::PageToken;
using ::testing::MatchesRegex;

PageToken Token(const std::string& parent, const std::string& filter, const std::string& uid) {
  PageToken token;
  token.set_parent(parent);
  token.set_filter(filter);
  token.mutable_last_item()->set_uid(uid);
  return token;
}

TEST(PageTokenTest, EncodesUpstreamExample) {
  EXPECT_EQ(EncodePageToken(Token("foo", "", "16")), "CgNmb28aBAoCMTY");
}

TEST(PageTokenTest, DecodesUpstreamExample) {
  absl::StatusOr<PageToken> token = DecodePageToken("CgNmb28aBAoCMTY");
  ASSERT_TRUE(token.ok()) << token.status();
  EXPECT_TRUE(e2e::ProtoEq(Token("foo", "", "16"), *token));
}

TEST(PageTokenTest, RoundTripsEveryField) {
  PageToken token = Token("p/results/r", "data_type == \"x\"", "0f6c-uid");
  Order* order = token.mutable_last_item()->mutable_order_by();
  order->set_field_name("summary.start_time");
  order->mutable_value()->set_seconds(1700000000);
  order->mutable_value()->set_nanos(123);
  order->set_direction(Order::DESC);
  absl::StatusOr<PageToken> decoded = DecodePageToken(EncodePageToken(token));
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_TRUE(e2e::ProtoEq(token, *decoded));
}

TEST(PageTokenTest, UsesUnpaddedBase64Url) {
  // Parents of every length mod 3, whose bytes standard base64 writes with '+', '/' and '='.
  for (const std::string parent : {"~~~~", "?>?>?", "???", "a~"}) {
    const PageToken token = Token(parent, "", "u");
    const std::string text = EncodePageToken(token);
    EXPECT_THAT(text, MatchesRegex("[A-Za-z0-9_-]+")) << text;
    std::string bytes;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(text, &bytes)) << text;
    EXPECT_EQ(bytes, token.SerializeAsString());
  }
}

TEST(PageTokenTest, RejectsNonBase64AsInvalidArgument) {
  for (const std::string text : {"!!!!", "a", "Cg/Nmb+28", "CgNm*b28"}) {
    absl::StatusOr<PageToken> token = DecodePageToken(text);
    EXPECT_EQ(token.status().code(), absl::StatusCode::kInvalidArgument) << text;
  }
}

TEST(PageTokenTest, RejectsBase64OfNonProtobufAsInternal) {
  const std::string text = absl::WebSafeBase64Escape("\xff\xff\xff\xff");
  absl::StatusOr<PageToken> token = DecodePageToken(text);
  EXPECT_EQ(token.status().code(), absl::StatusCode::kInternal) << token.status();
}

}  // namespace
}  // namespace runledger
