// End-to-end tests of the runledger.v1.History service against a real `runledger serve`
// process: the history of writes made through the Results API (states exactly as each RPC
// returned them, the caller as source), the as-of reads, and Subscribe: every event exactly once
// and in order across a server restart when the client resumes from its last sequence number,
// a parent filter, and a subscriber that stops reading while writers go on.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "grpcpp/generic/generic_stub.h"
#include "gtest/gtest.h"
#include "runledger/v1/history.grpc.pb.h"
#include "tests/test_util.h"

namespace runledger::e2e {
namespace {

using ::grpc::StatusCode;
using ::testing::Each;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr auto kDeadline = std::chrono::seconds(10);

std::unique_ptr<grpc::ClientContext> ContextWithDeadline() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + kDeadline);
  return context;
}

Reply<v1::ListEventsResponse> ListEvents(v1::History::Stub& stub,
                                         const v1::ListEventsRequest& request) {
  Reply<v1::ListEventsResponse> reply;
  reply.status = stub.ListEvents(ContextWithDeadline().get(), request, &reply.value);
  return reply;
}

Reply<v1::RecordAt> GetRecordAt(v1::History::Stub& stub, const std::string& name,
                                uint64_t sequence) {
  v1::GetAtRequest request;
  request.set_name(name);
  request.set_sequence(sequence);
  Reply<v1::RecordAt> reply;
  reply.status = stub.GetRecordAt(ContextWithDeadline().get(), request, &reply.value);
  return reply;
}

// Every change under `parent`, following the pages.
std::vector<v1::Event> AllChanges(v1::History::Stub& stub, const std::string& parent) {
  v1::ListChangesRequest request;
  request.set_parent(parent);
  request.set_page_size(1000);
  std::vector<v1::Event> events;
  for (int page = 0; page < 1000; ++page) {
    v1::ListChangesResponse response;
    grpc::Status status = stub.ListChanges(ContextWithDeadline().get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    events.insert(events.end(), response.events().begin(), response.events().end());
    if (!status.ok() || response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  return events;
}

// A Subscribe stream read on a thread of its own.
class Subscriber {
 public:
  // `pause_after` > 0: stops reading after that many messages until Resume().
  Subscriber(std::shared_ptr<grpc::Channel> channel, uint64_t from, const std::string& parent,
             int pause_after = 0)
      : stub_(v1::History::NewStub(std::move(channel))), pause_after_(pause_after) {
    request_.set_from_sequence(from);
    request_.set_parent(parent);
    thread_ = std::thread([this] { Run(); });
  }
  ~Subscriber() { Stop(); }

  // Waits up to 20 s until it has received `count` events; true if it has.
  bool AwaitCount(size_t count) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, count]()
                       ABSL_SHARED_LOCKS_REQUIRED(mu_) { return events_.size() >= count || done_; };
    mu_.AwaitWithTimeout(absl::Condition(&reached), absl::Seconds(20));
    return events_.size() >= count;
  }
  size_t MessagesRead() {
    absl::MutexLock lock(&mu_);
    return messages_;
  }
  void Resume() {
    absl::MutexLock lock(&mu_);
    pause_after_ = 0;
  }
  // Waits for the stream to end by itself; returns its status.
  grpc::Status Join() {
    if (thread_.joinable()) thread_.join();
    return status_;
  }
  // Cancels the stream and waits for it.
  void Stop() {
    context_.TryCancel();
    Resume();
    Join();
  }
  std::vector<v1::Event> events() {
    absl::MutexLock lock(&mu_);
    return events_;
  }

 private:
  void Run() {
    std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
        stub_->Subscribe(&context_, request_);
    v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      absl::MutexLock lock(&mu_);
      ++messages_;
      events_.insert(events_.end(), response.events().begin(), response.events().end());
      auto may_read = [this]() ABSL_SHARED_LOCKS_REQUIRED(mu_) {
        return pause_after_ == 0 || messages_ < pause_after_;
      };
      mu_.Await(absl::Condition(&may_read));
    }
    status_ = reader->Finish();
    absl::MutexLock lock(&mu_);
    done_ = true;
  }

  std::unique_ptr<v1::History::Stub> stub_;
  v1::SubscribeRequest request_;
  grpc::ClientContext context_;
  absl::Mutex mu_;
  std::vector<v1::Event> events_ ABSL_GUARDED_BY(mu_);
  size_t messages_ ABSL_GUARDED_BY(mu_) = 0;
  size_t pause_after_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  grpc::Status status_;
  std::thread thread_;
};

std::vector<uint64_t> Sequences(const std::vector<v1::Event>& events) {
  std::vector<uint64_t> sequences;
  for (const v1::Event& event : events) sequences.push_back(event.sequence());
  return sequences;
}

std::vector<uint64_t> OneTo(uint64_t n) {
  std::vector<uint64_t> sequences;
  for (uint64_t s = 1; s <= n; ++s) sequences.push_back(s);
  return sequences;
}

