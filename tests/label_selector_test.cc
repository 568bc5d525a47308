#include "src/watcher/label_selector.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace runledger::watcher {
namespace {

using ::testing::HasSubstr;

bool Matches(const std::string& selector, const std::map<std::string, std::string>& labels) {
  absl::StatusOr<LabelSelector> parsed = LabelSelector::Parse(selector);
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() && parsed->Matches(labels);
}

TEST(LabelSelectorTest, EmptyMatchesEverything) {
  EXPECT_TRUE(Matches("", {}));
  EXPECT_TRUE(Matches("  ", {{"a", "b"}}));
}

TEST(LabelSelectorTest, EqualityAndInequality) {
  EXPECT_TRUE(Matches("app=web", {{"app", "web"}}));
  EXPECT_TRUE(Matches("app==web", {{"app", "web"}}));
  EXPECT_FALSE(Matches("app=web", {{"app", "db"}}));
  EXPECT_FALSE(Matches("app=web", {}));
  EXPECT_TRUE(Matches("app!=web", {{"app", "db"}}));
  EXPECT_TRUE(Matches("app!=web", {}));
  EXPECT_FALSE(Matches("app!=web", {{"app", "web"}}));
  EXPECT_TRUE(Matches("app=web, tier = front", {{"app", "web"}, {"tier", "front"}}));
  EXPECT_FALSE(Matches("app=web,tier=front", {{"app", "web"}}));
}

TEST(LabelSelectorTest, ExistenceAndSets) {
  EXPECT_TRUE(Matches("tekton.dev/pipeline", {{"tekton.dev/pipeline", "x"}}));
  EXPECT_FALSE(Matches("tekton.dev/pipeline", {}));
  EXPECT_TRUE(Matches("!keep", {}));
  EXPECT_FALSE(Matches("!keep", {{"keep", ""}}));
  EXPECT_TRUE(Matches("env in (dev, test),app", {{"env", "test"}, {"app", "a"}}));
  EXPECT_FALSE(Matches("env in (dev,test)", {{"env", "prod"}}));
  EXPECT_TRUE(Matches("env notin (prod)", {}));
  EXPECT_FALSE(Matches("env notin (prod)", {{"env", "prod"}}));
}

TEST(LabelSelectorTest, MatchesObjectLabels) {
  absl::StatusOr<LabelSelector> selector = LabelSelector::Parse("app=web");
  ASSERT_TRUE(selector.ok());
  EXPECT_TRUE(selector->Matches(nlohmann::json::parse(R"({"metadata":{"labels":{"app":"web"}}})")));
  EXPECT_FALSE(selector->Matches(nlohmann::json::parse(R"({"metadata":{}})")));
}

TEST(LabelSelectorTest, BadSelectorsNameTheRequirement) {
  for (const char* bad : {"=web", "app=we b", "env in dev", "env maybe (a)", "a,,b"}) {
    absl::StatusOr<LabelSelector> parsed = LabelSelector::Parse(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("label_selector: requirement"));
  }
}

}  // namespace
}  // namespace runledger::watcher
