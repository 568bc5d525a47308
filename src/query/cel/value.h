// A CEL runtime value, as the evaluator passes it around: null, bool, int, uint, double,
// string, bytes, timestamp, duration, list, map, type, error, or a lazily bound value.
//
// Invariants:
//  - A Value is 32 bytes and cheap to copy. Scalars (including timestamps and durations) live
//    inline and never touch the heap.
//  - Text (strings, bytes, type names, error messages) is either *borrowed* -- a view into
//    memory that outlives the evaluation, such as a record's JSON buffer or a compiled
//    program's constants -- or *owned* by a reference-counted block shared by all copies.
//  - Lists and maps are immutable once built and shared by reference count (atomic, so values
//    may be copied concurrently from several threads).
//  - A lazy Value refers to a LazyValue it does not own; whoever binds it keeps it alive for
//    the evaluation.
#ifndef RUNLEDGER_QUERY_CEL_VALUE_H_
#define RUNLEDGER_QUERY_CEL_VALUE_H_

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace runledger::cel {

enum class ValueKind : uint8_t {
  kNull,
  kBool,
  kInt,
  kUint,
  kDouble,
  kString,
  kBytes,
  kTimestamp,
  kDuration,
  kList,
  kMap,
  kType,
  kError,
  kLazy,
};
inline constexpr int kValueKindCount = 14;

// The CEL type name of a kind ("int", "google.protobuf.Timestamp", "null_type", ...); "error"
// and "lazy" for the two kinds that are not CEL types.
std::string_view KindName(ValueKind kind);

class Value;
class ListValue;
class MapValue;
class LazyValue;

namespace internal {

// A heap block shared by the Values that refer to it.
class Shared {
 public:
  Shared() = default;
  Shared(const Shared&) = delete;
  Shared& operator=(const Shared&) = delete;
  virtual ~Shared() = default;

  void Ref() const { refs_.fetch_add(1, std::memory_order_relaxed); }
  void Unref() const {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }
  bool unique() const { return refs_.load(std::memory_order_acquire) == 1; }

 private:
  mutable std::atomic<int32_t> refs_{1};
};

}  // namespace internal

class Value {
 public:
  Value() = default;  // null
  Value(const Value& other) : kind_(other.kind_), flags_(other.flags_), rep_(other.rep_) {
    owner_ = other.owner_;
    if (owner_ != nullptr) owner_->Ref();
  }
  Value(Value&& other) noexcept
      : kind_(other.kind_), flags_(other.flags_), rep_(other.rep_), owner_(other.owner_) {
    other.owner_ = nullptr;
    other.kind_ = ValueKind::kNull;
  }
  Value& operator=(const Value& other) {
    if (this != &other) *this = Value(other);
    return *this;
  }
  Value& operator=(Value&& other) noexcept {
    if (this == &other) return *this;
    // Take `other` before letting go of the old content, which may be what holds `other`.
    const internal::Shared* old = owner_;
    kind_ = other.kind_;
    flags_ = other.flags_;
    rep_ = other.rep_;
    owner_ = other.owner_;
    other.owner_ = nullptr;
    other.kind_ = ValueKind::kNull;
    if (old != nullptr) old->Unref();
    return *this;
  }
  ~Value() {
    if (owner_ != nullptr) owner_->Unref();
  }

  // --- Construction. ---
  static Value Null() { return Value(); }
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Uint(uint64_t u);
  static Value Double(double d);
  static Value String(std::string s);  // owned
  // Borrowed: `s` must outlive every use of the value (and of its copies).
  static Value StringView(std::string_view s);
  // A borrowed string read from JSON: a string everywhere, but usable as an RFC 3339
  // timestamp where only a timestamp overload exists (see evaluator.h).
  static Value JsonString(std::string_view s);
  static Value OwnedJsonString(std::string s);
  static Value Bytes(std::string b);
  static Value BytesView(std::string_view b);
  // Timestamps and durations are not range-checked here; see cel_time.h.
  static Value Timestamp(absl::Time t);
  static Value Duration(absl::Duration d);
  // A list, or an error Value when it would weigh more than kMaxValueWeight.
  static Value List(std::vector<Value> elements);
  // A map, or an error Value when a key repeats or is not a bool, int, uint or string, or
  // when the map would weigh more than kMaxValueWeight.
  static Value Map(std::vector<std::pair<Value, Value>> entries);
  // A type value by name ("int", "google.protobuf.Timestamp", a message name). TypeView
  // borrows the name (use it for names with static storage).
  static Value TypeView(std::string_view name);
  static Value Type(std::string name);
  static Value Error(std::string message);
  static Value ErrorView(std::string_view message);  // borrowed: for literal messages
  static Value Lazy(const LazyValue* lazy);

  // --- Inspection. ---
  ValueKind kind() const { return kind_; }
  bool is(ValueKind k) const { return kind_ == k; }
  bool is_error() const { return kind_ == ValueKind::kError; }
  bool is_lazy() const { return kind_ == ValueKind::kLazy; }
  // True for a string made by JsonString().
  bool is_json_string() const { return (flags_ & kJsonString) != 0; }

  bool bool_value() const { return rep_.b; }
  int64_t int_value() const { return rep_.i; }
  uint64_t uint_value() const { return rep_.u; }
  double double_value() const { return rep_.d; }
  absl::Time timestamp_value() const { return rep_.time; }
  absl::Duration duration_value() const { return rep_.duration; }
  // The text of a string, bytes, type name or error message.
  std::string_view text() const { return std::string_view(rep_.text.data, rep_.text.size); }
  const ListValue& list() const { return *rep_.list; }
  const MapValue& map() const { return *rep_.map; }
  const LazyValue* lazy() const { return rep_.lazy; }

  // The value with lazy parts fetched (a lazy value is resolved; others are returned as is).
  Value Resolved() const;
  // A deep copy that borrows nothing: text is owned and lazy values (also inside lists and
  // maps) are resolved. Use it to keep a value beyond the memory it borrows from.
  Value Detached() const;

  // The list, for appending in place, or null unless this Value is the only reference to an
  // owned list. Only for the evaluator's comprehension accumulators.
  ListValue* mutable_list_if_unique();
  // The same for a map (see MapValue::Insert).
  MapValue* mutable_map_if_unique();

  // CEL-like text for messages and test output, e.g. `[1, "a", b"\x00", 2u]`.
  std::string DebugString() const;

 private:
  static constexpr uint8_t kJsonString = 1;
  struct Text {
    const char* data;
    size_t size;
  };
  union Rep {
    Rep() : i(0) {}
    bool b;
    int64_t i;
    uint64_t u;
    double d;
    absl::Time time;
    absl::Duration duration;
    Text text;
    const ListValue* list;
    const MapValue* map;
    const LazyValue* lazy;
  };

  static Value OwnedText(ValueKind kind, std::string s);
  static Value BorrowedText(ValueKind kind, std::string_view s);

  ValueKind kind_ = ValueKind::kNull;
  uint8_t flags_ = 0;
  Rep rep_;
  const internal::Shared* owner_ = nullptr;  // null when scalar or borrowed
};

// A list or map weighs 1 plus the weight of its elements (keys and values); anything else
// weighs 1. Building a list or map heavier than this is an error, which bounds the work of
// walking any value (equality, printing), even one whose lists share sub-lists.
inline constexpr int64_t kMaxValueWeight = int64_t{1} << 24;
int64_t Weight(const Value& v);

// An immutable list.
class ListValue final : public internal::Shared {
 public:
  size_t size() const { return elements_.size(); }
  const Value& operator[](size_t i) const { return elements_[i]; }
  const std::vector<Value>& elements() const { return elements_; }
  int64_t weight() const { return weight_; }

  // Appends; false if the list would weigh too much. Only for a list no one else can see
  // (Value::mutable_list_if_unique).
  bool Append(Value v);

 private:
  friend class Value;
  explicit ListValue(std::vector<Value> elements);

  std::vector<Value> elements_;
  int64_t weight_ = 1;
};

// A map's key in normal form: CEL treats 1, 1u and 1.0 as the same key.
struct MapKey {
  enum class Class : uint8_t { kBool, kNonNegative, kNegative, kString };
  Class cls;
  uint64_t number;  // bool, non-negative value, or the int64 bits of a negative value
  std::string_view text;

  bool operator==(const MapKey& o) const {
    return cls == o.cls && number == o.number && text == o.text;
  }
  template <typename H>
  friend H AbslHashValue(H h, const MapKey& k) {
    return H::combine(std::move(h), k.cls, k.number, k.text);
  }
};

// An immutable map with CEL key equality; entries keep their insertion order.
class MapValue final : public internal::Shared {
 public:
  // The value under `key`, or null if absent (including keys no map can hold, like 1.5).
  const Value* Find(const Value& key) const;
  const Value* FindString(std::string_view key) const;

  size_t size() const { return entries_.size(); }
  const std::vector<std::pair<Value, Value>>& entries() const { return entries_; }
  int64_t weight() const { return weight_; }

  // Adds an entry; false if the key is present or cannot be a map key, or if the map would
  // weigh too much. Only for a map no one else can see (Value::mutable_map_if_unique).
  bool Insert(Value key, Value value);

 private:
  friend class Value;
  void Index(uint32_t entry);
  static constexpr size_t kIndexThreshold = 8;  // maps above this size get a hash index

  explicit MapValue(std::vector<std::pair<Value, Value>> entries);
  const Value* Find(const MapKey& key) const;
  bool HasRepeatedKey() const;

  std::vector<std::pair<Value, Value>> entries_;
  absl::flat_hash_map<MapKey, uint32_t> index_;
  int64_t weight_ = 1;
};

// The normal form of a value used as a map key; false if no map can hold it.
bool ToMapKey(const Value& v, MapKey* key);

// One step of a path into a lazily bound value: a field/key name or an array index.
struct PathStep {
  std::string_view key;
  int64_t index = -1;
  bool is_index() const { return index >= 0; }
};

// A value whose content is fetched only when needed (e.g. a field of a record's JSON).
class LazyValue {
 public:
  virtual ~LazyValue() = default;
  // The value at the path (may itself be lazy), or an error Value ("no such key: x",
  // "index out of range").
  virtual Value Path(const PathStep* steps, size_t n) const = 0;
  // has(): bool, or an error if a parent is missing or not a map.
  virtual Value Has(const PathStep* steps, size_t n) const = 0;
  // The whole value materialised (map, list or scalar).
  virtual Value Resolve() const = 0;
  // size() of the value. Binders may answer without materialising; the default (with the
  // size() overloads, in functions_strings.cc) resolves the value and measures that.
  virtual Value Size() const;
};

}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_VALUE_H_
