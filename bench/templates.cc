#include "bench/templates.h"

#include <time.h>

#include <ctime>
#include <tuple>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace runledger::bench {
namespace {

using ordered_json = nlohmann::ordered_json;

// --- Randomness and small formatters. ---

// SplitMix64: tiny, fast and seedable, so documents are reproducible per (seed, index).
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t operator()() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  // Uniform enough in [0, n) for test data; n > 0.
  uint64_t Below(uint64_t n) { return (*this)() % n; }
  bool Percent(int p) { return Below(100) < static_cast<uint64_t>(p); }
  template <typename T, size_t N>
  const T& Pick(const T (&items)[N]) {
    return items[Below(N)];
  }

 private:
  uint64_t state_;
};

uint64_t Mix(uint64_t x) { return Rng(x)(); }

std::string Hex(Rng& rng, int digits) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(digits, '0');
  uint64_t bits = 0;
  for (int i = 0; i < digits; ++i) {
    if (i % 16 == 0) bits = rng();
    out[i] = kDigits[bits & 15];
    bits >>= 4;
  }
  return out;
}

// A random version 4 UUID, lowercase and hyphenated like Kubernetes uids.
std::string Uuid(Rng& rng) {
  std::string h = Hex(rng, 32);
  h[12] = '4';
  h[16] = "89ab"[rng() & 3];
  return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-",
                      h.substr(16, 4), "-", h.substr(20));
}

// The 5-character suffix Kubernetes appends for metadata.generateName.
std::string NameSuffix(Rng& rng) {
  static constexpr char kAlphabet[] = "bcdfghjklmnpqrstvwxz2456789";
  std::string out(5, 'x');
  for (char& c : out) c = kAlphabet[rng.Below(sizeof(kAlphabet) - 1)];
  return out;
}

std::string Rfc3339(int64_t unix_seconds) {
  std::time_t t = unix_seconds;
  std::tm tm;
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// Appends `"key":"value"` to the body of a JSON object. Neither needs escaping here.
void AddMember(std::string* object, absl::string_view key, absl::string_view value) {
  if (!object->empty()) object->push_back(',');
  absl::StrAppend(object, "\"", key, "\":\"", value, "\"");
}

// Appends one already-encoded element to the body of a JSON array.
void AddElement(std::string* array, absl::string_view element) {
  if (!array->empty()) array->push_back(',');
  array->append(element.data(), element.size());
}

// An escaped double quote, for messages that quote names inside a JSON string.
constexpr absl::string_view kQ = "\\\"";

// --- Templates. ---

// Values for a template's ${name} placeholders. Lookup is linear: a document has ~30.
class Vars {
 public:
  // `name` must outlive the Vars (in practice it is a string literal).
  void Set(absl::string_view name, std::string value) {
    for (auto& [key, old] : entries_) {
      if (key == name) {
        old = std::move(value);
        return;
      }
    }
    entries_.emplace_back(name, std::move(value));
  }
  absl::string_view Get(absl::string_view name) const {
    for (const auto& [key, value] : entries_) {
      if (key == name) return value;
    }
    // Invalid anywhere in JSON, so the bench's start-up parse of sample documents catches a
    // placeholder nobody set.
    return "\x01";
  }

 private:
  std::vector<std::pair<absl::string_view, std::string>> entries_;
};

// JSON text with ${name} placeholders. The constructor strips whitespace outside strings (the
// watcher stores compact JSON) and splits the text at placeholders, so rendering is appends.
class Template {
 public:
  explicit Template(absl::string_view text) {
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
      if (text.substr(i, 2) == "${") {
        size_t end = text.find('}', i);
        pieces_.push_back({std::move(literal_), std::string(text.substr(i + 2, end - i - 2))});
        literal_.clear();
        i = end;
        continue;
      }
      char c = text[i];
      if (in_string && c == '\\') {
        literal_.append(text.data() + i++, 2);
        continue;
      }
      if (c == '"') in_string = !in_string;
      if (in_string || !absl::ascii_isspace(static_cast<unsigned char>(c))) literal_ += c;
    }
  }

  std::string Render(const Vars& vars) const {
    std::string out;
    out.reserve(6144);
    for (const Piece& piece : pieces_) {
      absl::StrAppend(&out, piece.literal, vars.Get(piece.var));
    }
    out += literal_;
    return out;
  }

 private:
  struct Piece {
    std::string literal;  // text before the placeholder
    std::string var;
  };
  std::vector<Piece> pieces_;
  std::string literal_;  // text after the last placeholder
};

