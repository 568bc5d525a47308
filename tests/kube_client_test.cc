// KubeClient against a tiny HTTP server in the test: the requests it sends (paths, queries,
// headers, bodies), how it reads answers (captured ones from a real kube-apiserver when
// ../shared is present, and answers the tests write), watch streaming and cancellation.
#include "src/watcher/kube_client.h"

#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/watcher/kube_status.h"
#include "tests/fake_http_server.h"
#include "tests/test_util.h"

namespace runledger::watcher {
namespace {

using ::runledger::testing::FakeHttpServer;
using ::runledger::testing::HttpRequest;
using ::runledger::testing::HttpResponder;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kProtocolDir = std::string(RUNLEDGER_SHARED_DIR) + "/fixtures/tekton/protocol";
const ResourceRef kTaskRuns{"tekton.dev", "v1", "taskruns"};

KubeConfig ConfigFor(const FakeHttpServer& server, const std::string& token = "tok") {
  KubeConfig config;
  config.server = server.url();
  if (!token.empty()) config.token = TokenSource::Literal(token);
  return config;
}

std::string Event(const std::string& type, const std::string& name, const std::string& rv) {
  return nlohmann::json{{"type", type},
                        {"object", {{"metadata", {{"name", name}, {"resourceVersion", rv}}}}}}
             .dump() +
         "\n";
}

TEST(ResourceRefTest, Paths) {
  EXPECT_EQ(kTaskRuns.Path(""), "/apis/tekton.dev/v1/taskruns");
  EXPECT_EQ(kTaskRuns.Path("ci", "t1", "status"),
            "/apis/tekton.dev/v1/namespaces/ci/taskruns/t1/status");
  ResourceRef namespaces{"", "v1", "namespaces"};
  EXPECT_EQ(namespaces.Path("", "team-a"), "/api/v1/namespaces/team-a");
  EXPECT_EQ(namespaces.ApiVersion(), "v1");
  EXPECT_EQ(kTaskRuns.ApiVersion(), "tekton.dev/v1");
}

TEST(KubeClientTest, ListSendsQueryAndReadsPage) {
  FakeHttpServer server([](const HttpRequest&, HttpResponder& out) {
    out.Send(200, R"({"kind":"TaskRunList","metadata":{"resourceVersion":"77","continue":"c2"},
                      "items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]})");
  });
  KubeClient client(ConfigFor(server));
  ListOptions options;
  options.limit = 2;
  options.label_selector = "app in (x,y),!tmp";
  options.field_selector = "metadata.namespace=ci";
  absl::StatusOr<ListPage> page = client.List(kTaskRuns, "ci", options);
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->resource_version, "77");
  EXPECT_EQ(page->continue_token, "c2");
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[1]["metadata"]["name"], "b");
  HttpRequest request = server.requests().at(0);
  EXPECT_EQ(request.method, "GET");
  EXPECT_EQ(request.path, "/apis/tekton.dev/v1/namespaces/ci/taskruns");
  EXPECT_EQ(request.Param("limit"), "2");
  EXPECT_EQ(request.Param("labelSelector"), "app in (x,y),!tmp");
  EXPECT_EQ(request.Param("fieldSelector"), "metadata.namespace=ci");
  EXPECT_EQ(request.query.count("continue"), 0u);
  EXPECT_EQ(request.headers["authorization"], "Bearer tok");
  EXPECT_EQ(request.headers["accept"], "application/json");
}

TEST(KubeClientTest, ListItemsGetApiVersionAndKindFromTheList) {
  FakeHttpServer server([](const HttpRequest&, HttpResponder& out) {
    out.Send(200, R"({"apiVersion":"v1","kind":"NamespaceList","metadata":{"resourceVersion":"5"},
                      "items":[{"metadata":{"name":"team-a"}},
                               {"apiVersion":"v9","kind":"Odd","metadata":{"name":"x"}}]})");
  });
  KubeClient client(ConfigFor(server));
  absl::StatusOr<ListPage> page = client.List({"", "v1", "namespaces"}, "", {});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->items.size(), 2u);
  EXPECT_EQ(page->items[0]["apiVersion"], "v1");
  EXPECT_EQ(page->items[0]["kind"], "Namespace");
  EXPECT_EQ(page->items[1]["kind"], "Odd");  // kept when present
  EXPECT_EQ(server.requests().at(0).path, "/api/v1/namespaces");
}

