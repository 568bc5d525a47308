// Static types of CEL expressions and the Environment a program is compiled in.
//
// A Type is what the checker knows about an expression before evaluation: a primitive, a list
// or map with element types, a type value, a named message type with a field table, or dyn
// (unknown). Types are immutable and cheap to copy (parameters are shared).
//
// An Environment declares what names mean: the container (namespace) that qualifies names,
// the variables (each with a slot: its index in the span Program::Evaluate receives, in
// declaration order) and the constants (inlined into programs when compiled). Invariant: a
// name is declared at most once, as a variable or as a constant.
#ifndef RUNLEDGER_QUERY_CEL_TYPES_H_
#define RUNLEDGER_QUERY_CEL_TYPES_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/query/cel/value.h"

namespace runledger::cel {

class MessageType;

class Type {
 public:
  enum class Kind : uint8_t {
    kDyn,
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
    kMessage,
  };

  Type() = default;  // dyn
  static Type Dyn() { return Type(); }
  static Type Null() { return Type(Kind::kNull); }
  static Type Bool() { return Type(Kind::kBool); }
  static Type Int() { return Type(Kind::kInt); }
  static Type Uint() { return Type(Kind::kUint); }
  static Type Double() { return Type(Kind::kDouble); }
  static Type String() { return Type(Kind::kString); }
  static Type Bytes() { return Type(Kind::kBytes); }
  static Type Timestamp() { return Type(Kind::kTimestamp); }
  static Type Duration() { return Type(Kind::kDuration); }
  static Type TypeType() { return Type(Kind::kType); }
  static Type List(Type element);
  static Type Map(Type key, Type value);
  static Type Message(std::shared_ptr<const MessageType> message);
  // The static type of values of a runtime kind (dyn for error and lazy, list(dyn), ...).
  static Type OfKind(ValueKind kind);

  Kind kind() const { return kind_; }
  bool is_dyn() const { return kind_ == Kind::kDyn; }
  // Whether a value of this type can be a bool (bool or dyn): what a filter must be.
  bool may_be_bool() const { return kind_ == Kind::kDyn || kind_ == Kind::kBool; }
  // List element type, or map value type; dyn otherwise.
  Type element() const;
  // Map key type; dyn otherwise.
  Type key() const;
  const MessageType* message() const { return message_.get(); }
  // The runtime kinds a value of this type can have (every kind for dyn).
  uint16_t kind_mask() const;

  // "int", "list(string)", "map(string, dyn)", "google.protobuf.Timestamp", a message name.
  std::string Name() const;

 private:
  struct Params;
  explicit Type(Kind kind) : kind_(kind) {}

  Kind kind_ = Kind::kDyn;
  std::shared_ptr<const Params> params_;        // list and map
  std::shared_ptr<const MessageType> message_;  // message
};

// A message type known to the checker: a name and its fields.
class MessageType {
 public:
  MessageType(std::string name, std::vector<std::pair<std::string, Type>> fields);

  const std::string& name() const { return name_; }
  // The field's type, or null if the message has no such field.
  const Type* FindField(std::string_view field) const;

 private:
  std::string name_;
  absl::flat_hash_map<std::string, Type> fields_;
};

// Tekton Results' RecordSummary: record, type, start_time, end_time, status, annotations.
std::shared_ptr<const MessageType> RecordSummaryType();

class Environment {
 public:
  struct Variable {
    std::string name;
    Type type;
    int slot;
  };

  // The namespace names are resolved in: inside "a.b", `y` means a.b.y, else a.y, else y.
  void set_container(std::string container) { container_ = std::move(container); }
  const std::string& container() const { return container_; }

  // Declares a variable, returning its slot. AlreadyExists if the name is taken.
  absl::StatusOr<int> AddVariable(std::string name, Type type);
  // Declares a constant. Its value must own its memory (or borrow static storage).
  absl::Status AddConstant(std::string name, Value value);

  // When false, references to undeclared names and unknown functions compile into
  // expressions that evaluate to an error instead of failing compilation (what a checker-less
  // evaluator does; the conformance tests marked disable_check expect it). Default true.
  void set_check_references(bool check) { check_references_ = check; }
  bool check_references() const { return check_references_; }

  const Variable* FindVariable(std::string_view name) const;
  const Value* FindConstant(std::string_view name) const;
  size_t variable_count() const { return variables_.size(); }
  const std::vector<Variable>& variables() const { return variables_; }

 private:
  std::string container_;
  std::vector<Variable> variables_;
  absl::flat_hash_map<std::string, size_t> variable_index_;
  absl::flat_hash_map<std::string, Value> constants_;
  bool check_references_ = true;
};

}  // namespace runledger::cel

#endif  // RUNLEDGER_QUERY_CEL_TYPES_H_
