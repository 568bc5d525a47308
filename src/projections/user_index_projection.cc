#include "src/projections/user_index_projection.h"

#include <cmath>
#include <cstring>
#include <string_view>

#include "absl/base/internal/endian.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "simdjson.h"
#include "src/common/names.h"
#include "src/common/time_util.h"

namespace runledger {
namespace {

// The encoded values of one JSON scalar: a string (and its time, if it is one) or a number.
void AddJsonValue(simdjson::ondemand::value value, std::vector<std::string>* out) {
  simdjson::ondemand::json_type type;
  if (value.type().get(type) != simdjson::SUCCESS) return;
  if (type == simdjson::ondemand::json_type::string) {
    std::string_view text;
    if (value.get_string().get(text) != simdjson::SUCCESS) return;
    if (text.find('\0') != std::string_view::npos) return;
    out->push_back(UserIndexProjection::EncodeString(absl::string_view(text.data(), text.size())));
    absl::Time t;
    std::string error;
    if (absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &error)) {
      out->push_back(UserIndexProjection::EncodeTime(absl::ToUnixNanos(t)));
    }
  } else if (type == simdjson::ondemand::json_type::number) {
    double number = 0;
    if (value.get_double().get(number) == simdjson::SUCCESS && !std::isnan(number)) {
      out->push_back(UserIndexProjection::EncodeNumber(number));
    }
  }
}

v1::UserIndexEntry Indexed(const tekton::results::v1alpha2::Record& record,
                           std::vector<std::string> values) {
  v1::UserIndexEntry entity;
  entity.set_uid(record.uid());
  entity.set_create_nanos(TimestampToNanos(record.create_time()));
  entity.set_parent(record.name().substr(0, record.name().find('/')));
  for (std::string& v : values) entity.add_values(std::move(v));
  return entity;
}

}  // namespace

std::string UserIndexProjection::EncodeString(absl::string_view value) {
  std::string out(1, kStringTag);
  absl::StrAppend(&out, value, absl::string_view("\0", 1));
  return out;
}

std::string UserIndexProjection::OrderedDouble(double value) {
  if (value == 0) value = 0;  // -0 == 0
  uint64_t bits = 0;
  std::memcpy(&bits, &value, sizeof bits);
  bits = (bits >> 63) ? ~bits : bits ^ (uint64_t{1} << 63);
  std::string out(8, '\0');
  absl::big_endian::Store64(out.data(), bits);
  return out;
}

std::string UserIndexProjection::EncodeNumber(double value) {
  return absl::StrCat(absl::string_view(&kNumberTag, 1), OrderedDouble(value));
}

std::string UserIndexProjection::EncodeTime(int64_t nanos) {
  std::string out(1, kTimeTag);
  AppendOrderedNanos(nanos, &out);
  return out;
}

std::string UserIndexProjection::UidOfPosting(absl::string_view key) {
  // 'V', the value, then the uid.
  size_t uid_at = 0;
  if (key.size() > 1 && key[1] == kStringTag) {
    uid_at = key.find('\0', 2) + 1;
  } else {
    uid_at = 2 + 8;
  }
  return UidOfIndexKey(key, uid_at, SortField::kUid);
}

EntityKeys UserIndexProjection::KeysOf(absl::string_view, const v1::UserIndexEntry& entity) {
  EntityKeys keys;
  AppendOrderedNanos(entity.create_nanos(), &keys.index_value);
  absl::StrAppend(&keys.index_value, entity.parent());
  const std::string uid = SortSuffix(SortField::kUid, 0, entity.uid());
  for (const std::string& value : entity.values()) {
    keys.index.push_back(absl::StrCat(absl::string_view(&kPostingTag, 1), value, uid));
  }
  return keys;
}

std::vector<std::string> UserIndexProjection::ValuesOf(
    const tekton::results::v1alpha2::Record& record) const {
  std::vector<std::string> values;
  if (definition_.field() == kDataTypeField) {
    const std::string& type = record.data().type();
    if (type.find('\0') == std::string::npos) values.push_back(EncodeString(type));
    return values;
  }
  if (!record.has_data()) return values;
  thread_local simdjson::ondemand::parser parser;
  simdjson::padded_string padded(record.data().value());
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) return values;
  simdjson::ondemand::value value;
  const std::string& pointer = definition_.field();
  if (doc.at_pointer(std::string_view(pointer.data(), pointer.size())).get(value) ==
      simdjson::SUCCESS) {
    AddJsonValue(value, &values);
  }
  return values;
}

absl::Status UserIndexProjection::Apply(const v1::Event& event, FoldState& state) {
  switch (event.kind()) {
    case v1::RECORD_CREATED:
    case v1::RECORD_UPDATED: {
      const v1::UserIndexEntry entity = Indexed(event.record(), ValuesOf(event.record()));
      return FoldEntity(state, event.name(), &entity, &KeysOf);
    }
    case v1::RECORD_DELETED:
      return FoldEntity<v1::UserIndexEntry>(state, event.name(), nullptr, &KeysOf);
    default:
      return absl::OkStatus();
  }
}

std::string UserIndexProjection::FieldOf(absl::string_view variable,
                                         const std::vector<std::string>& steps) {
  if (variable == kDataTypeField) return std::string(kDataTypeField);
  std::string pointer;
  for (const std::string& step : steps) {
    absl::StrAppend(&pointer, "/", absl::StrReplaceAll(step, {{"~", "~0"}, {"/", "~1"}}));
  }
  return pointer;
}

void UserIndexProjection::PathOf(absl::string_view field, std::string* variable,
                                 std::vector<std::string>* steps) {
  steps->clear();
  if (field == kDataTypeField) {
    *variable = std::string(kDataTypeField);
    return;
  }
  *variable = "data";
  for (absl::string_view step : absl::StrSplit(field.substr(1), '/')) {
    steps->push_back(absl::StrReplaceAll(step, {{"~1", "/"}, {"~0", "~"}}));
  }
}

}  // namespace runledger
