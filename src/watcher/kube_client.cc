#include "src/watcher/kube_client.h"

#include <curl/curl.h>

#include <functional>
#include <mutex>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "src/watcher/json_fields.h"
#include "src/watcher/kube_status.h"

namespace runledger::watcher {
namespace {

// Enough for every thread of a controller (workers, patch threads, reflectors) to keep its
// connection open between calls.
constexpr size_t kMaxIdleHandles = 64;
constexpr long kConnectTimeoutMs = 10000;
// Slack on top of a watch's timeoutSeconds before the client gives up on a silent server.
constexpr int kWatchTimeoutSlackSeconds = 30;
// How often a transfer checks its stop notification.
constexpr int kPollMs = 100;

void InitCurlOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string Escape(absl::string_view s) {
  char* escaped = curl_easy_escape(nullptr, s.data(), static_cast<int>(s.size()));
  std::string out(escaped);
  curl_free(escaped);
  return out;
}

// "?k=v&k2=v2" built from the non-empty values.
class Query {
 public:
  Query& Add(absl::string_view key, absl::string_view value) {
    if (!value.empty()) absl::StrAppend(&text_, text_.empty() ? "?" : "&", key, "=", Escape(value));
    return *this;
  }
  const std::string& str() const { return text_; }

 private:
  std::string text_;
};

std::string IntOrEmpty(int n) { return n > 0 ? absl::StrCat(n) : ""; }

void SetBlob(CURL* easy, CURLoption option, const std::string& pem) {
  curl_blob blob{const_cast<char*>(pem.data()), pem.size(), CURL_BLOB_COPY};
  curl_easy_setopt(easy, option, &blob);
}

}  // namespace

std::string ResourceRef::Path(absl::string_view ns, absl::string_view name,
                              absl::string_view subresource) const {
  std::string path =
      group.empty() ? absl::StrCat("/api/", version) : absl::StrCat("/apis/", group, "/", version);
  if (!ns.empty()) absl::StrAppend(&path, "/namespaces/", Escape(ns));
  absl::StrAppend(&path, "/", resource);
  if (!name.empty()) absl::StrAppend(&path, "/", Escape(name));
  if (!subresource.empty()) absl::StrAppend(&path, "/", subresource);
  return path;
}

std::string ResourceRef::ApiVersion() const {
  return group.empty() ? version : absl::StrCat(group, "/", version);
}

// A libcurl easy handle inside its own multi handle (which keeps the open connections).
struct KubeClient::Handle {
  Handle() : multi(curl_multi_init()), easy(curl_easy_init()) {}
  ~Handle() {
    curl_easy_cleanup(easy);
    curl_multi_cleanup(multi);
  }
  CURLM* multi;
  CURL* easy;
};

struct KubeClient::Call {
  std::string method;
  std::string target;  // path and query
  std::string body;
  std::string content_type;
  absl::Duration timeout;  // zero: none
  // Receives the body as it arrives; false aborts the transfer.
  std::function<bool(long http_code, absl::string_view bytes)> on_body;

  std::string what() const { return absl::StrCat(method, " ", target); }
};

namespace {

struct WriteContext {
  CURL* easy;
  const std::function<bool(long, absl::string_view)>* on_body;
};

size_t OnWrite(char* data, size_t size, size_t count, void* user) {
  auto* context = static_cast<WriteContext*>(user);
  long code = 0;
  curl_easy_getinfo(context->easy, CURLINFO_RESPONSE_CODE, &code);
  return (*context->on_body)(code, absl::string_view(data, size * count)) ? size * count : 0;
}

absl::Status TransportError(CURLcode code, const char* detail, const std::string& what) {
  std::string message = absl::StrCat(what, ": ", *detail ? detail : curl_easy_strerror(code));
  if (code == CURLE_OPERATION_TIMEDOUT) return absl::DeadlineExceededError(message);
  return absl::UnavailableError(message);
}

// Runs the transfer of `easy` inside `multi` to its end, or until `stop` is notified.
absl::Status Drive(CURLM* multi, CURL* easy, const absl::Notification* stop, const char* detail,
                   const std::string& what) {
  curl_multi_add_handle(multi, easy);
  absl::Status status;
  for (int running = 1; running > 0;) {
    if (CURLMcode code = curl_multi_perform(multi, &running); code != CURLM_OK) {
      status = absl::InternalError(absl::StrCat(what, ": ", curl_multi_strerror(code)));
      break;
    }
    if (running > 0 && stop != nullptr && stop->HasBeenNotified()) {
      status = absl::CancelledError(absl::StrCat(what, ": stopped"));
      break;
    }
    if (running > 0) curl_multi_poll(multi, nullptr, 0, kPollMs, nullptr);
  }
  int pending = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi, &pending)) {
    if (msg->msg == CURLMSG_DONE && msg->data.result != CURLE_OK && status.ok()) {
      status = TransportError(msg->data.result, detail, what);
    }
  }
  curl_multi_remove_handle(multi, easy);
  return status;
}

}  // namespace

