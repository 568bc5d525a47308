// The Reflector against an in-memory API server played over HTTP in the test (FakeKube below):
// paged initial list, watch from the list's resourceVersion, resume after dropped and ended
// streams, bookmarks, relist and diff after 410 (as an ERROR event and as HTTP 410), backoff
// after failures, several namespaces, and stopping.
#include "src/watcher/reflector.h"

#include <atomic>
#include <map>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/watcher/json_fields.h"
#include "tests/fake_http_server.h"

namespace runledger::watcher {
namespace {

using ::runledger::testing::FakeHttpServer;
using ::runledger::testing::HttpRequest;
using ::runledger::testing::HttpResponder;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::UnorderedElementsAre;

const ResourceRef kTaskRuns{"tekton.dev", "v1", "taskruns"};

// One resource type in memory: objects, a resourceVersion counter, and the history of changes
// that watches stream. LIST pages through the objects in key order; a watch from before the
// compaction point gets a 410 (an ERROR event, or the HTTP status if `http_410` is set).
class FakeKube {
 public:
  FakeKube() : server_([this](const HttpRequest& in, HttpResponder& out) { Serve(in, out); }) {}

  std::string url() const { return server_.url(); }
  std::vector<HttpRequest> requests() const { return server_.requests(); }

  // Creates or modifies ns/name (a new uid makes it a re-created object); returns its new RV.
  int Put(const std::string& ns, const std::string& name, const std::string& uid = "") {
    absl::MutexLock lock(&mu_);
    std::string key = ns + "/" + name;
    auto it = objects_.find(key);
    bool exists = it != objects_.end();
    std::string new_uid = !uid.empty() ? uid : exists ? it->second.uid : "uid-" + name;
    Object object{ns, name, new_uid, ++rv_};
    objects_[key] = object;
    history_.push_back({exists ? "MODIFIED" : "ADDED", Json(object), rv_, ns});
    return rv_;
  }
  void Remove(const std::string& ns, const std::string& name) {
    absl::MutexLock lock(&mu_);
    Object object = objects_.at(ns + "/" + name);
    objects_.erase(ns + "/" + name);
    object.rv = ++rv_;
    history_.push_back({"DELETED", Json(object), rv_, ns});
  }
  // A bookmark at a new RV that no object has.
  int Bookmark() {
    absl::MutexLock lock(&mu_);
    ++rv_;
    history_.push_back(
        {"BOOKMARK",
         {{"kind", "TaskRun"}, {"metadata", {{"resourceVersion", absl::StrCat(rv_)}}}},
         rv_,
         ""});
    return rv_;
  }
  // While paused, changes are recorded but not streamed to open watches.
  void Pause(bool paused) {
    absl::MutexLock lock(&mu_);
    paused_ = paused;
  }
  // Watches from an RV below the current one now get 410.
  void Compact(bool http_410) {
    absl::MutexLock lock(&mu_);
    compacted_ = rv_;
    http_410_ = http_410;
  }
  // Ends every open watch, cleanly or by dropping the connection mid-stream.
  void EndWatches(bool drop) {
    absl::MutexLock lock(&mu_);
    ++generation_;
    drop_ = drop;
  }
  // The next `n` requests are answered with `code` and a Status carrying `retry_after_seconds`.
  void FailNext(int n, int code = 500, int retry_after_seconds = 0) {
    absl::MutexLock lock(&mu_);
    failures_ = n;
    failure_ = {{"kind", "Status"}, {"code", code}, {"reason", "Failed"}, {"message", "injected"}};
    if (retry_after_seconds > 0) failure_["details"]["retryAfterSeconds"] = retry_after_seconds;
  }
  // The next list request that carries a continue token gets 410 Expired.
  void ExpireNextContinue() {
    absl::MutexLock lock(&mu_);
    expire_continue_ = true;
  }
  // Waits (up to 10 s) until a watch stream has written the change or bookmark at `rv`.
  void WaitSent(int rv) {
    absl::MutexLock lock(&mu_);
    auto sent = [this, rv] { return sent_ >= rv; };
    mu_.AwaitWithTimeout(absl::Condition(&sent), absl::Seconds(10));
  }
  int Count(bool watches) const {
    int n = 0;
    for (const HttpRequest& r : requests()) n += (r.Param("watch") == "1") == watches;
    return n;
  }

