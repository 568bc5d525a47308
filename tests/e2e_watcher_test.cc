// The watcher end to end: a real kube-apiserver from the kit (tests/kube_cluster.h), a real
// `runledger serve` process, and the Controller storing through GrpcRunSink (or, in one test,
// `runledger serve --watch` storing in process). Each test watches a namespace of its own and
// checks what the v1alpha2 API serves and what the watcher wrote back on the objects. Skips,
// saying why, when the kit or its kube-apiserver build is absent.
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/create_channel.h"
#include "gtest/gtest.h"
#include "src/watcher/annotation_keys.h"
#include "src/watcher/controller.h"
#include "src/watcher/grpc_run_sink.h"
#include "src/watcher/json_fields.h"
#include "src/watcher/kube_client.h"
#include "src/watcher/run_translation.h"
#include "tests/kube_cluster.h"
#include "tests/test_util.h"

namespace runledger::watcher {
namespace {

using ::testing::HasSubstr;
namespace api = tekton::results::v1alpha2;
using nlohmann::json;

const ResourceRef kNamespaces{"", "v1", "namespaces"};
const ResourceRef kTaskRuns{"tekton.dev", "v1", "taskruns"};
const ResourceRef kPipelineRuns{"tekton.dev", "v1", "pipelineruns"};
const ResourceRef kCustomRuns{"tekton.dev", "v1beta1", "customruns"};
const std::string kFixtureDir = std::string(RUNLEDGER_SHARED_DIR) + "/fixtures/tekton";

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", time, absl::UTCTimeZone());
}

json Succeeded(absl::Time completed = absl::Now()) {
  return {{"podName", "pod"},
          {"startTime", Rfc3339(completed - absl::Seconds(30))},
          {"completionTime", Rfc3339(completed)},
          {"conditions", {{{"type", "Succeeded"}, {"status", "True"}, {"reason", "Succeeded"}}}}};
}
json Running() {
  return {{"podName", "pod"},
          {"startTime", Rfc3339(absl::Now())},
          {"conditions", {{{"type", "Succeeded"}, {"status", "Unknown"}, {"reason", "Running"}}}}};
}

json NewRun(const std::string& kind, const std::string& name) {
  json run = {{"apiVersion", "tekton.dev/v1"}, {"kind", kind}, {"metadata", {{"name", name}}}};
  run["spec"] = kind == "TaskRun" ? json{{"taskRef", {{"name", "build"}}}}
                                  : json{{"pipelineRef", {{"name", "release"}}}};
  return run;
}

std::string Annotation(const json& object, const char* key) {
  const json& annotations = object["metadata"].value("annotations", json::object());
  return StringField(annotations, key);
}
bool HasFinalizerNamed(const json& object, const std::string& finalizer) {
  for (const json& f : object["metadata"].value("finalizers", json::array())) {
    if (f == finalizer) return true;
  }
  return false;
}

// Polls `condition` every 50 ms for up to `timeout`.
bool Eventually(const std::function<bool()>& condition,
                absl::Duration timeout = absl::Seconds(20)) {
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return condition();
}

// A Controller storing through gRPC into `address`, on threads of its own until destroyed.
class RunningController {
 public:
  RunningController(const KubeConfig& config, const std::string& address, ControllerOptions options)
      : kube_(config),
        sink_(grpc::CreateChannel(address, grpc::InsecureChannelCredentials()), "e2e",
              absl::Seconds(2)),
        controller_(&kube_, &sink_, Fast(std::move(options))),
        thread_([this] { controller_.Run(stop_); }) {}
  ~RunningController() {
    stop_.Notify();
    thread_.join();
  }
  ControllerStats stats() const { return controller_.stats(); }
  // Waits until nothing is queued and the counters stop moving for a moment.
  void Settle() {
    ControllerStats last = stats();
    Eventually([&] {
      absl::SleepFor(absl::Milliseconds(300));
      ControllerStats now = stats();
      bool still = now.events == last.events && now.stored == last.stored &&
                   now.patches == last.patches && controller_.waiting() == 0;
      last = now;
      return still;
    });
  }

