// runledger-controller-bench: the watcher Controller against a real kube-apiserver (the kit in
// ../shared/tools/kube) and a real `runledger serve`, storing through gRPC as `runledger watch`
// does. Three phases, each timed on its own:
//   1. create:  --runs objects (half TaskRuns, half PipelineRuns, in --namespaces namespaces)
//               with --create-threads parallel POSTs (--create-only: stop after this);
//   2. cold:    start the Controller with all of them existing; time until every run is stored,
//               and until the write-back patches are done too; resident set size of this
//               process (which, after phase 1, is mostly the Controller), its CPU time, and
//               that of --cpu-pids (API server, etcd, server);
//      (--reuse: list the runs an earlier run created, and start the Controller with
//      --resync, for a new server; --disable-crd-update: without write-back patches)
//   3. steady:  --rate label changes per second for --seconds from --change-threads PATCH
//               connections, spread over the runs; for every --sample-every-th change, the
//               time from the PATCH's answer until GetRecord serves the new label
//               (change-to-queryable lag, p50/p99), and until the bench's own watch saw it
//               and the UpsertRuns carrying it was sent and answered (where the lag goes).
// Then it checks that every run is stored exactly once with its last state (lost / duplicated).
//
//   K=../shared/tools/kube; $K/start-cluster.sh /tmp/c; runledger serve --data-dir /tmp/d &
//   build/runledger-controller-bench --kubeconfig /tmp/c/kubeconfig --server 127.0.0.1:50051
#include <malloc.h>
#include <sys/resource.h>

#include <array>
#include <atomic>
#include <fstream>
#include <iostream>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
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

// User + system CPU seconds of this process so far.
double CpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// User + system CPU seconds of the processes `pids` (comma-separated; e.g. kube-apiserver, etcd
// and runledger serve) so far; 0 for none.
double ProcessesCpuSeconds(const std::string& pids) {
  double total = 0;
  for (absl::string_view pid : absl::StrSplit(pids, ',', absl::SkipEmpty())) {
    std::ifstream stat(absl::StrCat("/proc/", pid, "/stat"));
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    // Fields after the command's closing parenthesis: state is field 3, utime 14, stime 15.
    std::vector<std::string> fields = absl::StrSplit(text.substr(text.rfind(')') + 2), ' ');
    if (fields.size() > 12) total += (std::stod(fields[11]) + std::stod(fields[12])) / 100.0;
  }
  return total;
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

// Lists the existing runs page by page and hands each of `runs` to `note` with its object;
// returns how many of `runs` were not found.
int ReadBack(KubeClient& kube, std::vector<RunRef>* runs,
             const std::function<void(int, const json&)>& note) {
  absl::flat_hash_map<std::string, int> index;
  for (size_t i = 0; i < runs->size(); ++i) {
    const RunRef& run = (*runs)[i];
    index[absl::StrCat(run.ref->resource, "/", run.ns, "/", run.name)] = static_cast<int>(i);
  }
  int found = 0;
  for (const ResourceRef* ref : {&kTaskRuns, &kPipelineRuns}) {
    watcher::ListOptions page_options;
    page_options.limit = 500;
    do {
      absl::StatusOr<watcher::ListPage> page = kube.List(*ref, "", page_options);
      if (!page.ok()) break;
      for (const json& object : page->items) {
        auto it = index.find(absl::StrCat(ref->resource, "/", MetadataField(object, "namespace"),
                                          "/", MetadataField(object, "name")));
        if (it == index.end()) continue;
        note(it->second, object);
        ++found;
      }
      page_options.continue_token = page->continue_token;
    } while (!page_options.continue_token.empty());
  }
  return static_cast<int>(runs->size()) - found;
}

double Percentile(std::vector<double> values, double p) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  return values[std::min(values.size() - 1, static_cast<size_t>(p * values.size()))];
}