 private:
  struct Object {
    std::string ns, name, uid;
    int rv;
  };
  struct Change {
    std::string type;
    nlohmann::json object;
    int rv;
    std::string ns;
  };

  static nlohmann::json Json(const Object& o) {
    return {{"apiVersion", "tekton.dev/v1"},
            {"kind", "TaskRun"},
            {"metadata",
             {{"namespace", o.ns},
              {"name", o.name},
              {"uid", o.uid},
              {"resourceVersion", absl::StrCat(o.rv)}}}};
  }

  static std::string NamespaceOf(const HttpRequest& in) {
    const std::string prefix = "/apis/tekton.dev/v1/namespaces/";
    if (in.path.rfind(prefix, 0) != 0) return "";
    return in.path.substr(prefix.size(), in.path.find('/', prefix.size()) - prefix.size());
  }

  void Serve(const HttpRequest& in, HttpResponder& out) {
    {
      absl::MutexLock lock(&mu_);
      if (failures_ > 0) {
        --failures_;
        return out.Send(failure_["code"].get<int>(), failure_.dump());
      }
      if (expire_continue_ && !in.Param("continue").empty()) {
        expire_continue_ = false;
        return out.Send(410, R"({"kind":"Status","reason":"Expired","code":410,)"
                             R"("message":"The provided continue parameter is too old"})");
      }
    }
    in.Param("watch") == "1" ? Watch(in, out) : List(in, out);
  }

  void List(const HttpRequest& in, HttpResponder& out) {
    absl::MutexLock lock(&mu_);
    std::string ns = NamespaceOf(in);
    size_t offset = 0, limit = 0;
    absl::SimpleAtoi(in.Param("continue"), &offset);
    absl::SimpleAtoi(in.Param("limit"), &limit);
    nlohmann::json items = nlohmann::json::array();
    size_t index = 0;
    for (const auto& [key, object] : objects_) {
      if (!ns.empty() && object.ns != ns) continue;
      if (index++ < offset) continue;
      if (limit > 0 && items.size() == limit) break;
      items.push_back(Json(object));
    }
    nlohmann::json list = {{"kind", "TaskRunList"},
                           {"metadata", {{"resourceVersion", absl::StrCat(rv_)}}},
                           {"items", items}};
    if (index > offset + items.size()) list["metadata"]["continue"] = absl::StrCat(offset + limit);
    out.Send(200, list.dump());
  }

  void Watch(const HttpRequest& in, HttpResponder& out) {
    std::string ns = NamespaceOf(in);
    int from = 0;
    absl::SimpleAtoi(in.Param("resourceVersion"), &from);
    int generation;
    {
      absl::MutexLock lock(&mu_);
      generation = generation_;
      if (from < compacted_) {
        std::string status =
            R"({"kind":"Status","apiVersion":"v1","status":"Failure",)"
            R"("message":"too old resource version","reason":"Expired","code":410})";
        if (http_410_) return out.Send(410, status);
        out.StartChunked();
        out.Chunk(R"({"type":"ERROR","object":)" + status + "}\n");
        return out.EndChunked();
      }
    }
    out.StartChunked();
    size_t next = 0;
    while (true) {
      std::vector<Change> send;
      {
        absl::MutexLock lock(&mu_);
        if (generation_ != generation) {
          if (!drop_) out.EndChunked();
          return;
        }
        for (; !paused_ && next < history_.size(); ++next) {
          const Change& c = history_[next];
          if (c.rv > from && (ns.empty() || c.ns.empty() || c.ns == ns)) send.push_back(c);
        }
      }
      for (const Change& c : send) {
        if (!out.Chunk(nlohmann::json{{"type", c.type}, {"object", c.object}}.dump() + "\n")) {
          return;
        }
        absl::MutexLock lock(&mu_);
        sent_ = std::max(sent_, c.rv);
      }
      if (out.WaitClientGone(absl::Milliseconds(10))) return;
    }
  }