constexpr absl::string_view kPipelineRunText = R"json({
  "apiVersion": "tekton.dev/v1",
  "kind": "PipelineRun",
  "metadata": {
    "name": "${name}",
    "generateName": "${pipeline}-",
    "namespace": "${namespace}",
    "uid": "${uid}",
    "resourceVersion": "${resource_version}",
    "generation": 1,
    "creationTimestamp": "${created}",
    "labels": {${labels}},
    "annotations": {${annotations}},
    "finalizers": ["results.tekton.dev/pipelinerun", "chains.tekton.dev/pipelinerun"]
  },
  "spec": {
    "pipelineRef": {"name": "${pipeline}"},
    "params": [${params}],
    "timeouts": {"pipeline": "${timeout}"},
    "taskRunTemplate": {
      "serviceAccountName": "${service_account}",
      "podTemplate": {
        "nodeSelector": {"kubernetes.io/arch": "${arch}"},
        "securityContext": {"fsGroup": 65532}
      }
    },
    "workspaces": [
      {
        "name": "source",
        "volumeClaimTemplate": {
          "metadata": {"creationTimestamp": null},
          "spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "${storage}"}}
          },
          "status": {}
        }
      },
      {"name": "registry-credentials", "secret": {"secretName": "${namespace}-registry-push"}}
    ]
  },
  "status": {
    "startTime": "${start}",${completion}
    "conditions": [{
      "type": "Succeeded",
      "status": "${condition_status}",
      "reason": "${reason}",
      "lastTransitionTime": "${transition}",
      "message": "${message}"
    }],
    "pipelineSpec": ${pipeline_spec},
    "childReferences": [${children}],
    "provenance": {
      "refSource": {
        "uri": "git+${git-url}.git",
        "digest": {"sha1": "${revision}"},
        "entryPoint": ".tekton/${pipeline}.yaml"
      },
      "featureFlags": ${feature_flags}
    }
  }
})json";

constexpr absl::string_view kTaskRunText = R"json({
  "apiVersion": "tekton.dev/v1",
  "kind": "TaskRun",
  "metadata": {
    "name": "${name}",
    "namespace": "${namespace}",
    "uid": "${uid}",
    "resourceVersion": "${resource_version}",
    "generation": 1,
    "creationTimestamp": "${start}",
    "labels": {${labels}},
    "annotations": {${annotations}},
    "ownerReferences": [{
      "apiVersion": "tekton.dev/v1",
      "kind": "PipelineRun",
      "name": "${pipelinerun}",
      "uid": "${pipelinerun_uid}",
      "controller": true,
      "blockOwnerDeletion": true
    }],
    "finalizers": ["chains.tekton.dev"]
  },
  "spec": {
    "params": [${params}],
    "taskRef": {"kind": "Task", "name": "${task}"},
    "serviceAccountName": "${service_account}",
    "timeout": "${timeout}",
    "podTemplate": {
      "nodeSelector": {"kubernetes.io/arch": "${arch}"},
      "securityContext": {"fsGroup": 65532}
    },
    "workspaces": [{"name": "source", "persistentVolumeClaim": {"claimName": "${pvc}"}}]
  },
  "status": {
    "podName": "${name}-pod",
    "startTime": "${start}",
    "completionTime": "${end}",
    "conditions": [{
      "type": "Succeeded",
      "status": "${condition_status}",
      "reason": "${reason}",
      "lastTransitionTime": "${end}",
      "message": "${message}"
    }],
    "steps": [${steps}],
    "results": [${results}],
    "taskSpec": ${task_spec},
    "provenance": {
      "refSource": {
        "uri": "oci://gcr.io/tekton-releases/catalog/upstream/${task}",
        "digest": {"sha256": "${task_digest}"},
        "entryPoint": "${task}"
      },
      "featureFlags": ${feature_flags}
    }
  }
})json";

// As the Tekton controller records them in provenance.
constexpr absl::string_view kFeatureFlags =
    R"({"RunningInEnvWithInjectedSidecars":true,"EnableAPIFields":"beta",)"
    R"("AwaitSidecarReadiness":true,"EnforceNonfalsifiability":"none",)"
    R"("VerificationNoMatchPolicy":"ignore","EnableProvenanceInStatus":true,)"
    R"("ResultExtractionMethod":"termination-message","MaxResultSize":4096,)"
    R"("SetSecurityContext":false,"Coschedule":"workspaces","EnableStepActions":true})";

const Template& PipelineRunTemplate() {
  static const Template* t = new Template(kPipelineRunText);
  return *t;
}

const Template& TaskRunTemplate() {
  static const Template* t = new Template(kTaskRunText);
  return *t;
}

// --- The catalog: Tasks and Pipelines the generated runs use. ---

// Run variables (per PipelineRun): the pipeline's params, then values its tasks report.
constexpr absl::string_view kPipelineParams[] = {
    "git-url", "revision", "branch", "output-image", "path-context", "dockerfile", "deploy-env"};

// Maps a task's param or result to a run variable.
struct Binding {
  absl::string_view name;
  absl::string_view var;
};

struct StepDef {
  absl::string_view name;
  absl::string_view image;  // repository, without tag or digest
  absl::string_view tag;
  absl::string_view script;
};

struct TaskKind {
  absl::string_view name;
  std::vector<Binding> params;  // every var is one of kPipelineParams
  std::vector<StepDef> steps;
  std::vector<Binding> results;
};