 private:
  static ControllerOptions Fast(ControllerOptions options) {
    options.max_retry_backoff = absl::Milliseconds(500);
    options.reflector.initial_backoff = absl::Milliseconds(100);
    options.reflector.max_backoff = absl::Milliseconds(500);
    return options;
  }

  KubeClient kube_;
  GrpcRunSink sink_;
  Controller controller_;
  absl::Notification stop_;
  std::thread thread_;
};

class E2eWatcherTest : public e2e::KubeClusterTest {
 protected:
  void SetUp() override {
    KubeClusterTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    kube_ = std::make_unique<KubeClient>(cluster().AdminConfig());
    ns_ = e2e::UniqueParent();
    ASSERT_TRUE(
        kube_
            ->Create(kNamespaces, "",
                     {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_}}}})
            .ok());
    server_ = std::make_unique<e2e::ServerProcess>();
    ASSERT_TRUE(server_->Start());
    client_ = std::make_unique<e2e::ResultsClient>(server_->NewChannel());
  }

  ControllerOptions Options() {
    ControllerOptions options;
    options.namespaces = {ns_};
    options.log = [](const std::string& message) { std::cerr << "watcher: " << message << "\n"; };
    return options;
  }
  std::unique_ptr<RunningController> StartController(ControllerOptions options) {
    return std::make_unique<RunningController>(cluster().AdminConfig(), server_->address(),
                                               std::move(options));
  }

  // Creates `run` in the test's namespace (server-set metadata removed), then sets its status.
  json Create(const ResourceRef& ref, json run, const json& status = nullptr) {
    for (const char* field : {"resourceVersion", "uid", "creationTimestamp", "managedFields",
                              "generation", "selfLink"}) {
      run["metadata"].erase(field);
    }
    run["metadata"]["namespace"] = ns_;
    run.erase("status");
    absl::StatusOr<json> created = kube_->Create(ref, ns_, run);
    EXPECT_TRUE(created.ok()) << created.status();
    if (!created.ok() || status.is_null()) return created.value_or(json());
    return SetStatus(ref, MetadataField(*created, "name"), status);
  }
  json SetStatus(const ResourceRef& ref, const std::string& name, const json& status) {
    absl::StatusOr<json> patched =
        kube_->MergePatch(ref, ns_, name, {{"status", status}}, "status");
    EXPECT_TRUE(patched.ok()) << patched.status();
    return patched.value_or(json());
  }
  json Get(const ResourceRef& ref, const std::string& name) {
    return kube_->Get(ref, ns_, name).value_or(json());
  }
  std::string RecordNameOf(const json& object) {
    absl::StatusOr<TranslatedRun> run = TranslateRun(object);
    return run.ok() ? run->upsert.record().name() : "";
  }
  // The stored record's data as JSON (null if not stored).
  json StoredData(const std::string& record_name) {
    e2e::Reply<api::Record> record = client_->GetRecord(record_name);
    return record.ok() ? json::parse(record.value.data().value()) : json();
  }

  std::unique_ptr<KubeClient> kube_;
  std::string ns_;
  std::unique_ptr<e2e::ServerProcess> server_;
  std::unique_ptr<e2e::ResultsClient> client_;
};