// Where a change is on its way to being queryable: when the probe's own watch saw it, and when
// the UpsertRuns call carrying it started and was answered. Keyed by the change's seq label.
class Trace {
 public:
  enum Point { kWatched, kSent, kAcked, kPoints };
  void Mark(Point point, const std::string& key, absl::Time at) {
    absl::MutexLock lock(&mu_);
    absl::Time& slot = points_[key][point];
    if (slot == absl::InfinitePast()) slot = at;
  }
  // The times of `key`, InfinitePast where unknown.
  std::array<absl::Time, kPoints> Get(const std::string& key) {
    absl::MutexLock lock(&mu_);
    auto it = points_.find(key);
    return it == points_.end() ? Times() : it->second;
  }

 private:
  struct Times : std::array<absl::Time, kPoints> {
    Times() { fill(absl::InfinitePast()); }
  };
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, Times> points_ ABSL_GUARDED_BY(mu_);
};

// The seq label in a run's JSON text (unique per change), or "" when there is none.
std::string TraceKey(absl::string_view json_text) {
  constexpr absl::string_view kSeq = "\"seq\":\"";
  const size_t at = json_text.find(kSeq);
  if (at == absl::string_view::npos) return "";
  const size_t begin = at + kSeq.size();
  return std::string(json_text.substr(begin, json_text.find('"', begin) - begin));
}

// A RunSink that marks when each change was sent and acknowledged.
class TracingSink : public watcher::RunSink {
 public:
  TracingSink(watcher::RunSink* inner, Trace* trace) : inner_(inner), trace_(trace) {}
  absl::StatusOr<std::vector<v1::RunUpsertResult>> UpsertRuns(
      const std::vector<v1::RunUpsert>& runs) override {
    const absl::Time sent = absl::Now();
    absl::StatusOr<std::vector<v1::RunUpsertResult>> outcome = inner_->UpsertRuns(runs);
    const absl::Time acked = absl::Now();
    if (!outcome.ok()) return outcome;
    for (const v1::RunUpsert& run : runs) {
      const std::string key = TraceKey(run.record().data().value());
      if (key.empty()) continue;
      trace_->Mark(Trace::kSent, key, sent);
      trace_->Mark(Trace::kAcked, key, acked);
    }
    return outcome;
  }

 private:
  watcher::RunSink* const inner_;
  Trace* const trace_;
};