const std::vector<TaskKind>& TaskKinds() {
  static const auto* kinds = new std::vector<TaskKind>{
      {"git-clone",
       {{"url", "git-url"}, {"revision", "revision"}},
       {{"clone", "gcr.io/tekton-releases/github.com/tektoncd/pipeline/cmd/git-init", "v0.40.2",
         "#!/usr/bin/env sh\nset -eu\nCHECKOUT_DIR=\"$(workspaces.output.path)/$(params.subdir)\""
         "\n/ko-app/git-init -url=\"$(params.url)\" -revision=\"$(params.revision)\" "
         "-path=\"$CHECKOUT_DIR\" -sslVerify=true -submodules=true -depth=1\ncd \"$CHECKOUT_DIR\""
         "\nRESULT_SHA=\"$(git rev-parse HEAD)\"\nprintf \"%s\" \"${RESULT_SHA}\" > "
         "\"$(results.commit.path)\"\nprintf \"%s\" \"$(params.url)\" > "
         "\"$(results.url.path)\"\n"}},
       {{"commit", "revision"}, {"url", "git-url"}, {"committer-date", "committer-date"}}},
      {"golangci-lint",
       {{"package", "path-context"}},
       {{"lint", "docker.io/golangci/golangci-lint", "v1.55.2",
         "#!/usr/bin/env bash\nset -euo pipefail\ncd \"$(workspaces.source.path)\"\n"
         "golangci-lint run --timeout 10m --out-format colored-line-number "
         "\"$(params.package)/...\"\n"}},
       {}},
      {"golang-test",
       {{"package", "path-context"}},
       {{"unit-test", "docker.io/library/golang", "1.22.1",
         "#!/usr/bin/env bash\nset -euo pipefail\ncd \"$(workspaces.source.path)\"\n"
         "go test -race -count=1 -coverprofile=/tekton/home/cover.out "
         "\"./$(params.package)/...\"\n"},
        {"coverage-report", "docker.io/library/golang", "1.22.1",
         "#!/usr/bin/env bash\nset -euo pipefail\ngo tool cover -func=/tekton/home/cover.out | "
         "tail -n1 | awk '{print $3}' | tr -d '\\n' > \"$(results.coverage.path)\"\n"}},
       {{"coverage", "coverage"}}},
      {"buildah",
       {{"IMAGE", "output-image"}, {"CONTEXT", "path-context"}, {"DOCKERFILE", "dockerfile"}},
       {{"build", "quay.io/buildah/buildah", "v1.35.0",
         "#!/usr/bin/env bash\nset -euo pipefail\nbuildah --storage-driver=overlay bud "
         "--format=oci "
         "--tls-verify=true --no-cache -f \"$(params.DOCKERFILE)\" -t \"$(params.IMAGE)\" "
         "\"$(params.CONTEXT)\"\n"},
        {"push", "quay.io/buildah/buildah", "v1.35.0",
         "#!/usr/bin/env bash\nset -euo pipefail\nbuildah --storage-driver=overlay push "
         "--tls-verify=true --digestfile /tmp/image-digest \"$(params.IMAGE)\" "
         "\"docker://$(params.IMAGE)\"\n"},
        {"digest-to-results", "registry.access.redhat.com/ubi9/ubi-minimal", "9.3",
         "#!/usr/bin/env sh\ncat /tmp/image-digest | tee \"$(results.IMAGE_DIGEST.path)\"\n"
         "echo -n \"$(params.IMAGE)\" | tee \"$(results.IMAGE_URL.path)\"\n"}},
       {{"IMAGE_DIGEST", "image-digest"}, {"IMAGE_URL", "output-image"}}},
      {"trivy-scanner",
       {{"IMAGE_PATH", "output-image"}},
       {{"trivy-scan", "docker.io/aquasec/trivy", "0.50.1",
         "#!/usr/bin/env sh\nset -eu\ntrivy image --exit-code 0 --severity CRITICAL,HIGH "
         "--format json --output /tekton/home/scan.json \"$(params.IMAGE_PATH)\"\n"
         "jq -r '[.Results[].Vulnerabilities // [] | length] | add' /tekton/home/scan.json > "
         "\"$(results.SCAN_SUMMARY.path)\"\n"}},
       {{"SCAN_SUMMARY", "scan-summary"}}},
      {"cosign-sign",
       {{"image", "output-image"}},
       {{"sign", "gcr.io/projectsigstore/cosign", "v2.2.3",
         "#!/usr/bin/env sh\nset -eu\ncosign sign --yes --key k8s://tekton-chains/signing-secrets "
         "--tlog-upload=false \"$(params.image)\"\n"}},
       {}},
      {"syft-sbom",
       {{"IMAGE", "output-image"}},
       {{"generate", "docker.io/anchore/syft", "v1.0.1",
         "#!/usr/bin/env sh\nset -eu\nsyft \"$(params.IMAGE)\" -o cyclonedx-json="
         "/tekton/home/sbom.json\n"},
        {"attach", "gcr.io/projectsigstore/cosign", "v2.2.3",
         "#!/usr/bin/env sh\nset -eu\ncosign attest --yes --predicate /tekton/home/sbom.json "
         "--type cyclonedx --key k8s://tekton-chains/signing-secrets \"$(params.IMAGE)\"\n"}},
       {{"SBOM_DIGEST", "image-digest"}}},
      {"kubernetes-deploy",
       {{"image", "output-image"}, {"environment", "deploy-env"}, {"revision", "revision"}},
       {{"render", "registry.k8s.io/kustomize/kustomize", "v5.3.0",
         "#!/usr/bin/env sh\nset -eu\ncd \"$(workspaces.source.path)/deploy/overlays/"
         "$(params.environment)\"\nkustomize edit set image app=\"$(params.image)\"\n"
         "kustomize build . > /tekton/home/manifests.yaml\n"},
        {"apply", "docker.io/bitnami/kubectl", "1.29.2",
         "#!/usr/bin/env sh\nset -eu\nkubectl apply --server-side -f /tekton/home/manifests.yaml\n"
         "kubectl annotate --overwrite -f /tekton/home/manifests.yaml "
         "acme.dev/revision=\"$(params.revision)\"\n"}},
       {}},
      {"integration-tests",
       {{"environment", "deploy-env"}, {"revision", "revision"}, {"branch", "branch"}},
       {{"wait-for-rollout", "docker.io/bitnami/kubectl", "1.29.2",
         "#!/usr/bin/env sh\nset -eu\nkubectl rollout status deployment --timeout=10m "
         "-l app.kubernetes.io/instance=\"$(params.environment)\"\n"},
        {"run-tests", "docker.io/library/golang", "1.22.1",
         "#!/usr/bin/env bash\nset -euo pipefail\ncd \"$(workspaces.source.path)\"\n"
         "go test -tags=integration -count=1 ./test/integration/... "
         "-args -env=\"$(params.environment)\" -revision=\"$(params.revision)\"\n"}},
       {}},
      {"send-to-webhook-slack",
       {{"message", "branch"}},
       {{"post", "docker.io/curlimages/curl", "8.6.0",
         "#!/usr/bin/env sh\nset -eu\ncurl -sf -X POST -H 'Content-Type: application/json' "
         "--data \"{\\\"text\\\": \\\"$(params.message)\\\"}\" \"$(cat /var/secret/url)\"\n"}},
       {}},
  };
  return *kinds;
}

