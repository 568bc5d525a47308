#include "src/query/lister.h"

#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "src/common/names.h"
#include "src/common/time_util.h"
#include "src/projections/entity_index.h"
#include "src/projections/records_projection.h"
#include "src/projections/results_projection.h"
#include "src/query/order_by.h"
#include "src/query/page_token.h"

namespace runledger {
namespace {

using tekton::results::lister::Order;
using tekton::results::lister::PageToken;
using tekton::results::v1alpha2::Record;
using tekton::results::v1alpha2::Result;

// What to read: one index scope in one order, from a cursor, up to a page.
struct Plan {
  std::string family;
  std::string scope;
  OrderBy order;
  std::optional<PageToken> token;
  int page_size = kDefaultPageSize;
  // For "-/results/<r>": only records of results named `result_id`, in any parent.
  std::string result_id;
};

int64_t SortNanos(const Result& result, SortField field) {
  return ResultsProjection::SortNanos(result, field);
}

int64_t SortNanos(const Record& record, SortField field) {
  return RecordsProjection::SortNanos(record, field);
}

absl::Status InvalidToken(absl::string_view reason) {
  return absl::InvalidArgumentError(absl::StrCat("invalid page token: ", reason));
}

// A token continues only the query that issued it: it must name its last item, and the request
// must repeat its filter and its order (field and direction).
absl::Status CheckTokenBinding(const PageToken& token, absl::string_view filter,
                               const OrderBy& order) {
  if (!token.has_last_item()) return InvalidToken("last_item: missing required field");
  if (token.last_item().uid().empty()) return InvalidToken("last_item.uid: missing required field");
  if (token.filter() != filter) {
    return InvalidToken("the provided filter differs from the filter used in the previous query");
  }
  const bool token_ordered = token.last_item().has_order_by();
  const bool request_ordered = order.field != SortField::kUid;
  if (request_ordered && !token_ordered) {
    return InvalidToken("last_item.order_by: missing required field");
  }
  if (!request_ordered && !token_ordered) return absl::OkStatus();
  const Order& o = token.last_item().order_by();
  const Order::Direction direction = order.descending ? Order::DESC : Order::ASC;
  if (!request_ordered || o.field_name() != order.field_name || o.direction() != direction) {
    return InvalidToken("the order_by differs from the order used in the previous query");
  }
  return absl::OkStatus();
}

// Steps 3-7 of spec/api.md §3.1 for a parent already checked by the caller.
template <typename Request>
absl::StatusOr<Plan> PlanList(const Request& request, absl::string_view parent,
                              const std::vector<OrderableField>& fields) {
  Plan plan;
  const absl::string_view token_text = absl::StripAsciiWhitespace(request.page_token());
  if (!token_text.empty()) {
    absl::StatusOr<PageToken> token = DecodePageToken(token_text);
    if (!token.ok()) return token.status();
    if (token->parent() != parent) {
      return InvalidToken(absl::StrCat("provided parent (", parent,
                                       ") differs from the parent used in the previous query (",
                                       token->parent(), ")"));
    }
    plan.token = std::move(*token);
  }
  absl::StatusOr<OrderBy> order = ParseOrderBy(request.order_by(), fields);
  if (!order.ok()) return order.status();
  plan.order = std::move(*order);

  const absl::string_view filter = absl::StripAsciiWhitespace(request.filter());
  if (plan.token) {
    absl::Status bound = CheckTokenBinding(*plan.token, filter, plan.order);
    if (!bound.ok()) return bound;
  }
  if (!filter.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat("filter \"", filter, "\": filters are not supported yet"));
  }
  plan.page_size = request.page_size() == 0 ? kDefaultPageSize : request.page_size();
  if (plan.page_size < kMinPageSize || plan.page_size > kMaxPageSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid page size (", request.page_size(),
                     "): value must be greater than 5 and less than 10000"));
  }
  return plan;
}

// Releases a RocksDB snapshot when the page is done.
class ScopedSnapshot {
 public:
  explicit ScopedSnapshot(rocksdb::DB* db) : db_(db), snapshot_(db->GetSnapshot()) {}
  ~ScopedSnapshot() { db_->ReleaseSnapshot(snapshot_); }
  const rocksdb::Snapshot* get() const { return snapshot_; }

 private:
  rocksdb::DB* db_;
  const rocksdb::Snapshot* snapshot_;
};

// Walks one scope of an ordering index from the plan's cursor, in the plan's direction.
class IndexCursor {
 public:
  IndexCursor(const Database& database, const Plan& plan, const rocksdb::ReadOptions& options)
      : plan_(plan),
        prefix_(IndexPrefix(plan.order.field, plan.scope)),
        it_(database.db()->NewIterator(options, database.family(plan.family))) {
    if (plan.token) {
      const auto& item = plan.token->last_item();
      cursor_ =
          IndexKey(plan.order.field, plan.scope,
                   item.has_order_by() ? TimestampToNanos(item.order_by().value()) : 0, item.uid());
    }
    if (!plan.order.descending) {
      it_->Seek(plan.token ? cursor_ : prefix_);
    } else if (plan.token) {
      it_->SeekForPrev(cursor_);
    } else {
      std::string end = prefix_;
      end.back() = '\x01';  // just past every key of the scope: names never hold \x01
      it_->SeekForPrev(end);
    }
    SkipCursor();
  }

  // Appends the uids of up to `count` further entries; false once the scope is exhausted.
  bool Next(size_t count, std::vector<std::string>* uids) {
    for (; count > 0 && Valid(); --count) {
      uids->push_back(UidOfIndexKey(ToView(it_->key()), prefix_.size(), plan_.order.field));
      Step();
      SkipCursor();
    }
    return Valid();
  }

