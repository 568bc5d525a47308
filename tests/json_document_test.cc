// JsonDocument (src/query/json_value.h) bound in place: a JSON that is part of a larger buffer
// (a record's data inside its stored event) is iterated where it lies when enough of the buffer
// follows it to pad it for simdjson, copied otherwise, and reads the same either way.
#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "src/query/filter.h"
#include "src/query/json_value.h"

namespace runledger {
namespace {

// Whether the document's string at `pointer` lies inside `buffer`, and its text.
std::pair<bool, std::string> Lookup(const JsonDocument& document, const char* pointer,
                                    std::string_view buffer) {
  simdjson::ondemand::document* parsed = document.parsed();
  if (parsed == nullptr) return {false, "<not parsed>"};
  std::string_view token = parsed->at_pointer(pointer).raw_json_token();
  const bool inside = token.data() >= buffer.data() && token.data() < buffer.data() + buffer.size();
  return {inside, std::string(token)};
}

constexpr std::string_view kJson = R"({"spec":{"timeout":"1h0m0s"},"n":[1,2,3]})";

TEST(JsonDocumentTest, BindsInPlaceWhenTheEnclosingBytesPadTheJson) {
  const std::string buffer = "head" + std::string(kJson) + std::string(80, 'x');
  const std::string_view json = std::string_view(buffer).substr(4, kJson.size());
  JsonDocument document;
  document.Bind(json, buffer);
  EXPECT_EQ(Lookup(document, "/spec/timeout", buffer),
            std::make_pair(true, std::string("\"1h0m0s\"")));
}

TEST(JsonDocumentTest, CopiesWhenTooFewBytesFollowOrTheJsonIsNotInside) {
  const std::string buffer = "head" + std::string(kJson) + std::string(10, 'x');
  const std::string_view json = std::string_view(buffer).substr(4, kJson.size());
  JsonDocument document;
  document.Bind(json, buffer);
  EXPECT_EQ(Lookup(document, "/spec/timeout", buffer),
            std::make_pair(false, std::string("\"1h0m0s\"")));
  const std::string other(200, ' ');
  document.Bind(json, other);
  EXPECT_EQ(Lookup(document, "/spec/timeout", buffer),
            std::make_pair(false, std::string("\"1h0m0s\"")));
}

TEST(JsonDocumentTest, PaddingBytesDoNotChangeWhatIsRead) {
  // The bytes after the JSON look like more JSON: they must not be read as part of it.
  const std::string buffer =
      std::string(kJson) + R"(,"spec":{"timeout":"9h"}})" + std::string(64, '"');
  JsonDocument document;
  document.Bind(std::string_view(buffer).substr(0, kJson.size()), buffer);
  EXPECT_EQ(Lookup(document, "/spec/timeout", buffer).second, "\"1h0m0s\"");
  EXPECT_EQ(Lookup(document, "/n/2", buffer).second, "3");
}

// size() of a path reads the value its lookup found when nothing moved in between, and looks it up
// again when something did.
TEST(JsonDocumentTest, SizesAreRightWhateverWasReadInBetween) {
  const std::string json = R"({"a":["x","y"],"b":[1,2,3],"o":{"k":1},"s":"text"})";
  const RecordView record{"ns/results/r/records/x", "tekton.dev/v1.TaskRun", json};
  for (const char* text : {
           "size(data.a) == 2 && size(data.b) == 3 && size(data.o) == 1",
           "[data.a, data.b, data.o].map(x, size(x)) == [2, 3, 1]",
           "size(data.a) == 2 && data.a[1] == 'y' && size(data.a) == 2 && data.b[2] == 3.0",
           "data.b.exists(v, v == 3.0) && size(data.b) == 3 && size(data.s) == 4",
       }) {
    absl::StatusOr<std::unique_ptr<const Filter>> filter =
        Filter::Compile(text, FilterTarget::kRecords);
    ASSERT_TRUE(filter.ok()) << filter.status();
    EXPECT_TRUE((*filter)->Matches(record)) << text;
  }
}

}  // namespace
}  // namespace runledger
