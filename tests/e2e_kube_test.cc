// The Kubernetes client and the Reflector against a real kube-apiserver v1.20.2 with the Tekton
// CRDs, started on loopback by the kit in ../shared/tools/kube (one cluster for the suite).
// Skips, saying why, when the kit or its kube-apiserver build is absent.
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/watcher/json_fields.h"
#include "src/watcher/kube_client.h"
#include "src/watcher/kube_config.h"
#include "src/watcher/kube_status.h"
#include "src/watcher/reflector.h"
#include "tests/kube_cluster.h"
#include "tests/test_util.h"

namespace runledger::watcher {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::UnorderedElementsAre;

const ResourceRef kTaskRuns{"tekton.dev", "v1", "taskruns"};
const ResourceRef kPipelineRuns{"tekton.dev", "v1", "pipelineruns"};

nlohmann::json TaskRun(const std::string& name) {
  return {{"apiVersion", "tekton.dev/v1"},
          {"kind", "TaskRun"},
          {"metadata", {{"name", name}}},
          {"spec", {{"taskRef", {{"name", "build"}}}}}};
}

nlohmann::json PipelineRun(const std::string& name) {
  return {{"apiVersion", "tekton.dev/v1"},
          {"kind", "PipelineRun"},
          {"metadata", {{"name", name}}},
          {"spec", {{"pipelineRef", {{"name", "release"}}}}}};
}

std::string Name(const nlohmann::json& object) { return MetadataField(object, "name"); }
std::string Rv(const nlohmann::json& object) { return MetadataField(object, "resourceVersion"); }

class E2eKubeTest : public e2e::KubeClusterTest {
 protected:
  static KubeConfig AdminCertConfig() { return cluster().AdminConfig(); }
  // A bearer token and the CA, built by hand.
  static KubeConfig TokenConfig(const std::string& token) {
    KubeConfig config;
    config.server = Env("KUBE_API");
    config.ca_pem = e2e::ReadFile(Env("KUBE_CA"));
    config.token = TokenSource::Literal(token);
    return config;
  }
};

TEST_F(E2eKubeTest, CreatePatchDeleteWithFinalizersAndPreconditions) {
  KubeClient client(AdminCertConfig());
  absl::StatusOr<nlohmann::json> created = client.Create(kTaskRuns, "team-a", TaskRun("crud"));
  ASSERT_TRUE(created.ok()) << created.status();
  std::string uid = MetadataField(*created, "uid");
  EXPECT_FALSE(uid.empty());
  EXPECT_EQ(client.Create(kTaskRuns, "team-a", TaskRun("crud")).status().code(),
            absl::StatusCode::kAlreadyExists);

  // Annotations and a finalizer through the main resource, status through /status.
  absl::StatusOr<nlohmann::json> annotated =
      client.MergePatch(kTaskRuns, "team-a", "crud",
                        {{"metadata",
                          {{"annotations", {{"results.tekton.dev/stored", "true"}}},
                           {"finalizers", {"results.tekton.dev/taskrun"}}}}});
  ASSERT_TRUE(annotated.ok()) << annotated.status();
  EXPECT_EQ((*annotated)["metadata"]["annotations"]["results.tekton.dev/stored"], "true");
  EXPECT_EQ((*annotated)["metadata"]["finalizers"], nlohmann::json({"results.tekton.dev/taskrun"}));
  absl::StatusOr<nlohmann::json> ignored =
      client.MergePatch(kTaskRuns, "team-a", "crud", {{"status", {{"podName", "ignored"}}}});
  ASSERT_TRUE(ignored.ok()) << ignored.status();
  EXPECT_FALSE(ignored->contains("status") && (*ignored)["status"].contains("podName"));
  absl::StatusOr<nlohmann::json> status = client.MergePatch(
      kTaskRuns, "team-a", "crud",
      {{"status",
        {{"podName", "crud-pod"},
         {"conditions", {{{"type", "Succeeded"}, {"status", "True"}, {"reason", "Succeeded"}}}}}}},
      "status");
  ASSERT_TRUE(status.ok()) << status.status();
  EXPECT_EQ((*status)["status"]["podName"], "crud-pod");
  // A key set to null is removed by a merge patch.
  absl::StatusOr<nlohmann::json> unannotated = client.MergePatch(
      kTaskRuns, "team-a", "crud",
      {{"metadata", {{"annotations", {{"results.tekton.dev/stored", nullptr}}}}}});
  ASSERT_TRUE(unannotated.ok()) << unannotated.status();
  EXPECT_FALSE((*unannotated)["metadata"].contains("annotations") &&
               (*unannotated)["metadata"]["annotations"].contains("results.tekton.dev/stored"));
  std::string rv = Rv(*unannotated);

  // Wrong preconditions are refused with 409 Conflict.
  absl::Status wrong_uid =
      client.Delete(kTaskRuns, "team-a", "crud", {"00000000-0000-0000-0000-000000000000", ""})
          .status();
  EXPECT_EQ(wrong_uid.code(), absl::StatusCode::kAborted) << wrong_uid;
  EXPECT_EQ(KubeReason(wrong_uid), "Conflict");
  EXPECT_THAT(std::string(wrong_uid.message()), HasSubstr("the UID in the precondition"));
  absl::Status stale_rv = client.Delete(kTaskRuns, "team-a", "crud", {uid, "1"}).status();
  EXPECT_EQ(stale_rv.code(), absl::StatusCode::kAborted) << stale_rv;

  // The right ones: the finalizer keeps the object, now marked for deletion.
  absl::StatusOr<nlohmann::json> marked = client.Delete(kTaskRuns, "team-a", "crud", {uid, rv});
  ASSERT_TRUE(marked.ok()) << marked.status();
  EXPECT_FALSE(MetadataField(*marked, "deletionTimestamp").empty());
  ASSERT_TRUE(client.Get(kTaskRuns, "team-a", "crud").ok());
  ASSERT_TRUE(
      client.MergePatch(kTaskRuns, "team-a", "crud", {{"metadata", {{"finalizers", nullptr}}}})
          .ok());
  EXPECT_EQ(client.Get(kTaskRuns, "team-a", "crud").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(client.Delete(kTaskRuns, "team-a", "crud").status().code(),
            absl::StatusCode::kNotFound);

  // Without finalizers a delete answers with a Status of Success.
  ASSERT_TRUE(client.Create(kTaskRuns, "team-a", TaskRun("plain")).ok());
  absl::StatusOr<nlohmann::json> deleted = client.Delete(kTaskRuns, "team-a", "plain");
  ASSERT_TRUE(deleted.ok()) << deleted.status();
  EXPECT_EQ((*deleted)["status"], "Success");
}

TEST_F(E2eKubeTest, CredentialsTokenReadOnlyAndInvalid) {
  KubeClient admin(TokenConfig(Env("KUBE_TOKEN")));
  ASSERT_TRUE(admin.Create(kTaskRuns, "team-b", TaskRun("by-token")).ok());
  absl::StatusOr<KubeConfig> readonly_config = LoadKubeconfig(Env("KUBECONFIG"), "readonly-token");
  ASSERT_TRUE(readonly_config.ok()) << readonly_config.status();
  KubeClient reader(*readonly_config);
  EXPECT_TRUE(reader.Get(kTaskRuns, "team-b", "by-token").ok());
  absl::Status forbidden = reader.Create(kTaskRuns, "team-b", TaskRun("nope")).status();
  EXPECT_EQ(forbidden.code(), absl::StatusCode::kPermissionDenied) << forbidden;
  KubeClient stranger(TokenConfig("not-a-valid-token"));
  EXPECT_EQ(stranger.List(kTaskRuns, "", {}).status().code(), absl::StatusCode::kUnauthenticated);
  // No CA: the server's certificate is not trusted.
  KubeConfig untrusted = TokenConfig(Env("KUBE_TOKEN"));
  untrusted.ca_pem.clear();
  EXPECT_EQ(KubeClient(untrusted).List(kTaskRuns, "", {}).status().code(),
            absl::StatusCode::kUnavailable);
  untrusted.insecure_skip_tls_verify = true;
  EXPECT_TRUE(KubeClient(untrusted).Get(kTaskRuns, "team-b", "by-token").ok());
}

TEST_F(E2eKubeTest, ListPagesComeFromOneSnapshot) {
  KubeClient client(AdminCertConfig());
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(client.Create(kPipelineRuns, "team-b", PipelineRun(absl::StrCat("page-", i))).ok());
  }
  ListOptions options;
  options.limit = 2;
  std::vector<size_t> sizes;
  std::vector<std::string> names, versions;
  do {
    absl::StatusOr<ListPage> page = client.List(kPipelineRuns, "team-b", options);
    ASSERT_TRUE(page.ok()) << page.status();
    sizes.push_back(page->items.size());
    versions.push_back(page->resource_version);
    for (const nlohmann::json& item : page->items) names.push_back(Name(item));
    options.continue_token = page->continue_token;
  } while (!options.continue_token.empty() && sizes.size() < 10);
  EXPECT_THAT(sizes, ElementsAre(2, 2, 1));
  EXPECT_THAT(versions, ElementsAre(versions[0], versions[0], versions[0]));
  EXPECT_THAT(names, ElementsAre("page-0", "page-1", "page-2", "page-3", "page-4"));
  options = ListOptions();
  options.limit = 2;
  absl::StatusOr<ListPage> all = client.ListAll(kPipelineRuns, "team-b", options);
  ASSERT_TRUE(all.ok()) << all.status();
  EXPECT_EQ(all->items.size(), 5u);
  // An invalid field selector names the problem.
  options.field_selector = "status.podName=x";
  absl::Status bad = client.List(kPipelineRuns, "team-b", options).status();
  EXPECT_EQ(bad.code(), absl::StatusCode::kInvalidArgument) << bad;
  EXPECT_THAT(std::string(bad.message()), HasSubstr("field label not supported"));
}

TEST_F(E2eKubeTest, WatchStreamsChangesAndReportsTooOldVersions) {
  KubeClient client(AdminCertConfig());
  absl::StatusOr<ListPage> list = client.List(kTaskRuns, "default", {});
  ASSERT_TRUE(list.ok()) << list.status();
  absl::Mutex mu;
  std::vector<std::string> seen;
  absl::Notification stop;
  absl::Status watch_status;
  std::thread watcher([&] {
    WatchOptions options;
    options.resource_version = list->resource_version;
    options.timeout_seconds = 60;
    watch_status = client.Watch(
        kTaskRuns, "default", options,
        [&](WatchEvent event) {
          absl::MutexLock lock(&mu);
          if (event.type != WatchEventType::kBookmark) {
            seen.push_back(absl::StrCat(WatchEventTypeName(event.type), " ", Name(event.object)));
          }
          return absl::OkStatus();
        },
        &stop);
  });
  ASSERT_TRUE(client.Create(kTaskRuns, "default", TaskRun("watched")).ok());
  ASSERT_TRUE(client
                  .MergePatch(kTaskRuns, "default", "watched",
                              {{"status", {{"podName", "watched-pod"}}}}, "status")
                  .ok());
  ASSERT_TRUE(client.Delete(kTaskRuns, "default", "watched").ok());
  {
    absl::MutexLock lock(&mu);
    auto three = [&seen] { return seen.size() >= 3; };
    mu.AwaitWithTimeout(absl::Condition(&three), absl::Seconds(20));
    EXPECT_THAT(seen, ElementsAre("ADDED watched", "MODIFIED watched", "DELETED watched"));
  }
  stop.Notify();
  watcher.join();
  EXPECT_EQ(watch_status.code(), absl::StatusCode::kCancelled) << watch_status;

  // A resourceVersion the server no longer has: an ERROR event carrying 410 Expired.
  WatchOptions old;
  old.resource_version = "1";
  old.timeout_seconds = 5;
  absl::Status expired = client.Watch(kTaskRuns, "", old, [](WatchEvent event) {
    return event.type == WatchEventType::kError ? StatusFromKubeStatus(event.object, "watch")
                                                : absl::OkStatus();
  });
  EXPECT_TRUE(IsExpired(expired)) << expired;
}

TEST_F(E2eKubeTest, ReflectorFollowsRunsAcrossNamespaces) {
  KubeClient client(TokenConfig(Env("KUBE_TOKEN")));
  ASSERT_TRUE(client.Create(kPipelineRuns, "team-a", PipelineRun("before")).ok());
  absl::Mutex mu;
  std::vector<std::string> events;
  ReflectorOptions options;
  options.namespaces = {"team-a", "default"};
  options.page_size = 1;
  options.min_watch_seconds = 2;  // watches end and resume while the test runs
  options.max_watch_seconds = 3;
  Reflector reflector(&client, kPipelineRuns, options, [&](const ReflectorEvent& e) {
    absl::MutexLock lock(&mu);
    events.push_back(absl::StrCat(WatchEventTypeName(e.type), " ",
                                  MetadataField(e.object, "namespace"), "/", Name(e.object)));
  });
  absl::Notification stop;
  std::thread runner([&] { reflector.Run(stop); });
  auto take = [&](size_t n) {
    absl::MutexLock lock(&mu);
    auto enough = [&] { return events.size() >= n; };
    mu.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(20));
    std::vector<std::string> taken;
    taken.swap(events);
    return taken;
  };
  EXPECT_THAT(take(1), ElementsAre("ADDED team-a/before"));
  ASSERT_TRUE(client.Create(kPipelineRuns, "default", PipelineRun("during")).ok());
  ASSERT_TRUE(client.Create(kPipelineRuns, "team-b", PipelineRun("elsewhere")).ok());
  EXPECT_THAT(take(1), ElementsAre("ADDED default/during"));
  absl::SleepFor(absl::Seconds(4));  // at least one watch timed out and was resumed
  ASSERT_TRUE(client
                  .MergePatch(kPipelineRuns, "team-a", "before",
                              {{"metadata", {{"annotations", {{"k", "v"}}}}}})
                  .ok());
  ASSERT_TRUE(client.Delete(kPipelineRuns, "default", "during").ok());
  EXPECT_THAT(take(2), UnorderedElementsAre("MODIFIED team-a/before", "DELETED default/during"));
  stop.Notify();
  runner.join();
  absl::MutexLock lock(&mu);
  EXPECT_TRUE(events.empty()) << events.front();
}