TEST_F(E2eWatcherTest, StoresRunsWithNamesSummariesAndWritesBackAnnotations) {
  json pipeline = NewRun("PipelineRun", "release-1");
  pipeline["metadata"]["labels"] = {{"tekton.dev/pipeline", "release"}};
  pipeline["metadata"]["annotations"] = {
      {kResultAnnotationsAnnotation, R"({"repo":"runledger","attempt":2})"},
      {kRecordSummaryAnnotationsAnnotation, R"({"team":"ci"})"}};
  pipeline = Create(kPipelineRuns, pipeline, Succeeded());
  const std::string p_uid = MetadataField(pipeline, "uid");
  json child = NewRun("TaskRun", "release-1-build");
  child["metadata"]["ownerReferences"] = {{{"apiVersion", "tekton.dev/v1"},
                                           {"kind", "PipelineRun"},
                                           {"name", "release-1"},
                                           {"uid", p_uid}}};
  child = Create(kTaskRuns, child, Succeeded());
  json alone = Create(kTaskRuns, NewRun("TaskRun", "lint"), Running());
  json custom = Create(kCustomRuns,
                       {{"apiVersion", "tekton.dev/v1beta1"},
                        {"kind", "CustomRun"},
                        {"metadata", {{"name", "wait"}}},
                        {"spec", {{"customRef", {{"apiVersion", "x.dev/v1"}, {"kind", "Wait"}}}}}},
                       Succeeded());

  auto controller = StartController(Options());
  const std::string result = absl::StrCat(ns_, "/results/", p_uid);
  ASSERT_TRUE(Eventually([&] { return controller->stats().stored >= 4; }));
  controller->Settle();

  e2e::Reply<api::Result> stored = client_->GetResult(result);
  ASSERT_OK(stored);
  EXPECT_EQ(stored.value.annotations().at("object.metadata.name"), "release-1");
  EXPECT_EQ(stored.value.annotations().at("tekton.dev/pipeline"), "release");
  EXPECT_EQ(stored.value.annotations().at("repo"), "runledger");
  EXPECT_EQ(stored.value.annotations().at("attempt"), "2");
  EXPECT_EQ(stored.value.summary().record(), absl::StrCat(result, "/records/", p_uid));
  EXPECT_EQ(stored.value.summary().type(), "tekton.dev/v1.PipelineRun");
  EXPECT_EQ(stored.value.summary().status(), api::RecordSummary::SUCCESS);
  EXPECT_EQ(stored.value.summary().annotations().at("team"), "ci");

  e2e::Reply<api::Record> p_record = client_->GetRecord(absl::StrCat(result, "/records/", p_uid));
  ASSERT_OK(p_record);
  EXPECT_EQ(p_record.value.data().type(), "tekton.dev/v1.PipelineRun");
  const json p_data = json::parse(p_record.value.data().value());
  EXPECT_EQ(p_data["metadata"]["name"], "release-1");
  EXPECT_EQ(p_data["status"]["conditions"][0]["reason"], "Succeeded");
  const std::string c_uid = MetadataField(child, "uid");
  e2e::Reply<api::Record> c_record = client_->GetRecord(absl::StrCat(result, "/records/", c_uid));
  ASSERT_OK(c_record);
  EXPECT_EQ(c_record.value.data().type(), "tekton.dev/v1.TaskRun");
  const std::string a_uid = MetadataField(alone, "uid");
  EXPECT_EQ(
      StoredData(absl::StrCat(ns_, "/results/", a_uid, "/records/", a_uid))["metadata"]["name"],
      "lint");
  const std::string w_uid = MetadataField(custom, "uid");
  e2e::Reply<api::Record> w_record =
      client_->GetRecord(absl::StrCat(ns_, "/results/", w_uid, "/records/", w_uid));
  ASSERT_OK(w_record);
  EXPECT_EQ(w_record.value.data().type(), "tekton.dev/v1beta1.CustomRun");

  // Written back: names, stored, childReadyForDeletion, the stored hash; a finalizer only on
  // the run that is not done yet.
  json p_now = Get(kPipelineRuns, "release-1");
  EXPECT_EQ(Annotation(p_now, kResultAnnotation), result);
  EXPECT_EQ(Annotation(p_now, kRecordAnnotation), absl::StrCat(result, "/records/", p_uid));
  EXPECT_EQ(Annotation(p_now, kStoredAnnotation), "true");
  EXPECT_FALSE(Annotation(p_now, kStoredHashAnnotation).empty());
  EXPECT_FALSE(HasFinalizerNamed(p_now, "results.tekton.dev/pipelinerun"));
  json c_now = Get(kTaskRuns, "release-1-build");
  EXPECT_EQ(Annotation(c_now, kChildReadyForDeletionAnnotation), "true");
  json a_now = Get(kTaskRuns, "lint");
  EXPECT_EQ(Annotation(a_now, kStoredAnnotation), "false");
  EXPECT_TRUE(HasFinalizerNamed(a_now, "results.tekton.dev/taskrun"));

  // Each run was stored once: the events of the watcher's own patches stored nothing.
  EXPECT_EQ(controller->stats().stored, 4u);
  EXPECT_GE(controller->stats().unchanged, 4u);
  const std::string etag = p_record.value.etag();
  EXPECT_EQ(client_->GetRecord(absl::StrCat(result, "/records/", p_uid)).value.etag(), etag);

  // A real change is stored, once.
  SetStatus(kTaskRuns, "lint", Succeeded());
  ASSERT_TRUE(Eventually([&] { return controller->stats().stored == 5; }));
  controller->Settle();
  EXPECT_EQ(controller->stats().stored, 5u);
  EXPECT_EQ(StoredData(absl::StrCat(ns_, "/results/", a_uid, "/records/",
                                    a_uid))["status"]["conditions"][0]["reason"],
            "Succeeded");
  EXPECT_EQ(Annotation(Get(kTaskRuns, "lint"), kStoredAnnotation), "true");
}

