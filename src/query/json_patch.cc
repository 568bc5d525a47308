#include "src/query/json_patch.h"

#include <algorithm>
#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"

namespace runledger {
namespace {

using simdjson::dom::element;
using simdjson::dom::element_type;

// An object's members in the order nlohmann::json iterates them: sorted by key, and of
// duplicate keys only the last.
struct Member {
  std::string_view key;
  element value;
  uint32_t position;  // in the object, to keep the last of duplicates
};
using Members = absl::InlinedVector<Member, 16>;

Members SortedMembers(element object_element) {
  // (value_unsafe() returns into its temporary: copy before iterating.)
  const simdjson::dom::object object = object_element.get_object().value_unsafe();
  Members members;
  uint32_t position = 0;
  for (simdjson::dom::key_value_pair field : object) {
    members.push_back(Member{field.key, field.value, position++});
  }
  auto before = [](const Member& a, const Member& b) {
    return a.key != b.key ? a.key < b.key : a.position < b.position;
  };
  if (!std::is_sorted(members.begin(), members.end(), before)) {
    std::sort(members.begin(), members.end(), before);
  }
  size_t kept = 0;
  for (size_t i = 0; i < members.size(); ++i) {
    if (i + 1 < members.size() && members[i + 1].key == members[i].key) continue;
    members[kept++] = members[i];
  }
  members.resize(kept);
  return members;
}

bool IsNumber(element_type type) {
  return type == element_type::INT64 || type == element_type::UINT64 ||
         type == element_type::DOUBLE;
}

double AsDouble(element number) {
  switch (number.type()) {
    case element_type::INT64:
      return static_cast<double>(number.get_int64().value_unsafe());
    case element_type::UINT64:
      return static_cast<double>(number.get_uint64().value_unsafe());
    default:
      return number.get_double().value_unsafe();
  }
}

// An integer as nlohmann compares a signed with an unsigned one: the unsigned cast to int64.
int64_t AsInt64(element integer) {
  if (integer.type() == element_type::UINT64) {
    return static_cast<int64_t>(integer.get_uint64().value_unsafe());
  }
  return integer.get_int64().value_unsafe();
}

// nlohmann's `==` on two values, at least one of them not a container.
bool EqualScalars(element a, element b) {
  const element_type type = a.type();
  if (type != b.type()) {
    if (!IsNumber(type) || !IsNumber(b.type())) return false;
    if (type == element_type::DOUBLE || b.type() == element_type::DOUBLE) {
      return AsDouble(a) == AsDouble(b);
    }
    return AsInt64(a) == AsInt64(b);
  }
  switch (type) {
    case element_type::STRING:
      return a.get_string().value_unsafe() == b.get_string().value_unsafe();
    case element_type::INT64:
      return a.get_int64().value_unsafe() == b.get_int64().value_unsafe();
    case element_type::UINT64:
      return a.get_uint64().value_unsafe() == b.get_uint64().value_unsafe();
    case element_type::DOUBLE:
      return a.get_double().value_unsafe() == b.get_double().value_unsafe();
    case element_type::BOOL:
      return a.get_bool().value_unsafe() == b.get_bool().value_unsafe();
    case element_type::NULL_VALUE:
      return true;
    default:
      return false;
  }
}

// Writes the operations of nlohmann::json::diff, in its order, as they are found.
class PatchWriter {
 public:
  void Diff(element before, element after) {
    const element_type type = before.type();
    if (type == element_type::ARRAY && after.type() == type) return DiffArrays(before, after);
    if (type == element_type::OBJECT && after.type() == type) return DiffObjects(before, after);
    if (!EqualScalars(before, after)) Operation("replace", &after);
  }

  std::string Finish() {
    text_ += ']';
    return std::move(text_);
  }

 private:
  // One step of the path to the values being compared: an array index or an object key.
  struct Segment {
    std::string_view key;
    size_t index;
    bool is_index;
  };