int Main(int argc, char** argv) {
  cxxopts::Options options("runledger-controller-bench", "The watcher against a real cluster.");
  options.add_options()("kubeconfig", "The kit's DIR/kubeconfig.", cxxopts::value<std::string>())(
      "server", "A running runledger serve.", cxxopts::value<std::string>())(
      "runs", "Runs to create.", cxxopts::value<int>()->default_value("10000"))(
      "namespaces", "Namespaces to spread them over.", cxxopts::value<int>()->default_value("10"))(
      "create-threads", "Parallel POSTs.", cxxopts::value<int>()->default_value("16"))(
      "create-only", "Stop after creating the runs (for later --reuse runs).")(
      "threadiness", "Controller workers.", cxxopts::value<int>()->default_value("4"))(
      "reuse", "The runs exist already (an earlier run with the same --prefix): read them back.")(
      "disable-crd-update", "Run the controller without write-back patches.")(
      "rate", "Steady-state changes per second.", cxxopts::value<int>()->default_value("500"))(
      "seconds", "Steady-state duration.", cxxopts::value<int>()->default_value("20"))(
      "change-threads", "Parallel PATCHes in the steady state.",
      cxxopts::value<int>()->default_value("64"))("sample-every",
                                                  "Measure the lag of every n-th change.",
                                                  cxxopts::value<int>()->default_value("10"))(
      "cpu-pids", "Comma-separated PIDs (API server, etcd, server) whose CPU time to report.",
      cxxopts::value<std::string>()->default_value(""))(
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
  auto note_record = [&](int i, const json& object) {
    absl::StatusOr<watcher::TranslatedRun> t = watcher::TranslateRun(object);
    if (t.ok()) runs[i].record = t->upsert.record().name();
  };
  if (reuse) {
    failures = ReadBack(kube, &runs, note_record);
  } else {
    Parallel(n, args["create-threads"].as<int>(), [&](int i) {
      absl::StatusOr<json> created = kube.Create(*runs[i].ref, runs[i].ns, MakeRun(runs[i], i));
      if (created.ok()) {
        note_record(i, *created);
      } else {
        ++failures;
      }
    });
  }
  const double create_s = absl::ToDoubleSeconds(absl::Now() - start);
  std::cout << absl::StrFormat("%s: %d runs in %.1f s (%.0f/s), %d failures",
                               reuse ? "read back" : "create", n, create_s, n / create_s,
                               failures.load())
            << std::endl;
  if (args.count("create-only") > 0) return failures > 0 ? 1 : 0;
  malloc_trim(0);
  const long rss_before = RssKb("VmRSS:");

  // 2. Cold start.
  watcher::GrpcRunSink grpc_sink(
      grpc::CreateChannel(args["server"].as<std::string>(), grpc::InsecureChannelCredentials()),
      "bench");
  Trace trace;
  TracingSink sink(&grpc_sink, &trace);
  watcher::ControllerOptions controller_options;
  controller_options.threadiness = args["threadiness"].as<int>();
  controller_options.namespaces = {};  // cluster-wide
  controller_options.disable_crd_update = args.count("disable-crd-update") > 0;
  controller_options.resync = reuse;  // a new server: the annotations describe an older one
  controller_options.log = [](const std::string& m) { std::cerr << "watcher: " << m << "\n"; };
  watcher::Controller controller(&kube, &sink, controller_options);
  absl::Notification stop;
  start = absl::Now();
  const double cpu_before = CpuSeconds();
  const std::string cpu_pids = args["cpu-pids"].as<std::string>();
  const double others_before = ProcessesCpuSeconds(cpu_pids);
  std::thread running([&] { controller.Run(stop); });
  auto wait_until = [&](const std::function<bool()>& done) {
    while (!done()) absl::SleepFor(absl::Milliseconds(20));
    return absl::ToDoubleSeconds(absl::Now() - start);
  };
  const uint64_t existing = static_cast<uint64_t>(n - failures);
  const double stored_s = wait_until([&] { return controller.stats().stored >= existing; });
  std::cout << absl::StrFormat(
                   "stored: %d runs in %.1f s; RSS %d MB, peak %d MB, %d write-backs "
                   "waiting",
                   existing, stored_s, RssKb("VmRSS:") / 1024, RssKb("VmHWM:") / 1024,
                   controller.stats().stored - controller.stats().followed_up)
            << std::endl;
  // Written back: every stored run's patch is made (or none was needed).
  const double settled_s = wait_until([&] {
    const watcher::ControllerStats now = controller.stats();
    return now.followed_up >= now.stored + now.unchanged;
  });
  const long rss_cold = RssKb("VmRSS:");
  watcher::ControllerStats s = controller.stats();
  std::cout
      << absl::StrFormat(
             "cold start: %d stored in %.1f s (%.0f/s) in %d batches; write-back done at %.1f s; "
             "%d patches; RSS %d MB (before the controller: %d MB, peak %d MB); controller CPU "
             "%.1f s (%.0f us/run)",
             s.stored, stored_s, s.stored / stored_s, s.batches, settled_s, s.patches,
             rss_cold / 1024, rss_before / 1024, RssKb("VmHWM:") / 1024, CpuSeconds() - cpu_before,
             (CpuSeconds() - cpu_before) * 1e6 / std::max<uint64_t>(1, s.stored))
      << std::endl;
  if (!cpu_pids.empty()) {
    std::cout << absl::StrFormat("  --cpu-pids CPU in the cold start: %.1f s\n",
                                 ProcessesCpuSeconds(cpu_pids) - others_before);
  }

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
  // A watch of its own sees each change about when the controller's does.
  absl::Notification probe_stop;
  std::vector<std::thread> probes;
  for (const ResourceRef* ref : {&kTaskRuns, &kPipelineRuns}) {
    probes.emplace_back([&, ref] {
      watcher::ListOptions first;
      first.limit = 1;
      watcher::WatchOptions watch;
      watch.resource_version = kube.List(*ref, "", first)->resource_version;
      (void)kube.Watch(
          *ref, "", watch,
          [&](watcher::WatchEvent event) {
            const std::string key = TraceKey(event.object.dump());
            if (!key.empty()) trace.Mark(Trace::kWatched, key, absl::Now());
            return absl::OkStatus();
          },
          &probe_stop);
    });
  }
  absl::Mutex mu;
  // Per sampled change, the milliseconds from the PATCH's answer to each point of its way.
  std::vector<double> lags_ms, watched_ms, sent_ms, acked_ms;
  std::vector<int> last_change(n, -1);
  std::atomic<int> patch_failures{0};
  const double steady_cpu_before = ProcessesCpuSeconds(cpu_pids);
  const absl::Time steady_start = absl::Now();
  Parallel(total, args["change-threads"].as<int>(), [&](int k) {
    absl::SleepFor(steady_start + absl::Seconds(static_cast<double>(k) / rate) - absl::Now());
    const int i = k % n;
    const std::string label = absl::StrCat(epoch, k);
    if (!kube.MergePatch(*runs[i].ref, runs[i].ns, runs[i].name,
                         {{"metadata", {{"labels", {{"seq", label}}}}}})
             .ok()) {
      ++patch_failures;
      return;
    }
    const absl::Time patched = absl::Now();
    {
      absl::MutexLock lock(&mu);
      last_change[i] = std::max(last_change[i], k);
    }
    if (k % sample_every != 0) return;
    const std::string want = absl::StrCat("\"seq\":\"", label, "\"");
    while (absl::Now() - patched < absl::Seconds(30)) {
      grpc::ClientContext context;
      api::GetRecordRequest request;
      request.set_name(runs[i].record);
      api::Record record;
      if (results->GetRecord(&context, request, &record).ok() &&
          record.data().value().find(want) != std::string::npos) {
        const absl::Time queryable = absl::Now();
        const auto points = trace.Get(label);
        absl::MutexLock lock(&mu);
        lags_ms.push_back(absl::ToDoubleMilliseconds(queryable - patched));
        for (auto [point, ms] :
             {std::pair{Trace::kWatched, &watched_ms}, std::pair{Trace::kSent, &sent_ms},
              std::pair{Trace::kAcked, &acked_ms}}) {
          if (points[point] != absl::InfinitePast()) {
            ms->push_back(absl::ToDoubleMilliseconds(points[point] - patched));
          }
        }
        return;
      }
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  const double steady_s = absl::ToDoubleSeconds(absl::Now() - steady_start);
  absl::SleepFor(absl::Seconds(3));
  probe_stop.Notify();
  for (std::thread& probe : probes) probe.join();
  s = controller.stats();
  std::cout << absl::StrFormat(
                   "steady: %d changes in %.1f s (%.0f/s offered, %d patch failures); %d stored; "
                   "lag over %d "
                   "samples p50 %.1f ms p99 %.1f ms max %.1f ms",
                   total, steady_s, total / steady_s, patch_failures.load(),
                   s.stored - stored_before, lags_ms.size(), Percentile(lags_ms, 0.5),
                   Percentile(lags_ms, 0.99), Percentile(lags_ms, 1.0))
            << std::endl;
  if (!cpu_pids.empty()) {
    std::cout << absl::StrFormat(
        "  --cpu-pids CPU in the steady state: %.1f s (%.2f ms per change)\n",
        ProcessesCpuSeconds(cpu_pids) - steady_cpu_before,
        (ProcessesCpuSeconds(cpu_pids) - steady_cpu_before) * 1e3 / total);
  }
  for (const auto& [what, ms] :
       {std::pair{"seen by a watch", &watched_ms}, std::pair{"UpsertRuns sent", &sent_ms},
        std::pair{"UpsertRuns answered", &acked_ms}}) {
    std::cout << absl::StrFormat("  after the PATCH's answer, %s: p50 %.1f ms p99 %.1f ms\n", what,
                                 Percentile(*ms, 0.5), Percentile(*ms, 0.99));
  }

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
        last_change[i] < 0 ? "" : absl::StrCat("\"seq\":\"", epoch, last_change[i], "\"");
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
      request.set_page_size(1000);
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
