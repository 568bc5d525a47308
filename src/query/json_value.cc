#include "src/query/json_value.h"

#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"

namespace runledger {
namespace {

namespace ondemand = simdjson::ondemand;
using cel::PathStep;
using cel::Value;

// Appends one JSON Pointer reference token (RFC 6901: '~' as "~0", '/' as "~1").
void AppendToken(const PathStep& step, std::string* pointer) {
  pointer->push_back('/');
  if (step.is_index()) {
    absl::StrAppend(pointer, step.index);
    return;
  }
  for (char c : step.key) {
    if (c == '~') {
      pointer->append("~0");
    } else if (c == '/') {
      pointer->append("~1");
    } else {
      pointer->push_back(c);
    }
  }
}

Value NotFound(simdjson::error_code error) {
  if (error == simdjson::TAPE_ERROR) return Value::ErrorView("invalid JSON");
  if (error == simdjson::NO_SUCH_FIELD) return Value::ErrorView("no such key");
  if (error == simdjson::INDEX_OUT_OF_BOUNDS) return Value::ErrorView("index out of range");
  if (error == simdjson::INCORRECT_TYPE) return Value::ErrorView("no such overload");
  return Value::Error(absl::StrCat("invalid JSON: ", simdjson::error_message(error)));
}

// A JSON string as a CEL value: a view into the document when it holds no escapes, else an
// owned copy (the parser's unescape buffer is reused by the next lookup).
Value StringValue(ondemand::value& value) {
  std::string_view token = value.raw_json_token();
  const size_t close = token.rfind('"');
  if (close != std::string_view::npos && close > 0) {
    std::string_view content = token.substr(1, close - 1);
    if (content.find('\\') == std::string_view::npos) return Value::JsonString(content);
  }
  std::string_view unescaped;
  if (auto error = value.get_string().get(unescaped)) return NotFound(error);
  return Value::OwnedJsonString(std::string(unescaped));
}

// A scalar as a CEL value; objects and arrays are left to the caller.
Value Scalar(ondemand::value& value, ondemand::json_type type) {
  switch (type) {
    case ondemand::json_type::string:
      return StringValue(value);
    case ondemand::json_type::number: {
      double d = 0;
      if (auto error = value.get_double().get(d)) return NotFound(error);
      return Value::Double(d);
    }
    case ondemand::json_type::boolean: {
      bool b = false;
      if (auto error = value.get_bool().get(b)) return NotFound(error);
      return Value::Bool(b);
    }
    default:
      return Value::Null();
  }
}

// The whole value, with objects as maps and arrays as lists (keys are copied: see StringValue).
Value Materialize(ondemand::value value) {
  ondemand::json_type type;
  if (auto error = value.type().get(type)) return NotFound(error);
  if (type == ondemand::json_type::array) {
    std::vector<Value> elements;
    for (auto element : value.get_array()) {
      ondemand::value v;
      if (auto error = element.get(v)) return NotFound(error);
      elements.push_back(Materialize(v));
    }
    return Value::List(std::move(elements));
  }
  if (type == ondemand::json_type::object) {
    std::vector<std::pair<Value, Value>> entries;
    for (auto field : value.get_object()) {
      std::string_view key;
      if (auto error = field.unescaped_key().get(key)) return NotFound(error);
      Value k = Value::String(std::string(key));
      entries.emplace_back(std::move(k), Materialize(field.value()));
    }
    return Value::Map(std::move(entries));
  }
  return Scalar(value, type);
}

}  // namespace

JsonDocument::JsonDocument() { nodes_.emplace_back(this, ""); }

void JsonDocument::Bind(std::string_view json) {
  if (json.size() + simdjson::SIMDJSON_PADDING > buffer_.size()) {
    buffer_ = simdjson::padded_string(json.size() * 2 + simdjson::SIMDJSON_PADDING);
  }
  std::copy(json.begin(), json.end(), buffer_.data());
  Iterate(buffer_.data(), json.size(), buffer_.size());
}

void JsonDocument::Bind(std::string_view json, std::string_view enclosing) {
  const char* end = enclosing.data() + enclosing.size();
  if (json.data() < enclosing.data() || json.data() + json.size() > end ||
      static_cast<size_t>(end - (json.data() + json.size())) < simdjson::SIMDJSON_PADDING) {
    Bind(json);
    return;
  }
  Iterate(json.data(), json.size(), static_cast<size_t>(end - json.data()));
}

void JsonDocument::Iterate(const char* data, size_t size, size_t capacity) {
  nodes_.erase(nodes_.begin() + 1, nodes_.end());
  valid_ = parser_.iterate(data, size, capacity).get(document_) == simdjson::SUCCESS;
}

Value JsonDocument::NewNode(std::string pointer, ondemand::value found) const {
  nodes_.emplace_back(this, std::move(pointer), found, moves_);
  return Value::Lazy(&nodes_.back());
}

simdjson::error_code JsonDocument::Lookup(const std::string& pointer,
                                          ondemand::value* value) const {
  if (!valid_) return simdjson::TAPE_ERROR;
  ++moves_;
  return document_.at_pointer(pointer).get(*value);
}

Value JsonDocument::At(const std::string& pointer) const {
  ondemand::value value;
  if (auto error = Lookup(pointer, &value)) return NotFound(error);
  ondemand::json_type type;
  if (auto e = value.type().get(type)) return NotFound(e);
  if (type == ondemand::json_type::object || type == ondemand::json_type::array) {
    return NewNode(pointer, value);
  }
  return Scalar(value, type);
}

std::string JsonDocument::Node::PointerTo(const PathStep* steps, size_t n) const {
  std::string pointer = pointer_;
  for (size_t i = 0; i < n; ++i) AppendToken(steps[i], &pointer);
  return pointer;
}

Value JsonDocument::Node::Path(const PathStep* steps, size_t n) const {
  return doc_->At(PointerTo(steps, n));
}

Value JsonDocument::Node::Has(const PathStep* steps, size_t n) const {
  if (n == 0) return Value::ErrorView("invalid has() path");
  ondemand::value parent;
  if (auto error = doc_->Lookup(PointerTo(steps, n - 1), &parent)) return NotFound(error);
  ondemand::object object;
  if (parent.get_object().get(object) != simdjson::SUCCESS) {
    return Value::ErrorView("no such overload");
  }
  ondemand::value field;
  simdjson::error_code error = object.find_field_unordered(steps[n - 1].key).get(field);
  if (error == simdjson::NO_SUCH_FIELD) return Value::Bool(false);
  if (error) return NotFound(error);
  return Value::Bool(true);
}

Value JsonDocument::Node::Resolve() const {
  ondemand::value value;
  if (auto error = Find(&value)) return NotFound(error);
  return runledger::Materialize(value);
}

simdjson::error_code JsonDocument::Node::Find(ondemand::value* value) const {
  if (found_at_ != doc_->moves_) return doc_->Lookup(pointer_, value);
  *value = found_;
  ++doc_->moves_;  // reading it moves the iterator
  return simdjson::SUCCESS;
}

Value JsonDocument::Node::Size() const {
  ondemand::value value;
  simdjson::error_code error = Find(&value);
  if (error) return NotFound(error);
  ondemand::json_type type;
  if (auto e = value.type().get(type)) return NotFound(e);
  size_t count = 0;
  if (type == ondemand::json_type::array) {
    error = value.count_elements().get(count);
  } else if (type == ondemand::json_type::object) {
    error = value.count_fields().get(count);
  } else {
    return Value::ErrorView("no such overload");
  }
  if (error) return NotFound(error);
  return Value::Int(static_cast<int64_t>(count));
}

}  // namespace runledger
