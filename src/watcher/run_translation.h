// Translation of a Tekton run object (TaskRun, PipelineRun, CustomRun; JSON as the Kubernetes API
// returns it) into the RunUpsert that stores it, following upstream's watcher (spec/watcher.md
// §1.4-1.8), and into the annotations the watcher writes back on the object (§1.5). Pure: no I/O.
//
// The rules, in short:
//   Result name  the annotation results.tekton.dev/result verbatim; else
//                <namespace>/results/<label triggers.tekton.dev/triggers-eventid>; else
//                <namespace>/results/<uid of the first ownerReference of kind PipelineRun, any
//                case>; else <namespace>/results/<the run's uid>.
//   Record name  for a top-level run (no ownerReferences at all) the annotation
//                results.tekton.dev/record verbatim if present; else <result>/records/<uid>.
//   Record data  type "<apiVersion>.<kind>"; value the whole object, nothing stripped, as compact
//                JSON with keys in sorted order (so equal objects give equal bytes).
//   Result       annotations: the JSON object in annotation results.tekton.dev/resultAnnotations
//                (values turned to text as Go's fmt.Sprint does); for a top-level run also
//                object.metadata.name and the summary labels; the annotation object wins a key
//                clash. A top-level run also sets the summary: record, type, status from the
//                Succeeded condition's reason (SummaryStatusOfReason), start_time
//                status.startTime, end_time status.completionTime, annotations from
//                results.tekton.dev/recordSummaryAnnotations; and only a top-level run updates
//                an existing Result (RunUpsert.update_result).
//   Write-back   results.tekton.dev/result and /record (the names), /stored ("true" once the
//                run is done, else "false"), and /childReadyForDeletion "true" on a done run
//                that has ownerReferences.
// A run is done when its Succeeded condition exists with a status other than Unknown.
#ifndef RUNLEDGER_WATCHER_RUN_TRANSLATION_H_
#define RUNLEDGER_WATCHER_RUN_TRANSLATION_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"
#include "runledger/v1/ingest.pb.h"
#include "src/watcher/annotation_keys.h"
#include "tekton/results/v1alpha2/resources.pb.h"

namespace runledger::watcher {

struct TranslationOptions {
  // Labels copied into Result.annotations for top-level runs (upstream's -summary_labels).
  std::vector<std::string> summary_labels = {kPipelineLabel};
};

struct TranslatedRun {
  v1::RunUpsert upsert;
  // The annotations to set on the object once the upsert has succeeded.
  std::map<std::string, std::string> write_back;
  bool top_level = false;
  bool done = false;
};

// InvalidArgument, naming the field, when the object lacks apiVersion, kind, metadata.uid or
// metadata.namespace, or when a results.tekton.dev/*Annotations annotation is not a JSON object.
// (The caller fills apiVersion and kind from the watched resource if a list omitted them.) Names
// are not checked here: the server checks them and reports a bad one for this run alone.
absl::StatusOr<TranslatedRun> TranslateRun(const nlohmann::json& object,
                                           const TranslationOptions& options = {});

// Upstream's RecordSummary.Status for a Succeeded condition reason (watcher.md §1.7); UNKNOWN
// for any reason it does not list.
tekton::results::v1alpha2::RecordSummary::Status SummaryStatusOfReason(const std::string& reason);

// A JSON merge patch (RFC 7386) setting those of `annotations` that `object` does not already
// carry with the same value; nullopt when it carries them all.
std::optional<nlohmann::json> AnnotationPatch(
    const nlohmann::json& object, const std::map<std::string, std::string>& annotations);

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_RUN_TRANSLATION_H_
