// JsonDocument: a record's JSON bound to a CEL variable without building a DOM.
//
// Bind() only indexes the document's structure lazily (simdjson On Demand); each path the
// filter reads (`data.status.conditions[0].reason`) becomes one JSON Pointer lookup, and only a
// value the filter uses whole (an object it iterates, compares or passes to a function) is
// turned into a CEL map or list. Per cel-spec's JSON mapping, numbers are doubles and strings
// are JSON strings (usable as RFC 3339 timestamps, see value.h).
//
// Invariants: values handed out borrow from the document and stay valid until the next Bind();
// one JsonDocument serves one evaluation at a time (it is not thread-safe).
#ifndef RUNLEDGER_QUERY_JSON_VALUE_H_
#define RUNLEDGER_QUERY_JSON_VALUE_H_

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>

#include "simdjson.h"
#include "src/query/cel/value.h"

namespace runledger {

class JsonDocument {
 public:
  JsonDocument();
  JsonDocument(const JsonDocument&) = delete;
  JsonDocument& operator=(const JsonDocument&) = delete;

  // Binds `json` (copied into the document's padded buffer); the root value is returned by
  // root(). Invalid JSON binds a root whose every use is an error.
  void Bind(std::string_view json);

  // Binds `json`, a part of `enclosing`, in place when enough of `enclosing` follows it to serve
  // as simdjson's padding (which simdjson reads but never interprets), else as Bind(json) does.
  // In place, `enclosing` must outlive the binding.
  void Bind(std::string_view json, std::string_view enclosing);

  // The root as a lazy CEL value.
  cel::Value root() const { return cel::Value::Lazy(&nodes_.front()); }

  // The bound document as simdjson iterates it, for readers of other values of the same JSON
  // (each at_pointer() rewinds it); null when the JSON did not parse.
  simdjson::ondemand::document* parsed() const {
    ++moves_;  // the reader moves the iterator
    return valid_ ? &document_ : nullptr;
  }

 private:
  // A value at a JSON Pointer inside the bound document.
  class Node final : public cel::LazyValue {
   public:
    Node(const JsonDocument* doc, std::string pointer) : doc_(doc), pointer_(std::move(pointer)) {}
    // A node whose value the document's lookup number `found_at` just found.
    Node(const JsonDocument* doc, std::string pointer, simdjson::ondemand::value found,
         uint64_t found_at)
        : doc_(doc), pointer_(std::move(pointer)), found_(found), found_at_(found_at) {}
    cel::Value Path(const cel::PathStep* steps, size_t n) const override;
    cel::Value Has(const cel::PathStep* steps, size_t n) const override;
    cel::Value Resolve() const override;
    cel::Value Size() const override;

   private:
    std::string PointerTo(const cel::PathStep* steps, size_t n) const;
    // The value at pointer_, found again unless the document has not moved since it was found.
    simdjson::error_code Find(simdjson::ondemand::value* value) const;
    const JsonDocument* doc_;
    std::string pointer_;
    simdjson::ondemand::value found_;
    uint64_t found_at_ = 0;  // the lookup that found found_; 0 for none
  };

  // Starts iterating the `size` bytes at `data`, of which `capacity` are readable.
  void Iterate(const char* data, size_t size, size_t capacity);
  // Finds the value at `pointer` (TAPE_ERROR when the document did not parse).
  simdjson::error_code Lookup(const std::string& pointer, simdjson::ondemand::value* value) const;
  // The value at `pointer`, as a CEL value: scalars directly, objects and arrays as new nodes.
  cel::Value At(const std::string& pointer) const;
  // Appends a node for `pointer`, whose value the last lookup found, and returns it as a lazy
  // value.
  cel::Value NewNode(std::string pointer, simdjson::ondemand::value found) const;

  mutable simdjson::ondemand::parser parser_;
  simdjson::padded_string buffer_;
  mutable simdjson::ondemand::document document_;
  bool valid_ = false;
  // Numbers every move of the document's iterator: a value found by move N stays readable while
  // moves_ is N (so that size(data.x) reads the array its path lookup just found, without a
  // second walk from the root).
  mutable uint64_t moves_ = 1;
  // nodes_.front() is the root; the rest live until the next Bind(). A deque keeps them in
  // place as it grows.
  mutable std::deque<Node> nodes_;
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_JSON_VALUE_H_
