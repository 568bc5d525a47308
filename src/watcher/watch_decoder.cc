#include "src/watcher/watch_decoder.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace runledger::watcher {
namespace {

constexpr std::pair<absl::string_view, WatchEventType> kTypes[] = {
    {"ADDED", WatchEventType::kAdded},     {"MODIFIED", WatchEventType::kModified},
    {"DELETED", WatchEventType::kDeleted}, {"BOOKMARK", WatchEventType::kBookmark},
    {"ERROR", WatchEventType::kError},
};

}  // namespace

absl::string_view WatchEventTypeName(WatchEventType type) {
  for (const auto& [name, t] : kTypes) {
    if (t == type) return name;
  }
  return "?";
}

absl::Status WatchDecoder::Feed(absl::string_view bytes) {
  size_t newline = bytes.find('\n');
  if (newline == absl::string_view::npos) {
    pending_.append(bytes.data(), bytes.size());
    if (pending_.size() > kMaxEventBytes) {
      return absl::DataLossError(
          absl::StrCat("watch: event longer than ", kMaxEventBytes, " bytes"));
    }
    return absl::OkStatus();
  }
  // The first line may have started in an earlier call.
  pending_.append(bytes.data(), newline);
  absl::Status status = DeliverLine(pending_);
  pending_.clear();
  bytes.remove_prefix(newline + 1);
  while (status.ok() && (newline = bytes.find('\n')) != absl::string_view::npos) {
    status = DeliverLine(bytes.substr(0, newline));
    bytes.remove_prefix(newline + 1);
  }
  if (status.ok()) pending_.assign(bytes.data(), bytes.size());
  return status;
}

absl::Status WatchDecoder::Finish() {
  std::string last = std::move(pending_);
  pending_.clear();
  return DeliverLine(last);
}

absl::Status WatchDecoder::DeliverLine(absl::string_view line) {
  line = absl::StripAsciiWhitespace(line);
  if (line.empty()) return absl::OkStatus();
  nlohmann::json event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
  if (event.is_discarded()) {
    return absl::DataLossError(absl::StrCat("watch: not a JSON event: ", line.substr(0, 120)));
  }
  auto type = event.find("type");
  auto object = event.find("object");
  if (!event.is_object() || type == event.end() || !type->is_string() || object == event.end() ||
      !object->is_object()) {
    return absl::DataLossError(
        absl::StrCat("watch: event without type or object: ", line.substr(0, 120)));
  }
  for (const auto& [name, t] : kTypes) {
    if (type->get_ref<const std::string&>() == name)
      return callback_(WatchEvent{t, std::move(*object)});
  }
  return absl::DataLossError(absl::StrCat("watch: unknown event type ", type->dump()));
}

}  // namespace runledger::watcher