TEST(KubeClientTest, ListAllFollowsContinueTokens) {
  FakeHttpServer server([](const HttpRequest& in, HttpResponder& out) {
    std::string token = in.Param("continue");
    int page = token.empty() ? 0 : token[1] - '0';
    nlohmann::json list = {{"metadata", {{"resourceVersion", "9"}}},
                           {"items", {{{"metadata", {{"name", absl::StrCat("n", page)}}}}}}};
    if (page < 2) list["metadata"]["continue"] = absl::StrCat("p", page + 1);
    out.Send(200, list.dump());
  });
  KubeClient client(ConfigFor(server));
  ListOptions options;
  options.limit = 1;
  options.resource_version = "5";
  absl::StatusOr<ListPage> all = client.ListAll(kTaskRuns, "", options);
  ASSERT_TRUE(all.ok()) << all.status();
  ASSERT_EQ(all->items.size(), 3u);
  EXPECT_EQ(all->items[2]["metadata"]["name"], "n2");
  EXPECT_EQ(all->resource_version, "9");
  std::vector<HttpRequest> requests = server.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].Param("resourceVersion"), "5");
  EXPECT_EQ(requests[1].Param("continue"), "p1");
  EXPECT_EQ(requests[1].query.count("resourceVersion"), 0u);  // never with continue
  EXPECT_EQ(requests[2].Param("limit"), "1");
}

TEST(KubeClientTest, ListReadsCapturedPages) {
  if (!std::filesystem::exists(kProtocolDir)) GTEST_SKIP() << "no captures at " << kProtocolDir;
  FakeHttpServer server([](const HttpRequest& in, HttpResponder& out) {
    const char* file = in.Param("continue").empty() ? "/03-list-taskruns-page1.json"
                                                    : "/04-list-taskruns-page2.json";
    out.Send(200, e2e::ReadFile(kProtocolDir + file));
  });
  KubeClient client(ConfigFor(server));
  ListOptions options;
  options.limit = 3;
  absl::StatusOr<ListPage> all = client.ListAll(kTaskRuns, "", options);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->resource_version, "211");
  std::vector<std::string> names;
  for (const nlohmann::json& item : all->items) names.push_back(item["metadata"]["name"]);
  EXPECT_THAT(names, ElementsAre("go-build-run-pl2xq", "hello-hello", "integration-tests-run-4tq8m",
                                 "lint-run-9hz4d", "release-notes-run-p8d3s", "smoke-run-c4v9n"));
  EXPECT_FALSE(server.requests().at(1).Param("continue").empty());
}

TEST(KubeClientTest, WritesSendTheRightMethodsBodiesAndContentTypes) {
  FakeHttpServer server([](const HttpRequest& in, HttpResponder& out) {
    out.Send(in.method == "POST" ? 201 : 200,
             R"({"kind":"TaskRun","metadata":{"name":"t1","resourceVersion":"3"}})");
  });
  KubeClient client(ConfigFor(server));
  ASSERT_TRUE(client.Create(kTaskRuns, "ci", {{"metadata", {{"name", "t1"}}}}).ok());
  ASSERT_TRUE(
      client
          .MergePatch(kTaskRuns, "ci", "t1",
                      {{"metadata", {{"annotations", {{"results.tekton.dev/stored", "true"}}}}}})
          .ok());
  absl::StatusOr<nlohmann::json> patched =
      client.MergePatch(kTaskRuns, "ci", "t1", {{"status", {{"podName", "p"}}}}, "status");
  ASSERT_TRUE(patched.ok()) << patched.status();
  EXPECT_EQ((*patched)["metadata"]["resourceVersion"], "3");
  ASSERT_TRUE(client.Delete(kTaskRuns, "ci", "t1", {"uid-1", "7"}).ok());
  ASSERT_TRUE(client.Delete(kTaskRuns, "ci", "t1").ok());
  ASSERT_TRUE(client.Get(kTaskRuns, "ci", "t1").ok());

  std::vector<HttpRequest> r = server.requests();
  ASSERT_EQ(r.size(), 6u);
  EXPECT_EQ(r[0].method, "POST");
  EXPECT_EQ(r[0].path, "/apis/tekton.dev/v1/namespaces/ci/taskruns");
  EXPECT_EQ(r[0].headers["content-type"], "application/json");
  EXPECT_EQ(nlohmann::json::parse(r[0].body)["metadata"]["name"], "t1");
  EXPECT_EQ(r[1].method, "PATCH");
  EXPECT_EQ(r[1].path, "/apis/tekton.dev/v1/namespaces/ci/taskruns/t1");
  EXPECT_EQ(r[1].headers["content-type"], "application/merge-patch+json");
  EXPECT_EQ(r[1].body, R"({"metadata":{"annotations":{"results.tekton.dev/stored":"true"}}})");
  EXPECT_EQ(r[2].path, "/apis/tekton.dev/v1/namespaces/ci/taskruns/t1/status");
  EXPECT_EQ(r[3].method, "DELETE");
  EXPECT_EQ(nlohmann::json::parse(r[3].body),
            nlohmann::json::parse(R"({"kind":"DeleteOptions","apiVersion":"v1",
                                      "preconditions":{"uid":"uid-1","resourceVersion":"7"}})"));
  EXPECT_EQ(nlohmann::json::parse(r[4].body).count("preconditions"), 0u);
  EXPECT_EQ(r[5].method, "GET");
  EXPECT_EQ(r[5].path, "/apis/tekton.dev/v1/namespaces/ci/taskruns/t1");
}

