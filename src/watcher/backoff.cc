#include "src/watcher/backoff.h"

#include <algorithm>

namespace runledger::watcher {

absl::Duration Backoff::Next() {
  ceiling_ = ceiling_ == absl::ZeroDuration() ? initial_ : std::min(ceiling_ * 2, max_);
  return ceiling_ * absl::Uniform(random_, 0.5, 1.0);
}

}  // namespace runledger::watcher