KubeClient::KubeClient(KubeConfig config) : config_(std::move(config)) { InitCurlOnce(); }

KubeClient::~KubeClient() = default;

std::unique_ptr<KubeClient::Handle> KubeClient::Acquire() {
  absl::MutexLock lock(&mu_);
  if (idle_.empty()) return std::make_unique<Handle>();
  std::unique_ptr<Handle> handle = std::move(idle_.back());
  idle_.pop_back();
  return handle;
}

void KubeClient::Release(std::unique_ptr<Handle> handle) {
  absl::MutexLock lock(&mu_);
  if (idle_.size() < kMaxIdleHandles) idle_.push_back(std::move(handle));
}

curl_slist* KubeClient::Prepare(CURL* easy, const Call& call, const std::string& url,
                                const std::string& token) const {
  curl_easy_reset(easy);
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_CUSTOMREQUEST, call.method.c_str());
  if (call.method != "GET") {
    curl_easy_setopt(easy, CURLOPT_POSTFIELDS, call.body.data());
    curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(call.body.size()));
  }
  curl_slist* headers = curl_slist_append(nullptr, "Accept: application/json");
  if (!call.content_type.empty()) {
    headers = curl_slist_append(headers, ("Content-Type: " + call.content_type).c_str());
  }
  if (!token.empty()) {
    headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  }
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_USERAGENT, "runledger-watcher");
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, kConnectTimeoutMs);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(absl::ToInt64Milliseconds(call.timeout)));
  if (!config_.ca_pem.empty()) SetBlob(easy, CURLOPT_CAINFO_BLOB, config_.ca_pem);
  if (!config_.client_cert_pem.empty()) {
    SetBlob(easy, CURLOPT_SSLCERT_BLOB, config_.client_cert_pem);
    curl_easy_setopt(easy, CURLOPT_SSLCERTTYPE, "PEM");
    SetBlob(easy, CURLOPT_SSLKEY_BLOB, config_.client_key_pem);
    curl_easy_setopt(easy, CURLOPT_SSLKEYTYPE, "PEM");
  }
  if (config_.insecure_skip_tls_verify) {
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, OnWrite);
  return headers;
}

absl::Status KubeClient::Perform(Call& call, long* http_code, const absl::Notification* stop) {
  absl::StatusOr<std::string> token = config_.token.Get();
  if (!token.ok()) return token.status();
  std::unique_ptr<Handle> handle = Acquire();
  curl_slist* headers = Prepare(handle->easy, call, config_.server + call.target, *token);
  WriteContext context{handle->easy, &call.on_body};
  curl_easy_setopt(handle->easy, CURLOPT_WRITEDATA, &context);
  char detail[CURL_ERROR_SIZE] = "";
  curl_easy_setopt(handle->easy, CURLOPT_ERRORBUFFER, detail);
  absl::Status status = Drive(handle->multi, handle->easy, stop, detail, call.what());
  curl_easy_getinfo(handle->easy, CURLINFO_RESPONSE_CODE, http_code);
  curl_easy_setopt(handle->easy, CURLOPT_ERRORBUFFER, nullptr);
  curl_slist_free_all(headers);
  Release(std::move(handle));
  return status;
}

absl::StatusOr<nlohmann::json> KubeClient::Unary(Call call, const absl::Notification* stop) {
  std::string body;
  call.timeout = request_timeout_;
  call.on_body = [&body](long, absl::string_view bytes) {
    body.append(bytes.data(), bytes.size());
    return true;
  };
  long http_code = 0;
  if (absl::Status s = Perform(call, &http_code, stop); !s.ok()) return s;
  if (http_code < 200 || http_code >= 300) return StatusFromHttp(http_code, body, call.what());
  nlohmann::json parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) {
    return absl::DataLossError(absl::StrCat(call.what(), ": answer is not JSON"));
  }
  return parsed;
}

absl::StatusOr<nlohmann::json> KubeClient::Get(const ResourceRef& ref, absl::string_view ns,
                                               absl::string_view name) {
  return Unary({"GET", ref.Path(ns, name)});
}