  absl::Status status() const { return FromRocks(it_->status()); }

 private:
  bool Valid() const { return it_->Valid() && it_->key().starts_with(prefix_); }
  void Step() { plan_.order.descending ? it_->Prev() : it_->Next(); }
  // The token's own item was on the previous page.
  void SkipCursor() {
    if (plan_.token && Valid() && it_->key() == cursor_) Step();
  }

  const Plan& plan_;
  const std::string prefix_;
  std::string cursor_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

// The names of up to page_size + 1 entities after the plan's cursor, in the plan's order.
absl::StatusOr<std::vector<std::string>> ScanIndex(const CoreReader& reader, const Plan& plan,
                                                   const rocksdb::ReadOptions& options) {
  IndexCursor cursor(*reader.database(), plan, options);
  const size_t wanted = static_cast<size_t>(plan.page_size) + 1;
  std::vector<std::string> names;
  bool more = true;
  while (more && names.size() < wanted) {
    std::vector<std::string> uids;
    // Without a result filter every entry is wanted; with one, read ahead in chunks.
    more = cursor.Next(plan.result_id.empty() ? wanted - names.size() : 256, &uids);
    absl::StatusOr<std::vector<std::string>> found = reader.NamesOfUids(plan.family, uids, options);
    if (!found.ok()) return found.status();
    for (std::string& name : *found) {
      if (names.size() == wanted) break;
      absl::StatusOr<RecordName> parsed;
      if (plan.result_id.empty() ||
          ((parsed = ParseRecordName(name)).ok() && parsed->result == plan.result_id)) {
        names.push_back(std::move(name));
      }
    }
  }
  if (!cursor.status().ok()) return cursor.status();
  return names;
}

// Reads the page and fills `items` and the next token.
template <typename Entity>
absl::Status ReadPage(const CoreReader& reader, const Plan& plan, absl::string_view parent,
                      absl::string_view filter, google::protobuf::RepeatedPtrField<Entity>* items,
                      std::string* next_page_token) {
  Database& database = *reader.database();
  ScopedSnapshot snapshot(database.db());
  rocksdb::ReadOptions options;
  options.snapshot = snapshot.get();
  absl::StatusOr<std::vector<std::string>> names = ScanIndex(reader, plan, options);
  if (!names.ok()) return names.status();
  const bool more = names->size() > static_cast<size_t>(plan.page_size);
  if (more) names->pop_back();
  absl::StatusOr<std::vector<Entity>> entities;
  if constexpr (std::is_same_v<Entity, Record>) {
    entities = reader.GetRecords(*names, options);
  } else {
    entities = reader.GetResults(*names, options);
  }
  if (!entities.ok()) return entities.status();
  for (Entity& e : *entities) *items->Add() = std::move(e);
  if (!more || items->empty()) return absl::OkStatus();

  PageToken token;
  token.set_parent(std::string(parent));
  token.set_filter(std::string(filter));
  const Entity& last = *items->rbegin();
  token.mutable_last_item()->set_uid(last.uid());
  if (plan.order.field != SortField::kUid) {
    Order* order = token.mutable_last_item()->mutable_order_by();
    order->set_field_name(plan.order.field_name);
    *order->mutable_value() = NanosToTimestamp(SortNanos(last, plan.order.field));
    order->set_direction(plan.order.descending ? Order::DESC : Order::ASC);
  }
  *next_page_token = EncodePageToken(token);
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<tekton::results::v1alpha2::ListResultsResponse> Lister::ListResults(
    const tekton::results::v1alpha2::ListResultsRequest& request) const {
  const absl::string_view parent = absl::StripAsciiWhitespace(request.parent());
  if (parent.empty()) return absl::InvalidArgumentError("parent missing");
  absl::StatusOr<Plan> plan = PlanList(request, parent, ResultOrderFields());
  if (!plan.ok()) return plan.status();
  plan->family = std::string(ResultsProjection::kName);
  plan->scope = parent == kWildcard ? ScopeAll() : ScopeParent(parent);

  tekton::results::v1alpha2::ListResultsResponse response;
  absl::Status s = ReadPage(*reader_, *plan, parent, absl::StripAsciiWhitespace(request.filter()),
                            response.mutable_results(), response.mutable_next_page_token());
  if (!s.ok()) return s;
  return response;
}

absl::StatusOr<tekton::results::v1alpha2::ListRecordsResponse> Lister::ListRecords(
    const tekton::results::v1alpha2::ListRecordsRequest& request) const {
  const absl::string_view parent = absl::StripAsciiWhitespace(request.parent());
  if (parent.empty()) return absl::InvalidArgumentError("parent missing");
  absl::StatusOr<ResultName> scope = ParseResultName(parent);
  if (!scope.ok()) return scope.status();
  absl::StatusOr<Plan> plan = PlanList(request, parent, RecordOrderFields());
  if (!plan.ok()) return plan.status();
  plan->family = std::string(RecordsProjection::kName);
  const bool any_parent = scope->parent == kWildcard;
  const bool any_result = scope->result == kWildcard;
  if (!any_parent && !any_result) {
    plan->scope = ScopeResult(scope->parent, scope->result);
  } else if (!any_parent) {
    plan->scope = ScopeParent(scope->parent);
  } else {
    plan->scope = ScopeAll();
    if (!any_result) plan->result_id = scope->result;
  }

  tekton::results::v1alpha2::ListRecordsResponse response;
  absl::Status s = ReadPage(*reader_, *plan, parent, absl::StripAsciiWhitespace(request.filter()),
                            response.mutable_records(), response.mutable_next_page_token());
  if (!s.ok()) return s;
  return response;
}

}  // namespace runledger
