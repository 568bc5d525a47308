#include "src/query/cel/types.h"

#include "absl/strings/str_cat.h"
#include "src/query/cel/functions.h"

namespace runledger::cel {

struct Type::Params {
  Type key;
  Type element;
};

Type Type::List(Type element) {
  Type t(Kind::kList);
  t.params_ = std::make_shared<const Params>(Params{Type(), std::move(element)});
  return t;
}

Type Type::Map(Type key, Type value) {
  Type t(Kind::kMap);
  t.params_ = std::make_shared<const Params>(Params{std::move(key), std::move(value)});
  return t;
}

Type Type::Message(std::shared_ptr<const MessageType> message) {
  Type t(Kind::kMessage);
  t.message_ = std::move(message);
  return t;
}

Type Type::OfKind(ValueKind kind) {
  switch (kind) {
    case ValueKind::kNull:
      return Null();
    case ValueKind::kBool:
      return Bool();
    case ValueKind::kInt:
      return Int();
    case ValueKind::kUint:
      return Uint();
    case ValueKind::kDouble:
      return Double();
    case ValueKind::kString:
      return String();
    case ValueKind::kBytes:
      return Bytes();
    case ValueKind::kTimestamp:
      return Timestamp();
    case ValueKind::kDuration:
      return Duration();
    case ValueKind::kList:
      return List(Dyn());
    case ValueKind::kMap:
      return Map(Dyn(), Dyn());
    case ValueKind::kType:
      return TypeType();
    case ValueKind::kError:
    case ValueKind::kLazy:
      return Dyn();
  }
  return Dyn();
}

Type Type::element() const { return params_ ? params_->element : Type(); }
Type Type::key() const { return params_ ? params_->key : Type(); }

uint16_t Type::kind_mask() const {
  switch (kind_) {
    case Kind::kDyn:
      return kAnyKind;
    case Kind::kMessage:  // messages are maps at run time
      return Mask(ValueKind::kMap);
    default:
      // The other kinds share their order with ValueKind, offset by dyn.
      static_assert(static_cast<int>(Kind::kType) - 1 == static_cast<int>(ValueKind::kType));
      return Mask(static_cast<ValueKind>(static_cast<int>(kind_) - 1));
  }
}

std::string Type::Name() const {
  switch (kind_) {
    case Kind::kDyn:
      return "dyn";
    case Kind::kList:
      return absl::StrCat("list(", element().Name(), ")");
    case Kind::kMap:
      return absl::StrCat("map(", key().Name(), ", ", element().Name(), ")");
    case Kind::kMessage:
      return message_->name();
    default:
      return std::string(KindName(static_cast<ValueKind>(static_cast<int>(kind_) - 1)));
  }
}

MessageType::MessageType(std::string name, std::vector<std::pair<std::string, Type>> fields)
    : name_(std::move(name)) {
  for (auto& [field, type] : fields) fields_.emplace(std::move(field), std::move(type));
}

const Type* MessageType::FindField(std::string_view field) const {
  auto it = fields_.find(absl::string_view(field.data(), field.size()));
  return it == fields_.end() ? nullptr : &it->second;
}

std::shared_ptr<const MessageType> RecordSummaryType() {
  static const auto* const type =
      new std::shared_ptr<const MessageType>(std::make_shared<const MessageType>(
          "tekton.results.v1alpha2.RecordSummary",
          std::vector<std::pair<std::string, Type>>{
              {"record", Type::String()},
              {"type", Type::String()},
              {"start_time", Type::Timestamp()},
              {"end_time", Type::Timestamp()},
              {"status", Type::Int()},
              {"annotations", Type::Map(Type::String(), Type::String())},
          }));
  return *type;
}

absl::StatusOr<int> Environment::AddVariable(std::string name, Type type) {
  if (variable_index_.contains(name) || constants_.contains(name)) {
    return absl::AlreadyExistsError(absl::StrCat("'", name, "' is already declared"));
  }
  int slot = static_cast<int>(variables_.size());
  variable_index_.emplace(name, variables_.size());
  variables_.push_back(Variable{std::move(name), std::move(type), slot});
  return slot;
}

absl::Status Environment::AddConstant(std::string name, Value value) {
  if (variable_index_.contains(name) || constants_.contains(name)) {
    return absl::AlreadyExistsError(absl::StrCat("'", name, "' is already declared"));
  }
  constants_.emplace(std::move(name), std::move(value));
  return absl::OkStatus();
}

const Environment::Variable* Environment::FindVariable(std::string_view name) const {
  auto it = variable_index_.find(absl::string_view(name.data(), name.size()));
  return it == variable_index_.end() ? nullptr : &variables_[it->second];
}

const Value* Environment::FindConstant(std::string_view name) const {
  auto it = constants_.find(absl::string_view(name.data(), name.size()));
  return it == constants_.end() ? nullptr : &it->second;
}

}  // namespace runledger::cel