// A pipeline's tasks start with git-clone; the rest rotate through the other kinds.
std::vector<int> PipelineTaskKinds(int pipeline, int count) {
  const int others = static_cast<int>(TaskKinds().size()) - 1;
  std::vector<int> kinds;
  for (int i = 0; i < count; ++i) kinds.push_back(i == 0 ? 0 : 1 + (pipeline + i - 1) % others);
  return kinds;
}

ordered_json TaskSpecJson(const TaskKind& kind) {
  ordered_json params = ordered_json::array();
  for (const Binding& b : kind.params) {
    params.push_back({{"name", std::string(b.name)}, {"type", "string"}});
  }
  ordered_json steps = ordered_json::array();
  for (const StepDef& s : kind.steps) {
    steps.push_back({{"name", std::string(s.name)},
                     {"image", absl::StrCat(s.image, ":", s.tag)},
                     {"script", std::string(s.script)},
                     {"computeResources", {{"requests", {{"cpu", "250m"}, {"memory", "512Mi"}}}}},
                     {"securityContext", {{"runAsNonRoot", true}, {"runAsUser", 65532}}}});
  }
  ordered_json results = ordered_json::array();
  for (const Binding& b : kind.results) {
    results.push_back({{"name", std::string(b.name)},
                       {"type", "string"},
                       {"description", absl::StrCat("The ", b.var, " this Task produced.")}});
  }
  return {{"params", params},
          {"steps", steps},
          {"results", results},
          {"workspaces", {{{"name", "source"}, {"description", "The checked-out sources."}}}}};
}

ordered_json PipelineTaskJson(const TaskKind& kind, absl::string_view name,
                              absl::string_view run_after) {
  ordered_json params = ordered_json::array();
  for (const Binding& b : kind.params) {
    params.push_back(
        {{"name", std::string(b.name)}, {"value", absl::StrCat("$(params.", b.var, ")")}});
  }
  ordered_json task = {{"name", std::string(name)},
                       {"taskRef", {{"kind", "Task"}, {"name", std::string(kind.name)}}},
                       {"params", params},
                       {"workspaces", {{{"name", "source"}, {"workspace", "source"}}}}};
  if (!run_after.empty()) task["runAfter"] = {std::string(run_after)};
  return task;
}

constexpr absl::string_view kTeams[] = {"payments", "checkout",   "search", "platform",
                                        "identity", "billing",    "mobile", "data-eng",
                                        "ml-infra", "storefront", "growth", "security"};
constexpr absl::string_view kActions[] = {"build", "test",    "release", "deploy",  "verify",
                                          "scan",  "nightly", "promote", "publish", "e2e"};
constexpr absl::string_view kComponents[] = {"api", "web", "worker", "operator", "cli"};
constexpr absl::string_view kContexts[] = {".", "cmd/server", "services/core", "app"};

constexpr absl::string_view kUsers[] = {"alice-w", "bob-k",   "carol-m",  "dave-r",   "erin-l",
                                        "frank-o", "grace-h", "heidi-p",  "ivan-s",   "judy-t",
                                        "mallory", "niaj-b",  "olivia-c", "peggy-d",  "rupert",
                                        "sybil-f", "trent-g", "victor-j", "walter-n", "yuki-q"};
constexpr absl::string_view kCommitTitles[] = {"Bump golang.org/x/net from 0.23.0 to 0.25.0",
                                               "Fix flaky retry test in the scheduler",
                                               "Add pagination to the orders endpoint",
                                               "Refactor config loading into its own package",
                                               "Update base image to ubi9-minimal 9.3",
                                               "Tune connection pool limits for peak traffic",
                                               "Remove deprecated v1beta1 client",
                                               "Add metrics for queue latency",
                                               "Handle empty payloads in webhook receiver",
                                               "Pin buildah to v1.35.0",
                                               "Make the cache TTL configurable",
                                               "Document the release process"};