TEST(KubeClientTest, ErrorAnswersBecomeStatuses) {
  FakeHttpServer server([](const HttpRequest& in, HttpResponder& out) {
    if (in.method == "DELETE") {
      out.Send(409, R"({"kind":"Status","status":"Failure","reason":"Conflict","code":409,
                        "message":"the UID in the precondition (x) does not match"})");
    } else if (in.method == "GET") {
      out.Send(404, R"({"kind":"Status","status":"Failure","reason":"NotFound","code":404,
                        "message":"taskruns.tekton.dev \"t9\" not found"})");
    } else {
      out.Send(200, "this is not json", "text/plain");
    }
  });
  KubeClient client(ConfigFor(server));
  absl::Status deleted = client.Delete(kTaskRuns, "ci", "t1", {"x", ""}).status();
  EXPECT_EQ(deleted.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(KubeReason(deleted), "Conflict");
  EXPECT_THAT(std::string(deleted.message()),
              HasSubstr("DELETE /apis/tekton.dev/v1/namespaces/ci/taskruns/t1: HTTP 409 Conflict"));
  absl::Status missing = client.Get(kTaskRuns, "ci", "t9").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(missing.message()), HasSubstr("\"t9\" not found"));
  EXPECT_EQ(client.MergePatch(kTaskRuns, "ci", "t1", {}).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST(KubeClientTest, TransportFailuresAreUnavailable) {
  std::string url;
  {
    FakeHttpServer gone([](const HttpRequest&, HttpResponder&) {});
    url = gone.url();
  }
  KubeConfig config;
  config.server = url;  // nothing listens there any more
  KubeClient client(config);
  absl::Status status = client.Get(kTaskRuns, "ci", "t1").status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable) << status;
}

TEST(KubeClientTest, TokenFileIsReReadForLaterRequests) {
  e2e::TempDir dir;
  std::string path = dir.path() + "/token";
  e2e::WriteFile(path, "first\n");
  FakeHttpServer server([](const HttpRequest&, HttpResponder& out) { out.Send(200, "{}"); });
  KubeConfig config = ConfigFor(server, "");
  config.token = TokenSource::File(path);
  KubeClient client(config);
  ASSERT_TRUE(client.Get(kTaskRuns, "ci", "a").ok());
  e2e::WriteFile(path, "second-token");
  ASSERT_TRUE(client.Get(kTaskRuns, "ci", "a").ok());
  std::vector<HttpRequest> r = server.requests();
  EXPECT_EQ(r[0].headers["authorization"], "Bearer first");
  EXPECT_EQ(r[1].headers["authorization"], "Bearer second-token");
}

TEST(KubeClientTest, WatchDeliversEachEventAsItArrives) {
  absl::Notification first_seen;
  FakeHttpServer server([&](const HttpRequest&, HttpResponder& out) {
    out.StartChunked();
    // Two events in one chunk, then one split over two chunks, after the client saw the first.
    out.Chunk(Event("ADDED", "a", "10") + Event("MODIFIED", "a", "11"));
    first_seen.WaitForNotificationWithTimeout(absl::Seconds(10));
    std::string third = Event("DELETED", "a", "12");
    out.Chunk(third.substr(0, 9));
    out.Chunk(third.substr(9));
    out.Chunk(Event("BOOKMARK", "", "15"));
    out.EndChunked();
  });
  KubeClient client(ConfigFor(server));
  WatchOptions options;
  options.resource_version = "9";
  options.timeout_seconds = 60;
  options.label_selector = "a=b";
  std::vector<std::string> seen;
  absl::Status status = client.Watch(kTaskRuns, "", options, [&](WatchEvent event) {
    seen.push_back(absl::StrCat(WatchEventTypeName(event.type), ":",
                                event.object["metadata"]["resourceVersion"].get<std::string>()));
    if (!first_seen.HasBeenNotified()) first_seen.Notify();
    return absl::OkStatus();
  });
  EXPECT_TRUE(status.ok()) << status;
  EXPECT_THAT(seen, ElementsAre("ADDED:10", "MODIFIED:11", "DELETED:12", "BOOKMARK:15"));
  HttpRequest request = server.requests().at(0);
  EXPECT_EQ(request.path, "/apis/tekton.dev/v1/taskruns");
  EXPECT_EQ(request.Param("watch"), "1");
  EXPECT_EQ(request.Param("resourceVersion"), "9");
  EXPECT_EQ(request.Param("allowWatchBookmarks"), "true");
  EXPECT_EQ(request.Param("timeoutSeconds"), "60");
  EXPECT_EQ(request.Param("labelSelector"), "a=b");
}

