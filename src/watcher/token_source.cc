#include "src/watcher/token_source.h"

#include <fstream>
#include <sstream>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace runledger::watcher {
namespace {

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec;
}

}  // namespace

TokenSource TokenSource::Literal(std::string token) {
  TokenSource source;
  source.literal_ = std::string(absl::StripAsciiWhitespace(token));
  return source;
}

TokenSource TokenSource::File(std::string path) {
  TokenSource source;
  source.path_ = std::move(path);
  return source;
}

TokenSource::TokenSource(const TokenSource& other) : literal_(other.literal_), path_(other.path_) {}

TokenSource& TokenSource::operator=(const TokenSource& other) {
  if (this == &other) return *this;
  literal_ = other.literal_;
  path_ = other.path_;
  absl::MutexLock lock(&mu_);
  seen_ = {};
  cached_.clear();
  return *this;
}

absl::StatusOr<std::string> TokenSource::Get() const {
  if (path_.empty()) return literal_;
  struct stat now = {};
  if (stat(path_.c_str(), &now) != 0) {
    return absl::UnavailableError(absl::StrCat("token file ", path_, ": cannot stat"));
  }
  absl::MutexLock lock(&mu_);
  if (SameFile(now, seen_) && !cached_.empty()) return cached_;
  std::ifstream in(path_);
  std::stringstream content;
  content << in.rdbuf();
  if (!in) return absl::UnavailableError(absl::StrCat("token file ", path_, ": cannot read"));
  std::string token(absl::StripAsciiWhitespace(content.str()));
  if (token.empty()) return absl::UnavailableError(absl::StrCat("token file ", path_, " is empty"));
  seen_ = now;
  cached_ = std::move(token);
  return cached_;
}

}  // namespace runledger::watcher
