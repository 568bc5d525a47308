#include "src/query/filter.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/common/names.h"
#include "src/common/time_util.h"
#include "src/query/cel/parser.h"
#include "src/query/cel/string_view_compat.h"
#include "src/query/filter_env_constants.h"

namespace runledger {
namespace {

using cel::Type;
using cel::Value;
using tekton::results::v1alpha2::Record;
using tekton::results::v1alpha2::RecordSummary;
using tekton::results::v1alpha2::Result;

// Variable slots, in declaration order.
enum RecordSlot { kRecordParent, kResultName, kRecordName, kDataType, kData, kRecordSlots };
enum ResultSlot {
  kResultParent,
  kUid,
  kAnnotations,
  kSummary,
  kCreateTime,
  kUpdateTime,
  kResultSlots
};

void Declare(cel::Environment& env, const char* name, Type type) {
  // Names are fixed and distinct, so declaring cannot fail.
  (void)env.AddVariable(name, std::move(type));
}

void AddTypeConstants(cel::Environment& env) {
  for (const TypeConstant& c : kTypeConstants) {
    (void)env.AddConstant(std::string(c.name), Value::StringView(c.value));
  }
}

const cel::Environment& RecordEnvironment() {
  static const auto* env = [] {
    auto* e = new cel::Environment();
    Declare(*e, "parent", Type::String());
    Declare(*e, "result_name", Type::String());
    Declare(*e, "name", Type::String());
    Declare(*e, "data_type", Type::String());
    Declare(*e, "data", Type::Dyn());
    AddTypeConstants(*e);
    return e;
  }();
  return *env;
}

const cel::Environment& ResultEnvironment() {
  static const auto* env = [] {
    auto* e = new cel::Environment();
    Declare(*e, "parent", Type::String());
    Declare(*e, "uid", Type::String());
    Declare(*e, "annotations", Type::Map(Type::String(), Type::String()));
    Declare(*e, "summary", Type::Message(cel::RecordSummaryType()));
    Declare(*e, "create_time", Type::Timestamp());
    Declare(*e, "update_time", Type::Timestamp());
    AddTypeConstants(*e);
    for (const StatusConstant& c : kStatusConstants) {
      (void)e->AddConstant(std::string(c.name), Value::Int(c.value));
    }
    return e;
  }();
  return *env;
}

Value Annotations(const google::protobuf::Map<std::string, std::string>& annotations) {
  std::vector<std::pair<Value, Value>> entries;
  entries.reserve(annotations.size());
  for (const auto& [k, v] : annotations) {
    entries.emplace_back(Value::StringView(k), Value::StringView(v));
  }
  return Value::Map(std::move(entries));
}

Value Time(const google::protobuf::Timestamp& t) {
  return Value::Timestamp(absl::FromUnixNanos(TimestampToNanos(t)));
}

// The summary as the message the environment declares; an absent one reads as empty, and so
// does each unset field, as protobuf fields do in CEL.
Value Summary(const RecordSummary& s) {
  std::vector<std::pair<Value, Value>> fields;
  fields.emplace_back(Value::StringView("record"), Value::StringView(s.record()));
  fields.emplace_back(Value::StringView("type"), Value::StringView(s.type()));
  fields.emplace_back(Value::StringView("start_time"), Time(s.start_time()));
  fields.emplace_back(Value::StringView("end_time"), Time(s.end_time()));
  fields.emplace_back(Value::StringView("status"), Value::Int(s.status()));
  fields.emplace_back(Value::StringView("annotations"), Annotations(s.annotations()));
  return Value::Map(std::move(fields));
}

bool IsTrue(const Value& v) { return v.is(cel::ValueKind::kBool) && v.bool_value(); }

absl::Status CompileError(const absl::Status& status) {
  return absl::InvalidArgumentError(
      absl::StrCat("error compiling CEL filters: ", status.message()));
}

}  // namespace

absl::StatusOr<std::unique_ptr<const Filter>> Filter::Compile(std::string_view text,
                                                              FilterTarget target) {
  absl::StatusOr<cel::ParsedExpr> parsed = cel::Parse(text);
  if (!parsed.ok()) return CompileError(parsed.status());
  const cel::Environment& env =
      target == FilterTarget::kRecords ? RecordEnvironment() : ResultEnvironment();
  absl::StatusOr<cel::Program> program = cel::Program::Compile(*parsed, env, false);
  if (!program.ok()) return CompileError(program.status());
  // Upstream's text for a filter that is not boolean carries no position and no prefix.
  if (!program->result_type().may_be_bool()) {
    return absl::InvalidArgumentError(
        absl::StrCat("expected boolean expression, but got ", program->result_type().Name()));
  }
  std::optional<FacetChoice> facets = ChooseFacets(*parsed->root, target);
  std::unique_ptr<Filter> filter(
      new Filter(std::move(*parsed), std::move(*program), std::move(facets)));
  if (target == FilterTarget::kResults) {
    filter->create_time_range_ = ChooseTimeRange(filter->expr(), "create_time");
    filter->update_time_range_ = ChooseTimeRange(filter->expr(), "update_time");
  }
  return std::unique_ptr<const Filter>(std::move(filter));
}

bool Filter::Matches(const RecordView& record) const {
  thread_local JsonDocument data;
  data.Bind(cel::FromAbsl(record.data));
  return Matches(record, data);
}

bool Filter::Matches(const RecordView& record, const JsonDocument& data) const {
  RecordNameView name;
  if (!SplitStoredRecordName(record.name, &name)) return false;
  Value slots[kRecordSlots];
  slots[kRecordParent] = Value::StringView(cel::FromAbsl(name.parent));
  slots[kResultName] = Value::StringView(cel::FromAbsl(name.result));
  slots[kRecordName] = Value::StringView(cel::FromAbsl(name.record));
  slots[kDataType] = Value::StringView(cel::FromAbsl(record.data_type));
  slots[kData] = data.root();
  return IsTrue(program_.Evaluate(absl::MakeConstSpan(slots)));
}

bool Filter::Matches(const Result& result) const {
  absl::StatusOr<ResultName> name = ParseResultName(result.name());
  if (!name.ok()) return false;
  Value slots[kResultSlots];
  slots[kResultParent] = Value::StringView(name->parent);
  slots[kUid] = Value::StringView(result.uid());
  slots[kAnnotations] = Annotations(result.annotations());
  slots[kSummary] = Summary(result.summary());
  slots[kCreateTime] = Time(result.create_time());
  slots[kUpdateTime] = Time(result.update_time());
  return IsTrue(program_.Evaluate(absl::MakeConstSpan(slots)));
}

}  // namespace runledger
