// LabelSelector: a Kubernetes label selector in its text form (k8s.md, as in `kubectl -l`),
// matched against an object's metadata.labels on the client. The watcher's -label_selector
// (spec/watcher.md §1.9) only limits which completed runs it deletes, so it cannot be sent to
// the API server as a list filter.
//
// Grammar: requirements separated by commas, all of which must hold:
//   key=value, key==value, key!=value (absent key matches !=), key (exists), !key (absent),
//   key in (v1,v2), key notin (v1,v2) (absent key matches notin).
// The empty selector matches everything.
#ifndef RUNLEDGER_WATCHER_LABEL_SELECTOR_H_
#define RUNLEDGER_WATCHER_LABEL_SELECTOR_H_

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json.hpp"

namespace runledger::watcher {

class LabelSelector {
 public:
  // InvalidArgument naming the requirement that does not parse.
  static absl::StatusOr<LabelSelector> Parse(const std::string& text);

  bool Matches(const std::map<std::string, std::string>& labels) const;
  // Against the object's metadata.labels.
  bool Matches(const nlohmann::json& object) const;

 private:
  enum class Op { kIn, kNotIn, kExists, kDoesNotExist };
  struct Requirement {
    std::string key;
    Op op;
    std::set<std::string> values;
  };

  std::vector<Requirement> requirements_;
};

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_LABEL_SELECTOR_H_
