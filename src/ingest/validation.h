// Checks of client-supplied content made on every write (spec/api.md §2.3 step 5, §2.4). Each
// failure is InvalidArgument with upstream's message.
#ifndef RUNLEDGER_INGEST_VALIDATION_H_
#define RUNLEDGER_INGEST_VALIDATION_H_

#include "absl/status/status.h"
#include "tekton/results/v1alpha2/resources.pb.h"

namespace runledger {

// Longest data type (and RecordSummary type) upstream stores, in bytes.
inline constexpr size_t kMaxTypeBytes = 768;

// A Result's summary: record and type both set, record a valid record name, type short enough.
absl::Status ValidateSummary(const tekton::results::v1alpha2::RecordSummary& summary);

// A Record's data: type short enough; if data is present, its value is one JSON document.
absl::Status ValidateRecordData(const tekton::results::v1alpha2::Record& record);

}  // namespace runledger

#endif  // RUNLEDGER_INGEST_VALIDATION_H_
