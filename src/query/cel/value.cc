#include "src/query/cel/value.h"

#include <cmath>
#include <type_traits>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "src/query/cel/string_view_compat.h"

namespace runledger::cel {
namespace {

static_assert(sizeof(Value) == 32, "Value should stay small");

// Owned text lives in one of these; the Value's view points into it.
class TextBlock final : public internal::Shared {
 public:
  explicit TextBlock(std::string s) : text(std::move(s)) {}
  const std::string text;
};

}  // namespace

std::string_view KindName(ValueKind kind) {
  static constexpr std::string_view kNames[kValueKindCount] = {"null_type",
                                                               "bool",
                                                               "int",
                                                               "uint",
                                                               "double",
                                                               "string",
                                                               "bytes",
                                                               "google.protobuf.Timestamp",
                                                               "google.protobuf.Duration",
                                                               "list",
                                                               "map",
                                                               "type",
                                                               "error",
                                                               "lazy"};
  return kNames[static_cast<int>(kind)];
}

Value Value::Bool(bool b) {
  Value v;
  v.kind_ = ValueKind::kBool;
  v.rep_.b = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.kind_ = ValueKind::kInt;
  v.rep_.i = i;
  return v;
}

Value Value::Uint(uint64_t u) {
  Value v;
  v.kind_ = ValueKind::kUint;
  v.rep_.u = u;
  return v;
}

Value Value::Double(double d) {
  Value v;
  v.kind_ = ValueKind::kDouble;
  v.rep_.d = d;
  return v;
}

Value Value::OwnedText(ValueKind kind, std::string s) {
  auto* block = new TextBlock(std::move(s));
  Value v = BorrowedText(kind, block->text);
  v.owner_ = block;
  return v;
}

Value Value::BorrowedText(ValueKind kind, std::string_view s) {
  Value v;
  v.kind_ = kind;
  v.rep_.text = Text{s.data(), s.size()};
  return v;
}

Value Value::String(std::string s) { return OwnedText(ValueKind::kString, std::move(s)); }
Value Value::StringView(std::string_view s) { return BorrowedText(ValueKind::kString, s); }

Value Value::JsonString(std::string_view s) {
  Value v = StringView(s);
  v.flags_ = kJsonString;
  return v;
}

Value Value::OwnedJsonString(std::string s) {
  Value v = String(std::move(s));
  v.flags_ = kJsonString;
  return v;
}

Value Value::Bytes(std::string b) { return OwnedText(ValueKind::kBytes, std::move(b)); }
Value Value::BytesView(std::string_view b) { return BorrowedText(ValueKind::kBytes, b); }
Value Value::TypeView(std::string_view name) { return BorrowedText(ValueKind::kType, name); }
Value Value::Type(std::string name) { return OwnedText(ValueKind::kType, std::move(name)); }
Value Value::Error(std::string message) { return OwnedText(ValueKind::kError, std::move(message)); }
Value Value::ErrorView(std::string_view message) {
  return BorrowedText(ValueKind::kError, message);
}

Value Value::Timestamp(absl::Time t) {
  Value v;
  v.kind_ = ValueKind::kTimestamp;
  v.rep_.time = t;
  return v;
}

Value Value::Duration(absl::Duration d) {
  Value v;
  v.kind_ = ValueKind::kDuration;
  v.rep_.duration = d;
  return v;
}

Value Value::List(std::vector<Value> elements) {
  auto* list = new ListValue(std::move(elements));
  if (list->weight() > kMaxValueWeight) {
    list->Unref();
    return ErrorView("value too large");
  }
  Value v;
  v.kind_ = ValueKind::kList;
  v.rep_.list = list;
  v.owner_ = list;
  return v;
}

Value Value::Map(std::vector<std::pair<Value, Value>> entries) {
  MapKey key;
  for (const auto& [k, unused] : entries) {
    if (k.kind() == ValueKind::kDouble || !ToMapKey(k, &key)) {
      return Error(absl::StrCat("unsupported map key type: ", ToAbsl(KindName(k.kind()))));
    }
  }
  auto* map = new MapValue(std::move(entries));
  Value v;
  v.kind_ = ValueKind::kMap;
  v.rep_.map = map;
  v.owner_ = map;
  if (map->weight() > kMaxValueWeight) return ErrorView("value too large");
  if (map->HasRepeatedKey()) return Error("Failed with repeated key");
  return v;
}

Value Value::Lazy(const LazyValue* lazy) {
  Value v;
  v.kind_ = ValueKind::kLazy;
  v.rep_.lazy = lazy;
  return v;
}

Value Value::Resolved() const { return is_lazy() ? lazy()->Resolve() : *this; }

Value Value::Detached() const {
  switch (kind_) {
    case ValueKind::kString:
    case ValueKind::kBytes:
    case ValueKind::kType:
    case ValueKind::kError: {
      if (owner_ != nullptr) return *this;
      Value v = OwnedText(kind_, std::string(text()));
      v.flags_ = flags_;
      return v;
    }
    case ValueKind::kList: {
      std::vector<Value> elements;
      elements.reserve(list().size());
      for (const Value& e : list().elements()) elements.push_back(e.Detached());
      return List(std::move(elements));
    }
    case ValueKind::kMap: {
      std::vector<std::pair<Value, Value>> entries;
      entries.reserve(map().size());
      for (const auto& [k, e] : map().entries()) entries.emplace_back(k.Detached(), e.Detached());
      return Map(std::move(entries));
    }
    case ValueKind::kLazy:
      return lazy()->Resolve().Detached();
    default:
      return *this;
  }
}

MapValue* Value::mutable_map_if_unique() {
  if (kind_ != ValueKind::kMap || owner_ == nullptr || !owner_->unique()) return nullptr;
  return const_cast<MapValue*>(rep_.map);
}

ListValue* Value::mutable_list_if_unique() {
  if (kind_ != ValueKind::kList || owner_ == nullptr || !owner_->unique()) return nullptr;
  return const_cast<ListValue*>(rep_.list);
}

int64_t Weight(const Value& v) {
  if (v.is(ValueKind::kList)) return v.list().weight();
  if (v.is(ValueKind::kMap)) return v.map().weight();
  return 1;
}

ListValue::ListValue(std::vector<Value> elements) : elements_(std::move(elements)) {
  for (const Value& e : elements_) weight_ += Weight(e);
}

bool ListValue::Append(Value v) {
  int64_t w = Weight(v);
  if (weight_ + w > kMaxValueWeight) return false;
  weight_ += w;
  elements_.push_back(std::move(v));
  return true;
}

std::string Value::DebugString() const {
  switch (kind_) {
    case ValueKind::kNull:
      return "null";
    case ValueKind::kBool:
      return rep_.b ? "true" : "false";
    case ValueKind::kInt:
      return absl::StrCat(rep_.i);
    case ValueKind::kUint:
      return absl::StrCat(rep_.u, "u");
    case ValueKind::kDouble:
      return absl::StrCat(rep_.d);
    case ValueKind::kString:
      return absl::StrCat("\"", absl::CHexEscape(absl::string_view(text().data(), text().size())),
                          "\"");
    case ValueKind::kBytes:
      return absl::StrCat("b\"", absl::CHexEscape(absl::string_view(text().data(), text().size())),
                          "\"");
    case ValueKind::kTimestamp:
      return absl::StrCat("timestamp(\"",
                          absl::FormatTime(absl::RFC3339_full, rep_.time, absl::UTCTimeZone()),
                          "\")");
    case ValueKind::kDuration:
      return absl::StrCat("duration(\"", absl::FormatDuration(rep_.duration), "\")");
    case ValueKind::kList:
      return absl::StrCat(
          "[",
          absl::StrJoin(list().elements(), ", ",
                        [](std::string* out, const Value& e) { out->append(e.DebugString()); }),
          "]");
    case ValueKind::kMap:
      return absl::StrCat("{",
                          absl::StrJoin(map().entries(), ", ",
                                        [](std::string* out, const auto& e) {
                                          absl::StrAppend(out, e.first.DebugString(), ": ",
                                                          e.second.DebugString());
                                        }),
                          "}");
    case ValueKind::kType:
      return std::string(text());
    case ValueKind::kError:
      return absl::StrCat("error(\"", ToAbsl(text()), "\")");
    case ValueKind::kLazy:
      return lazy()->Resolve().DebugString();
  }
  return "?";
}

bool ToMapKey(const Value& v, MapKey* key) {
  key->text = {};
  switch (v.kind()) {
    case ValueKind::kBool:
      *key = {MapKey::Class::kBool, v.bool_value(), {}};
      return true;
    case ValueKind::kInt:
      *key = {v.int_value() < 0 ? MapKey::Class::kNegative : MapKey::Class::kNonNegative,
              static_cast<uint64_t>(v.int_value()),
              {}};
      return true;
    case ValueKind::kUint:
      *key = {MapKey::Class::kNonNegative, v.uint_value(), {}};
      return true;
    case ValueKind::kDouble: {
      // Only a whole number within int64 or uint64 range can equal an integer key.
      double d = v.double_value();
      if (!(d == std::trunc(d)) || d < -9223372036854775808.0 || d >= 18446744073709551616.0) {
        return false;
      }
      if (d < 0) {
        *key = {MapKey::Class::kNegative, static_cast<uint64_t>(static_cast<int64_t>(d)), {}};
      } else {
        *key = {MapKey::Class::kNonNegative, static_cast<uint64_t>(d), {}};
      }
      return true;
    }
    case ValueKind::kString:
      *key = {MapKey::Class::kString, 0, v.text()};
      return true;
    default:
      return false;
  }
}

MapValue::MapValue(std::vector<std::pair<Value, Value>> entries) : entries_(std::move(entries)) {
  for (const auto& [key, value] : entries_) weight_ += Weight(key) + Weight(value);
  if (entries_.size() <= kIndexThreshold) return;
  index_.reserve(entries_.size());
  for (uint32_t i = 0; i < entries_.size(); ++i) Index(i);
}

void MapValue::Index(uint32_t entry) {
  MapKey key;
  ToMapKey(entries_[entry].first, &key);  // text views stay valid: text never moves
  index_.emplace(key, entry);
}

bool MapValue::Insert(Value key, Value value) {
  MapKey k;
  if (key.is(ValueKind::kDouble) || !ToMapKey(key, &k) || Find(k) != nullptr) return false;
  int64_t w = Weight(key) + Weight(value);
  if (weight_ + w > kMaxValueWeight) return false;
  weight_ += w;
  entries_.emplace_back(std::move(key), std::move(value));
  if (!index_.empty()) {
    Index(static_cast<uint32_t>(entries_.size() - 1));
  } else if (entries_.size() > kIndexThreshold) {
    for (uint32_t i = 0; i < entries_.size(); ++i) Index(i);
  }
  return true;
}

bool MapValue::HasRepeatedKey() const {
  if (!index_.empty()) return index_.size() != entries_.size();
  for (size_t i = 0; i < entries_.size(); ++i) {
    MapKey a;
    ToMapKey(entries_[i].first, &a);
    for (size_t j = i + 1; j < entries_.size(); ++j) {
      MapKey b;
      ToMapKey(entries_[j].first, &b);
      if (a == b) return true;
    }
  }
  return false;
}

const Value* MapValue::Find(const MapKey& key) const {
  if (!index_.empty()) {
    auto it = index_.find(key);
    return it == index_.end() ? nullptr : &entries_[it->second].second;
  }
  for (const auto& [k, v] : entries_) {
    MapKey candidate;
    ToMapKey(k, &candidate);
    if (candidate == key) return &v;
  }
  return nullptr;
}

const Value* MapValue::Find(const Value& key) const {
  MapKey k;
  if (!ToMapKey(key, &k)) return nullptr;
  return Find(k);
}

const Value* MapValue::FindString(std::string_view key) const {
  return Find(MapKey{MapKey::Class::kString, 0, key});
}

}  // namespace runledger::cel