TEST_F(E2eWatcherTest, ChangesWhileQueuedAreWrittenOnceAndRestartsNeitherLoseNorDuplicate) {
  std::vector<std::string> names;
  for (int i = 0; i < 20; ++i) {
    names.push_back(absl::StrCat("run-", i));
    Create(kTaskRuns, NewRun("TaskRun", names.back()), Succeeded());
  }
  {
    auto controller = StartController(Options());
    ASSERT_TRUE(Eventually([&] { return controller->stats().stored >= 20; }));
    controller->Settle();
    EXPECT_EQ(controller->stats().stored, 20u);
  }
  // While the watcher is down: one run changes, one appears.
  ASSERT_TRUE(
      kube_->MergePatch(kTaskRuns, ns_, "run-3", {{"metadata", {{"labels", {{"changed", "yes"}}}}}})
          .ok());
  Create(kTaskRuns, NewRun("TaskRun", "late"), Succeeded());
  {
    auto controller = StartController(Options());
    ASSERT_TRUE(Eventually([&] { return controller->stats().stored >= 2; }));
    controller->Settle();
    EXPECT_EQ(controller->stats().stored, 2u) << "only the changed and the new run are resent";
    // The 19 others as listed, and the event of the one patch (on "late": run-3's label change
    // needed no write-back).
    EXPECT_EQ(controller->stats().unchanged, 19u + 1u);
    EXPECT_EQ(controller->stats().patches, 1u);
  }
  json late = Get(kTaskRuns, "late");
  EXPECT_EQ(StoredData(RecordNameOf(late))["metadata"]["name"], "late");
  json run3 = Get(kTaskRuns, "run-3");
  EXPECT_EQ(StoredData(RecordNameOf(run3))["metadata"]["labels"]["changed"], "yes");

  // --resync sends every run again. The 20 whose last store was followed by a write-back patch
  // differ from what was stored (the annotations are part of the record's data, as upstream)
  // and are updated once; run-3, stored after its label change without a patch, is unchanged.
  {
    ControllerOptions options = Options();
    options.resync = true;
    auto controller = StartController(options);
    ASSERT_TRUE(Eventually([&] { return controller->stats().stored >= 21; }));
    controller->Settle();
    EXPECT_EQ(controller->stats().stored, 21u);
    EXPECT_EQ(controller->stats().patches, 0u);
  }

  // The log holds exactly one Result and one Record creation per run (none lost, none twice),
  // the update of run-3 while the watcher was down, and the 20 updates of the resync.
  ASSERT_EQ(server_->Stop(), 0);
  e2e::CommandResult dump = e2e::RunCommand({"dump", "--log", "--data-dir", server_->data_dir()});
  ASSERT_EQ(dump.exit_code, 0) << dump.err;
  auto count = [&dump](const std::string& needle) {
    size_t n = 0;
    for (size_t at = dump.out.find(needle); at != std::string::npos;
         at = dump.out.find(needle, at + 1))
      ++n;
    return n;
  };
  EXPECT_EQ(count("RECORD_CREATED"), 21u) << dump.out;
  EXPECT_EQ(count("RESULT_CREATED"), 21u) << dump.out;
  EXPECT_EQ(count("RECORD_UPDATED"), 1u + 20u) << dump.out;
}

