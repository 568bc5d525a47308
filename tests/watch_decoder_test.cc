// The watch stream decoder: captured streams from a real kube-apiserver (when ../shared is
// present), fed in every chunking, and edge cases on streams the tests write.
#include "src/watcher/watch_decoder.h"

#include <filesystem>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/watcher/json_fields.h"
#include "tests/test_util.h"

namespace runledger::watcher {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kProtocolDir = std::string(RUNLEDGER_SHARED_DIR) + "/fixtures/tekton/protocol";

// Decodes `stream` fed in pieces of `chunk` bytes; the event types and resourceVersions seen.
struct Decoded {
  absl::Status status;
  std::vector<std::string> types;
  std::vector<std::string> versions;
};

Decoded Decode(const std::string& stream, size_t chunk) {
  Decoded out;
  WatchDecoder decoder([&out](WatchEvent event) {
    out.types.emplace_back(WatchEventTypeName(event.type));
    out.versions.push_back(MetadataField(event.object, "resourceVersion"));
    return absl::OkStatus();
  });
  for (size_t at = 0; at < stream.size() && out.status.ok(); at += chunk) {
    out.status = decoder.Feed(absl::string_view(stream).substr(at, chunk));
  }
  if (out.status.ok()) out.status = decoder.Finish();
  return out;
}

std::string Capture(const std::string& name) { return e2e::ReadFile(kProtocolDir + "/" + name); }

TEST(WatchDecoderCaptureTest, EveryChunkingOfTheCapturedStreamGivesTheSameEvents) {
  if (!std::filesystem::exists(kProtocolDir)) GTEST_SKIP() << "no captures at " << kProtocolDir;
  std::string stream = Capture("10-watch-taskruns.jsonl");
  std::vector<std::string> lines = absl::StrSplit(stream, '\n', absl::SkipEmpty());
  Decoded whole = Decode(stream, stream.size());
  ASSERT_TRUE(whole.status.ok()) << whole.status;
  ASSERT_EQ(whole.types.size(), lines.size());
  EXPECT_EQ(whole.types.back(), "BOOKMARK");
  EXPECT_EQ(whole.versions.back(), "220");
  EXPECT_EQ(std::count(whole.types.begin(), whole.types.end(), "DELETED"), 2);
  for (size_t chunk : {1, 2, 7, 64, 1000, 4096}) {
    Decoded pieces = Decode(stream, chunk);
    ASSERT_TRUE(pieces.status.ok()) << chunk << ": " << pieces.status;
    EXPECT_EQ(pieces.types, whole.types) << chunk;
    EXPECT_EQ(pieces.versions, whole.versions) << chunk;
  }
}

TEST(WatchDecoderCaptureTest, TooOldResourceVersionIsAnErrorEventWithA410Status) {
  if (!std::filesystem::exists(kProtocolDir)) GTEST_SKIP() << "no captures at " << kProtocolDir;
  std::vector<WatchEvent> events;
  WatchDecoder decoder([&events](WatchEvent event) {
    events.push_back(std::move(event));
    return absl::OkStatus();
  });
  ASSERT_TRUE(decoder.Feed(Capture("30-watch-too-old.jsonl")).ok());
  ASSERT_TRUE(decoder.Finish().ok());
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].type, WatchEventType::kError);
  EXPECT_EQ(events[0].object["code"], 410);
  EXPECT_EQ(events[0].object["reason"], "Expired");
}

TEST(WatchDecoderCaptureTest, SyntheticAddedEventsOfAnRv0Watch) {
  if (!std::filesystem::exists(kProtocolDir)) GTEST_SKIP() << "no captures at " << kProtocolDir;
  for (const char* name : {"60-watch-rv0-labelselector.jsonl", "62-watch-http11.jsonl"}) {
    Decoded decoded = Decode(Capture(name), 5);
    ASSERT_TRUE(decoded.status.ok()) << name << ": " << decoded.status;
    ASSERT_FALSE(decoded.types.empty()) << name;
    EXPECT_EQ(decoded.types.front(), "ADDED") << name;
  }
}

