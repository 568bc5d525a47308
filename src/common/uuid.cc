#include "src/common/uuid.h"

#include <cstdint>

#include "absl/random/random.h"

namespace runledger {

namespace {

constexpr char kHex[] = "0123456789abcdef";

bool IsHyphenAt(int i) { return i == 8 || i == 13 || i == 18 || i == 23; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

std::string FormatUuid(const uint8_t* bytes) {
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(kHex[bytes[i] >> 4]);
    out.push_back(kHex[bytes[i] & 0xf]);
  }
  return out;
}

}  // namespace

bool AppendUuidBytes(absl::string_view uuid, std::string* out) {
  if (uuid.size() != 36) return false;
  std::string bytes;
  int high = -1;
  for (int i = 0; i < 36; ++i) {
    if (IsHyphenAt(i)) {
      if (uuid[i] != '-') return false;
      continue;
    }
    const int v = HexValue(uuid[i]);
    if (v < 0) return false;
    if (high < 0) {
      high = v;
    } else {
      bytes.push_back(static_cast<char>(high << 4 | v));
      high = -1;
    }
  }
  out->append(bytes);
  return true;
}

std::string UuidFromBytes(absl::string_view bytes) {
  return FormatUuid(reinterpret_cast<const uint8_t*>(bytes.data()));
}

std::string NewUuid() {
  thread_local absl::BitGen gen;
  uint8_t bytes[16];
  for (int i = 0; i < 16; i += 8) {
    uint64_t r = absl::Uniform<uint64_t>(gen);
    for (int j = 0; j < 8; ++j) bytes[i + j] = static_cast<uint8_t>(r >> (8 * j));
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x40;  // version 4
  bytes[8] = (bytes[8] & 0x3f) | 0x80;  // RFC 4122 variant
  return FormatUuid(bytes);
}

}  // namespace runledger
