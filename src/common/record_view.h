// RecordView: the parts of a Record that filters and scans read, as views into storage owned
// elsewhere (a Record message, or the stored bytes of an event: src/log/event_view.h). Valid as
// long as that storage is. A reader that has already parsed the data (a log pass that evaluated a
// filter on it) hands the parse along, so that later readers of the same view do not parse again.
#ifndef RUNLEDGER_COMMON_RECORD_VIEW_H_
#define RUNLEDGER_COMMON_RECORD_VIEW_H_

#include "absl/strings/string_view.h"
#include "simdjson.h"
#include "tekton/results/v1alpha2/resources.pb.h"

namespace runledger {

struct RecordView {
  absl::string_view name;       // <parent>/results/<result>/records/<record>
  absl::string_view data_type;  // data.type
  absl::string_view data;       // data.value: the record's JSON
  // `data` parsed, when the reader of the view had it parsed already, else null. Each
  // at_pointer() rewinds it; not thread-safe.
  simdjson::ondemand::document* parsed_data = nullptr;

  static RecordView Of(const tekton::results::v1alpha2::Record& record) {
    return {record.name(), record.data().type(), record.data().value(), nullptr};
  }
};

}  // namespace runledger

#endif  // RUNLEDGER_COMMON_RECORD_VIEW_H_
