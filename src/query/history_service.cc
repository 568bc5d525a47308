#include "src/query/history_service.h"

#include <algorithm>
#include <atomic>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/query/encoded_event_batch.h"
#include "src/query/reply.h"

namespace runledger {
namespace {

// A Subscribe batch: at most this many events, stopping after the one that reaches the bytes.
constexpr size_t kBatchEvents = 512;
constexpr size_t kBatchBytes = 1 << 20;
// Room reserved beyond kBatchBytes for the event that crosses it (a typical record's).
constexpr size_t kBatchSlack = 64 << 10;
// How long the tail thread waits for the log before checking for shutdown.
constexpr absl::Duration kTailWait = absl::Milliseconds(100);

}  // namespace

// One Subscribe stream: reads a batch of its feed and writes it, and while the write is under way
// (the client decoding it, on another core) reads the next one; when both are done, writes that
// one. When there is none, it parks until the tail thread resumes it.
//
// One thread at a time owns the stream: the creator, the tail thread that resumes it, or whichever
// of the write's completion and the read ahead finishes last (`joins_` counts them down), which
// then loops in Pump rather than recursing.
class HistoryService::Subscription : public grpc::ServerWriteReactor<grpc::ByteBuffer> {
 public:
  Subscription(HistoryService* service, std::string parent, uint64_t from)
      : service_(service),
        parent_(std::move(parent)),
        next_(std::max<uint64_t>(from, 1)),
        batch_(kBatchBytes + kBatchSlack) {}

  // Writes the batch read ahead (reading one first if there is none) and reads the next, or
  // parks, or finishes. Only the owner calls it.
  void Pump() {
    while (true) {
      if (std::optional<grpc::Status> reason = service_->StopReason(this)) return Finish(*reason);
      if (!read_ahead_) ReadAhead();
      read_ahead_ = false;
      if (!read_.ok()) return Finish(ToGrpcStatus(read_));
      if (batch_.events() > 0) {
        response_ = batch_.Release();
        joins_.store(2, std::memory_order_relaxed);
        StartWrite(&response_);
        ReadAhead();
        if (!Arrive()) return;  // the write's completion goes on
        if (!write_ok_) return Finish(BrokenStream());
        continue;
      }
      grpc::Status reason;
      switch (service_->Park(this, read_head_, &reason)) {
        case Parking::kParked:
          return;
        case Parking::kReadAgain:
          continue;
        case Parking::kStop:
          return Finish(reason);
      }
    }
  }

  void OnWriteDone(bool ok) override {
    write_ok_ = ok;
    if (!Arrive()) return;  // the read ahead goes on
    if (!ok) return Finish(BrokenStream());
    Pump();
  }

