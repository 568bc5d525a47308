// Kubernetes Status answers as absl::Status: the captured error bodies of a real
// kube-apiserver (when ../shared is present) and bodies the tests write.
#include "src/watcher/kube_status.h"

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace runledger::watcher {
namespace {

using ::testing::HasSubstr;

const std::string kProtocolDir = std::string(RUNLEDGER_SHARED_DIR) + "/fixtures/tekton/protocol";

TEST(KubeStatusCaptureTest, CapturedErrorsMapToCodesAndKeepReasonAndMessage) {
  if (!std::filesystem::exists(kProtocolDir)) GTEST_SKIP() << "no captures at " << kProtocolDir;
  struct Case {
    const char* file;
    int http;
    absl::StatusCode code;
    const char* reason;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"25-patch-test-failed.json", 422, absl::StatusCode::kInvalidArgument, "Invalid",
            "rejected our request"},
           {"26-delete-precondition-failed.json", 409, absl::StatusCode::kAborted, "Conflict",
            "the UID in the precondition"},
           {"33-delete-stale-rv.json", 409, absl::StatusCode::kAborted, "Conflict",
            "ResourceVersion in the precondition"},
           {"36-get-after-delete.json", 404, absl::StatusCode::kNotFound, "NotFound", "not found"},
           {"38-delete-notfound.json", 404, absl::StatusCode::kNotFound, "NotFound", "not found"},
           {"41-forbidden.json", 403, absl::StatusCode::kPermissionDenied, "Forbidden",
            "cannot list resource"},
           {"42-unauthorized.json", 401, absl::StatusCode::kUnauthenticated, "Unauthorized", ""},
           {"70-smp-unsupported.json", 415, absl::StatusCode::kInvalidArgument,
            "UnsupportedMediaType", "merge-patch+json"},
           {"71-merge-patch-stale-rv.json", 409, absl::StatusCode::kAborted, "Conflict",
            "the object has been modified"},
       }) {
    std::string body = e2e::ReadFile(kProtocolDir + "/" + c.file);
    ASSERT_FALSE(body.empty()) << c.file;
    absl::Status status = StatusFromHttp(c.http, body, "PATCH /x");
    EXPECT_EQ(status.code(), c.code) << c.file << ": " << status;
    EXPECT_EQ(KubeHttpCode(status), c.http) << c.file;
    EXPECT_EQ(KubeReason(status), c.reason) << c.file;
    EXPECT_THAT(std::string(status.message()), HasSubstr(c.message)) << c.file;
    EXPECT_THAT(std::string(status.message()), HasSubstr("PATCH /x")) << c.file;
    EXPECT_FALSE(IsExpired(status)) << c.file;
  }
}

TEST(KubeStatusTest, ExpiredAndGoneAre410) {
  absl::Status expired = StatusFromKubeStatus(
      nlohmann::json::parse(R"j({"kind":"Status","status":"Failure","reason":"Expired",
                                "message":"too old resource version: 1 (204)","code":410})j"),
      "watch");
  EXPECT_EQ(expired.code(), absl::StatusCode::kOutOfRange);
  EXPECT_TRUE(IsExpired(expired));
  EXPECT_THAT(std::string(expired.message()), HasSubstr("too old resource version"));
  EXPECT_TRUE(IsExpired(StatusFromHttp(
      410, R"({"kind":"Status","reason":"Gone","message":"continue too old","code":410})", "x")));
  EXPECT_TRUE(IsExpired(StatusFromKubeStatus(nlohmann::json{{"reason", "Gone"}}, "x")));
  EXPECT_FALSE(IsExpired(absl::OutOfRangeError("not from kube")));
}

TEST(KubeStatusTest, CodesWithoutStatusBody) {
  struct Case {
    long http;
    absl::StatusCode code;
  };
  for (const Case& c : std::vector<Case>{{400, absl::StatusCode::kInvalidArgument},
                                         {429, absl::StatusCode::kResourceExhausted},
                                         {500, absl::StatusCode::kInternal},
                                         {502, absl::StatusCode::kUnavailable},
                                         {503, absl::StatusCode::kUnavailable},
                                         {504, absl::StatusCode::kDeadlineExceeded},
                                         {302, absl::StatusCode::kUnknown}}) {
    absl::Status status = StatusFromHttp(c.http, "<html>proxy error</html>", "GET /y");
    EXPECT_EQ(status.code(), c.code) << c.http;
    EXPECT_EQ(KubeHttpCode(status), c.http);
    EXPECT_EQ(KubeReason(status), "");
    EXPECT_THAT(std::string(status.message()), HasSubstr("proxy error"));
  }
  absl::Status exists = StatusFromHttp(
      409, R"({"kind":"Status","reason":"AlreadyExists","message":"already exists","code":409})",
      "POST /z");
  EXPECT_EQ(exists.code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(RetryAfter(exists), absl::ZeroDuration());
}

TEST(KubeStatusTest, RetryAfterFromTooManyRequests) {
  absl::Status throttled = StatusFromHttp(
      429, R"({"kind":"Status","reason":"TooManyRequests","message":"too many requests",
               "details":{"retryAfterSeconds":3},"code":429})",
      "GET /a");
  EXPECT_EQ(throttled.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(RetryAfter(throttled), absl::Seconds(3));
  EXPECT_EQ(KubeReason(throttled), "TooManyRequests");
}

}  // namespace
}  // namespace runledger::watcher
