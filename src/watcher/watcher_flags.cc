#include "src/watcher/watcher_flags.h"

#include <unistd.h>

#include <iostream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"

namespace runledger::watcher {
namespace {

absl::StatusOr<absl::Duration> DurationFlag(const cxxopts::ParseResult& args, const char* flag) {
  absl::Duration duration;
  const std::string text = args[flag].as<std::string>();
  if (!absl::ParseDuration(text, &duration)) {
    return absl::InvalidArgumentError(
        absl::StrCat("--", flag, ": \"", text, "\" is not a duration (e.g. 90s, 10m, 1h30m)"));
  }
  return duration;
}

std::vector<std::string> ListFlag(const cxxopts::ParseResult& args, const char* flag) {
  std::vector<std::string> values;
  for (const std::string& value : args[flag].as<std::vector<std::string>>()) {
    for (absl::string_view part : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      values.emplace_back(part);
    }
  }
  return values;
}

std::string DefaultWatcherId() {
  char host[256] = {};
  gethostname(host, sizeof(host) - 1);
  return host[0] != '\0' ? host : "watcher";
}

}  // namespace

void AddWatcherFlags(cxxopts::Options& options) {
  options.add_options("watcher")(
      "kubeconfig",
      "Kubeconfig file(s), `:`-separated; default: in-cluster config, else $KUBECONFIG, else "
      "~/.kube/config.",
      cxxopts::value<std::string>()->default_value(""))(
      "context", "Kubeconfig context (default: its current-context).",
      cxxopts::value<std::string>()->default_value(""))(
      "namespace", "Watch only these namespaces (repeatable or comma-separated); default all.",
      cxxopts::value<std::vector<std::string>>()->default_value({}))(
      "watcher_id", "Name of this watcher in stored events (source \"watcher:<id>\").",
      cxxopts::value<std::string>()->default_value(DefaultWatcherId()))(
      "threadiness", "Workers storing runs.", cxxopts::value<int>()->default_value("4"))(
      "batch_size", "Most runs stored by one UpsertRuns call (ready runs are coalesced).",
      cxxopts::value<int>()->default_value("100"))(
      "patch_threads", "Threads writing annotations and finalizers back on runs.",
      cxxopts::value<int>()->default_value("16"))(
      "write_back_backlog",
      "Stored runs that may wait for their write-back patches (storing pauses beyond).",
      cxxopts::value<int>()->default_value("100000"))(
      "max_queued", "Objects waiting to be stored, at most (the watches wait beyond).",
      cxxopts::value<int>()->default_value("10000"))(
      "disable_crd_update",
      "Write nothing back on runs: no annotations, no finalizers (restarts then resend every "
      "run, which the server stores as no change).",
      cxxopts::value<bool>()->default_value("false"))(
      "resync",
      "Ignore the runledger.dev/stored-hash annotations and send every run once (after pointing "
      "the watcher at another server).",
      cxxopts::value<bool>()->default_value("false"))(
      "disable_storing_incomplete_runs", "Store runs only once they are done.",
      cxxopts::value<bool>()->default_value("false"))(
      "completed_run_grace_period",
      "Delete completed runs this long after completion once stored: 0 never, negative at once.",
      cxxopts::value<std::string>()->default_value("0s"))(
      "check_owner", "Do not delete completed runs that have any owner.",
      cxxopts::value<bool>()->default_value("true"))(
      "label_selector", "Delete only completed runs matching this label selector.",
      cxxopts::value<std::string>()->default_value(""))(
      "requeue_interval", "Wait before checking again a PipelineRun whose children are not stored.",
      cxxopts::value<std::string>()->default_value("10m"))(
      "store_deadline",
      "Longest a run being deleted is kept (by its finalizer) after completion while it cannot "
      "be stored.",
      cxxopts::value<std::string>()->default_value("10m"))(
      "forward_buffer",
      "Keep a deleted TaskRun this long after completion for an external log forwarder "
      "(upstream: 150s).",
      cxxopts::value<std::string>()->default_value("0s"))(
      "managed_by_values", "spec.managedBy values accepted besides tekton.dev/pipeline.",
      cxxopts::value<std::vector<std::string>>()->default_value({}))(
      "summary_labels", "Labels copied into the Result's annotations for top-level runs.",
      cxxopts::value<std::vector<std::string>>()->default_value({"tekton.dev/pipeline"}))(
      "max_retry_backoff", "Cap of the backoff between retries of a failed store or patch.",
      cxxopts::value<std::string>()->default_value("10s"));
}

absl::StatusOr<WatcherSetup> WatcherSetupFromFlags(const cxxopts::ParseResult& args) {
  WatcherSetup setup;
  const std::string kubeconfig = args["kubeconfig"].as<std::string>();
  absl::StatusOr<KubeConfig> kube =
      kubeconfig.empty() ? DefaultKubeConfig()
                         : LoadKubeconfig(kubeconfig, args["context"].as<std::string>());
  if (!kube.ok()) return kube.status();
  setup.kube = *std::move(kube);
  setup.watcher_id = args["watcher_id"].as<std::string>();

  ControllerOptions& options = setup.controller;
  options.namespaces = ListFlag(args, "namespace");
  options.threadiness = args["threadiness"].as<int>();
  options.batch_size = args["batch_size"].as<int>();
  options.patch_threads = args["patch_threads"].as<int>();
  options.write_back_backlog = args["write_back_backlog"].as<int>();
  options.max_queued = args["max_queued"].as<int>();
  if (options.threadiness < 1 || options.batch_size < 1 || options.patch_threads < 1 ||
      options.write_back_backlog < 1 || options.max_queued < 1) {
    return absl::InvalidArgumentError(
        "--threadiness, --batch_size, --patch_threads, --write_back_backlog and --max_queued must "
        "be at least 1");
  }
  options.disable_crd_update = args["disable_crd_update"].as<bool>();
  options.disable_storing_incomplete_runs = args["disable_storing_incomplete_runs"].as<bool>();
  options.resync = args["resync"].as<bool>();
  LifecycleOptions& lifecycle = options.lifecycle;
  for (auto [flag, target] :
       {std::pair{"completed_run_grace_period", &lifecycle.completed_run_grace_period},
        std::pair{"requeue_interval", &lifecycle.requeue_interval},
        std::pair{"store_deadline", &lifecycle.store_deadline},
        std::pair{"forward_buffer", &lifecycle.forward_buffer},
        std::pair{"max_retry_backoff", &options.max_retry_backoff}}) {
    absl::StatusOr<absl::Duration> duration = DurationFlag(args, flag);
    if (!duration.ok()) return duration.status();
    *target = *duration;
  }
  lifecycle.check_owner = args["check_owner"].as<bool>();
  absl::StatusOr<LabelSelector> selector =
      LabelSelector::Parse(args["label_selector"].as<std::string>());
  if (!selector.ok()) return selector.status();
  lifecycle.label_selector = *std::move(selector);
  lifecycle.managed_by_values = ListFlag(args, "managed_by_values");
  options.translation.summary_labels = ListFlag(args, "summary_labels");
  options.log = [](const std::string& message) {
    std::cerr << "runledger watch: " << message << std::endl;
  };
  return setup;
}

}  // namespace runledger::watcher
