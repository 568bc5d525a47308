// Splits a Kubernetes watch response body into events (k8s.md a.3).
//
// Format: newline-delimited JSON, one `{"type": T, "object": {...}}` per line, T one of ADDED,
// MODIFIED, DELETED, BOOKMARK, ERROR. Chunk boundaries carry no meaning (proxies re-chunk), so
// the decoder buffers any partial line until its newline arrives.
#ifndef RUNLEDGER_WATCHER_WATCH_DECODER_H_
#define RUNLEDGER_WATCHER_WATCH_DECODER_H_

#include <functional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "nlohmann/json.hpp"

namespace runledger::watcher {

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

// "ADDED", "MODIFIED", ... as on the wire.
absl::string_view WatchEventTypeName(WatchEventType type);

struct WatchEvent {
  WatchEventType type;
  nlohmann::json object;  // for kError a meta/v1 Status
};

// Receives each event; a non-OK status stops the watch and is what the watch returns.
using WatchCallback = std::function<absl::Status(WatchEvent event)>;

class WatchDecoder {
 public:
  // An event larger than any object etcd stores (1.5 MiB by default) with room to spare.
  static constexpr size_t kMaxEventBytes = 16 << 20;

  explicit WatchDecoder(WatchCallback callback) : callback_(std::move(callback)) {}

  // Delivers every event completed by `bytes`. DataLoss on a line that is not an event or that
  // grows beyond kMaxEventBytes; else the callback's first non-OK status. After a non-OK status
  // the decoder must not be fed again.
  absl::Status Feed(absl::string_view bytes);
  // The body has ended: DataLoss if it ended inside an event, else OK. (A last event without its
  // newline is delivered.)
  absl::Status Finish();

 private:
  absl::Status DeliverLine(absl::string_view line);

  WatchCallback callback_;
  std::string pending_;  // bytes after the last newline
};

}  // namespace runledger::watcher

#endif  // RUNLEDGER_WATCHER_WATCH_DECODER_H_
