// runledger-controller-bench: the watcher Controller against a real kube-apiserver (the kit in
// ../shared/tools/kube) and a real `runledger serve`, storing through gRPC as `runledger watch`
// does. Three phases, each timed on its own:
//   1. create:  --runs objects (half TaskRuns, half PipelineRuns, in --namespaces namespaces)
//               with --create-threads parallel POSTs;
//   2. cold:    start the Controller with all of them existing; time until every run is stored,
//               and until the write-back patches are done too; resident set size of this
//               process (which, after phase 1, is mostly the Controller) at the end;
//      (--reuse: read back the runs an earlier run created, and start the Controller with
//      --resync, for a new server; --disable-crd-update: without write-back patches)
//   3. steady:  --rate label changes per second for --seconds, spread over the runs; for every
//               --sample-every-th change, the time from the PATCH's answer until GetRecord
//               serves the new label (change-to-queryable lag, p50/p99).
// Then it checks that every run is stored exactly once with its last state (lost / duplicated).
//
//   K=../shared/tools/kube; $K/start-cluster.sh /tmp/c; runledger serve --data-dir /tmp/d &
//   build/runledger-controller-bench --kubeconfig /tmp/c/kubeconfig --server 127.0.0.1:50051
#include <malloc.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "cxxopts.hpp"
#include "grpcpp/create_channel.h"
#include "src/watcher/controller.h"
#include "src/watcher/grpc_run_sink.h"
#include "src/watcher/json_fields.h"
#include "src/watcher/kube_client.h"
#include "src/watcher/run_translation.h"
#include "tekton/results/v1alpha2/api.grpc.pb.h"

namespace runledger::bench {
namespace {

using nlohmann::json;
using watcher::KubeClient;
using watcher::MetadataField;
using watcher::ResourceRef;
namespace api = tekton::results::v1alpha2;

const ResourceRef kTaskRuns{"tekton.dev", "v1", "taskruns"};
const ResourceRef kPipelineRuns{"tekton.dev", "v1", "pipelineruns"};
const ResourceRef kNamespaces{"", "v1", "namespaces"};

struct RunRef {
  const ResourceRef* ref;
  std::string ns;
  std::string name;
  std::string record;  // filled after creation
};

long RssKb(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind(field, 0) == 0) return std::atol(line.c_str() + strlen(field));
  }
  return -1;
}

json MakeRun(const RunRef& run, int i) {
  const bool task = run.ref == &kTaskRuns;
  return {
      {"apiVersion", "tekton.dev/v1"},
      {"kind", task ? "TaskRun" : "PipelineRun"},
      {"metadata",
       {{"name", run.name},
        {"labels", {{"tekton.dev/pipeline", absl::StrCat("pipeline-", i % 50)}, {"seq", "0"}}}}},
      {"spec", task ? json{{"taskRef", {{"name", "build"}}}, {"serviceAccountName", "default"}}
                    : json{{"pipelineRef", {{"name", "release"}}},
                           {"params", {{{"name", "revision"}, {"value", "main"}}}}}}};
}

// Runs `work(i)` for i in [0, n) on `threads` threads.
void Parallel(int n, int threads, const std::function<void(int)>& work) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) work(i);
    });
  }
  for (std::thread& thread : pool) thread.join();
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