absl::StatusOr<ListPage> KubeClient::List(const ResourceRef& ref, absl::string_view ns,
                                          const ListOptions& options,
                                          const absl::Notification* stop) {
  Query query;
  query.Add("labelSelector", options.label_selector)
      .Add("fieldSelector", options.field_selector)
      .Add("limit", IntOrEmpty(options.limit))
      .Add("continue", options.continue_token)
      .Add("resourceVersion", options.resource_version);
  absl::StatusOr<nlohmann::json> list = Unary({"GET", ref.Path(ns) + query.str()}, stop);
  if (!list.ok()) return list.status();
  ListPage page;
  page.resource_version = MetadataField(*list, "resourceVersion");
  page.continue_token = MetadataField(*list, "continue");
  auto items = list->is_object() ? list->find("items") : list->end();
  if (items != list->end() && items->is_array()) {
    // Lists of built-in types omit each item's apiVersion and kind; take them from the list.
    std::string api_version = StringField(*list, "apiVersion");
    std::string kind(absl::StripSuffix(StringField(*list, "kind"), "List"));
    page.items.reserve(items->size());
    for (nlohmann::json& item : *items) {
      if (item.is_object() && !item.contains("apiVersion")) item["apiVersion"] = api_version;
      if (item.is_object() && !item.contains("kind")) item["kind"] = kind;
      page.items.push_back(std::move(item));
    }
  }
  return page;
}

absl::StatusOr<ListPage> KubeClient::ListAll(const ResourceRef& ref, absl::string_view ns,
                                             ListOptions options, const absl::Notification* stop) {
  ListPage all;
  options.continue_token.clear();
  for (bool first = true;; first = false) {
    absl::StatusOr<ListPage> page = List(ref, ns, options, stop);
    if (!page.ok()) return page.status();
    if (first) all.resource_version = page->resource_version;
    for (nlohmann::json& item : page->items) all.items.push_back(std::move(item));
    if (page->continue_token.empty()) return all;
    options.continue_token = page->continue_token;
    options.resource_version.clear();  // a continued list must not repeat it
  }
}

absl::StatusOr<nlohmann::json> KubeClient::Create(const ResourceRef& ref, absl::string_view ns,
                                                  const nlohmann::json& object) {
  return Unary({"POST", ref.Path(ns), object.dump(), "application/json"});
}

absl::StatusOr<nlohmann::json> KubeClient::MergePatch(const ResourceRef& ref, absl::string_view ns,
                                                      absl::string_view name,
                                                      const nlohmann::json& patch,
                                                      absl::string_view subresource) {
  return Unary(
      {"PATCH", ref.Path(ns, name, subresource), patch.dump(), "application/merge-patch+json"});
}

absl::StatusOr<nlohmann::json> KubeClient::Delete(const ResourceRef& ref, absl::string_view ns,
                                                  absl::string_view name,
                                                  const Preconditions& preconditions) {
  nlohmann::json options = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (!preconditions.uid.empty()) options["preconditions"]["uid"] = preconditions.uid;
  if (!preconditions.resource_version.empty()) {
    options["preconditions"]["resourceVersion"] = preconditions.resource_version;
  }
  return Unary({"DELETE", ref.Path(ns, name), options.dump(), "application/json"});
}

absl::Status KubeClient::Watch(const ResourceRef& ref, absl::string_view ns,
                               const WatchOptions& options, const WatchCallback& callback,
                               const absl::Notification* stop) {
  Query query;
  query.Add("watch", "1")
      .Add("resourceVersion", options.resource_version)
      .Add("allowWatchBookmarks", options.allow_bookmarks ? "true" : "")
      .Add("timeoutSeconds", IntOrEmpty(options.timeout_seconds))
      .Add("labelSelector", options.label_selector)
      .Add("fieldSelector", options.field_selector);
  Call call{"GET", ref.Path(ns) + query.str()};
  if (options.timeout_seconds > 0) {
    call.timeout = absl::Seconds(options.timeout_seconds + kWatchTimeoutSlackSeconds);
  }
  WatchDecoder decoder(callback);
  absl::Status stream_status;
  std::string error_body;
  call.on_body = [&](long http_code, absl::string_view bytes) {
    if (http_code != 200) {
      error_body.append(bytes.data(), bytes.size());
      return true;
    }
    stream_status = decoder.Feed(bytes);
    return stream_status.ok();
  };
  long http_code = 0;
  absl::Status transfer = Perform(call, &http_code, stop);
  if (!stream_status.ok()) return stream_status;
  if (!transfer.ok()) return transfer;
  if (http_code != 200) return StatusFromHttp(http_code, error_body, call.what());
  return decoder.Finish();
}

}  // namespace runledger::watcher
