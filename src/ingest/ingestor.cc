#include "src/ingest/ingestor.h"

#include <algorithm>
#include <memory>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "google/protobuf/util/message_differencer.h"
#include "src/common/entity_fields.h"
#include "src/common/names.h"
#include "src/common/time_util.h"
#include "src/common/uuid.h"
#include "src/ingest/run_upsert.h"
#include "src/ingest/validation.h"

namespace runledger {
namespace {

namespace api = tekton::results::v1alpha2;
using google::protobuf::Empty;

// A write's decision, run by the log's commit thread, and the delivery of its outcome.
template <typename T>
class WriteProposal : public EventLog::Proposal {
 public:
  using Decide = std::function<absl::StatusOr<T>(const CoreReader&, EventLog::ProposalContext&)>;

  WriteProposal(const CoreReader* reader, Decide decide, Ingestor::Done<T> done)
      : reader_(reader), decide_(std::move(decide)), done_(std::move(done)) {}

  absl::Status Propose(EventLog::ProposalContext& context) override {
    outcome_ = decide_(reader_->Through(&context.pending()), context);
    return outcome_.status();
  }
  void Done(const absl::Status& status) override {
    done_(status.ok() ? std::move(outcome_) : absl::StatusOr<T>(status));
  }

 private:
  const CoreReader* reader_;
  Decide decide_;
  Ingestor::Done<T> done_;
  absl::StatusOr<T> outcome_;
};

// Runs an asynchronous write and waits for its outcome.
template <typename T>
absl::StatusOr<T> Await(const std::function<void(Ingestor::Done<T>)>& start) {
  absl::StatusOr<T> outcome;
  absl::Notification finished;
  start([&](absl::StatusOr<T> result) {
    outcome = std::move(result);
    finished.Notify();
  });
  finished.WaitForNotification();
  return outcome;
}

v1::Event NewEvent(v1::EventKind kind, absl::string_view name, absl::string_view source,
                   int64_t now) {
  v1::Event event;
  *event.mutable_time() = NanosToTimestamp(now);
  event.set_source(std::string(source));
  event.set_kind(kind);
  event.set_name(std::string(name));
  return event;
}

v1::Event ResultEvent(v1::EventKind kind, const api::Result& result, absl::string_view source,
                      int64_t now) {
  v1::Event event = NewEvent(kind, result.name(), source, now);
  *event.mutable_result() = result;
  return event;
}

v1::Event RecordEvent(v1::EventKind kind, const api::Record& record, absl::string_view source,
                      int64_t now) {
  v1::Event event = NewEvent(kind, record.name(), source, now);
  *event.mutable_record() = record;
  return event;
}

// An update time strictly after the previous one, so that every version has its own etag.
int64_t NextUpdateNanos(const google::protobuf::Timestamp& previous) {
  return std::max(NowNanos(), TimestampToNanos(previous) + 1);
}

// Sets the server-owned fields of a new entity: uid (and its deprecated twin), the four times
// and the etag.
template <typename Entity>
void StampCreated(Entity* entity, int64_t now) {
  entity->set_uid(NewUuid());
  *entity->mutable_create_time() = NanosToTimestamp(now);
  *entity->mutable_update_time() = entity->create_time();
  SetDerivedFields(entity);
}

// A new Result: the client-owned fields of `input` (name, annotations, summary) and fresh server
// fields.
api::Result NewResult(const api::Result& input, int64_t now) {
  api::Result result;
  result.set_name(input.name());
  *result.mutable_annotations() = input.annotations();
  if (input.has_summary()) *result.mutable_summary() = input.summary();
  StampCreated(&result, now);
  return result;
}

// A new Record: the client-owned fields of `input` (name, data) and fresh server fields.
api::Record NewRecord(const api::Record& input, int64_t now) {
  api::Record record;
  record.set_name(input.name());
  if (input.has_data()) *record.mutable_data() = input.data();
  StampCreated(&record, now);
  return record;
}

template <typename Entity>
void StampUpdated(Entity* entity, int64_t now) {
  *entity->mutable_update_time() = NanosToTimestamp(now);
  SetDerivedFields(entity);
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

// The stored entity, or NotFound.
template <typename Entity>
absl::StatusOr<Entity> Existing(absl::StatusOr<std::optional<Entity>> stored,
                                absl::string_view what, absl::string_view name) {
  if (!stored.ok()) return stored.status();
  if (!stored->has_value())
    return absl::NotFoundError(absl::StrCat("failed to find ", what, ": ", name));
  return std::move(**stored);
}

// OK if nothing is stored under the name, AlreadyExists otherwise.
template <typename Entity>
absl::Status Absent(absl::StatusOr<std::optional<Entity>> stored, absl::string_view what,
                    absl::string_view name) {
  if (!stored.ok()) return stored.status();
  if (stored->has_value())
    return absl::AlreadyExistsError(absl::StrCat(what, " ", name, " already exists"));
  return absl::OkStatus();
}

template <typename Entity>
v1::EntityRef RefOf(const Entity& entity) {
  v1::EntityRef ref;
  ref.set_name(entity.name());
  ref.set_uid(entity.uid());
  ref.set_etag(entity.etag());
  return ref;
}

// The Result side of an upsert: creates the Result if it is absent, or, for a top-level run,
// updates it if the run changes it. Appends the event, if any, and reports it in `outcome`.
absl::Status UpsertResultOf(const v1::RunUpsert& run, absl::string_view source,
                            const CoreReader& head, EventLog::ProposalContext& context,
                            v1::RunUpsertResult* outcome) {
  absl::StatusOr<std::optional<api::Result>> stored = head.GetResult(run.result().name());
  if (!stored.ok()) return stored.status();
  api::Result result;
  if (!stored->has_value()) {
    const int64_t now = NowNanos();
    result = NewResult(run.result(), now);
    context.Append(ResultEvent(v1::RESULT_CREATED, result, source, now));
    outcome->set_result_changed(true);
  } else if (!run.update_result()) {
    result = **std::move(stored);
  } else {
    result = MergeIntoResult(**stored, run);
    if (!google::protobuf::util::MessageDifferencer::Equals(result, **stored)) {
      const int64_t now = NextUpdateNanos(result.update_time());
      StampUpdated(&result, now);
      context.Append(ResultEvent(v1::RESULT_UPDATED, result, source, now));
      outcome->set_result_changed(true);
    }
  }
  *outcome->mutable_result() = RefOf(result);
  return absl::OkStatus();
}

// The Record side of an upsert: creates the Record if it is absent, gives it the run's data if
// that differs. Appends the event, if any, and reports it in `outcome`.
absl::Status UpsertRecordOf(const v1::RunUpsert& run, absl::string_view source,
                            const CoreReader& head, EventLog::ProposalContext& context,
                            v1::RunUpsertResult* outcome) {
  absl::StatusOr<std::optional<api::Record>> stored = head.GetRecord(run.record().name());
  if (!stored.ok()) return stored.status();
  api::Record record;
  if (!stored->has_value()) {
    const int64_t now = NowNanos();
    record = NewRecord(run.record(), now);
    context.Append(RecordEvent(v1::RECORD_CREATED, record, source, now));
    outcome->set_record_changed(true);
  } else if (SameRecordData(**stored, run)) {
    record = **std::move(stored);
  } else {
    record = **std::move(stored);
    *record.mutable_data() = run.record().data();
    const int64_t now = NextUpdateNanos(record.update_time());
    StampUpdated(&record, now);
    context.Append(RecordEvent(v1::RECORD_UPDATED, record, source, now));
    outcome->set_record_changed(true);
  }
  *outcome->mutable_record() = RefOf(record);
  return absl::OkStatus();
}

}  // namespace

template <typename T>
void Ingestor::Submit(Decide<T> decide, Done<T> done) {
  log_->Submit(std::make_unique<WriteProposal<T>>(reader_, std::move(decide), std::move(done)));
}

void Ingestor::CreateResult(const api::CreateResultRequest& request, std::string source,
                            Done<api::Result> done) {
  const api::Result& input = request.result();
  absl::StatusOr<ResultName> name = ParseResultName(input.name());
  if (!name.ok()) return done(name.status());
  if (request.parent() != name->parent) return done(ParentMismatch(request.parent(), name->parent));
  if (input.has_summary()) {
    absl::Status valid = ValidateSummary(input.summary());
    if (!valid.ok()) return done(valid);
  }
  Submit<api::Result>(
      [&input, source = std::move(source)](
          const CoreReader& head,
          EventLog::ProposalContext& context) -> absl::StatusOr<api::Result> {
        absl::Status absent = Absent(head.GetResult(input.name()), "result", input.name());
        if (!absent.ok()) return absent;
        const int64_t now = NowNanos();
        api::Result result = NewResult(input, now);
        context.Append(ResultEvent(v1::RESULT_CREATED, result, source, now));
        return result;
      },
      std::move(done));
}

void Ingestor::UpdateResult(const api::UpdateResultRequest& request, std::string source,
                            Done<api::Result> done) {
  absl::StatusOr<ResultName> name = ParseResultName(request.name());
  if (!name.ok()) return done(name.status());
  Submit<api::Result>(
      [&request, source = std::move(source)](
          const CoreReader& head,
          EventLog::ProposalContext& context) -> absl::StatusOr<api::Result> {
        absl::StatusOr<api::Result> result =
            Existing(head.GetResult(request.name()), "a result", request.name());
        if (!result.ok()) return result.status();
        absl::Status etag = CheckEtag(request.etag(), result->etag());
        if (!etag.ok()) return etag;
        // Replacement: annotations and summary come verbatim from the request, even if empty.
        *result->mutable_annotations() = request.result().annotations();
        result->clear_summary();
        if (request.result().has_summary()) {
          absl::Status valid = ValidateSummary(request.result().summary());
          if (!valid.ok()) return valid;
          *result->mutable_summary() = request.result().summary();
        }
        const int64_t now = NextUpdateNanos(result->update_time());
        StampUpdated(&*result, now);
        context.Append(ResultEvent(v1::RESULT_UPDATED, *result, source, now));
        return result;
      },
      std::move(done));
}

void Ingestor::DeleteResult(const api::DeleteResultRequest& request, std::string source,
                            Done<Empty> done) {
  absl::StatusOr<ResultName> name = ParseResultName(request.name());
  if (!name.ok()) return done(name.status());
  Submit<Empty>(
      [&request, name = *std::move(name), source = std::move(source)](
          const CoreReader& head, EventLog::ProposalContext& context) -> absl::StatusOr<Empty> {
        absl::StatusOr<api::Result> result =
            Existing(head.GetResult(request.name()), "a result", request.name());
        if (!result.ok()) return result.status();
        absl::StatusOr<std::vector<std::string>> records =
            head.RecordNamesOf(name.parent, name.result);
        if (!records.ok()) return records.status();
        const int64_t now = NowNanos();
        for (const std::string& record : *records) {
          context.Append(NewEvent(v1::RECORD_DELETED, record, source, now));
        }
        context.Append(NewEvent(v1::RESULT_DELETED, request.name(), source, now));
        return Empty();
      },
      std::move(done));
}

void Ingestor::CreateRecord(const api::CreateRecordRequest& request, std::string source,
                            Done<api::Record> done) {
  const api::Record& input = request.record();
  absl::StatusOr<RecordName> name = ParseRecordName(input.name());
  if (!name.ok()) return done(name.status());
  std::string result_name = FormatResultName(name->parent, name->result);
  if (request.parent() != result_name) return done(ParentMismatch(request.parent(), result_name));
  Submit<api::Record>(
      [&input, result_name = std::move(result_name), source = std::move(source)](
          const CoreReader& head,
          EventLog::ProposalContext& context) -> absl::StatusOr<api::Record> {
        absl::StatusOr<api::Result> result =
            Existing(head.GetResult(result_name), "result", result_name);
        if (!result.ok()) return result.status();
        const int64_t now = NowNanos();
        api::Record record = NewRecord(input, now);
        absl::Status valid = ValidateRecordData(record);
        if (!valid.ok()) return valid;
        absl::Status absent = Absent(head.GetRecord(record.name()), "record", record.name());
        if (!absent.ok()) return absent;
        context.Append(RecordEvent(v1::RECORD_CREATED, record, source, now));
        return record;
      },
      std::move(done));
}

void Ingestor::UpdateRecord(const api::UpdateRecordRequest& request, std::string source,
                            Done<api::Record> done) {
  absl::StatusOr<RecordName> name = ParseRecordName(request.record().name());
  if (!name.ok()) return done(name.status());
  Submit<api::Record>(
      [&request, source = std::move(source)](
          const CoreReader& head,
          EventLog::ProposalContext& context) -> absl::StatusOr<api::Record> {
        const std::string& name = request.record().name();
        absl::StatusOr<api::Record> record = Existing(head.GetRecord(name), "record", name);
        if (!record.ok()) return record.status();
        absl::Status etag = CheckEtag(request.etag(), record->etag());
        if (!etag.ok()) return etag;
        // Protobuf merge of the client-owned fields: only non-empty ones overwrite. Server-set
        // fields in the request are ignored, and so is update_mask, as upstream does.
        if (request.record().has_data()) record->mutable_data()->MergeFrom(request.record().data());
        const int64_t now = NextUpdateNanos(record->update_time());
        StampUpdated(&*record, now);
        absl::Status valid = ValidateRecordData(*record);
        if (!valid.ok()) return valid;
        context.Append(RecordEvent(v1::RECORD_UPDATED, *record, source, now));
        return record;
      },
      std::move(done));
}

void Ingestor::DeleteRecord(const api::DeleteRecordRequest& request, std::string source,
                            Done<Empty> done) {
  absl::StatusOr<RecordName> name = ParseRecordName(request.name());
  if (!name.ok()) return done(name.status());
  Submit<Empty>(
      [&request, source = std::move(source)](
          const CoreReader& head, EventLog::ProposalContext& context) -> absl::StatusOr<Empty> {
        absl::StatusOr<api::Record> record =
            Existing(head.GetRecord(request.name()), "record", request.name());
        if (!record.ok()) return record.status();
        context.Append(NewEvent(v1::RECORD_DELETED, request.name(), source, NowNanos()));
        return Empty();
      },
      std::move(done));
}

void Ingestor::UpsertRun(const v1::RunUpsert& run, std::string source,
                         Done<v1::RunUpsertResult> done) {
  absl::Status valid = ValidateRunUpsert(run);
  if (!valid.ok()) return done(valid);
  Submit<v1::RunUpsertResult>(
      [&run, source = std::move(source)](const CoreReader& head, EventLog::ProposalContext& context)
          -> absl::StatusOr<v1::RunUpsertResult> {
        v1::RunUpsertResult outcome;
        absl::Status result = UpsertResultOf(run, source, head, context, &outcome);
        if (!result.ok()) return result;
        absl::Status record = UpsertRecordOf(run, source, head, context, &outcome);
        if (!record.ok()) return record;
        return outcome;
      },
      std::move(done));
}

// The waiting forms: each starts the asynchronous write and waits for its outcome.

absl::StatusOr<api::Result> Ingestor::CreateResult(const api::CreateResultRequest& request,
                                                   absl::string_view source) {
  return Await<api::Result>(
      [&](Done<api::Result> done) { CreateResult(request, std::string(source), std::move(done)); });
}

absl::StatusOr<api::Result> Ingestor::UpdateResult(const api::UpdateResultRequest& request,
                                                   absl::string_view source) {
  return Await<api::Result>(
      [&](Done<api::Result> done) { UpdateResult(request, std::string(source), std::move(done)); });
}

absl::Status Ingestor::DeleteResult(const api::DeleteResultRequest& request,
                                    absl::string_view source) {
  return Await<Empty>(
             [&](Done<Empty> done) { DeleteResult(request, std::string(source), std::move(done)); })
      .status();
}

absl::StatusOr<api::Record> Ingestor::CreateRecord(const api::CreateRecordRequest& request,
                                                   absl::string_view source) {
  return Await<api::Record>(
      [&](Done<api::Record> done) { CreateRecord(request, std::string(source), std::move(done)); });
}

absl::StatusOr<api::Record> Ingestor::UpdateRecord(const api::UpdateRecordRequest& request,
                                                   absl::string_view source) {
  return Await<api::Record>(
      [&](Done<api::Record> done) { UpdateRecord(request, std::string(source), std::move(done)); });
}

absl::Status Ingestor::DeleteRecord(const api::DeleteRecordRequest& request,
                                    absl::string_view source) {
  return Await<Empty>(
             [&](Done<Empty> done) { DeleteRecord(request, std::string(source), std::move(done)); })
      .status();
}

absl::StatusOr<v1::RunUpsertResult> Ingestor::UpsertRun(const v1::RunUpsert& run,
                                                        absl::string_view source) {
  return Await<v1::RunUpsertResult>([&](Done<v1::RunUpsertResult> done) {
    UpsertRun(run, std::string(source), std::move(done));
  });
}

}  // namespace runledger