  mutable absl::Mutex mu_;
  std::map<std::string, Object> objects_;
  std::vector<Change> history_;
  int rv_ = 100;
  int compacted_ = 0;
  bool http_410_ = false;
  bool paused_ = false;
  int generation_ = 0;
  bool drop_ = false;
  int failures_ = 0;
  nlohmann::json failure_;
  bool expire_continue_ = false;
  int sent_ = 0;
  FakeHttpServer server_;  // last: destroyed first, while the state it serves still exists
};

// Runs a Reflector on its own thread and records what it delivers as "TYPE ns/name rv[ ?]"
// ('?' marks an inferred deletion).
class ReflectorHarness {
 public:
  ReflectorHarness(const FakeKube& kube, ReflectorOptions options,
                   std::vector<KnownObject> seed = {}, std::string seed_version = "")
      : client_(Config(kube)) {
    options.initial_backoff = absl::Milliseconds(5);
    options.max_backoff = absl::Milliseconds(50);
    options.on_error = [this](const absl::Status& status) {
      absl::MutexLock lock(&mu_);
      errors_.push_back(std::string(status.message()));
    };
    reflector_ = std::make_unique<Reflector>(&client_, kTaskRuns, options,
                                             [this](const ReflectorEvent& e) { Record(e); });
    if (!seed.empty() || !seed_version.empty()) {
      reflector_->Seed(std::move(seed), std::move(seed_version));
    }
    thread_ = std::thread([this] { reflector_->Run(stop_); });
  }
  ~ReflectorHarness() { Stop(); }

  void Stop() {
    if (!stop_.HasBeenNotified()) stop_.Notify();
    if (thread_.joinable()) thread_.join();
  }

  // Waits (up to 10 s) until `n` events have arrived; returns them and forgets them.
  std::vector<std::string> Take(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [this, n] { return events_.size() >= n; };
    mu_.AwaitWithTimeout(absl::Condition(&enough), absl::Seconds(10));
    std::vector<std::string> taken;
    taken.swap(events_);
    return taken;
  }
  std::vector<std::string> errors() {
    absl::MutexLock lock(&mu_);
    return errors_;
  }

 private:
  static KubeConfig Config(const FakeKube& kube) {
    KubeConfig config;
    config.server = kube.url();
    return config;
  }

  void Record(const ReflectorEvent& e) {
    absl::MutexLock lock(&mu_);
    events_.push_back(absl::StrCat(
        WatchEventTypeName(e.type), " ", MetadataField(e.object, "namespace"), "/",
        MetadataField(e.object, "name"), " ", MetadataField(e.object, "resourceVersion"),
        e.final_state_unknown ? " ?" : ""));
  }

