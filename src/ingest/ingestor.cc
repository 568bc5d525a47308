#include "src/ingest/ingestor.h"

#include <algorithm>

#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "src/common/names.h"
#include "src/common/time_util.h"
#include "src/common/uuid.h"
#include "src/ingest/validation.h"

namespace runledger {
namespace {

using tekton::results::v1alpha2::Record;
using tekton::results::v1alpha2::Result;

v1::Event NewEvent(v1::EventKind kind, absl::string_view name, absl::string_view source,
                   int64_t now) {
  v1::Event event;
  *event.mutable_time() = NanosToTimestamp(now);
  event.set_source(std::string(source));
  event.set_kind(kind);
  event.set_name(std::string(name));
  return event;
}

// An update time strictly after the previous one, so that every version has its own etag.
int64_t NextUpdateNanos(const google::protobuf::Timestamp& previous) {
  return std::max(NowNanos(), TimestampToNanos(previous) + 1);
}

std::string Etag(absl::string_view uid, int64_t update_nanos) {
  return absl::StrCat(uid, "-", update_nanos);
}

// Sets the server-owned fields of a new entity: uid (and its deprecated twin), the four times
// and the etag.
template <typename Entity>
void StampCreated(Entity* entity, int64_t now) {
  const std::string uid = NewUuid();
  entity->set_uid(uid);
  entity->set_id(uid);
  *entity->mutable_create_time() = NanosToTimestamp(now);
  *entity->mutable_created_time() = entity->create_time();
  entity->set_etag(Etag(uid, now));
  // Set last: the update times are what a later update compares against.
  *entity->mutable_update_time() = entity->create_time();
  *entity->mutable_updated_time() = entity->create_time();
}

template <typename Entity>
void StampUpdated(Entity* entity, int64_t now) {
  *entity->mutable_update_time() = NanosToTimestamp(now);
  *entity->mutable_updated_time() = entity->update_time();
  entity->set_etag(Etag(entity->uid(), now));
}

absl::Status CheckEtag(absl::string_view requested, absl::string_view stored) {
  if (requested.empty() || requested == stored) return absl::OkStatus();
  return absl::FailedPreconditionError(
      absl::StrCat("the etag mismatches: requested ", requested, ", current ", stored));
}

absl::Status ParentMismatch(absl::string_view requested, absl::string_view expected) {
  return absl::InvalidArgumentError(
      absl::StrCat("requested parent does not match resource name: parent \"", requested,
                   "\", name implies \"", expected, "\""));
}

}  // namespace

absl::Mutex& Ingestor::LockFor(absl::string_view result_name) {
  return locks_[absl::HashOf(result_name) % locks_.size()];
}

absl::StatusOr<Result> Ingestor::CreateResult(
    const tekton::results::v1alpha2::CreateResultRequest& request, absl::string_view source) {
  const Result& input = request.result();
  absl::StatusOr<ResultName> name = ParseResultName(input.name());
  if (!name.ok()) return name.status();
  if (request.parent() != name->parent) return ParentMismatch(request.parent(), name->parent);

  const int64_t now = NowNanos();
  Result result;
  result.set_name(input.name());
  *result.mutable_annotations() = input.annotations();
  if (input.has_summary()) {
    absl::Status valid = ValidateSummary(input.summary());
    if (!valid.ok()) return valid;
    *result.mutable_summary() = input.summary();
  }
  StampCreated(&result, now);

  absl::MutexLock lock(&LockFor(result.name()));
  absl::StatusOr<std::optional<Result>> existing = reader_->GetResult(result.name());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return absl::AlreadyExistsError(absl::StrCat("result ", result.name(), " already exists"));
  }
  std::vector<v1::Event> events = {NewEvent(v1::RESULT_CREATED, result.name(), source, now)};
  *events[0].mutable_result() = result;
  absl::Status appended = log_->Append(&events);
  if (!appended.ok()) return appended;
  return result;
}

absl::StatusOr<Result> Ingestor::UpdateResult(
    const tekton::results::v1alpha2::UpdateResultRequest& request, absl::string_view source) {
  absl::StatusOr<ResultName> name = ParseResultName(request.name());
  if (!name.ok()) return name.status();

  absl::MutexLock lock(&LockFor(request.name()));
  absl::StatusOr<std::optional<Result>> stored = reader_->GetResult(request.name());
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    return absl::NotFoundError(absl::StrCat("failed to find a result: ", request.name()));
  }
  Result result = std::move(**stored);
  absl::Status etag = CheckEtag(request.etag(), result.etag());
  if (!etag.ok()) return etag;

  // Replacement: annotations and summary come verbatim from the request, even when empty.
  *result.mutable_annotations() = request.result().annotations();
  result.clear_summary();
  if (request.result().has_summary()) {
    absl::Status valid = ValidateSummary(request.result().summary());
    if (!valid.ok()) return valid;
    *result.mutable_summary() = request.result().summary();
  }
  const int64_t now = NextUpdateNanos(result.update_time());
  StampUpdated(&result, now);

  std::vector<v1::Event> events = {NewEvent(v1::RESULT_UPDATED, result.name(), source, now)};
  *events[0].mutable_result() = result;
  absl::Status appended = log_->Append(&events);
  if (!appended.ok()) return appended;
  return result;
}

