// HistoryService: the runledger.v1.History gRPC service (callback API) over a HistoryReader.
// Unary reads run on gRPC's threads.
//
// Each Subscribe stream reads the feed itself, from its own cursor, one batch at a time: it reads
// the next batch only once the previous one has been written to the client. So a slow client
// holds at most one batch in memory and never slows anything else, and ingest never waits for a
// subscriber. A stream that has caught up with the log parks; one tail thread waits for the log
// to advance (EventLog::AwaitAfter) and resumes the parked streams.
//
// Subscribe is a raw method: its responses are written as bytes, built from the events as the log
// stores them (EncodedEventBatch), so an event is never decoded and encoded again on its way out.
// The wire format is SubscribeResponse's, as the service declares.
//
// Invariant: a stream is at any moment either active (one read or write of its own in flight) or
// parked (in parked_, nothing in flight); whoever moves it out of parked_ owns it, so exactly one
// party finishes it. Shutdown ends every stream with UNAVAILABLE.
#ifndef RUNLEDGER_QUERY_HISTORY_SERVICE_H_
#define RUNLEDGER_QUERY_HISTORY_SERVICE_H_

#include <cstdint>
#include <optional>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/synchronization/mutex.h"
#include "runledger/v1/history.grpc.pb.h"
#include "src/log/event_log.h"
#include "src/query/history_reader.h"

namespace runledger {

// The History service with every method on the callback API, Subscribe as a raw one.
using HistoryServiceBase =
    v1::History::WithCallbackMethod_ListEvents<v1::History::WithCallbackMethod_GetResultAt<
        v1::History::WithCallbackMethod_GetRecordAt<v1::History::WithCallbackMethod_ListChanges<
            v1::History::WithRawCallbackMethod_Subscribe<v1::History::Service>>>>>;

class HistoryService final : public HistoryServiceBase {
 public:
  // `log` must be open and outlive the service.
  explicit HistoryService(const EventLog* log);
  // Shuts down and waits for the tail thread.
  ~HistoryService() override;

  grpc::ServerUnaryReactor* ListEvents(grpc::CallbackServerContext* context,
                                       const v1::ListEventsRequest* request,
                                       v1::ListEventsResponse* response) override;
  grpc::ServerUnaryReactor* GetResultAt(grpc::CallbackServerContext* context,
                                        const v1::GetAtRequest* request,
                                        v1::ResultAt* response) override;
  grpc::ServerUnaryReactor* GetRecordAt(grpc::CallbackServerContext* context,
                                        const v1::GetAtRequest* request,
                                        v1::RecordAt* response) override;
  grpc::ServerUnaryReactor* ListChanges(grpc::CallbackServerContext* context,
                                        const v1::ListChangesRequest* request,
                                        v1::ListChangesResponse* response) override;
  // `request` encodes a v1::SubscribeRequest; each response, a v1::SubscribeResponse.
  grpc::ServerWriteReactor<grpc::ByteBuffer>* Subscribe(grpc::CallbackServerContext* context,
                                                        const grpc::ByteBuffer* request) override;

  // Ends every Subscribe stream (UNAVAILABLE) now or at its next batch and refuses new ones,
  // without waiting: the server drains right after. The tail thread stops within 100 ms.
  void Shutdown();

 private:
  class Subscription;

  enum class Parking { kParked, kReadAgain, kStop };

  // Why `subscription` must end now (its client cancelled, or the service is stopping), if so.
  std::optional<grpc::Status> StopReason(const Subscription* subscription);
  // Parks `subscription`, which has read the feed up to `head`, unless the log has gone past
  // `head` (kReadAgain) or it must stop (kStop, and `*reason` says why).
  Parking Park(Subscription* subscription, uint64_t head, grpc::Status* reason);
  // Marks `subscription` cancelled; true if it was parked and is now the caller's to finish.
  bool Cancel(Subscription* subscription);
  // Drops what the service knows of a finished subscription.
  void Forget(Subscription* subscription);
  void TailLoop();

  const EventLog* const log_;
  const HistoryReader reader_;

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_set<const Subscription*> cancelled_ ABSL_GUARDED_BY(mu_);
  // Each parked subscription and the log head it has read up to.
  absl::flat_hash_map<Subscription*, uint64_t> parked_ ABSL_GUARDED_BY(mu_);
  std::thread tail_thread_;
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_HISTORY_SERVICE_H_
