// A small, thread-safe Kubernetes API client on libcurl and nlohmann-json: GET, paged LIST,
// streaming WATCH, POST, JSON merge patch (main resource or a subresource such as /status) and
// DELETE with preconditions (k8s.md a.2-a.6). It knows nothing about Tekton; a ResourceRef names
// the resource type.
//
// Every call may run on any thread. Requests use HTTP/1.1 and reuse connections through a pool
// of libcurl handles that keeps one open connection per concurrent caller (up to 64): a TLS
// handshake per call would cost the API server more than the call itself. Non-2xx answers become
// absl::Status as kube_status.h describes; transport failures are Unavailable (DeadlineExceeded on
// a client timeout), and a call stopped through its `stop` notification returns Cancelled.
#ifndef RUNLEDGER_WATCHER_KUBE_CLIENT_H_
#define RUNLEDGER_WATCHER_KUBE_CLIENT_H_

#include <curl/curl.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "src/watcher/kube_config.h"
#include "src/watcher/watch_decoder.h"

namespace runledger::watcher {

// A resource type: API group ("" for the core group), version and lower-case plural resource.
struct ResourceRef {
  std::string group;
  std::string version;
  std::string resource;

  // "/apis/GROUP/VERSION[/namespaces/NS]/RESOURCE[/NAME[/SUBRESOURCE]]" ("/api/VERSION/..." for
  // the core group). An empty `ns` addresses all namespaces.
  std::string Path(absl::string_view ns, absl::string_view name = "",
                   absl::string_view subresource = "") const;
  // "GROUP/VERSION", or "VERSION" for the core group: the apiVersion of its objects.
  std::string ApiVersion() const;
};

struct ListOptions {
  std::string label_selector;
  std::string field_selector;
  int limit = 0;               // page size; 0 = everything at once
  std::string continue_token;  // from the previous page
  std::string resource_version;
};

struct ListPage {
  std::vector<nlohmann::json>
      items;                     // each with apiVersion and kind, even where the list omits them
  std::string resource_version;  // of the list snapshot: where a watch starts
  std::string continue_token;    // empty on the last page
};

struct WatchOptions {
  std::string resource_version;  // empty: the server sends the current state as ADDED first
  std::string label_selector;
  std::string field_selector;
  bool allow_bookmarks = true;
  int timeout_seconds = 0;  // the server ends the stream after this long; 0 = its default
};

// DELETE preconditions: the call fails with Aborted (409 Conflict) unless they hold.
struct Preconditions {
  std::string uid;
  std::string resource_version;
};

class KubeClient {
 public:
  explicit KubeClient(KubeConfig config);
  ~KubeClient();
  KubeClient(const KubeClient&) = delete;
  KubeClient& operator=(const KubeClient&) = delete;

  const KubeConfig& config() const { return config_; }
  // Time limit of every call but Watch (default 30 s).
  void set_request_timeout(absl::Duration timeout) { request_timeout_ = timeout; }

  absl::StatusOr<nlohmann::json> Get(const ResourceRef& ref, absl::string_view ns,
                                     absl::string_view name);
  // One page. ListAll follows `continue` to the end (all pages come from one snapshot).
  absl::StatusOr<ListPage> List(const ResourceRef& ref, absl::string_view ns,
                                const ListOptions& options,
                                const absl::Notification* stop = nullptr);
  absl::StatusOr<ListPage> ListAll(const ResourceRef& ref, absl::string_view ns,
                                   ListOptions options, const absl::Notification* stop = nullptr);
  // POST: creates `object` in `ns`; returns the stored object.
  absl::StatusOr<nlohmann::json> Create(const ResourceRef& ref, absl::string_view ns,
                                        const nlohmann::json& object);
  // PATCH with application/merge-patch+json (RFC 7386) on NAME, or on NAME/`subresource`.
  // E.g. {"metadata":{"annotations":{"k":"v"}}}, {"metadata":{"finalizers":null}}.
  absl::StatusOr<nlohmann::json> MergePatch(const ResourceRef& ref, absl::string_view ns,
                                            absl::string_view name, const nlohmann::json& patch,
                                            absl::string_view subresource = "");
  // DELETE; returns the server's answer: a Status of "Success", or the object (which, when it
  // has finalizers, now carries deletionTimestamp and stays until they are removed).
  absl::StatusOr<nlohmann::json> Delete(const ResourceRef& ref, absl::string_view ns,
                                        absl::string_view name,
                                        const Preconditions& preconditions = {});

  // Streams a watch, calling `callback` for each event as it arrives, until the server ends the
  // stream (OK), the callback returns non-OK (that status), `stop` is notified (Cancelled), or
  // the request or the connection fails. An HTTP error before the stream (e.g. 410 for a
  // compacted resourceVersion) is returned as a status; a 410 inside the stream arrives as an
  // ERROR event, which the callback sees (StatusFromKubeStatus converts it).
  absl::Status Watch(const ResourceRef& ref, absl::string_view ns, const WatchOptions& options,
                     const WatchCallback& callback, const absl::Notification* stop = nullptr);

 private:
  struct Handle;
  struct Call;

  // Sends a request whose answer is a JSON document and returns it, or the error status.
  absl::StatusOr<nlohmann::json> Unary(Call call, const absl::Notification* stop = nullptr);
  // Runs one transfer to its end, feeding the body to `call.on_body`.
  absl::Status Perform(Call& call, long* http_code, const absl::Notification* stop);
  // Sets the options of `call` on `easy` (reset first); returns the header list, to be freed
  // after the transfer.
  curl_slist* Prepare(CURL* easy, const Call& call, const std::string& url,
                      const std::string& token) const;
  std::unique_ptr<Handle> Acquire();
  void Release(std::unique_ptr<Handle> handle);

  const KubeConfig config_;
  absl::Duration request_timeout_ = absl::Seconds(30);
  absl::Mutex mu_;
  std::vector<std::unique_ptr<Handle>> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_KUBE_CLIENT_H_