struct Outcome {
  absl::string_view reason;  // the PipelineRun's Succeeded condition reason
  int percent;               // share of finished PipelineRuns
};
constexpr Outcome kOutcomes[] = {
    {"Succeeded", 78}, {"Failed", 14}, {"Cancelled", 5}, {"PipelineRunTimeout", 3}};

// Fixed "now" for generated data; creation times fall in the 90 days before it.
constexpr int64_t kNow = 1748736000;  // 2025-06-01T00:00:00Z
constexpr int64_t kSpreadSeconds = 90 * 86400;

absl::string_view PickOutcome(Rng& rng) {
  int roll = static_cast<int>(rng.Below(100));
  for (const Outcome& o : kOutcomes) {
    if (roll < o.percent) return o.reason;
    roll -= o.percent;
  }
  return kOutcomes[0].reason;
}

}  // namespace

struct TaskDef {
  const TaskKind* kind;
  std::string task_spec;                         // status.taskSpec, fixed per Task
  std::vector<std::vector<std::string>> images;  // [step][version] image ids with digest
  std::string bundle_digest;
};

struct PipelineDef {
  std::string name;
  absl::string_view component;
  absl::string_view context;
  std::vector<int> tasks;  // index into RecordFactory::tasks_, per pipeline task
  std::vector<std::string> task_names;
  std::string pipeline_spec;  // status.pipelineSpec, fixed per Pipeline
};