  void DiffArrays(element before, element after) {
    const simdjson::dom::array from = before.get_array().value_unsafe();
    const simdjson::dom::array to = after.get_array().value_unsafe();
    size_t common = 0;
    auto it = to.begin();
    for (element item : from) {
      if (it == to.end()) break;
      path_.push_back(Segment{{}, common++, true});
      Diff(item, *it);
      path_.pop_back();
      ++it;
    }
    // Removals last index first, so that each index is still valid when applied.
    for (size_t i = from.size(); i-- > common;) {
      path_.push_back(Segment{{}, i, true});
      Operation("remove", nullptr);
      path_.pop_back();
    }
    for (; it != to.end(); ++it) {
      path_.push_back(Segment{"-", 0, false});
      const element item = *it;
      Operation("add", &item);
      path_.pop_back();
    }
  }

  void DiffObjects(element before, element after) {
    const Members from = SortedMembers(before);
    const Members to = SortedMembers(after);
    // First the members of `before`, each changed or removed; then those only `after` has.
    size_t j = 0;
    for (const Member& member : from) {
      int order = 1;  // of to[j] against member
      while (j < to.size() && (order = to[j].key.compare(member.key)) < 0) ++j;
      path_.push_back(Segment{member.key, 0, false});
      if (j < to.size() && order == 0) {
        Diff(member.value, to[j].value);
      } else {
        Operation("remove", nullptr);
      }
      path_.pop_back();
    }
    size_t i = 0;
    for (const Member& member : to) {
      int order = 1;  // of from[i] against member
      while (i < from.size() && (order = from[i].key.compare(member.key)) < 0) ++i;
      if (i < from.size() && order == 0) continue;
      path_.push_back(Segment{member.key, 0, false});
      Operation("add", &member.value);
      path_.pop_back();
    }
  }

  // The JSON Pointer (RFC 6901) of the current path: keys with `~` and `/` escaped.
  std::string Pointer() const {
    std::string pointer;
    for (const Segment& segment : path_) {
      pointer += '/';
      if (segment.is_index) {
        absl::StrAppend(&pointer, segment.index);
        continue;
      }
      for (char c : segment.key) {
        if (c == '~') {
          pointer += "~0";
        } else if (c == '/') {
          pointer += "~1";
        } else {
          pointer += c;
        }
      }
    }
    return pointer;
  }

  // One operation at the current path, its members in nlohmann's (sorted) order.
  void Operation(absl::string_view op, const element* value) {
    if (text_.size() > 1) text_ += ',';
    absl::StrAppend(&text_, R"({"op":")", op, R"(","path":)", nlohmann::json(Pointer()).dump());
    if (value != nullptr) absl::StrAppend(&text_, R"(,"value":)", ToNlohmann(*value).dump());
    text_ += '}';
  }

  std::vector<Segment> path_;
  std::string text_ = "[";
};

}  // namespace

nlohmann::json ToNlohmann(element element) {
  switch (element.type()) {
    case element_type::ARRAY: {
      const simdjson::dom::array items = element.get_array().value_unsafe();
      nlohmann::json array = nlohmann::json::array();
      for (simdjson::dom::element item : items) array.push_back(ToNlohmann(item));
      return array;
    }
    case element_type::OBJECT: {
      const simdjson::dom::object fields = element.get_object().value_unsafe();
      nlohmann::json object = nlohmann::json::object();
      for (simdjson::dom::key_value_pair field : fields) {
        object[std::string(field.key)] = ToNlohmann(field.value);
      }
      return object;
    }
    case element_type::INT64:
      return element.get_int64().value_unsafe();
    case element_type::UINT64:
      return element.get_uint64().value_unsafe();
    case element_type::DOUBLE:
      return element.get_double().value_unsafe();
    case element_type::STRING:
      return std::string(element.get_string().value_unsafe());
    case element_type::BOOL:
      return element.get_bool().value_unsafe();
    case element_type::NULL_VALUE:
      return nullptr;
  }
  return nullptr;
}

std::string JsonPatch(element before, element after) {
  PatchWriter writer;
  writer.Diff(before, after);
  return writer.Finish();
}

}  // namespace runledger
