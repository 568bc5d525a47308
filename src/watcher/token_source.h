// The bearer token a Kubernetes client sends: either a literal from the kubeconfig, or a file
// (kubeconfig `tokenFile`, or the in-cluster service-account token) that is read again whenever
// it changes on disk, so that rotated, projected tokens are picked up (k8s.md b.2).
//
// Invariant: Get() returns the content of the file as it was at the last change it saw (one
// stat per call; the file is re-read only when its inode, size or mtime differ).
#ifndef RUNLEDGER_WATCHER_TOKEN_SOURCE_H_
#define RUNLEDGER_WATCHER_TOKEN_SOURCE_H_

#include <sys/stat.h>

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace runledger::watcher {

class TokenSource {
 public:
  // No token: requests carry no Authorization header.
  TokenSource() = default;
  static TokenSource Literal(std::string token);
  static TokenSource File(std::string path);

  TokenSource(const TokenSource& other);
  TokenSource& operator=(const TokenSource& other);

  bool empty() const { return literal_.empty() && path_.empty(); }
  const std::string& path() const { return path_; }

  // The current token, surrounding whitespace removed. Thread-safe.
  absl::StatusOr<std::string> Get() const;

 private:
  std::string literal_;
  std::string path_;

  mutable absl::Mutex mu_;
  mutable struct stat seen_ ABSL_GUARDED_BY(mu_) = {};
  mutable std::string cached_ ABSL_GUARDED_BY(mu_);
};

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_TOKEN_SOURCE_H_
