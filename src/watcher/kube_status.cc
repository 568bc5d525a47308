#include "src/watcher/kube_status.h"

#include "absl/strings/cord.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/watcher/json_fields.h"

namespace runledger::watcher {
namespace {

constexpr char kHttpCodeUrl[] = "runledger.dev/kube/http-code";
constexpr char kReasonUrl[] = "runledger.dev/kube/reason";
constexpr char kRetryAfterUrl[] = "runledger.dev/kube/retry-after-seconds";

int IntPayload(const absl::Status& status, const char* url) {
  auto payload = status.GetPayload(url);
  int value = 0;
  if (payload.has_value() && absl::SimpleAtoi(std::string(*payload), &value)) return value;
  return 0;
}

int IntField(const nlohmann::json& object, const char* key, int otherwise) {
  if (!object.is_object()) return otherwise;
  auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<int>() : otherwise;
}

absl::StatusCode CodeFor(int http_code, absl::string_view reason) {
  switch (http_code) {
    case 400:
    case 415:
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 409:
      return reason == "AlreadyExists" ? absl::StatusCode::kAlreadyExists
                                       : absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 500:
      return absl::StatusCode::kInternal;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
  }
  if (http_code >= 500) return absl::StatusCode::kUnavailable;
  return absl::StatusCode::kUnknown;
}

absl::Status Make(int http_code, const std::string& reason, const std::string& message,
                  int retry_after_seconds, absl::string_view what) {
  absl::Status status(CodeFor(http_code, reason),
                      absl::StrCat(what, ": HTTP ", http_code, reason.empty() ? "" : " ", reason,
                                   message.empty() ? "" : ": ", message));
  status.SetPayload(kHttpCodeUrl, absl::Cord(absl::StrCat(http_code)));
  status.SetPayload(kReasonUrl, absl::Cord(reason));
  if (retry_after_seconds > 0) {
    status.SetPayload(kRetryAfterUrl, absl::Cord(absl::StrCat(retry_after_seconds)));
  }
  return status;
}

}  // namespace

absl::Status StatusFromKubeStatus(const nlohmann::json& status, absl::string_view what) {
  int retry_after = status.is_object() && status.contains("details")
                        ? IntField(status["details"], "retryAfterSeconds", 0)
                        : 0;
  return Make(IntField(status, "code", 500), StringField(status, "reason"),
              StringField(status, "message"), retry_after, what);
}

absl::Status StatusFromHttp(long http_code, absl::string_view body, absl::string_view what) {
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (StringField(parsed, "kind") == "Status") {
    parsed["code"] = static_cast<int>(http_code);  // the HTTP answer is authoritative
    return StatusFromKubeStatus(parsed, what);
  }
  constexpr size_t kMaxBodyInMessage = 200;
  return Make(static_cast<int>(http_code), "", std::string(body.substr(0, kMaxBodyInMessage)), 0,
              what);
}

int KubeHttpCode(const absl::Status& status) { return IntPayload(status, kHttpCodeUrl); }

std::string KubeReason(const absl::Status& status) {
  auto payload = status.GetPayload(kReasonUrl);
  return payload.has_value() ? std::string(*payload) : "";
}

bool IsExpired(const absl::Status& status) {
  std::string reason = KubeReason(status);
  return KubeHttpCode(status) == 410 || reason == "Expired" || reason == "Gone";
}

absl::Duration RetryAfter(const absl::Status& status) {
  return absl::Seconds(IntPayload(status, kRetryAfterUrl));
}

}  // namespace runledger::watcher