TEST_F(E2eWatcherTest, InventoryLargerThanTheWriteBackBacklogIsStoredAndWrittenBack) {
  // Write-back waits for the initial lists unless the backlog is full; with a backlog and a
  // queue far smaller than the inventory, the list can only end if it is full-triggered.
  for (int i = 0; i < 12; ++i) Create(kTaskRuns, NewRun("TaskRun", absl::StrCat("many-", i)));
  ControllerOptions options = Options();
  options.batch_size = 1;
  options.patch_threads = 1;
  options.write_back_backlog = 2;
  options.max_queued = 1;
  options.reflector.page_size = 2;
  auto controller = StartController(options);
  ASSERT_TRUE(Eventually([&] { return controller->stats().stored >= 12; }));
  for (int i = 0; i < 12; ++i) {
    EXPECT_TRUE(Eventually([&] {
      const json run = Get(kTaskRuns, absl::StrCat("many-", i));
      return MetadataField(run, "name").empty()
                 ? false
                 : run["metadata"]
                               .value("annotations", json::object())
                               .value(kRecordAnnotation, "") == RecordNameOf(run) &&
                       HasFinalizerNamed(run, "results.tekton.dev/taskrun");
    })) << i;
  }
}

TEST_F(E2eWatcherTest, FinalizerHeldUntilStoredWhileTheServerIsDown) {
  Create(kTaskRuns, NewRun("TaskRun", "deploy"), Running());
  auto controller = StartController(Options());
  ASSERT_TRUE(Eventually(
      [&] { return HasFinalizerNamed(Get(kTaskRuns, "deploy"), "results.tekton.dev/taskrun"); }));
  const std::string record = RecordNameOf(Get(kTaskRuns, "deploy"));

  const std::string address = server_->address();
  ASSERT_EQ(server_->Stop(), 0);
  // Done and deleted while the server is down: the finalizer keeps the run.
  SetStatus(kTaskRuns, "deploy", Succeeded());
  ASSERT_TRUE(kube_->Delete(kTaskRuns, ns_, "deploy").ok());
  ASSERT_TRUE(Eventually([&] { return controller->stats().store_failures >= 2; }));
  json held = Get(kTaskRuns, "deploy");
  ASSERT_FALSE(held.is_null()) << "deleted before it was stored";
  EXPECT_FALSE(MetadataField(held, "deletionTimestamp").empty());

  server_->set_listen(address);
  ASSERT_TRUE(server_->Restart());
  ASSERT_TRUE(Eventually([&] {
    return kube_->Get(kTaskRuns, ns_, "deploy").status().code() == absl::StatusCode::kNotFound;
  }));
  const json data = StoredData(record);
  EXPECT_EQ(data["status"]["conditions"][0]["reason"], "Succeeded");
  EXPECT_FALSE(MetadataField(data, "deletionTimestamp").empty());
  // The run is gone once the API server has applied the release, which may be before the
  // controller has read the answer and counted it.
  EXPECT_TRUE(Eventually([&] { return controller->stats().finalizers_released >= 1; }));
}