  void OnCancel() override {
    if (service_->Cancel(this)) {
      Finish(grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client"));
    }
  }

  void OnDone() override {
    service_->Forget(this);
    delete this;
  }

  uint64_t next() const { return next_; }

 private:
  // Reads the feed after next_ up to the log's head into batch_ (empty when caught up).
  void ReadAhead() {
    read_head_ = service_->log_->LastSequence();
    uint64_t last = 0;
    read_ = service_->reader_.VisitChanges(parent_, next_, read_head_, kBatchEvents, kBatchBytes,
                                           [this, &last](uint64_t sequence, absl::string_view e) {
                                             batch_.Add(e);
                                             last = sequence;
                                             return absl::OkStatus();
                                           });
    next_ = last != 0 ? last + 1 : std::max(next_, read_head_ + 1);
    read_ahead_ = true;
  }

  // One of the write and the read ahead is done: true for the second, which goes on.
  bool Arrive() { return joins_.fetch_sub(1, std::memory_order_acq_rel) == 1; }

  static grpc::Status BrokenStream() {
    return grpc::Status(grpc::StatusCode::CANCELLED, "the stream is broken");
  }

  HistoryService* const service_;
  const std::string parent_;
  uint64_t next_;            // the first sequence number not yet read
  EncodedEventBatch batch_;  // read ahead of the write under way
  bool read_ahead_ = false;  // whether batch_, read_ and read_head_ are a read not yet written
  absl::Status read_;
  uint64_t read_head_ = 0;  // the log head the last read went up to
  std::atomic<int> joins_{0};
  bool write_ok_ = true;       // written by OnWriteDone before its Join
  grpc::ByteBuffer response_;  // an encoded v1::SubscribeResponse, being written
};

HistoryService::HistoryService(const EventLog* log)
    : log_(log), reader_(log), tail_thread_([this] { TailLoop(); }) {}

HistoryService::~HistoryService() {
  Shutdown();
  tail_thread_.join();
}

grpc::ServerUnaryReactor* HistoryService::ListEvents(grpc::CallbackServerContext* context,
                                                     const v1::ListEventsRequest* request,
                                                     v1::ListEventsResponse* response) {
  return Reply(context, reader_.ListEvents(*request), response);
}

grpc::ServerUnaryReactor* HistoryService::GetResultAt(grpc::CallbackServerContext* context,
                                                      const v1::GetAtRequest* request,
                                                      v1::ResultAt* response) {
  return Reply(context, reader_.GetResultAt(*request), response);
}

grpc::ServerUnaryReactor* HistoryService::GetRecordAt(grpc::CallbackServerContext* context,
                                                      const v1::GetAtRequest* request,
                                                      v1::RecordAt* response) {
  return Reply(context, reader_.GetRecordAt(*request), response);
}

grpc::ServerUnaryReactor* HistoryService::ListChanges(grpc::CallbackServerContext* context,
                                                      const v1::ListChangesRequest* request,
                                                      v1::ListChangesResponse* response) {
  return Reply(context, reader_.ListChanges(*request), response);
}

grpc::ServerWriteReactor<grpc::ByteBuffer>* HistoryService::Subscribe(
    grpc::CallbackServerContext* context, const grpc::ByteBuffer* encoded) {
  v1::SubscribeRequest request;
  grpc::ByteBuffer copy(*encoded);  // (Deserialize consumes its buffer; this shares the slices)
  const bool decoded =
      grpc::SerializationTraits<v1::SubscribeRequest>::Deserialize(&copy, &request).ok();
  auto* subscription = new Subscription(this, request.parent(), request.from_sequence());
  absl::Status valid =
      decoded ? HistoryReader::CheckFeedParent(request.parent())
              : absl::InvalidArgumentError("request: not an encoded runledger.v1.SubscribeRequest");
  if (!valid.ok()) {
    subscription->Finish(ToGrpcStatus(valid));
  } else {
    subscription->Pump();
  }
  return subscription;
}

std::optional<grpc::Status> HistoryService::StopReason(const Subscription* subscription) {
  absl::MutexLock lock(&mu_);
  if (cancelled_.contains(subscription)) {
    return grpc::Status(grpc::StatusCode::CANCELLED, "cancelled by the client");
  }
  if (stopping_) {
    return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                        absl::StrCat("the server is shutting down; resume with from_sequence ",
                                     subscription->next()));
  }
  return std::nullopt;
}

HistoryService::Parking HistoryService::Park(Subscription* subscription, uint64_t head,
                                             grpc::Status* reason) {
  if (std::optional<grpc::Status> stop = StopReason(subscription)) {
    *reason = *std::move(stop);
    return Parking::kStop;
  }
  absl::MutexLock lock(&mu_);
  // Checked under mu_, which the tail thread holds while it resumes: an event that lands after
  // this check finds the subscription parked.
  if (log_->LastSequence() > head) return Parking::kReadAgain;
  parked_[subscription] = head;
  return Parking::kParked;
}

bool HistoryService::Cancel(Subscription* subscription) {
  absl::MutexLock lock(&mu_);
  cancelled_.insert(subscription);
  return parked_.erase(subscription) > 0;
}

void HistoryService::Forget(Subscription* subscription) {
  absl::MutexLock lock(&mu_);
  cancelled_.erase(subscription);
}

void HistoryService::TailLoop() {
  uint64_t seen = log_->LastSequence();
  while (true) {
    const uint64_t head = log_->AwaitAfter(seen, kTailWait);
    std::vector<Subscription*> ready;
    {
      absl::MutexLock lock(&mu_);
      if (stopping_) return;
      for (auto it = parked_.begin(); it != parked_.end();) {
        if (it->second < head) {
          ready.push_back(it->first);
          parked_.erase(it++);
        } else {
          ++it;
        }
      }
    }
    seen = head;
    for (Subscription* subscription : ready) subscription->Pump();
  }
}

void HistoryService::Shutdown() {
  std::vector<Subscription*> parked;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    for (auto& [subscription, head] : parked_) parked.push_back(subscription);
    parked_.clear();
  }
  // Each was parked: now this thread's to finish (Pump sees stopping_ and does).
  for (Subscription* subscription : parked) subscription->Pump();
}

}  // namespace runledger