TEST(KubeClientTest, WatchErrorsBeforeAndInsideTheStream) {
  FakeHttpServer server([](const HttpRequest& in, HttpResponder& out) {
    if (in.Param("resourceVersion") == "1") {
      out.Send(410, R"({"kind":"Status","reason":"Expired","code":410,"message":"too old"})");
      return;
    }
    out.StartChunked();
    out.Chunk(Event("ADDED", "a", "10"));
    if (in.Param("resourceVersion") == "2") {
      out.Chunk(R"({"type":"ERROR","object":{"kind":"Status","reason":"Expired","code":410}})"
                "\n");
      out.EndChunked();
    } else {
      out.Chunk("{\"type\":\"MODIFIED\",\"obj");  // then the connection drops
    }
  });
  KubeClient client(ConfigFor(server));
  int events = 0;
  auto count = [&events](WatchEvent event) {
    ++events;
    return event.type == WatchEventType::kError ? StatusFromKubeStatus(event.object, "watch")
                                                : absl::OkStatus();
  };
  WatchOptions options;
  options.resource_version = "1";
  absl::Status http410 = client.Watch(kTaskRuns, "", options, count);
  EXPECT_TRUE(IsExpired(http410)) << http410;
  EXPECT_EQ(events, 0);
  options.resource_version = "2";
  absl::Status event410 = client.Watch(kTaskRuns, "", options, count);
  EXPECT_TRUE(IsExpired(event410)) << event410;
  EXPECT_EQ(events, 2);
  options.resource_version = "3";
  absl::Status dropped = client.Watch(kTaskRuns, "", options, count);
  EXPECT_FALSE(dropped.ok());
  EXPECT_FALSE(IsExpired(dropped));
  EXPECT_EQ(events, 3);
}

TEST(KubeClientTest, WatchStopsWhenNotified) {
  FakeHttpServer server([](const HttpRequest&, HttpResponder& out) {
    out.StartChunked();
    out.Chunk(Event("ADDED", "a", "10"));
    out.WaitClientGone(absl::Seconds(30));
  });
  KubeClient client(ConfigFor(server));
  absl::Notification stop;
  absl::Notification got_event;
  absl::Status status;
  std::thread watcher([&] {
    status = client.Watch(
        kTaskRuns, "", WatchOptions(),
        [&](WatchEvent) {
          got_event.Notify();
          return absl::OkStatus();
        },
        &stop);
  });
  ASSERT_TRUE(got_event.WaitForNotificationWithTimeout(absl::Seconds(10)));
  absl::Time asked = absl::Now();
  stop.Notify();
  watcher.join();
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled) << status;
  EXPECT_LT(absl::Now() - asked, absl::Seconds(2));
}

TEST(KubeClientTest, SequentialCallsReuseOneConnection) {
  FakeHttpServer server([](const HttpRequest&, HttpResponder& out) { out.Send(200, "{}"); });
  KubeClient client(ConfigFor(server));
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(client.Get(kTaskRuns, "ci", "a").ok());
  EXPECT_EQ(server.requests().size(), 20u);
  EXPECT_EQ(server.connections(), 1);
}

TEST(KubeClientTest, ConcurrentCallsFromManyThreads) {
  FakeHttpServer server([](const HttpRequest& in, HttpResponder& out) {
    out.Send(200, nlohmann::json{{"path", in.path}}.dump());
  });
  KubeClient client(ConfigFor(server));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 10; ++i) {
        std::string name = absl::StrCat("t", t, "-", i);
        absl::StatusOr<nlohmann::json> got = client.Get(kTaskRuns, "ci", name);
        if (got.ok() && (*got)["path"] == kTaskRuns.Path("ci", name)) ++ok;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok.load(), 80);
}

}  // namespace
}  // namespace runledger::watcher