TEST_F(E2eWatcherTest, CompletedRunsDeletedAfterGrace) {
  ControllerOptions options = Options();
  options.lifecycle.completed_run_grace_period = absl::Seconds(2);
  json pipeline = Create(kPipelineRuns, NewRun("PipelineRun", "nightly"), Succeeded());
  json child = NewRun("TaskRun", "nightly-test");
  child["metadata"]["ownerReferences"] = {{{"apiVersion", "tekton.dev/v1"},
                                           {"kind", "PipelineRun"},
                                           {"name", "nightly"},
                                           {"uid", MetadataField(pipeline, "uid")}}};
  Create(kTaskRuns, child, Succeeded());
  json status = Succeeded();
  status["childReferences"] = {{{"kind", "TaskRun"}, {"name", "nightly-test"}}};
  SetStatus(kPipelineRuns, "nightly", status);
  json owned = NewRun("TaskRun", "owned");
  owned["metadata"]["ownerReferences"] = {{{"apiVersion", "v1"},
                                           {"kind", "ConfigMap"},
                                           {"name", "x"},
                                           {"uid", "0b9c1f6e-0000-4000-8000-000000000001"}}};
  Create(kTaskRuns, owned, Succeeded());
  Create(kTaskRuns, NewRun("TaskRun", "later"), Succeeded(absl::Now() + absl::Hours(1)));
  const absl::Time start = absl::Now();
  auto controller = StartController(options);
  ASSERT_TRUE(Eventually([&] { return Get(kPipelineRuns, "nightly").is_null(); }));
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));
  EXPECT_FALSE(Get(kTaskRuns, "owned").is_null()) << "check_owner keeps owned runs";
  EXPECT_FALSE(Get(kTaskRuns, "nightly-test").is_null()) << "children go with their parent (GC)";
  EXPECT_FALSE(Get(kTaskRuns, "later").is_null()) << "grace not over";
  EXPECT_EQ(controller->stats().deleted, 1u);
  EXPECT_FALSE(StoredData(RecordNameOf(pipeline)).is_null());
}

TEST_F(E2eWatcherTest, IncompleteRunsNotStoredWhenDisabled) {
  ControllerOptions options = Options();
  options.disable_storing_incomplete_runs = true;
  json run = Create(kTaskRuns, NewRun("TaskRun", "slow"), Running());
  auto controller = StartController(options);
  ASSERT_TRUE(Eventually(
      [&] { return HasFinalizerNamed(Get(kTaskRuns, "slow"), "results.tekton.dev/taskrun"); }));
  controller->Settle();
  EXPECT_EQ(controller->stats().stored, 0u);
  EXPECT_TRUE(StoredData(RecordNameOf(run)).is_null());
  SetStatus(kTaskRuns, "slow", Succeeded());
  ASSERT_TRUE(Eventually([&] { return !StoredData(RecordNameOf(run)).is_null(); }));
  EXPECT_EQ(controller->stats().stored, 1u);
}

// Every fixture of ../shared/fixtures/tekton, watched by `runledger serve --watch`.
TEST_F(E2eWatcherTest, FixturesStoredByServeWatch) {
  if (!std::filesystem::exists(kFixtureDir)) GTEST_SKIP() << "no fixtures at " << kFixtureDir;
  ASSERT_EQ(server_->Stop(), 0);
  server_->set_extra_args({"--watch", "--kubeconfig", cluster().Env("KUBECONFIG"), "--namespace",
                           ns_, "--forward_buffer", "0s"});
  ASSERT_TRUE(server_->Restart());
  client_ = std::make_unique<e2e::ResultsClient>(server_->NewChannel());
  std::vector<json> created;
  for (const auto& entry : std::filesystem::directory_iterator(kFixtureDir)) {
    if (entry.path().extension() != ".json") continue;
    json fixture = json::parse(e2e::ReadFile(entry.path().string()));
    const std::string kind = fixture["kind"];
    ResourceRef ref = kind == "TaskRun"       ? kTaskRuns
                      : kind == "PipelineRun" ? kPipelineRuns
                                              : kCustomRuns;
    ref.version = fixture["apiVersion"].get<std::string>().substr(strlen("tekton.dev/"));
    json status = fixture.value("status", json());
    json object = Create(ref, fixture, status);
    ASSERT_FALSE(object.is_null()) << entry.path();
    if (kind != "CustomRun")
      object = Get(kind == "TaskRun" ? kTaskRuns : kPipelineRuns, fixture["metadata"]["name"]);
    created.push_back(object);
  }
  ASSERT_GT(created.size(), 30u);
  for (const json& object : created) {
    const std::string record = RecordNameOf(object);
    ASSERT_TRUE(Eventually([&] { return StoredData(record)["status"] == object["status"]; }))
        << MetadataField(object, "name") << " not stored as " << record << "\n"
        << server_->Stderr();
    EXPECT_EQ(StoredData(record)["metadata"]["uid"], MetadataField(object, "uid"));
  }
  EXPECT_THAT(server_->Stderr(), HasSubstr("runledger watch:"));
}

}  // namespace
}  // namespace runledger::watcher