// Writes `results` results with `records` records each, then updates each record once:
// results * (1 + 2 * records) events.
void Write(ResultsClient& client, const std::string& parent, int results, int records,
           const std::string& json = R"({"a":1})") {
  for (int r = 0; r < results; ++r) {
    const std::string result = ResultName(parent, absl::StrCat("r", r));
    MustCreateResult(client, result);
    for (int i = 0; i < records; ++i) {
      MustCreateRecord(client, MakeRecord(RecordName(result, absl::StrCat("x", i)), "T", json));
    }
    for (int i = 0; i < records; ++i) {
      ASSERT_OK(client.UpdateRecord(UpdateRecordReq(
          MakeRecord(RecordName(result, absl::StrCat("x", i)), "T", R"({"a":2})"))));
    }
  }
}

class E2eHistoryTest : public E2eTest {
 protected:
  void SetUp() override {
    E2eTest::SetUp();
    stub_ = v1::History::NewStub(server().NewChannel());
  }
  std::unique_ptr<v1::History::Stub> stub_;
};

TEST_F(E2eHistoryTest, ListEventsReturnsEveryStateAsEachRpcReturnedIt) {
  const std::string result = ResultName(UniqueParent(), "r");
  const std::string name = RecordName(result, "x");
  MustCreateResult(client(), result);
  std::vector<rpc::Record> states = {MustCreateRecord(client(), MakeRecord(name, "T", "{}"))};
  for (int i = 1; i <= 5; ++i) {
    Reply<rpc::Record> updated = client().UpdateRecord(
        UpdateRecordReq(MakeRecord(name, "T", absl::StrCat(R"({"step":)", i, "}"))));
    ASSERT_OK(updated);
    states.push_back(updated.value);
  }
  ASSERT_OK(client().DeleteRecord(name));

  v1::ListEventsRequest request;
  request.set_name(name);
  Reply<v1::ListEventsResponse> listed = ListEvents(*stub_, request);
  ASSERT_OK(listed);
  ASSERT_EQ(listed.value.events_size(), 7);
  for (int i = 0; i < 6; ++i) {
    EXPECT_TRUE(ProtoEq(states[i], listed.value.events(i).event().record())) << i;
  }
  EXPECT_EQ(listed.value.events(6).event().kind(), v1::RECORD_DELETED);
  EXPECT_EQ(listed.value.events(5).data_patch(), R"([{"op":"replace","path":"/step","value":5}])");
  for (const v1::HistoryEvent& event : listed.value.events()) {
    EXPECT_THAT(event.event().source(), StartsWith("api:ipv4:127.0.0.1:"));
  }

  // As of the deletion: deleted, with the last state.
  Reply<v1::RecordAt> at = GetRecordAt(*stub_, name, listed.value.events(6).event().sequence());
  ASSERT_OK(at);
  EXPECT_TRUE(at.value.deleted());
  EXPECT_TRUE(ProtoEq(states.back(), at.value.record()));
  EXPECT_CODE(GetRecordAt(*stub_, name, listed.value.events(0).event().sequence() - 1),
              StatusCode::NOT_FOUND);

  request.set_name("nope");
  EXPECT_CODE(ListEvents(*stub_, request), StatusCode::INVALID_ARGUMENT);
  request.set_name(RecordName(result, "never"));
  EXPECT_CODE(ListEvents(*stub_, request), StatusCode::NOT_FOUND);
}

TEST_F(E2eHistoryTest, SubscribeWithAParentSeesOnlyThatParentsChanges) {
  const std::string mine = UniqueParent();
  const std::string other = UniqueParent();
  Subscriber subscriber(server().NewChannel(), 1, mine);
  Write(client(), other, 1, 2);
  Write(client(), mine, 2, 2);  // 10 events
  ASSERT_TRUE(subscriber.AwaitCount(10));
  const std::vector<v1::Event> events = subscriber.events();
  std::vector<std::string> parents;
  for (const v1::Event& event : events) parents.push_back(event.name().substr(0, mine.size()));
  EXPECT_THAT(parents, Each(mine));
  EXPECT_EQ(Sequences(events), Sequences(AllChanges(*stub_, mine)));

  Subscriber bad(server().NewChannel(), 1, "a/b");
  EXPECT_EQ(bad.Join().error_code(), StatusCode::INVALID_ARGUMENT);
}

