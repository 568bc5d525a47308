// Kubernetes `meta/v1 Status` answers (k8s.md a.6) as absl::Status.
//
// Mapping of the HTTP code (the Status object's `reason` refines 409):
//   400 BadRequest, 415, 422 Invalid -> InvalidArgument     401 -> Unauthenticated
//   403 -> PermissionDenied                                  404 -> NotFound
//   409 AlreadyExists -> AlreadyExists, other 409 (Conflict, failed precondition) -> Aborted
//   410 Expired/Gone -> OutOfRange (the resourceVersion or continue token is too old)
//   429 -> ResourceExhausted   504 -> DeadlineExceeded   500 -> Internal   other 5xx -> Unavailable
// Every such status carries two payloads, the HTTP code and the Kubernetes reason, read back
// with KubeHttpCode() and KubeReason(), and the server's retry delay if it gave one
// (RetryAfter()); IsExpired() recognises a 410 in either form.
#ifndef RUNLEDGER_WATCHER_KUBE_STATUS_H_
#define RUNLEDGER_WATCHER_KUBE_STATUS_H_

#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace runledger::watcher {

// A status for an HTTP answer `http_code` whose body is `body` (a Status object, or anything
// else, which then only contributes its first bytes to the message). `what` names the request,
// e.g. "GET /apis/tekton.dev/v1/taskruns".
absl::Status StatusFromHttp(long http_code, absl::string_view body, absl::string_view what);

// The same for a Status object already parsed (the object of a watch ERROR event).
absl::Status StatusFromKubeStatus(const nlohmann::json& status, absl::string_view what);

// The HTTP code recorded in a status made above (0 if none), and the Kubernetes reason ("").
int KubeHttpCode(const absl::Status& status);
std::string KubeReason(const absl::Status& status);

// A 410: watch or list from a compacted resourceVersion, or an expired continue token.
bool IsExpired(const absl::Status& status);

// How long the server asked the client to wait (`details.retryAfterSeconds` of a 429 or 5xx
// Status); zero if it did not say.
absl::Duration RetryAfter(const absl::Status& status);

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_KUBE_STATUS_H_