  KubeClient client_;
  std::unique_ptr<Reflector> reflector_;
  absl::Notification stop_;
  std::thread thread_;
  absl::Mutex mu_;
  std::vector<std::string> events_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> errors_ ABSL_GUARDED_BY(mu_);
};

ReflectorOptions Options(int page_size = 500) {
  ReflectorOptions options;
  options.page_size = page_size;
  options.min_watch_seconds = 30;
  options.max_watch_seconds = 40;
  return options;
}

TEST(ReflectorTest, PagedListThenWatchFromTheListVersion) {
  FakeKube kube;
  kube.Put("ci", "a");  // 101
  kube.Put("ci", "b");  // 102
  kube.Put("cd", "c");  // 103
  ReflectorHarness h(kube, Options(/*page_size=*/2));
  EXPECT_THAT(h.Take(3), ElementsAre("ADDED cd/c 103", "ADDED ci/a 101", "ADDED ci/b 102"));
  kube.Put("ci", "a");     // 104
  kube.Put("ci", "d");     // 105
  kube.Remove("ci", "b");  // 106
  EXPECT_THAT(h.Take(3), ElementsAre("MODIFIED ci/a 104", "ADDED ci/d 105", "DELETED ci/b 106"));

  std::vector<HttpRequest> r = kube.requests();
  ASSERT_GE(r.size(), 3u);
  EXPECT_EQ(r[0].Param("limit"), "2");
  EXPECT_EQ(r[0].Param("continue"), "");
  EXPECT_EQ(r[1].Param("continue"), "2");
  EXPECT_EQ(r[2].Param("watch"), "1");
  EXPECT_EQ(r[2].Param("resourceVersion"), "103");
  EXPECT_EQ(r[2].Param("allowWatchBookmarks"), "true");
  int timeout = 0;
  ASSERT_TRUE(absl::SimpleAtoi(r[2].Param("timeoutSeconds"), &timeout));
  EXPECT_GE(timeout, 30);
  EXPECT_LE(timeout, 40);
  EXPECT_THAT(h.errors(), IsEmpty());
}

TEST(ReflectorTest, DroppedAndEndedStreamsResumeFromTheLastVersionWithoutRelist) {
  FakeKube kube;
  kube.Put("ci", "a");  // 101
  ReflectorHarness h(kube, Options());
  EXPECT_THAT(h.Take(1), ElementsAre("ADDED ci/a 101"));
  kube.Put("ci", "b");  // 102
  EXPECT_THAT(h.Take(1), ElementsAre("ADDED ci/b 102"));
  kube.EndWatches(/*drop=*/true);
  kube.Put("ci", "c");  // 103, happens while no watch runs
  EXPECT_THAT(h.Take(1), ElementsAre("ADDED ci/c 103"));
  kube.EndWatches(/*drop=*/false);
  kube.Put("ci", "a");  // 104
  EXPECT_THAT(h.Take(1), ElementsAre("MODIFIED ci/a 104"));

  EXPECT_EQ(kube.Count(/*watches=*/false), 1);  // the initial list only
  std::vector<std::string> from;
  for (const HttpRequest& r : kube.requests()) {
    if (r.Param("watch") == "1") from.push_back(r.Param("resourceVersion"));
  }
  EXPECT_THAT(from, ElementsAre("101", "102", "103"));
  EXPECT_EQ(h.errors().size(), 1u);  // the dropped stream
}

TEST(ReflectorTest, BookmarksMoveTheResumePointAndAreNotDelivered) {
  FakeKube kube;
  kube.Put("ci", "a");  // 101
  ReflectorHarness h(kube, Options());
  EXPECT_THAT(h.Take(1), ElementsAre("ADDED ci/a 101"));
  int bookmark = kube.Bookmark();
  kube.Put("ci", "b");
  EXPECT_THAT(h.Take(1), ElementsAre(absl::StrCat("ADDED ci/b ", bookmark + 1)));
  kube.WaitSent(kube.Bookmark());  // the last thing before the stream ends
  kube.EndWatches(/*drop=*/false);
  kube.Put("ci", "c");
  EXPECT_THAT(h.Take(1), ElementsAre(absl::StrCat("ADDED ci/c ", bookmark + 3)));
  std::vector<std::string> from;
  for (const HttpRequest& r : kube.requests()) {
    if (r.Param("watch") == "1") from.push_back(r.Param("resourceVersion"));
  }
  EXPECT_THAT(from, ElementsAre("101", absl::StrCat(bookmark + 2)));
}

// Changes the watch missed while it was down, then a 410 when it resumes: the relist must report
// them, with deletions (and the deletion of a re-created object's old incarnation) inferred.
void ExpectRelistReportsMissedChanges(bool http_410) {
  FakeKube kube;
  kube.Put("ci", "a");  // 101
  kube.Put("ci", "b");  // 102
  kube.Put("ci", "c");  // 103
  ReflectorHarness h(kube, Options(/*page_size=*/2));
  EXPECT_EQ(h.Take(3).size(), 3u);
  kube.Put("ci", "same");  // 104, through the watch
  EXPECT_THAT(h.Take(1), ElementsAre("ADDED ci/same 104"));
  kube.Pause(true);
  kube.Put("ci", "a");            // 105
  kube.Remove("ci", "b");         // 106
  kube.Remove("ci", "c");         // 107
  kube.Put("ci", "c", "uid-c2");  // 108, re-created
  kube.Put("ci", "d");            // 109
  kube.Compact(http_410);
  kube.EndWatches(/*drop=*/false);
  kube.Pause(false);
  EXPECT_THAT(h.Take(5),
              UnorderedElementsAre("MODIFIED ci/a 105", "DELETED ci/b 102 ?", "DELETED ci/c 103 ?",
                                   "ADDED ci/c 108", "ADDED ci/d 109"));
  // Back to normal watching from the relist's version.
  kube.Put("ci", "same");  // 110
  EXPECT_THAT(h.Take(1), ElementsAre("MODIFIED ci/same 110"));
  EXPECT_EQ(kube.Count(/*watches=*/false), 2 * 2);  // two lists of two pages
  ASSERT_EQ(h.errors().size(), 1u);
  EXPECT_THAT(h.errors()[0], ::testing::HasSubstr("too old resource version"));
}

TEST(ReflectorTest, ErrorEvent410RelistsAndInfersDeletions) {
  ExpectRelistReportsMissedChanges(/*http_410=*/false);
}

TEST(ReflectorTest, Http410RelistsAndInfersDeletions) {
  ExpectRelistReportsMissedChanges(/*http_410=*/true);
}

TEST(ReflectorTest, RetriesFailuresWithBackoff) {
  FakeKube kube;
  kube.Put("ci", "a");
  kube.FailNext(3);  // three failed lists
  ReflectorHarness h(kube, Options());
  EXPECT_THAT(h.Take(1), ElementsAre("ADDED ci/a 101"));
  EXPECT_EQ(h.errors().size(), 3u);
  kube.Put("ci", "b");
  EXPECT_THAT(h.Take(1), ElementsAre("ADDED ci/b 102"));
  kube.FailNext(2);  // the next two watch attempts fail
  kube.EndWatches(/*drop=*/false);
  kube.Put("ci", "c");
  EXPECT_THAT(h.Take(1), ElementsAre("ADDED ci/c 103"));
  EXPECT_EQ(h.errors().size(), 5u);
  EXPECT_EQ(kube.Count(/*watches=*/false), 4);  // 3 failed lists + 1; failed watches do not relist
}

TEST(ReflectorTest, SeveralNamespacesWatchEachOnItsOwn) {
  FakeKube kube;
  kube.Put("ci", "a");
  kube.Put("other", "x");
  kube.Put("cd", "b");
  ReflectorOptions options = Options();
  options.namespaces = {"ci", "cd"};
  ReflectorHarness h(kube, options);
  EXPECT_THAT(h.Take(2), UnorderedElementsAre("ADDED ci/a 101", "ADDED cd/b 103"));
  kube.Put("other", "y");
  kube.Put("cd", "c");
  EXPECT_THAT(h.Take(1), ElementsAre("ADDED cd/c 105"));
  for (const HttpRequest& r : kube.requests()) {
    EXPECT_TRUE(r.path == kTaskRuns.Path("ci") || r.path == kTaskRuns.Path("cd")) << r.path;
  }
}

TEST(ReflectorTest, OnListedIsCalledOnceAfterEveryNamespaceListedOnce) {
  FakeKube kube;
  kube.Put("ci", "a");
  kube.Put("cd", "b");
  ReflectorOptions options = Options();
  options.namespaces = {"ci", "cd"};
  std::atomic<int> listed{0};
  options.on_listed = [&listed] { ++listed; };
  ReflectorHarness h(kube, options);
  EXPECT_EQ(h.Take(2).size(), 2u);
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (listed == 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(5));
  EXPECT_EQ(listed, 1);
  kube.Put("cd", "c");  // a watch event, not a list
  EXPECT_EQ(h.Take(1).size(), 1u);
  EXPECT_EQ(listed, 1);
}

TEST(ReflectorTest, StopEndsRunPromptly) {
  FakeKube kube;
  kube.Put("ci", "a");
  ReflectorHarness h(kube, Options());
  EXPECT_EQ(h.Take(1).size(), 1u);
  absl::Time asked = absl::Now();
  h.Stop();
  EXPECT_LT(absl::Now() - asked, absl::Seconds(2));
}

TEST(ReflectorTest, ExpiredContinueTokenRestartsTheList) {
  FakeKube kube;
  kube.Put("ci", "a");
  kube.Put("ci", "b");
  kube.Put("ci", "c");
  kube.ExpireNextContinue();
  ReflectorHarness h(kube, Options(/*page_size=*/2));
  EXPECT_THAT(h.Take(3), ElementsAre("ADDED ci/a 101", "ADDED ci/b 102", "ADDED ci/c 103"));
  std::vector<std::string> lists;
  for (const HttpRequest& r : kube.requests()) {
    if (r.Param("watch").empty()) lists.push_back("continue=" + r.Param("continue"));
  }
  EXPECT_THAT(lists, ElementsAre("continue=", "continue=2", "continue=", "continue=2"));
  ASSERT_EQ(h.errors().size(), 1u);
  EXPECT_THAT(h.errors()[0], ::testing::HasSubstr("continue parameter is too old"));
}

TEST(ReflectorTest, WaitsAsLongAsTheServerAsks) {
  FakeKube kube;
  kube.Put("ci", "a");
  kube.FailNext(1, 429, /*retry_after_seconds=*/1);
  ReflectorHarness h(kube, Options());
  EXPECT_THAT(h.Take(1), ElementsAre("ADDED ci/a 101"));
  std::vector<HttpRequest> r = kube.requests();
  ASSERT_GE(r.size(), 2u);
  EXPECT_GE(r[1].received - r[0].received, absl::Seconds(1));
}

// After a restart, the caller's stored objects: only differences are delivered.
std::vector<KnownObject> StoredObjects() {
  return {{"ci", "a", "uid-a", "101"},       // unchanged
          {"ci", "b", "uid-b", "90"},        // changed since
          {"ci", "c", "uid-c-old", "95"},    // re-created since
          {"ci", "gone", "uid-gone", "99"},  // deleted since
          {"cd", "other", "uid-other", "98"}};
}

void PutStoredObjectsNow(FakeKube& kube) {
  kube.Put("ci", "a");  // 101
  kube.Put("ci", "b");  // 102
  kube.Put("ci", "c");  // 103, uid-c
}

TEST(ReflectorTest, SeededWithoutVersionListsAndDeliversOnlyDifferences) {
  FakeKube kube;
  PutStoredObjectsNow(kube);
  ReflectorOptions options = Options();
  options.namespaces = {"ci"};
  ReflectorHarness h(kube, options, StoredObjects());
  EXPECT_THAT(h.Take(4), UnorderedElementsAre("MODIFIED ci/b 102", "DELETED ci/c 95 ?",
                                              "ADDED ci/c 103", "DELETED ci/gone 99 ?"));
  kube.Put("ci", "a");
  EXPECT_THAT(h.Take(1), ElementsAre("MODIFIED ci/a 104"));
}

TEST(ReflectorTest, SeededWithAnExpiredVersionRelists) {
  FakeKube kube;
  PutStoredObjectsNow(kube);
  kube.Compact(/*http_410=*/false);
  ReflectorHarness h(kube, Options(), StoredObjects(), "99");
  EXPECT_THAT(h.Take(5),
              UnorderedElementsAre("MODIFIED ci/b 102", "DELETED ci/c 95 ?", "ADDED ci/c 103",
                                   "DELETED ci/gone 99 ?", "DELETED cd/other 98 ?"));
  std::vector<HttpRequest> r = kube.requests();
  ASSERT_GE(r.size(), 2u);
  EXPECT_EQ(r[0].Param("watch"), "1");
  EXPECT_EQ(r[0].Param("resourceVersion"), "99");
  EXPECT_EQ(r[1].Param("watch"), "");
}

TEST(ReflectorTest, SeededWithAValidVersionWatchesWithoutListing) {
  FakeKube kube;
  kube.Put("ci", "a");  // 101
  kube.Put("ci", "b");  // 102
  ReflectorHarness h(kube, Options(), {{"ci", "a", "uid-a", "101"}}, "101");
  EXPECT_THAT(h.Take(1), ElementsAre("ADDED ci/b 102"));
  kube.Remove("ci", "a");
  EXPECT_THAT(h.Take(1), ElementsAre("DELETED ci/a 103"));
  EXPECT_EQ(kube.Count(/*watches=*/false), 0);
}

}  // namespace
}  // namespace runledger::watcher
