// src/common/uuid.h: issued uids are canonical v4 UUIDs, and their 16-byte encoding (used in
// index keys) round-trips and sorts exactly as the text does.
#include "src/common/uuid.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runledger {
namespace {

TEST(UuidTest, NewUuidsAreCanonicalVersion4AndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    const std::string uuid = NewUuid();
    EXPECT_THAT(uuid, ::testing::MatchesRegex(
                          "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"));
    seen.insert(uuid);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(UuidTest, BytesRoundTrip) {
  for (int i = 0; i < 100; ++i) {
    const std::string uuid = NewUuid();
    std::string bytes;
    ASSERT_TRUE(AppendUuidBytes(uuid, &bytes));
    ASSERT_EQ(bytes.size(), 16u);
    EXPECT_EQ(UuidFromBytes(bytes), uuid);
  }
}

TEST(UuidTest, BytesSortLikeTheText) {
  std::vector<std::string> uuids = {
      "00000000-0000-4000-8000-000000000000", "0000000f-0000-4000-8000-000000000000",
      "000000f0-0000-4000-8000-000000000000", "ffffffff-ffff-4fff-bfff-ffffffffffff"};
  for (int i = 0; i < 200; ++i) uuids.push_back(NewUuid());
  std::vector<std::string> by_text = uuids;
  std::sort(by_text.begin(), by_text.end());
  std::vector<std::pair<std::string, std::string>> by_bytes;
  for (const std::string& uuid : uuids) {
    std::string bytes;
    ASSERT_TRUE(AppendUuidBytes(uuid, &bytes));
    by_bytes.emplace_back(bytes, uuid);
  }
  std::sort(by_bytes.begin(), by_bytes.end());
  for (size_t i = 0; i < by_text.size(); ++i) EXPECT_EQ(by_bytes[i].second, by_text[i]);
}

TEST(UuidTest, NonCanonicalTextIsRefusedAndAppendsNothing) {
  for (const std::string text :
       {"", "uid-1", "0000000-0000-4000-8000-0000000000000", "00000000_0000-4000-8000-000000000000",
        "0000000G-0000-4000-8000-000000000000", "0000000A-0000-4000-8000-000000000000"}) {
    std::string bytes = "x";
    EXPECT_FALSE(AppendUuidBytes(text, &bytes)) << text;
    EXPECT_EQ(bytes, "x") << text;
  }
}

}  // namespace
}  // namespace runledger
