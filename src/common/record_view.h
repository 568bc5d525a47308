// RecordView: the parts of a Record that filters and scans read, as views into storage owned
// elsewhere (a Record message, or the stored bytes of an event: src/log/event_view.h). Valid as
// long as that storage is.
#ifndef RUNLEDGER_COMMON_RECORD_VIEW_H_
#define RUNLEDGER_COMMON_RECORD_VIEW_H_

#include "absl/strings/string_view.h"
#include "tekton/results/v1alpha2/resources.pb.h"

namespace runledger {

struct RecordView {
  absl::string_view name;       // <parent>/results/<result>/records/<record>
  absl::string_view data_type;  // data.type
  absl::string_view data;       // data.value: the record's JSON

  static RecordView Of(const tekton::results::v1alpha2::Record& record) {
    return {record.name(), record.data().type(), record.data().value()};
  }
};

}  // namespace runledger

#endif  // RUNLEDGER_COMMON_RECORD_VIEW_H_
