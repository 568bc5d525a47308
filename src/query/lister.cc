#include "src/query/lister.h"

#include <algorithm>
#include <atomic>
#include <iterator>
#include <memory>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "src/common/names.h"
#include "src/common/time_util.h"
#include "src/projections/entity_index.h"
#include "src/projections/filter_index_projection.h"
#include "src/projections/records_projection.h"
#include "src/projections/results_projection.h"
#include "src/projections/user_index_projection.h"
#include "src/query/filter.h"
#include "src/query/log_scan.h"
#include "src/query/order_by.h"
#include "src/query/page_token.h"

namespace runledger {
namespace {

using tekton::results::lister::Order;
using tekton::results::lister::PageToken;
using tekton::results::v1alpha2::Record;
using tekton::results::v1alpha2::Result;

// The entities a request covers, by name: one parent or all, and for records one result id or
// all. Contains() takes stored names (valid since they were written): a pass over the log asks it
// for every record event, so a record name is split in place, not parsed again.
struct NameScope {
  bool records = false;
  std::string parent;  // kWildcard for all
  std::string result;  // records only; kWildcard for all

  bool Contains(absl::string_view name) const {
    if (records) {
      RecordNameView r;
      return SplitStoredRecordName(name, &r) && (parent == kWildcard || r.parent == parent) &&
             (result == kWildcard || r.result == result);
    }
    absl::StatusOr<ResultName> r = ParseResultName(name);
    return r.ok() && (parent == kWildcard || r->parent == parent);
  }
};

// What to read: which entities, filtered how, in which order, from which position, how many.
struct Plan {
  NameScope names;
  std::string family;      // the core projection listed
  std::string core_scope;  // its ordering-index scope that holds every entity of `names`
  OrderBy order;
  std::optional<PageToken> token;
  std::optional<std::string> cursor;  // SortSuffix of the token's last item
  int page_size = kDefaultPageSize;
  std::unique_ptr<const Filter> filter;
  Lister::Limits limits;
  std::function<bool()> cancelled;  // may be empty
};

// Whether index position `a` (a SortSuffix) comes before `b` in the plan's direction.
bool Precedes(const Plan& plan, absl::string_view a, absl::string_view b) {
  return plan.order.descending ? a > b : a < b;
}

// Whether index position `position` comes after the plan's cursor (always, without a token).
bool AfterCursor(const Plan& plan, absl::string_view position) {
  return !plan.cursor || Precedes(plan, *plan.cursor, position);
}

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
                              const std::vector<OrderableField>& fields, FilterTarget target) {
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
    const auto& item = plan.token->last_item();
    plan.cursor =
        SortSuffix(plan.order.field,
                   item.has_order_by() ? TimestampToNanos(item.order_by().value()) : 0, item.uid());
  }
  if (!filter.empty()) {
    absl::StatusOr<std::unique_ptr<const Filter>> compiled =
        Filter::Compile(std::string_view(filter.data(), filter.size()), target);
    if (!compiled.ok()) return compiled.status();
    plan.filter = std::move(*compiled);
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

// Where a page's candidates come from: uids in the plan's order, after the plan's cursor.
class CandidateSource {
 public:
  virtual ~CandidateSource() = default;
  // Appends the uids of up to `count` further candidates; false once there are no more.
  virtual bool Next(size_t count, std::vector<std::string>* uids) = 0;
  virtual absl::Status status() const = 0;
};

// Walks one scope of an ordering index from the plan's cursor, in the plan's direction. With a
// `parent`, only entries whose value is that parent (filter index postings) are candidates; with
// a `range` (of a time-ordered index), only entries whose time lies in it.
class IndexCursor : public CandidateSource {
 public:
  IndexCursor(rocksdb::Iterator* it, const Plan& plan, absl::string_view scope,
              absl::string_view parent = "", const std::optional<TimeRange>& range = std::nullopt)
      : plan_(plan), prefix_(IndexPrefix(plan.order.field, scope)), parent_(parent), it_(it) {
    if (plan.cursor) cursor_ = absl::StrCat(prefix_, *plan.cursor);
    SetBounds(range);
    if (!plan.order.descending) {
      it_->Seek(std::max(plan.cursor ? cursor_ : prefix_, low_));
    } else {
      // Just past every key of the scope (names never hold \x01), or the range's end.
      std::string end = prefix_;
      end.back() = '\x01';
      if (!high_.empty()) end = high_;
      it_->SeekForPrev(plan.cursor ? std::min(cursor_, end) : end);
    }
    Skip();
  }

  bool Next(size_t count, std::vector<std::string>* uids) override {
    for (; count > 0 && Valid(); --count) {
      uids->push_back(UidOfIndexKey(ToView(it_->key()), prefix_.size(), plan_.order.field));
      Step();
      Skip();
    }
    return Valid();
  }

  absl::Status status() const override { return FromRocks(it_->status()); }

 private:
  bool Valid() const {
    return it_->Valid() && it_->key().starts_with(prefix_) &&
           (low_.empty() || ToView(it_->key()) >= low_) &&
           (high_.empty() || ToView(it_->key()) < high_);
  }

  // [low_, high_): the keys whose time lies in `range` (empty: unbounded).
  void SetBounds(const std::optional<TimeRange>& range) {
    if (!range) return;
    if (range->lowest != TimeRange().lowest) {
      low_ = prefix_;
      AppendOrderedNanos(range->lowest, &low_);
    }
    if (range->highest != TimeRange().highest) {
      high_ = prefix_;
      AppendOrderedNanos(range->highest + 1, &high_);
    }
  }
  void Step() { plan_.order.descending ? it_->Prev() : it_->Next(); }
  // Steps over entries that are no candidates: the token's own item (it was on the previous
  // page) and other parents' postings.
  void Skip() {
    while (Valid() && ((plan_.cursor && it_->key() == cursor_) ||
                       (!parent_.empty() && it_->value() != parent_))) {
      Step();
    }
  }

  const Plan& plan_;
  const std::string prefix_;
  const std::string parent_;
  std::string cursor_;
  std::string low_;
  std::string high_;
  std::unique_ptr<rocksdb::Iterator> it_;
};

// The postings of several facet scopes (an `in` list, or every scope with a prefix), the key
// ranges of a user index, or the records of one result, merged into the plan's order: read
// whole, then served after the cursor, sorted as far as asked for. Gives up (complete() is false)
// beyond Limits::max_sorted_candidates, where walking the core index is the better plan.
class SortedPostings : public CandidateSource {
 public:
  // Takes ownership of `it`, an iterator over the filter index.
  SortedPostings(rocksdb::Iterator* it, const Plan& plan, const FacetChoice& choice,
                 absl::string_view parent)
      : plan_(plan), parent_(parent) {
    std::unique_ptr<rocksdb::Iterator> owned(it);
    if (choice.scope_prefix) {
      complete_ = Collect(it, IndexPrefix(plan.order.field, *choice.scope_prefix)
                                  .substr(0, 2 + choice.scope_prefix->size()));
    } else {
      for (const std::string& scope : choice.scopes) {
        if (!(complete_ = Collect(it, IndexPrefix(plan.order.field, scope)))) break;
      }
    }
    Finish(it->status());
  }

  // Takes ownership of `it`, an iterator over a user index (user_index_projection.h).
  SortedPostings(rocksdb::Iterator* it, const Plan& plan, const std::vector<KeyRange>& ranges,
                 absl::string_view parent)
      : plan_(plan), parent_(parent) {
    std::unique_ptr<rocksdb::Iterator> owned(it);
    for (const KeyRange& range : ranges) {
      if (!(complete_ = CollectRange(it, range))) break;
    }
    Finish(it->status());
  }

  // Takes ownership of `it`, an iterator over the records projection: the records under the
  // 'N' key prefix `members` (ResultRecordsPrefix), placed by their stored state.
  SortedPostings(rocksdb::Iterator* it, const Plan& plan, absl::string_view members) : plan_(plan) {
    std::unique_ptr<rocksdb::Iterator> owned(it);
    absl::Status collected = CollectMembers(it, members);
    Finish(it->status());
    if (status_.ok()) status_ = collected;
  }

  bool complete() const { return complete_; }

  bool Next(size_t count, std::vector<std::string>* uids) override {
    SortThrough(next_ + count);
    for (; count > 0 && next_ < suffixes_.size(); --count) {
      uids->push_back(UidOfIndexKey(suffixes_[next_++], 0, plan_.order.field));
    }
    return next_ < suffixes_.size();
  }

  absl::Status status() const override { return status_; }

 private:
  // Puts the first `end` candidates in order (a page needs only the first few of thousands).
  void SortThrough(size_t end) {
    end = std::min(end, suffixes_.size());
    if (end <= sorted_) return;
    auto before = [this](absl::string_view a, absl::string_view b) {
      return Precedes(plan_, a, b);
    };
    const auto first = suffixes_.begin() + sorted_;
    std::nth_element(first, suffixes_.begin() + end - 1, suffixes_.end(), before);
    std::sort(first, suffixes_.begin() + end, before);
    sorted_ = end;
  }

  // Only what comes after the cursor, in the plan's direction, is a candidate.
  void Finish(const rocksdb::Status& status) {
    status_ = FromRocks(status);
    for (const auto& [offset, size] : spans_) {
      const absl::string_view suffix(arena_.data() + offset, size);
      if (AfterCursor(plan_, suffix)) suffixes_.push_back(suffix);
    }
  }

  // Adds `suffix` (made of up to two parts); false once over the limit.
  bool Add(absl::string_view first, absl::string_view second = "") {
    if (spans_.size() == plan_.limits.max_sorted_candidates) return false;
    spans_.emplace_back(arena_.size(), first.size() + second.size());
    arena_.append(first.data(), first.size());
    arena_.append(second.data(), second.size());
    return true;
  }

  // Adds the sort suffix of every key starting with `prefix` (a suffix starts after the '\0'
  // that ends the key's scope); false once over the limit.
  bool Collect(rocksdb::Iterator* it, const std::string& prefix) {
    for (it->Seek(prefix); it->Valid() && it->key().starts_with(prefix); it->Next()) {
      if (!parent_.empty() && it->value() != parent_) continue;
      const absl::string_view key = ToView(it->key());
      const size_t end_of_scope = key.find('\0', 2);
      if (end_of_scope == absl::string_view::npos) continue;
      if (!Add(key.substr(end_of_scope + 1))) return false;
    }
    return true;
  }

  // Adds the sort suffix of every user index posting in `range`: its creation time (the first 8
  // bytes of its value) when the plan orders by it, then its uid; false once over the limit.
  bool CollectRange(rocksdb::Iterator* it, const KeyRange& range) {
    for (it->Seek(range.low); it->Valid() && ToView(it->key()) < range.high; it->Next()) {
      const absl::string_view value = ToView(it->value());
      if (value.size() < 8 || (!parent_.empty() && value.substr(8) != parent_)) continue;
      const std::string uid =
          SortSuffix(SortField::kUid, 0, UserIndexProjection::UidOfPosting(ToView(it->key())));
      const absl::string_view time =
          plan_.order.field == SortField::kCreateTime ? value.substr(0, 8) : "";
      if (!Add(time, uid)) return false;
    }
    return true;
  }

  // Adds the sort suffix of every stored record under `prefix`; sets complete_ to false once
  // over the limit.
  absl::Status CollectMembers(rocksdb::Iterator* it, absl::string_view prefix) {
    v1::StoredRecord stored;
    for (it->Seek(ToSlice(prefix)); it->Valid() && it->key().starts_with(ToSlice(prefix));
         it->Next()) {
      if (!stored.ParseFromArray(it->value().data(), static_cast<int>(it->value().size()))) {
        return absl::DataLossError(absl::StrCat("malformed stored record ", ToView(it->key())));
      }
      const Record& record = stored.record();
      if (!(complete_ = Add(SortSuffix(plan_.order.field, SortNanos(record, plan_.order.field),
                                       record.uid())))) {
        break;
      }
    }
    return absl::OkStatus();
  }

  const Plan& plan_;
  const std::string parent_;
  bool complete_ = true;
  absl::Status status_;
  // The suffixes, stored end to end in arena_ (one allocation, not one per posting).
  std::string arena_;
  std::vector<std::pair<size_t, size_t>> spans_;  // offset and size in arena_
  std::vector<absl::string_view> suffixes_;
  size_t sorted_ = 0;  // suffixes_[0, sorted_) are in order, and before all the rest
  size_t next_ = 0;
};

// The range of the plan's order field the filter bounds, if it is a time the filter can bound.
std::optional<TimeRange> TimeRangeOf(const Plan& plan) {
  if (!plan.filter) return std::nullopt;
  switch (plan.order.field) {
    case SortField::kCreateTime:
      return plan.filter->create_time_range();
    case SortField::kUpdateTime:
      return plan.filter->update_time_range();
    default:
      return std::nullopt;
  }
}

// How long a list waits for an index to catch up before it reads without it.
constexpr absl::Duration kIndexWait = absl::Seconds(1);

// The indexes a plan may read, each only once it has folded every write acknowledged before the
// request (waiting up to kIndexWait): the filter index when the filter pins a facet, a user
// index when it answers a conjunct (records only).
struct ReadyIndexes {
  std::shared_ptr<rocksdb::ColumnFamilyHandle> filter_index;
  std::optional<UserIndexChoice> user_choice;
  std::shared_ptr<rocksdb::ColumnFamilyHandle> user_index;

  bool any() const { return filter_index != nullptr || user_index != nullptr; }
};

ReadyIndexes ReadyIndexesFor(const Store& store, const Plan& plan) {
  ReadyIndexes ready;
  if (!plan.filter) return ready;
  const uint64_t head = store.log().LastSequence();
  if (plan.names.records) {
    ready.user_choice = ChooseUserIndex(plan.filter->expr(), *store.UserIndexes());
    if (ready.user_choice) {
      ready.user_index = store.ReadyIndex(ready.user_choice->index, head, kIndexWait);
    }
  }
  if (plan.filter->facets() && ready.user_index == nullptr) {
    ready.filter_index = store.ReadyIndex(FilterIndexProjection::kName, head, kIndexWait);
  }
  return ready;
}

// The candidate source for the plan: a user index or the filter index when one answers part of
// the filter, is ready, and the list is in an order their postings can be sorted into; else the
// core projection's ordering index. Either way the uids resolve to names in the core projection.
// Sets `*filter_index` to whether an index serves.
std::unique_ptr<CandidateSource> ChooseSource(const Store& store, const Plan& plan,
                                              const ReadyIndexes& indexes,
                                              const rocksdb::ReadOptions& options,
                                              bool* filter_index) {
  rocksdb::DB* db = store.database().db();
  const bool index_order =
      plan.order.field == SortField::kUid || plan.order.field == SortField::kCreateTime;
  const bool one_result =
      plan.names.records && plan.names.parent != kWildcard && plan.names.result != kWildcard;
  const std::string parent = plan.names.parent == kWildcard ? "" : plan.names.parent;
  *filter_index = index_order && !one_result;
  if (*filter_index && indexes.user_index != nullptr) {
    auto sorted =
        std::make_unique<SortedPostings>(db->NewIterator(options, indexes.user_index.get()), plan,
                                         indexes.user_choice->ranges, parent);
    if (sorted->complete()) return sorted;
  }
  if (*filter_index && indexes.filter_index != nullptr) {
    const FacetChoice& choice = *plan.filter->facets();
    rocksdb::ColumnFamilyHandle* index = indexes.filter_index.get();
    if (choice.scopes.size() == 1 && !choice.scope_prefix) {
      return std::make_unique<IndexCursor>(db->NewIterator(options, index), plan,
                                           choice.scopes.front(), parent);
    }
    auto sorted =
        std::make_unique<SortedPostings>(db->NewIterator(options, index), plan, choice, parent);
    if (sorted->complete()) return sorted;
  }
  *filter_index = false;
  if (one_result) {
    auto members = std::make_unique<SortedPostings>(
        db->NewIterator(options, store.database().family(plan.family)), plan,
        ResultRecordsPrefix(plan.names.parent, plan.names.result));
    if (members->complete()) return members;
  }
  return std::make_unique<IndexCursor>(
      db->NewIterator(options, store.database().family(plan.family)), plan, plan.core_scope, "",
      TimeRangeOf(plan));
}

template <typename Entity>
absl::StatusOr<std::vector<Entity>> Load(const CoreReader& reader,
                                         const std::vector<std::string>& names,
                                         const rocksdb::ReadOptions& options) {
  if constexpr (std::is_same_v<Entity, Record>) {
    return reader.GetRecords(names, options);
  } else {
    return reader.GetResults(names, options);
  }
}

// How many matches one pass over the log may collect, and with how many threads it reads.
constexpr size_t kMaxLogScanMatches = 200000;

LogScanRequest LogScanRequestOf(const Store& store, const Plan& plan) {
  return {plan.filter.get(),
          [&plan](absl::string_view name) { return plan.names.Contains(name); },
          store.log().LastSequence(),
          Lister::kScanThreads,
          plan.cancelled,
          &store.successors()};
}

// The page of records (page_size + 1 at most) after the plan's cursor, found by a log scan;
// nullopt when the filter matches too many records for one.
absl::StatusOr<std::optional<std::vector<Record>>> ReadByLogScan(
    const Store& store, const Plan& plan, const rocksdb::ReadOptions& options, size_t wanted) {
  struct Match {
    std::string name;
    std::string position;  // SortSuffix in the plan's order
  };
  std::vector<std::vector<Match>> found(Lister::kScanThreads);
  std::atomic<size_t> matched{0};
  std::atomic<bool> undecodable{false};
  absl::Status s = ScanLogForRecords(
      store.database(), LogScanRequestOf(store, plan), options,
      [&](int thread, const RecordView& view, absl::string_view event_bytes) {
        v1::Event event;
        if (!event.ParseFromArray(event_bytes.data(), static_cast<int>(event_bytes.size()))) {
          undecodable.store(true);
          return false;
        }
        const Record& record = event.record();
        found[thread].push_back(
            {std::string(view.name),
             SortSuffix(plan.order.field, SortNanos(record, plan.order.field), record.uid())});
        return matched.fetch_add(1) < kMaxLogScanMatches;
      });
  if (!s.ok()) return s;
  if (undecodable.load())
    return absl::DataLossError("a log event the scan matched is not decodable");
  if (matched.load() > kMaxLogScanMatches) return std::nullopt;
  std::vector<Match> matches;
  for (std::vector<Match>& part : found) {
    std::move(part.begin(), part.end(), std::back_inserter(matches));
  }
  matches.erase(std::remove_if(matches.begin(), matches.end(),
                               [&](const auto& m) { return !AfterCursor(plan, m.position); }),
                matches.end());
  const auto page_end = matches.begin() + std::min(wanted, matches.size());
  std::partial_sort(matches.begin(), page_end, matches.end(), [&](const auto& a, const auto& b) {
    return Precedes(plan, a.position, b.position);
  });
  std::vector<std::string> names;
  for (auto m = matches.begin(); m != page_end; ++m) names.push_back(std::move(m->name));
  absl::StatusOr<std::vector<Record>> records = Load<Record>(store.reader(), names, options);
  if (!records.ok()) return records.status();
  return std::move(*records);
}

// The in-scope entities among the next `chunk` candidates of `source` that match the filter.
// Sets `*more` to whether the source has candidates left and counts the candidates read.
template <typename Entity>
absl::StatusOr<std::vector<Entity>> NextMatches(const Store& store, const Plan& plan,
                                                CandidateSource* source, size_t chunk,
                                                const rocksdb::ReadOptions& options, bool* more,
                                                size_t* examined) {
  std::vector<std::string> uids;
  *more = source->Next(chunk, &uids);
  *examined += uids.size();
  absl::StatusOr<std::vector<std::string>> names =
      store.reader().NamesOfUids(plan.family, uids, options);
  if (!names.ok()) return names.status();
  names->erase(std::remove_if(names->begin(), names->end(),
                              [&](const std::string& n) { return !plan.names.Contains(n); }),
               names->end());
  absl::StatusOr<std::vector<Entity>> entities = Load<Entity>(store.reader(), *names, options);
  if (!entities.ok() || !plan.filter) return entities;
  entities->erase(std::remove_if(entities->begin(), entities->end(),
                                 [&](const Entity& e) { return !plan.filter->Matches(e); }),
                  entities->end());
  return entities;
}

// Up to page_size + 1 entities after the plan's cursor that are in scope and match the filter.
template <typename Entity>
absl::StatusOr<std::vector<Entity>> ReadMatches(const Store& store, const Plan& plan,
                                                const ReadyIndexes& indexes,
                                                const rocksdb::ReadOptions& options) {
  bool filter_index = false;
  std::unique_ptr<CandidateSource> source =
      ChooseSource(store, plan, indexes, options, &filter_index);
  const size_t wanted = static_cast<size_t>(plan.page_size) + 1;
  // A sparse filter on records that no index narrows: a log scan beats the ordered scan.
  bool log_scan_possible = std::is_same_v<Entity, Record> && plan.filter && !filter_index;
  size_t examined = 0;
  size_t chunk = wanted;
  std::vector<Entity> matches;
  for (bool more = true; more && matches.size() < wanted;
       chunk = std::min<size_t>(chunk * 2, 1024)) {
    if constexpr (std::is_same_v<Entity, Record>) {
      if (log_scan_possible && examined >= plan.limits.ordered_scan_budget) {
        log_scan_possible = false;
        absl::StatusOr<std::optional<std::vector<Record>>> page =
            ReadByLogScan(store, plan, options, wanted);
        if (!page.ok()) return page.status();
        if (page->has_value()) return std::move(**page);
      }
    }
    if (plan.cancelled && plan.cancelled()) {
      return absl::CancelledError("the request was cancelled during a scan");
    }
    absl::StatusOr<std::vector<Entity>> entities =
        NextMatches<Entity>(store, plan, source.get(), chunk, options, &more, &examined);
    if (!entities.ok()) return entities.status();
    for (Entity& e : *entities) {
      if (matches.size() == wanted) break;
      matches.push_back(std::move(e));
    }
  }
  if (!source->status().ok()) return source->status();
  return matches;
}

// Points the plan at the records of `scope` (wildcards allowed).
void ScopeRecords(const ResultName& scope, Plan* plan) {
  plan->names = NameScope{true, scope.parent, scope.result};
  plan->family = std::string(RecordsProjection::kName);
  const bool any_parent = scope.parent == kWildcard;
  // One result's records are read from their adjacent 'N' entries (ChooseSource); the parent's
  // scope holds them too, for a result too large to sort in memory.
  plan->core_scope = any_parent ? ScopeAll() : ScopeParent(scope.parent);
}

// Reads the page and fills `items` and the next token.
template <typename Entity>
absl::Status ReadPage(const Store& store, const Plan& plan, absl::string_view parent,
                      absl::string_view filter, google::protobuf::RepeatedPtrField<Entity>* items,
                      std::string* next_page_token) {
  // Every write acknowledged before the request is in the log by now; an index is used only
  // once it has folded them too.
  const ReadyIndexes indexes = ReadyIndexesFor(store, plan);
  ScopedSnapshot snapshot(store.database().db());
  rocksdb::ReadOptions options;
  options.snapshot = snapshot.get();
  absl::StatusOr<std::vector<Entity>> entities = ReadMatches<Entity>(store, plan, indexes, options);
  if (!entities.ok()) return entities.status();
  const bool more = entities->size() > static_cast<size_t>(plan.page_size);
  if (more) entities->pop_back();
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
  absl::StatusOr<Plan> plan =
      PlanList(request, parent, ResultOrderFields(), FilterTarget::kResults);
  if (!plan.ok()) return plan.status();
  plan->names.parent = std::string(parent);
  plan->family = std::string(ResultsProjection::kName);
  plan->core_scope = parent == kWildcard ? ScopeAll() : ScopeParent(parent);
  plan->limits = limits_;

  tekton::results::v1alpha2::ListResultsResponse response;
  absl::Status s = ReadPage(*store_, *plan, parent, absl::StripAsciiWhitespace(request.filter()),
                            response.mutable_results(), response.mutable_next_page_token());
  if (!s.ok()) return s;
  return response;
}

absl::StatusOr<tekton::results::v1alpha2::ListRecordsResponse> Lister::ListRecords(
    const tekton::results::v1alpha2::ListRecordsRequest& request,
    const std::function<bool()>& cancelled) const {
  const absl::string_view parent = absl::StripAsciiWhitespace(request.parent());
  if (parent.empty()) return absl::InvalidArgumentError("parent missing");
  absl::StatusOr<ResultName> scope = ParseResultName(parent);
  if (!scope.ok()) return scope.status();
  absl::StatusOr<Plan> plan =
      PlanList(request, parent, RecordOrderFields(), FilterTarget::kRecords);
  if (!plan.ok()) return plan.status();
  ScopeRecords(*scope, &*plan);
  plan->limits = limits_;
  plan->cancelled = cancelled;

  tekton::results::v1alpha2::ListRecordsResponse response;
  absl::Status s = ReadPage(*store_, *plan, parent, absl::StripAsciiWhitespace(request.filter()),
                            response.mutable_records(), response.mutable_next_page_token());
  if (!s.ok()) return s;
  return response;
}

absl::Status Lister::ForEachRecord(const ResultName& scope, std::unique_ptr<const Filter> filter,
                                   const RecordVisitor& visit,
                                   const std::function<bool()>& cancelled) const {
  Plan plan;
  ScopeRecords(scope, &plan);
  plan.filter = std::move(filter);
  plan.cancelled = cancelled;
  const bool one_result = scope.parent != kWildcard && scope.result != kWildcard;
  const ReadyIndexes indexes = ReadyIndexesFor(*store_, plan);
  ScopedSnapshot snapshot(store_->database().db());
  rocksdb::ReadOptions options;
  options.snapshot = snapshot.get();
  // A filter that no index narrows reads every record of the scope: in log order, that is one
  // sequential pass instead of a random read per record.
  if (plan.filter && !indexes.any() && !one_result) {
    return ScanLogForRecords(store_->database(), LogScanRequestOf(*store_, plan), options,
                             [&](int thread, const RecordView& record, absl::string_view) {
                               return visit(thread, record);
                             });
  }
  bool filter_index = false;
  std::unique_ptr<CandidateSource> source =
      ChooseSource(*store_, plan, indexes, options, &filter_index);
  size_t examined = 0;
  for (bool more = true; more;) {
    if (plan.cancelled && plan.cancelled()) {
      return absl::CancelledError("the request was cancelled during a scan");
    }
    absl::StatusOr<std::vector<Record>> records =
        NextMatches<Record>(*store_, plan, source.get(), 1024, options, &more, &examined);
    if (!records.ok()) return records.status();
    for (const Record& record : *records) {
      if (!visit(0, RecordView::Of(record))) return absl::OkStatus();
    }
  }
  return source->status();
}

}  // namespace runledger