constexpr char kStream[] =
    "{\"type\":\"ADDED\",\"object\":{\"metadata\":{\"resourceVersion\":\"1\"}}}\n"
    "\r\n"
    "{\"type\":\"MODIFIED\",\"object\":{\"metadata\":{\"resourceVersion\":\"2\"}}}\r\n"
    "{\"type\":\"DELETED\",\"object\":{\"metadata\":{\"resourceVersion\":\"3\"}}}\n"
    "{\"type\":\"BOOKMARK\",\"object\":{\"metadata\":{\"resourceVersion\":\"4\"}}}";

TEST(WatchDecoderTest, SplitsOnNewlinesWhateverTheChunks) {
  for (size_t chunk = 1; chunk <= sizeof(kStream); ++chunk) {
    Decoded decoded = Decode(kStream, chunk);
    ASSERT_TRUE(decoded.status.ok()) << chunk << ": " << decoded.status;
    EXPECT_THAT(decoded.types, ElementsAre("ADDED", "MODIFIED", "DELETED", "BOOKMARK")) << chunk;
    EXPECT_THAT(decoded.versions, ElementsAre("1", "2", "3", "4")) << chunk;
  }
}

TEST(WatchDecoderTest, EventsArriveBeforeTheStreamEnds) {
  int seen = 0;
  WatchDecoder decoder([&seen](WatchEvent) {
    ++seen;
    return absl::OkStatus();
  });
  ASSERT_TRUE(decoder.Feed("{\"type\":\"ADDED\",\"object\":{}}\n{\"type\":\"MOD").ok());
  EXPECT_EQ(seen, 1);
  ASSERT_TRUE(decoder.Feed("IFIED\",\"object\":{}}\n").ok());
  EXPECT_EQ(seen, 2);
}

TEST(WatchDecoderTest, MalformedLinesAreDataLoss) {
  for (const char* bad :
       {"not json\n", "[1,2]\n", "{\"type\":\"ADDED\"}\n", "{\"type\":\"ADDED\",\"object\":3}\n",
        "{\"type\":\"RENAMED\",\"object\":{}}\n", "{\"type\":7,\"object\":{}}\n"}) {
    Decoded decoded = Decode(bad, 3);
    EXPECT_EQ(decoded.status.code(), absl::StatusCode::kDataLoss) << bad;
  }
  // A stream cut inside an event.
  Decoded cut = Decode("{\"type\":\"ADDED\",\"object\":{}}\n{\"type\":\"MODIFIED\",\"obj", 8);
  EXPECT_EQ(cut.status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(cut.types, ElementsAre("ADDED"));
}

TEST(WatchDecoderTest, AnEventWithoutEndIsRefusedBeforeMemoryRunsOut) {
  WatchDecoder decoder([](WatchEvent) { return absl::OkStatus(); });
  std::string piece(1 << 20, 'x');
  absl::Status status = decoder.Feed("{\"type\":\"ADDED\",\"object\":{\"a\":\"");
  for (size_t fed = 0; status.ok() && fed <= WatchDecoder::kMaxEventBytes; fed += piece.size()) {
    status = decoder.Feed(piece);
  }
  EXPECT_EQ(status.code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(status.message()), HasSubstr("longer than"));
}

TEST(WatchDecoderTest, CallbackErrorStopsDecoding) {
  int seen = 0;
  WatchDecoder decoder([&seen](WatchEvent) {
    return ++seen == 2 ? absl::AbortedError("enough") : absl::OkStatus();
  });
  absl::Status status = decoder.Feed(std::string(kStream) + "\n");
  EXPECT_EQ(status.code(), absl::StatusCode::kAborted);
  EXPECT_THAT(std::string(status.message()), HasSubstr("enough"));
  EXPECT_EQ(seen, 2);
}

}  // namespace
}  // namespace runledger::watcher