// Subscribe with `request` as its request message's bytes, through gRPC's generic API; the
// status it ends with.
grpc::Status SubscribeWithBytes(const std::shared_ptr<grpc::Channel>& channel,
                                const std::string& request) {
  grpc::GenericStub stub(channel);
  grpc::CompletionQueue queue;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call =
      stub.PrepareCall(&context, "/runledger.v1.History/Subscribe", &queue);
  // Each step waits for its own completion: tags are the step numbers.
  auto await = [&queue](intptr_t step) {
    void* tag = nullptr;
    bool ok = false;
    EXPECT_TRUE(queue.Next(&tag, &ok));
    EXPECT_EQ(reinterpret_cast<intptr_t>(tag), step);
  };
  call->StartCall(reinterpret_cast<void*>(1));
  await(1);
  grpc::Slice slice(request);
  call->WriteLast(grpc::ByteBuffer(&slice, 1), grpc::WriteOptions(), reinterpret_cast<void*>(2));
  await(2);
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  await(3);
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  await(4);
  queue.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (queue.Next(&tag, &ok)) {
  }
  return status;
}

TEST_F(E2eHistoryTest, SubscribeRefusesARequestThatIsNotOne) {
  const grpc::Status status = SubscribeWithBytes(server().NewChannel(), "\xff\xff\xff");
  EXPECT_EQ(status.error_code(), StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(status.error_message(), "request: not an encoded runledger.v1.SubscribeRequest");
}

TEST(E2eHistorySubscribeTest, EveryEventExactlyOnceInOrderAcrossARestart) {
  // (Clients close their channels before the server stops: an open channel holds up its drain.)
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  {
    ResultsClient client(server.NewChannel());
    Write(client, "p", 3, 3);  // before subscribing: the stream catches up from the log
  }
  std::vector<v1::Event> seen;
  {
    Subscriber subscriber(server.NewChannel(), 1, "-");
    {
      ResultsClient client(server.NewChannel());
      Write(client, "p2", 3, 3);  // while subscribed: the stream tails the log
    }
    ASSERT_TRUE(subscriber.AwaitCount(10));
    EXPECT_EQ(server.Stop(), 0);  // the stream may be anywhere in the log by now
    EXPECT_EQ(subscriber.Join().error_code(), StatusCode::UNAVAILABLE);
    seen = subscriber.events();
  }
  ASSERT_FALSE(seen.empty());
  ASSERT_TRUE(server.Restart());
  const size_t total = 3 * 7 + 3 * 7 + 2 * 7;
  {
    Subscriber resumed(server.NewChannel(), seen.back().sequence() + 1, "-");
    {
      ResultsClient client(server.NewChannel());
      Write(client, "q", 2, 3);
    }
    ASSERT_TRUE(resumed.AwaitCount(total - seen.size()));
    resumed.Stop();
    for (const v1::Event& event : resumed.events()) seen.push_back(event);
  }
  EXPECT_EQ(Sequences(seen), OneTo(total));
  {
    auto stub = v1::History::NewStub(server.NewChannel());
    const std::vector<v1::Event> log = AllChanges(*stub, "-");
    ASSERT_EQ(log.size(), seen.size());
    for (size_t i = 0; i < log.size(); ++i) EXPECT_TRUE(ProtoEq(log[i], seen[i]));
  }
  EXPECT_EQ(server.Stop(), 0);
}

TEST(E2eHistorySubscribeTest, CatchesUpAcrossManyBatchesExactlyOnceInOrder) {
  // More events than one batch holds (512), so batches are read while earlier ones are written.
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  const size_t total = 30 * (1 + 2 * 20);
  {
    ResultsClient client(server.NewChannel());
    Write(client, "p", 30, 20);
    Subscriber subscriber(server.NewChannel(), 1, "-");
    ASSERT_TRUE(subscriber.AwaitCount(total));
    MustCreateResult(client, "p/results/live");  // then it tails the log
    ASSERT_TRUE(subscriber.AwaitCount(total + 1));
    subscriber.Stop();
    EXPECT_EQ(Sequences(subscriber.events()), OneTo(total + 1));
  }
  EXPECT_EQ(server.Stop(), 0);
}

TEST(E2eHistorySubscribeTest, ASubscriberThatStopsReadingDoesNotBlockWriters) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  {
    ResultsClient client(server.NewChannel());
    MustCreateResult(client, "p/results/start");
    Subscriber slow(server.NewChannel(), 1, "-", /*pause_after=*/1);
    ASSERT_TRUE(slow.AwaitCount(1));
    // About 20 MiB of events, far more than the transport buffers while nobody reads them.
    const std::string big = absl::StrCat(R"({"pad":")", std::string(256 << 10, 'x'), R"("})");
    Write(client, "p", 1, 80, big);
    EXPECT_EQ(slow.MessagesRead(), 1u);
    ASSERT_OK(client.GetRecord("p/results/r0/records/x79"));

    slow.Resume();
    const size_t total = 1 + 1 + 2 * 80;
    ASSERT_TRUE(slow.AwaitCount(total));
    slow.Stop();
    EXPECT_EQ(Sequences(slow.events()), OneTo(total));
  }
  EXPECT_EQ(server.Stop(), 0);
}

}  // namespace
}  // namespace runledger::e2e
