// The hash of a run object's normalized form: equal for two versions of an object that differ
// only in what the watcher itself or the API server's bookkeeping changes, so that such a
// change is recognised as no change and not written again (spec/watcher.md §1.6, §8: upstream
// rewrites the record after each of its own annotation patches).
//
// Normalization removes metadata.managedFields, metadata.resourceVersion, the annotations the
// watcher writes back (results.tekton.dev/result, /record, /stored, /childReadyForDeletion,
// /log, /eventlist), every runledger.dev/ annotation, and the watcher's results.tekton.dev/
// finalizers; an annotation map or finalizer list left empty is removed too. The annotations a
// user sets for Results (/resultAnnotations, /recordSummaryAnnotations) stay: they change what
// is stored. metadata.generation stays as well: the API server bumps it only together with a
// spec change, which is a change anyway, so dropping it would never save a write.
//
// The hash is SHA-256 of the canonical JSON text of the normalized object (keys sorted, no
// whitespace), in lowercase hex: stable across processes and versions, so it may be persisted.
#ifndef RUNLEDGER_WATCHER_OBJECT_HASH_H_
#define RUNLEDGER_WATCHER_OBJECT_HASH_H_

#include <string>

#include "nlohmann/json.hpp"

namespace runledger::watcher {

nlohmann::json NormalizedObject(const nlohmann::json& object);

std::string NormalizedObjectHash(const nlohmann::json& object);

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_OBJECT_HASH_H_
