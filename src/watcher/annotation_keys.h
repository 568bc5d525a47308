// The annotation, label and finalizer keys through which Tekton Results' watcher and the run
// objects talk (spec/watcher.md §1.4, §1.5). RunLedger keeps upstream's keys so that tools
// reading them (the tkn-results CLI, dashboards, pruners) work unchanged.
#ifndef RUNLEDGER_WATCHER_ANNOTATION_KEYS_H_
#define RUNLEDGER_WATCHER_ANNOTATION_KEYS_H_

namespace runledger::watcher {

// Read from the run, and written back on it.
inline constexpr char kResultAnnotation[] = "results.tekton.dev/result";
inline constexpr char kRecordAnnotation[] = "results.tekton.dev/record";
// Read from the run: a JSON object merged into Result.annotations / Result.summary.annotations.
inline constexpr char kResultAnnotationsAnnotation[] = "results.tekton.dev/resultAnnotations";
inline constexpr char kRecordSummaryAnnotationsAnnotation[] =
    "results.tekton.dev/recordSummaryAnnotations";
// Written back: "true" once a done run is stored ("false" before), and "true" on a done child.
inline constexpr char kStoredAnnotation[] = "results.tekton.dev/stored";
inline constexpr char kChildReadyForDeletionAnnotation[] =
    "results.tekton.dev/childReadyForDeletion";
// Written back by upstream's log and event capture, which RunLedger's watcher does not do.
inline constexpr char kLogAnnotation[] = "results.tekton.dev/log";
inline constexpr char kEventListAnnotation[] = "results.tekton.dev/eventlist";

// Label grouping every run of one Tekton Triggers event into one Result.
inline constexpr char kTriggersEventIdLabel[] = "triggers.tekton.dev/triggers-eventid";
// Upstream's default -summary_labels: copied into Result.annotations for top-level runs.
inline constexpr char kPipelineLabel[] = "tekton.dev/pipeline";
// Result.annotations key holding a top-level run's name.
inline constexpr char kObjectNameResultAnnotation[] = "object.metadata.name";

// Prefix of the watcher's finalizers (results.tekton.dev/pipelinerun, .../taskrun, .../customrun)
// and of every key above that belongs to Results.
inline constexpr char kResultsPrefix[] = "results.tekton.dev/";
// Prefix reserved for annotations of RunLedger's own.
inline constexpr char kRunLedgerPrefix[] = "runledger.dev/";
// Written back by RunLedger's watcher after a store: the NormalizedObjectHash (object_hash.h) of
// the state stored. A later state with the same hash (e.g. after a restart, or the event of the
// watcher's own patch) is already stored and is not sent again.
inline constexpr char kStoredHashAnnotation[] = "runledger.dev/stored-hash";

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_ANNOTATION_KEYS_H_