// A restarted watcher hands back what it stored with a resourceVersion the server no longer
// has: the watch fails with 410, the reflector lists, and reports only the differences.
TEST_F(E2eKubeTest, ReflectorSeededWithATooOldVersionRelistsAndInfersDeletions) {
  const ResourceRef custom_runs{"tekton.dev", "v1beta1", "customruns"};
  KubeClient client(AdminCertConfig());
  nlohmann::json run = {
      {"apiVersion", "tekton.dev/v1beta1"},
      {"kind", "CustomRun"},
      {"metadata", {{"name", "kept"}}},
      {"spec", {{"customRef", {{"apiVersion", "example.dev/v1"}, {"kind", "Example"}}}}}};
  absl::StatusOr<nlohmann::json> kept = client.Create(custom_runs, "team-b", run);
  ASSERT_TRUE(kept.ok()) << kept.status();
  absl::Mutex mu;
  std::vector<std::string> events, errors;
  ReflectorOptions options;
  options.on_error = [&](const absl::Status& status) {
    absl::MutexLock lock(&mu);
    errors.push_back(absl::StrCat(IsExpired(status) ? "expired: " : "", status.message()));
  };
  Reflector reflector(&client, custom_runs, options, [&](const ReflectorEvent& e) {
    absl::MutexLock lock(&mu);
    events.push_back(absl::StrCat(WatchEventTypeName(e.type), " ",
                                  MetadataField(e.object, "namespace"), "/", Name(e.object),
                                  e.final_state_unknown ? " ?" : ""));
  });
  reflector.Seed({{"team-b", "kept", MetadataField(*kept, "uid"), Rv(*kept)},
                  {"team-b", "ghost", "uid-ghost", "5"}},
                 "1");
  absl::Notification stop;
  std::thread runner([&] { reflector.Run(stop); });
  {
    absl::MutexLock lock(&mu);
    auto one = [&] { return !events.empty(); };
    mu.AwaitWithTimeout(absl::Condition(&one), absl::Seconds(20));
    EXPECT_THAT(events, ElementsAre("DELETED team-b/ghost ?"));
    ASSERT_FALSE(errors.empty());
    EXPECT_THAT(errors[0], HasSubstr("expired: "));
    EXPECT_THAT(errors[0], HasSubstr("too old resource version"));
    events.clear();
  }
  run["metadata"]["name"] = "fresh";
  ASSERT_TRUE(client.Create(custom_runs, "team-b", run).ok());
  {
    absl::MutexLock lock(&mu);
    auto one = [&] { return !events.empty(); };
    mu.AwaitWithTimeout(absl::Condition(&one), absl::Seconds(20));
    EXPECT_THAT(events, ElementsAre("ADDED team-b/fresh"));
  }
  stop.Notify();
  runner.join();
}

}  // namespace
}  // namespace runledger::watcher