int Main(int argc, char** argv) {
  cxxopts::Options options("runledger-controller-bench", "The watcher against a real cluster.");
  options.add_options()("kubeconfig", "The kit's DIR/kubeconfig.", cxxopts::value<std::string>())(
      "server", "A running runledger serve.", cxxopts::value<std::string>())(
      "runs", "Runs to create.", cxxopts::value<int>()->default_value("10000"))(
      "namespaces", "Namespaces to spread them over.", cxxopts::value<int>()->default_value("10"))(
      "create-threads", "Parallel POSTs.", cxxopts::value<int>()->default_value("16"))(
      "threadiness", "Controller workers.", cxxopts::value<int>()->default_value("4"))(
      "reuse", "The runs exist already (an earlier run with the same --prefix): read them back.")(
      "disable-crd-update", "Run the controller without write-back patches.")(
      "rate", "Steady-state changes per second.", cxxopts::value<int>()->default_value("500"))(
      "seconds", "Steady-state duration.", cxxopts::value<int>()->default_value("20"))(
      "sample-every", "Measure the lag of every n-th change.",
      cxxopts::value<int>()->default_value("10"))(
      "prefix", "Namespace prefix.", cxxopts::value<std::string>()->default_value("bench"));
  cxxopts::ParseResult args = options.parse(argc, argv);
  absl::StatusOr<watcher::KubeConfig> config =
      watcher::LoadKubeconfig(args["kubeconfig"].as<std::string>());
  if (!config.ok()) {
    std::cerr << config.status() << "\n";
    return 1;
  }
  KubeClient kube(*config);
  const int n = args["runs"].as<int>();
  const int namespaces = args["namespaces"].as<int>();
  const std::string prefix = args["prefix"].as<std::string>();
  std::vector<std::string> ns_names;
  for (int i = 0; i < namespaces; ++i) {
    ns_names.push_back(absl::StrCat(prefix, "-", i));
    (void)kube.Create(
        kNamespaces, "",
        {{"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", ns_names.back()}}}});
  }
  std::vector<RunRef> runs(n);
  for (int i = 0; i < n; ++i) {
    runs[i] = {i % 2 == 0 ? &kTaskRuns : &kPipelineRuns, ns_names[i % namespaces],
               absl::StrCat(i % 2 == 0 ? "tr-" : "pr-", i), ""};
  }

  // 1. Create.
  std::atomic<int> failures{0};
  absl::Time start = absl::Now();
  const bool reuse = args.count("reuse") > 0;
  Parallel(n, args["create-threads"].as<int>(), [&](int i) {
    absl::StatusOr<json> created = reuse
                                       ? kube.Get(*runs[i].ref, runs[i].ns, runs[i].name)
                                       : kube.Create(*runs[i].ref, runs[i].ns, MakeRun(runs[i], i));
    if (!created.ok()) {
      ++failures;
      return;
    }
    absl::StatusOr<watcher::TranslatedRun> t = watcher::TranslateRun(*created);
    if (t.ok()) runs[i].record = t->upsert.record().name();
  });
  const double create_s = absl::ToDoubleSeconds(absl::Now() - start);
  std::cout << absl::StrFormat("%s: %d runs in %.1f s (%.0f/s), %d failures",
                               reuse ? "read back" : "create", n, create_s, n / create_s,
                               failures.load())
            << std::endl;
  malloc_trim(0);
  const long rss_before = RssKb("VmRSS:");

  // 2. Cold start.
  watcher::GrpcRunSink sink(
      grpc::CreateChannel(args["server"].as<std::string>(), grpc::InsecureChannelCredentials()),
      "bench");
  watcher::ControllerOptions controller_options;
  controller_options.threadiness = args["threadiness"].as<int>();
  controller_options.namespaces = {};  // cluster-wide
  controller_options.disable_crd_update = args.count("disable-crd-update") > 0;
  controller_options.resync = reuse;  // a new server: the annotations describe an older one
  controller_options.log = [](const std::string& m) { std::cerr << "watcher: " << m << "\n"; };
  watcher::Controller controller(&kube, &sink, controller_options);
  absl::Notification stop;
  start = absl::Now();
  std::thread running([&] { controller.Run(stop); });
  auto wait_until = [&](const std::function<bool()>& done) {
    while (!done()) absl::SleepFor(absl::Milliseconds(20));
    return absl::ToDoubleSeconds(absl::Now() - start);
  };
  const uint64_t existing = static_cast<uint64_t>(n - failures);
  const double stored_s = wait_until([&] { return controller.stats().stored >= existing; });
  // Written back: every run's own patch has come back as an event (and was found stored).
  const double settled_s = wait_until([&] {
    return controller.waiting() == 0 &&
           (controller_options.disable_crd_update || controller.stats().unchanged >= existing);
  });
  const long rss_cold = RssKb("VmRSS:");
  watcher::ControllerStats s = controller.stats();
  std::cout
      << absl::StrFormat(
             "cold start: %d stored in %.1f s (%.0f/s) in %d batches; write-back done at %.1f s; "
             "%d patches; RSS %d MB (before the controller: %d MB, peak %d MB)",
             s.stored, stored_s, s.stored / stored_s, s.batches, settled_s, s.patches,
             rss_cold / 1024, rss_before / 1024, RssKb("VmHWM:") / 1024)
      << std::endl;

  // 3. Steady state.
  auto results = api::Results::NewStub(
      grpc::CreateChannel(args["server"].as<std::string>(), grpc::InsecureChannelCredentials()));
  const int rate = args["rate"].as<int>();
  const int total = rate * args["seconds"].as<int>();
  const int sample_every = args["sample-every"].as<int>();
  // Label values unique to this invocation, so a --reuse run changes what an earlier one set.
  const std::string epoch = absl::StrCat(absl::ToUnixSeconds(absl::Now()), "-");
  const uint64_t stored_before = controller.stats().stored;
  const uint64_t patches_before = controller.stats().patches;
  absl::Mutex mu;
  std::vector<double> lags_ms;
  std::vector<int> last_seq(n, 0);
  std::atomic<int> patch_failures{0};
  const absl::Time steady_start = absl::Now();
  Parallel(total, 32, [&](int k) {
    absl::SleepFor(steady_start + absl::Seconds(static_cast<double>(k) / rate) - absl::Now());
    const int i = k % n;
    const int seq = k / n + 1;
    if (!kube.MergePatch(*runs[i].ref, runs[i].ns, runs[i].name,
                         {{"metadata", {{"labels", {{"seq", absl::StrCat(epoch, seq)}}}}}})
             .ok()) {
      ++patch_failures;
      return;
    }
    const absl::Time patched = absl::Now();
    {
      absl::MutexLock lock(&mu);
      last_seq[i] = std::max(last_seq[i], seq);
    }
    if (k % sample_every != 0) return;
    const std::string want = absl::StrCat("\"seq\":\"", epoch, seq, "\"");
    while (absl::Now() - patched < absl::Seconds(30)) {
      grpc::ClientContext context;
      api::GetRecordRequest request;
      request.set_name(runs[i].record);
      api::Record record;
      if (results->GetRecord(&context, request, &record).ok() &&
          record.data().value().find(want) != std::string::npos) {
        absl::MutexLock lock(&mu);
        lags_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - patched));
        return;
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  const double steady_s = absl::ToDoubleSeconds(absl::Now() - steady_start);
  absl::SleepFor(absl::Seconds(3));
  s = controller.stats();
  std::cout << absl::StrFormat(
                   "steady: %d changes in %.1f s (%.0f/s offered, %d patch failures); %d stored; "
                   "lag over %d "
                   "samples p50 %.1f ms p99 %.1f ms max %.1f ms",
                   total, steady_s, total / steady_s, patch_failures.load(),
                   s.stored - stored_before, lags_ms.size(), Percentile(lags_ms, 0.5),
                   Percentile(lags_ms, 0.99), Percentile(lags_ms, 1.0))
            << std::endl;

  // 4. Lost or stored twice: every run's record holds its last label; one record per run.
  std::atomic<int> lost{0};
  Parallel(n, 8, [&](int i) {
    if (runs[i].record.empty()) return;
    grpc::ClientContext context;
    api::GetRecordRequest request;
    request.set_name(runs[i].record);
    api::Record record;
    // A run not changed in the steady phase must still be stored (with whatever label it had).
    const std::string want =
        last_seq[i] == 0 ? "" : absl::StrCat("\"seq\":\"", epoch, last_seq[i], "\"");
    if (!results->GetRecord(&context, request, &record).ok() ||
        record.data().value().find(want) == std::string::npos) {
      ++lost;
    }
  });
  size_t listed = 0;
  for (const std::string& ns : ns_names) {
    std::string token;
    do {
      grpc::ClientContext context;
      api::ListRecordsRequest request;
      request.set_parent(ns + "/results/-");
      request.set_page_size(10000);
      request.set_page_token(token);
      api::ListRecordsResponse response;
      grpc::Status status = results->ListRecords(&context, request, &response);
      if (!status.ok()) {
        std::cerr << "ListRecords: " << status.error_message() << "\n";
        break;
      }
      listed += response.records_size();
      token = response.next_page_token();
    } while (!token.empty());
  }
  std::cout << absl::StrFormat("check: %d runs, %d records listed, %d lost or stale\n", existing,
                               listed, lost.load());
  stop.Notify();
  running.join();
  return 0;
}

}  // namespace
}  // namespace runledger::bench

int main(int argc, char** argv) { return runledger::bench::Main(argc, argv); }