namespace {

// Three image versions per step, so image ids change over the 90 days like real rollouts.
constexpr int kImageVersions = 3;

TaskDef MakeTaskDef(const TaskKind& kind, Rng& rng) {
  TaskDef def{&kind, TaskSpecJson(kind).dump(), {}, Hex(rng, 64)};
  for (const StepDef& step : kind.steps) {
    std::vector<std::string> versions;
    for (int v = 0; v < kImageVersions; ++v) {
      versions.push_back(absl::StrCat(step.image, "@sha256:", Hex(rng, 64)));
    }
    def.images.push_back(std::move(versions));
  }
  return def;
}

PipelineDef MakePipelineDef(int index, int task_count) {
  constexpr int kComponentCount = sizeof(kComponents) / sizeof(kComponents[0]);
  constexpr int kContextCount = sizeof(kContexts) / sizeof(kContexts[0]);
  PipelineDef def;
  def.component = kComponents[index % kComponentCount];
  def.name = absl::StrCat(kActions[index / kComponentCount], "-", def.component);
  def.context = kContexts[index % kContextCount];
  def.tasks = PipelineTaskKinds(index, task_count);
  ordered_json params = ordered_json::array();
  for (absl::string_view p : kPipelineParams) {
    params.push_back({{"name", std::string(p)}, {"type", "string"}});
  }
  ordered_json tasks = ordered_json::array();
  for (int i = 0; i < task_count; ++i) {
    const TaskKind& kind = TaskKinds()[def.tasks[i]];
    // Names repeat once the kinds run out; a numeric suffix keeps them unique.
    bool repeated = i > 0 && i >= static_cast<int>(TaskKinds().size()) - 1;
    def.task_names.push_back(repeated ? absl::StrCat(kind.name, "-", i) : std::string(kind.name));
    tasks.push_back(PipelineTaskJson(kind, def.task_names[i], i ? def.task_names[i - 1] : ""));
  }
  def.pipeline_spec = ordered_json{
      {"params", params},
      {"workspaces", {{{"name", "source"}}, {{"name", "registry-credentials"}}}},
      {"tasks", tasks}}.dump();
  return def;
}

// Everything one PipelineRun and its TaskRuns share.
struct Run {
  const PipelineDef* pipeline;
  std::string ns;
  std::string name;
  std::string uid;
  std::string result_name;
  absl::string_view outcome;
  int64_t created;
  int image_version;
  std::string extra_labels;       // copied from the PipelineRun to its TaskRuns
  std::string extra_annotations;  // likewise
  Vars vars;                      // run variables, see kPipelineParams
  Vars common;                    // template values every document of the run uses
};

void SetRunVars(const std::string& org, Rng& rng, Run* run) {
  absl::string_view component = run->pipeline->component;
  std::string revision = Hex(rng, 40);
  std::string branch = rng.Percent(60) ? "main"
                       : rng.Percent(50)
                           ? absl::StrCat("release-1.", rng.Below(12))
                           : absl::StrCat("feat/", rng.Pick(kUsers), "-", Hex(rng, 4));
  Vars& v = run->vars;
  v.Set("git-url", absl::StrCat("https://github.com/", org, "/", component));
  v.Set("output-image",
        absl::StrCat("registry.acme.dev/", run->ns, "/", component, ":", revision.substr(0, 7)));
  v.Set("revision", std::move(revision));
  v.Set("branch", std::move(branch));
  v.Set("path-context", std::string(run->pipeline->context));
  v.Set("dockerfile", rng.Percent(70) ? "./Dockerfile" : "build/Dockerfile");
  v.Set("deploy-env", std::string(rng.Pick({"dev", "staging", "prod"})));
  v.Set("image-digest", absl::StrCat("sha256:", Hex(rng, 64)));
  v.Set("committer-date", Rfc3339(run->created - 60 - static_cast<int64_t>(rng.Below(86400))));
  v.Set("coverage", absl::StrFormat("%d.%d%%", 40 + rng.Below(55), rng.Below(10)));
  v.Set("scan-summary", absl::StrFormat("critical=%d high=%d medium=%d", rng.Below(2), rng.Below(6),
                                        rng.Below(30)));
}

// Labels and annotations of a run started by Pipelines as Code (or else by Triggers).
void SetProvenanceMetadata(const std::string& org, Rng& rng, Run* run) {
  const std::string revision(run->vars.Get("revision"));
  std::string* labels = &run->extra_labels;
  std::string* annotations = &run->extra_annotations;
  AddMember(labels, "tekton.dev/pipeline", run->pipeline->name);
  if (rng.Percent(55)) {
    absl::string_view user = rng.Pick(kUsers);
    bool pull = rng.Percent(40);
    AddMember(labels, "pipelinesascode.tekton.dev/event-type", pull ? "pull_request" : "push");
    AddMember(labels, "pipelinesascode.tekton.dev/repository", run->pipeline->component);
    AddMember(labels, "pipelinesascode.tekton.dev/sha", revision);
    AddMember(labels, "pipelinesascode.tekton.dev/sender", user);
    AddMember(labels, "pipelinesascode.tekton.dev/url-org", org);
    AddMember(annotations, "pipelinesascode.tekton.dev/repository", run->pipeline->component);
    AddMember(annotations, "pipelinesascode.tekton.dev/sha-title", rng.Pick(kCommitTitles));
    AddMember(annotations, "pipelinesascode.tekton.dev/sha-url",
              absl::StrCat(run->vars.Get("git-url"), "/commit/", revision));
    AddMember(annotations, "pipelinesascode.tekton.dev/branch", run->vars.Get("branch"));
    AddMember(annotations, "pipelinesascode.tekton.dev/git-provider", "github");
    AddMember(annotations, "pipelinesascode.tekton.dev/log-url",
              absl::StrCat("https://console.acme.dev/k8s/ns/", run->ns,
                           "/tekton.dev~v1~PipelineRun/", run->name));
    if (pull) {
      AddMember(annotations, "pipelinesascode.tekton.dev/pull-request",
                absl::StrCat(100 + rng.Below(4000)));
    }
  } else {
    AddMember(labels, "triggers.tekton.dev/eventlistener", "github-listener");
    AddMember(labels, "triggers.tekton.dev/trigger", absl::StrCat(run->pipeline->name, "-push"));
    AddMember(labels, "triggers.tekton.dev/triggers-eventid", Uuid(rng));
  }
  AddMember(annotations, "results.tekton.dev/result", run->result_name);
}

std::string ParamsJson(const std::vector<Binding>& bindings, const Vars& vars) {
  std::string out;
  for (const Binding& b : bindings) {
    AddElement(&out,
               absl::StrCat(R"({"name":")", b.name, R"(","value":")", vars.Get(b.var), R"("})"));
  }
  return out;
}

std::string PipelineParamsJson(const Vars& vars) {
  std::string out;
  for (absl::string_view p : kPipelineParams) {
    AddElement(&out, absl::StrCat(R"({"name":")", p, R"(","value":")", vars.Get(p), R"("})"));
  }
  return out;
}

std::string TaskResultsJson(const TaskKind& kind, const Vars& vars) {
  std::string out;
  for (const Binding& b : kind.results) {
    AddElement(&out, absl::StrCat(R"({"name":")", b.name, R"(","type":"string","value":")",
                                  vars.Get(b.var), R"("})"));
  }
  return out;
}

// One TaskRun's place in its run: timing and whether it is the one that ended the run badly.
struct TaskRunSlot {
  int index;
  int64_t start;
  int64_t end;
  bool culprit;
};

std::string StepsJson(const TaskDef& task, const Run& run, const TaskRunSlot& slot, Rng& rng) {
  std::string out;
  const int count = static_cast<int>(task.kind->steps.size());
  const int64_t span = (slot.end - slot.start - 2) / count;
  for (int s = 0; s < count; ++s) {
    const StepDef& step = task.kind->steps[s];
    bool failed = slot.culprit && s == count - 1;
    absl::string_view reason = !failed                   ? "Completed"
                               : run.outcome == "Failed" ? "Error"
                                                         : "TaskRunCancelled";
    int64_t begin = slot.start + 2 + s * span;
    AddElement(
        &out, absl::StrCat(R"({"name":")", step.name, R"(","container":"step-)", step.name,
                           R"(","imageID":")", task.images[s][run.image_version],
                           R"(","terminated":{"exitCode":)", failed ? 1 : 0, R"(,"reason":")",
                           reason, R"(","startedAt":")", Rfc3339(begin), R"(","finishedAt":")",
                           Rfc3339(begin + span), R"(","containerID":"containerd://)", Hex(rng, 64),
                           R"("},"terminationReason":")", reason, R"("})"));
  }
  return out;
}