absl::Status Ingestor::DeleteResult(const tekton::results::v1alpha2::DeleteResultRequest& request,
                                    absl::string_view source) {
  absl::StatusOr<ResultName> name = ParseResultName(request.name());
  if (!name.ok()) return name.status();

  absl::MutexLock lock(&LockFor(request.name()));
  absl::StatusOr<std::optional<Result>> stored = reader_->GetResult(request.name());
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    return absl::NotFoundError(absl::StrCat("failed to find a result: ", request.name()));
  }
  absl::StatusOr<std::vector<std::string>> records =
      reader_->RecordNamesOf(name->parent, name->result);
  if (!records.ok()) return records.status();

  const int64_t now = NowNanos();
  std::vector<v1::Event> events;
  for (const std::string& record : *records) {
    events.push_back(NewEvent(v1::RECORD_DELETED, record, source, now));
  }
  events.push_back(NewEvent(v1::RESULT_DELETED, request.name(), source, now));
  return log_->Append(&events);
}

absl::StatusOr<Record> Ingestor::CreateRecord(
    const tekton::results::v1alpha2::CreateRecordRequest& request, absl::string_view source) {
  const Record& input = request.record();
  absl::StatusOr<RecordName> name = ParseRecordName(input.name());
  if (!name.ok()) return name.status();
  const std::string result_name = FormatResultName(name->parent, name->result);
  if (request.parent() != result_name) return ParentMismatch(request.parent(), result_name);

  absl::MutexLock lock(&LockFor(result_name));
  absl::StatusOr<std::optional<Result>> result = reader_->GetResult(result_name);
  if (!result.ok()) return result.status();
  if (!result->has_value()) {
    return absl::NotFoundError(absl::StrCat("failed to find result ", result_name));
  }

  const int64_t now = NowNanos();
  Record record;
  record.set_name(input.name());
  if (input.has_data()) *record.mutable_data() = input.data();
  StampCreated(&record, now);
  absl::Status valid = ValidateRecordData(record);
  if (!valid.ok()) return valid;

  absl::StatusOr<std::optional<Record>> existing = reader_->GetRecord(record.name());
  if (!existing.ok()) return existing.status();
  if (existing->has_value()) {
    return absl::AlreadyExistsError(absl::StrCat("record ", record.name(), " already exists"));
  }
  std::vector<v1::Event> events = {NewEvent(v1::RECORD_CREATED, record.name(), source, now)};
  *events[0].mutable_record() = record;
  absl::Status appended = log_->Append(&events);
  if (!appended.ok()) return appended;
  return record;
}

absl::StatusOr<Record> Ingestor::UpdateRecord(
    const tekton::results::v1alpha2::UpdateRecordRequest& request, absl::string_view source) {
  absl::StatusOr<RecordName> name = ParseRecordName(request.record().name());
  if (!name.ok()) return name.status();

  // Only the client-owned fields take part in the merge; update_mask is ignored, as upstream.
  Record input;
  if (request.record().has_data()) *input.mutable_data() = request.record().data();

  absl::MutexLock lock(&LockFor(FormatResultName(name->parent, name->result)));
  absl::StatusOr<std::optional<Record>> stored = reader_->GetRecord(request.record().name());
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    return absl::NotFoundError(absl::StrCat("failed to find record ", request.record().name()));
  }
  Record record = std::move(**stored);
  absl::Status etag = CheckEtag(request.etag(), record.etag());
  if (!etag.ok()) return etag;

  // Protobuf merge: only non-empty fields of the input overwrite.
  record.MergeFrom(input);
  const int64_t now = NextUpdateNanos(record.update_time());
  StampUpdated(&record, now);
  absl::Status valid = ValidateRecordData(record);
  if (!valid.ok()) return valid;

  std::vector<v1::Event> events = {NewEvent(v1::RECORD_UPDATED, record.name(), source, now)};
  *events[0].mutable_record() = record;
  absl::Status appended = log_->Append(&events);
  if (!appended.ok()) return appended;
  return record;
}

absl::Status Ingestor::DeleteRecord(const tekton::results::v1alpha2::DeleteRecordRequest& request,
                                    absl::string_view source) {
  absl::StatusOr<RecordName> name = ParseRecordName(request.name());
  if (!name.ok()) return name.status();

  absl::MutexLock lock(&LockFor(FormatResultName(name->parent, name->result)));
  absl::StatusOr<std::optional<Record>> stored = reader_->GetRecord(request.name());
  if (!stored.ok()) return stored.status();
  if (!stored->has_value()) {
    return absl::NotFoundError(absl::StrCat("failed to find record ", request.name()));
  }
  std::vector<v1::Event> events = {NewEvent(v1::RECORD_DELETED, request.name(), source, NowNanos())};
  return log_->Append(&events);
}

}  // namespace runledger
