#include "src/projections/projection_worker.h"

#include <algorithm>
#include <iostream>

namespace runledger {
namespace {

constexpr absl::Duration kPollInterval = absl::Milliseconds(200);
constexpr absl::Duration kRetryAfterError = absl::Seconds(1);

}  // namespace

ProjectionWorker::~ProjectionWorker() {
  stopping_ = true;
  if (thread_.joinable()) thread_.join();
}

void ProjectionWorker::Start() {
  thread_ = std::thread([this] { Run(); });
}

bool ProjectionWorker::AwaitFolded(uint64_t sequence, absl::Duration timeout) const {
  absl::MutexLock lock(&mu_);
  auto reached = [this, sequence]() ABSL_SHARED_LOCKS_REQUIRED(mu_) { return folded_ >= sequence; };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

uint64_t ProjectionWorker::folded() const {
  absl::MutexLock lock(&mu_);
  return folded_;
}

absl::StatusOr<uint64_t> ProjectionWorker::LowestCheckpoint() const {
  uint64_t lowest = log_->LastSequence();
  for (const auto& projection : set_->projections()) {
    absl::StatusOr<uint64_t> checkpoint = set_->Checkpoint(*projection);
    if (!checkpoint.ok()) return checkpoint.status();
    lowest = std::min(lowest, *checkpoint);
  }
  return lowest;
}

void ProjectionWorker::Run() {
  uint64_t seen = 0;
  while (!stopping_) {
    absl::Status s = set_->CatchUp(
        *log_,
        [this](uint64_t, uint64_t) {
          absl::StatusOr<uint64_t> folded = LowestCheckpoint();
          absl::MutexLock lock(&mu_);
          if (folded.ok()) folded_ = std::max(folded_, *folded);
        },
        &stopping_);
    if (stopping_) return;
    absl::StatusOr<uint64_t> folded = LowestCheckpoint();
    if (!s.ok()) folded = s;
    if (!folded.ok()) {
      std::cerr << "runledger: projection worker: " << folded.status() << "\n";
      absl::SleepFor(kRetryAfterError);
      continue;
    }
    {
      absl::MutexLock lock(&mu_);
      folded_ = std::max(folded_, *folded);
      seen = folded_;
    }
    log_->AwaitAfter(seen, kPollInterval);
  }
}

}  // namespace runledger