void SetTaskRunCondition(const Run& run, const TaskDef& task, const TaskRunSlot& slot,
                         const std::string& name, Vars* vars) {
  if (!slot.culprit) {
    vars->Set("condition_status", "True");
    vars->Set("reason", "Succeeded");
    vars->Set("message", "All Steps have completed executing");
    return;
  }
  vars->Set("condition_status", "False");
  if (run.outcome == "Failed") {
    vars->Set("reason", "Failed");
    vars->Set("message",
              absl::StrCat(kQ, "step-", task.kind->steps.back().name, kQ, " exited with code 1"));
    return;
  }
  vars->Set("reason", "TaskRunCancelled");
  vars->Set("message",
            absl::StrCat("TaskRun ", kQ, name, kQ,
                         " was cancelled. TaskRun cancelled as the PipelineRun it belongs to has ",
                         run.outcome == "Cancelled" ? "been cancelled." : "timed out."));
}

std::string TaskRunLabels(const Run& run, const TaskDef& task, const std::string& pipeline_task) {
  std::string labels = run.extra_labels;
  AddMember(&labels, "app.kubernetes.io/managed-by", "tekton-pipelines");
  AddMember(&labels, "tekton.dev/memberOf", "tasks");
  AddMember(&labels, "tekton.dev/pipelineRun", run.name);
  AddMember(&labels, "tekton.dev/pipelineRunUID", run.uid);
  AddMember(&labels, "tekton.dev/pipelineTask", pipeline_task);
  AddMember(&labels, "tekton.dev/task", task.kind->name);
  return labels;
}

TaskRunDoc RenderTaskRun(const Run& run, const TaskDef& task, const TaskRunSlot& slot, Rng& rng) {
  const std::string& pipeline_task = run.pipeline->task_names[slot.index];
  std::string name = absl::StrCat(run.name, "-", pipeline_task);
  TaskRunDoc doc{Uuid(rng), {}};
  Vars vars = run.common;
  vars.Set("name", name);
  vars.Set("uid", doc.uid);
  vars.Set("resource_version", absl::StrCat(100000000 + rng.Below(900000000)));
  vars.Set("labels", TaskRunLabels(run, task, pipeline_task));
  std::string annotations = run.extra_annotations;
  if (rng.Percent(70)) AddMember(&annotations, "chains.tekton.dev/signed", "true");
  AddMember(&annotations, "results.tekton.dev/record",
            absl::StrCat(run.result_name, "/records/", doc.uid));
  vars.Set("annotations", std::move(annotations));
  vars.Set("params", ParamsJson(task.kind->params, run.vars));
  vars.Set("task", std::string(task.kind->name));
  vars.Set("timeout", "1h0m0s");
  vars.Set("pvc", absl::StrCat("pvc-", Hex(rng, 10)));
  vars.Set("start", Rfc3339(slot.start));
  vars.Set("end", Rfc3339(slot.end));
  SetTaskRunCondition(run, task, slot, name, &vars);
  vars.Set("steps", StepsJson(task, run, slot, rng));
  vars.Set("results", slot.culprit ? "" : TaskResultsJson(*task.kind, run.vars));
  vars.Set("task_spec", task.task_spec);
  vars.Set("task_digest", task.bundle_digest);
  doc.json = TaskRunTemplate().Render(vars);
  return doc;
}

std::string ChildReference(const std::string& run_name, const std::string& pipeline_task) {
  return absl::StrCat(R"({"apiVersion":"tekton.dev/v1","kind":"TaskRun","name":")", run_name, "-",
                      pipeline_task, R"(","pipelineTaskName":")", pipeline_task, R"("})");
}

void SetPipelineRunCondition(const Run& run, bool finished, absl::string_view timeout, Vars* vars) {
  const size_t tasks = run.pipeline->tasks.size();
  if (!finished) {
    vars->Set("condition_status", "Unknown");
    vars->Set("reason", "Running");
    vars->Set("message", absl::StrCat("Tasks Completed: 0 (Failed: 0, Cancelled 0), Incomplete: ",
                                      tasks, ", Skipped: 0"));
    return;
  }
  vars->Set("condition_status", run.outcome == "Succeeded" ? "True" : "False");
  vars->Set("reason", std::string(run.outcome));
  if (run.outcome == "Succeeded" || run.outcome == "Failed") {
    vars->Set("message", absl::StrCat("Tasks Completed: ", tasks,
                                      " (Failed: ", run.outcome == "Failed" ? 1 : 0,
                                      ", Cancelled 0), Skipped: 0"));
  } else if (run.outcome == "Cancelled") {
    vars->Set("message", absl::StrCat("PipelineRun ", kQ, run.name, kQ, " was cancelled"));
  } else {
    vars->Set("message", absl::StrCat("PipelineRun ", kQ, run.name, kQ, " failed to finish within ",
                                      kQ, timeout, kQ));
  }
}

