// The watcher's command-line flags, shared by `runledger watch` (storing through a remote server)
// and `runledger serve --watch` (storing in process). Names and defaults follow upstream's watcher
// (spec/watcher.md §1.14) where the flag means the same; `--help` documents each.
#ifndef RUNLEDGER_WATCHER_WATCHER_FLAGS_H_
#define RUNLEDGER_WATCHER_WATCHER_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "cxxopts.hpp"
#include "src/watcher/controller.h"
#include "src/watcher/kube_config.h"

namespace runledger::watcher {

struct WatcherSetup {
  KubeConfig kube;
  ControllerOptions controller;
  std::string watcher_id;
};

void AddWatcherFlags(cxxopts::Options& options);

// InvalidArgument naming the flag for a bad duration, selector or number; the kubeconfig's own
// errors otherwise.
absl::StatusOr<WatcherSetup> WatcherSetupFromFlags(const cxxopts::ParseResult& args);

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_WATCHER_FLAGS_H_