// The PipelineRun as first reported (running, first TaskRun started) and as finished at `end`.
std::pair<std::string, std::string> RenderPipelineRun(const Run& run, int64_t end, Rng& rng) {
  Vars vars = run.common;
  absl::string_view timeout = rng.Pick({"1h0m0s", "2h0m0s", "30m0s"});
  std::string labels = run.extra_labels;
  AddMember(&labels, "app.kubernetes.io/managed-by",
            absl::StrContains(labels, "pipelinesascode") ? "pipelinesascode.tekton.dev"
                                                         : "EventListener");
  std::string annotations = run.extra_annotations;
  AddMember(&annotations, "results.tekton.dev/record",
            absl::StrCat(run.result_name, "/records/", run.uid));
  vars.Set("name", run.name);
  vars.Set("uid", run.uid);
  vars.Set("labels", std::move(labels));
  vars.Set("annotations", std::move(annotations));
  vars.Set("params", PipelineParamsJson(run.vars));
  vars.Set("timeout", std::string(timeout));
  vars.Set("storage", std::string(rng.Pick({"1Gi", "2Gi", "5Gi"})));
  vars.Set("created", Rfc3339(run.created));
  vars.Set("start", Rfc3339(run.created + 1));
  vars.Set("pipeline_spec", run.pipeline->pipeline_spec);
  for (absl::string_view p : {"git-url", "revision"}) vars.Set(p, std::string(run.vars.Get(p)));

  std::string children;
  if (!run.pipeline->tasks.empty()) {
    AddElement(&children, ChildReference(run.name, run.pipeline->task_names[0]));
  }
  vars.Set("resource_version", absl::StrCat(100000000 + rng.Below(900000000)));
  vars.Set("completion", "");
  vars.Set("transition", Rfc3339(run.created + 1));
  vars.Set("children", children);
  SetPipelineRunCondition(run, false, timeout, &vars);
  std::string running = PipelineRunTemplate().Render(vars);

  children.clear();
  for (const std::string& task : run.pipeline->task_names) {
    AddElement(&children, ChildReference(run.name, task));
  }
  vars.Set("resource_version", absl::StrCat(100000000 + rng.Below(900000000)));
  vars.Set("completion", absl::StrCat(R"("completionTime":")", Rfc3339(end), R"(",)"));
  vars.Set("transition", Rfc3339(end));
  vars.Set("children", std::move(children));
  SetPipelineRunCondition(run, true, timeout, &vars);
  return {std::move(running), PipelineRunTemplate().Render(vars)};
}

}  // namespace

RecordFactory::RecordFactory(int parents, int taskruns_per_result, uint64_t seed) : seed_(seed) {
  constexpr int kTeamCount = sizeof(kTeams) / sizeof(kTeams[0]);
  for (int i = 0; i < parents; ++i) {
    namespaces_.push_back(i < kTeamCount
                              ? std::string(kTeams[i])
                              : absl::StrCat(kTeams[i % kTeamCount], "-", i / kTeamCount));
  }
  Rng rng(Mix(seed));
  for (const TaskKind& kind : TaskKinds()) tasks_.push_back(MakeTaskDef(kind, rng));
  constexpr int kPipelineCount =
      (sizeof(kActions) / sizeof(kActions[0])) * (sizeof(kComponents) / sizeof(kComponents[0]));
  for (int i = 0; i < kPipelineCount; ++i) {
    pipelines_.push_back(MakePipelineDef(i, taskruns_per_result));
  }
}

RecordFactory::~RecordFactory() = default;

ResultDocs RecordFactory::Make(uint64_t index) const {
  Rng rng(Mix(seed_ ^ Mix(index + 1)));
  Run run;
  run.pipeline = &pipelines_[rng.Below(pipelines_.size())];
  run.ns = namespaces_[rng.Below(namespaces_.size())];
  run.name = absl::StrCat(run.pipeline->name, "-", NameSuffix(rng));
  run.uid = Uuid(rng);
  run.result_name = absl::StrCat(run.ns, "/results/", run.uid);
  run.outcome = PickOutcome(rng);
  run.created = kNow - static_cast<int64_t>(rng.Below(kSpreadSeconds));
  run.image_version = static_cast<int>((run.created / 86400 / 30) % kImageVersions);
  const std::string org = absl::StrCat("acme-", run.ns);
  SetRunVars(org, rng, &run);
  SetProvenanceMetadata(org, rng, &run);
  run.common.Set("namespace", run.ns);
  run.common.Set("pipeline", run.pipeline->name);
  run.common.Set("pipelinerun", run.name);
  run.common.Set("pipelinerun_uid", run.uid);
  run.common.Set("service_account",
                 rng.Percent(50) ? "pipeline" : absl::StrCat(run.ns, "-builder"));
  run.common.Set("arch", rng.Percent(80) ? "amd64" : "arm64");
  run.common.Set("feature_flags", std::string(kFeatureFlags));

  ResultDocs docs{run.ns, run.uid, {}, {}, {}};
  int64_t t = run.created + 2;
  const int count = static_cast<int>(run.pipeline->tasks.size());
  for (int i = 0; i < count; ++i) {
    // Tasks run one after another, 20 s to 10 min each; a bad outcome hits the last one.
    TaskRunSlot slot{i, t, t + 20 + static_cast<int64_t>(rng.Below(600)),
                     i == count - 1 && run.outcome != "Succeeded"};
    docs.taskruns.push_back(RenderTaskRun(run, tasks_[run.pipeline->tasks[i]], slot, rng));
    t = slot.end + 1 + static_cast<int64_t>(rng.Below(5));
  }
  std::tie(docs.pipelinerun_running, docs.pipelinerun_final) = RenderPipelineRun(run, t, rng);
  return docs;
}

}  // namespace runledger::bench
