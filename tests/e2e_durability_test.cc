// End-to-end durability (architecture.md, invariants 1-3): data survives a clean restart; after
// a SIGKILL in the middle of 16 concurrent writers every acknowledged write is visible with its
// acknowledged state, nothing unacknowledged is half-applied, the log's sequence numbers are
// dense, and the projections equal a fresh replay of the log.
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <iostream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/test_util.h"

namespace runledger::e2e {
namespace {

using ::grpc::StatusCode;
using ::testing::ElementsAre;
using ::testing::Pair;

// --- Offline tools. ---

// `runledger dump [--log]` of a stopped server's data directory.
std::string Dump(const std::string& data_dir, bool log = false) {
  std::vector<std::string> args = {"dump", "--data-dir", data_dir};
  if (log) args.push_back("--log");
  CommandResult dump = RunCommand(args);
  EXPECT_EQ(dump.exit_code, 0) << "dump failed: " << dump.err;
  return dump.out;
}

struct LogEvent {
  int64_t sequence = 0;
  std::string kind;
  std::string name;
};

std::vector<LogEvent> ParseLog(const std::string& text) {
  std::vector<LogEvent> events;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    LogEvent event;
    std::istringstream fields(line);
    fields >> event.sequence >> event.kind >> event.name;
    EXPECT_FALSE(fields.fail()) << "bad log line: " << line;
    events.push_back(event);
  }
  return events;
}

// The log holds events 1..N in order, each once.
void ExpectDenseSequence(const std::vector<LogEvent>& events) {
  for (size_t i = 0; i < events.size(); ++i) {
    ASSERT_EQ(events[i].sequence, static_cast<int64_t>(i + 1))
        << "sequence gap or duplicate at line " << i + 1;
  }
}

// Dump, replay, dump again: the projections must equal a fresh fold of the log.
void ExpectReplayReproducesProjections(const std::string& data_dir) {
  const std::string before = Dump(data_dir);
  EXPECT_FALSE(before.empty());
  CommandResult replay = RunCommand({"replay", "--data-dir", data_dir});
  ASSERT_EQ(replay.exit_code, 0) << "replay failed: " << replay.err;
  const std::string after = Dump(data_dir);
  EXPECT_TRUE(before == after) << "projections differ from a replay of the log (" << before.size()
                               << " vs " << after.size() << " bytes)";
}

// --- (a) Clean restart. ---

// Everything a client can read: every result and record by Get and by List.
struct Snapshot {
  std::vector<rpc::Result> results;
  std::vector<rpc::Record> records;
};

Snapshot TakeSnapshot(ResultsClient& client) {
  Snapshot snapshot;
  Listing<rpc::Result> results = ListAllResults(client, "-", "", FixedPageSize(1000));
  Listing<rpc::Record> records = ListAllRecords(client, "-/results/-", "", FixedPageSize(1000));
  EXPECT_TRUE(results.status.ok()) << results.status.error_message();
  EXPECT_TRUE(records.status.ok()) << records.status.error_message();
  snapshot.results = results.items;
  snapshot.records = records.items;
  return snapshot;
}

template <typename T>
void ExpectSameItems(const std::vector<T>& expected, const std::vector<T>& actual) {
  ASSERT_EQ(expected.size(), actual.size());
  for (size_t i = 0; i < expected.size(); ++i) EXPECT_TRUE(ProtoEq(expected[i], actual[i]));
}

// What the clean-restart test wrote: the live records (latest state) and deleted names.
struct Written {
  std::vector<rpc::Record> records;
  std::vector<std::string> deleted;
};

// 3 results with 5 records each; one record updated, one deleted, one result deleted.
Written WriteSomeData(ResultsClient& client) {
  Written w;
  for (int r = 0; r < 3; ++r) {
    const std::string result = ResultName("p" + std::to_string(r % 2), "r" + std::to_string(r));
    MustCreateResult(client, result, {{"r", std::to_string(r)}});
    for (int i = 0; i < 5; ++i) {
      w.records.push_back(
          MustCreateRecord(client, MakeRecord(RecordName(result, "x" + std::to_string(i)),
                                              "TaskRun", "{\"i\":" + std::to_string(i) + "}")));
    }
  }
  Reply<rpc::Record> updated = client.UpdateRecord(
      UpdateRecordReq(MakeRecord(w.records[0].name(), "", "[1]"), w.records[0].etag()));
  EXPECT_OK(updated);
  w.records[0] = updated.value;
  EXPECT_OK(client.DeleteRecord(w.records[1].name()));
  w.deleted.push_back(w.records[1].name());
  EXPECT_OK(client.DeleteResult("p0/results/r2"));  // and its 5 records
  w.deleted.push_back("p0/results/r2/records/x0");
  return w;
}

void ExpectSameAfterRestart(ResultsClient& client, const Snapshot& before, const Written& w) {
  Snapshot after = TakeSnapshot(client);
  ExpectSameItems(before.results, after.results);
  ExpectSameItems(before.records, after.records);
  for (const rpc::Record& r : before.records) {
    Reply<rpc::Record> got = client.GetRecord(r.name());
    ASSERT_OK(got);
    EXPECT_TRUE(ProtoEq(r, got.value));
  }
  for (const std::string& name : w.deleted) {
    EXPECT_CODE(client.GetRecord(name), StatusCode::NOT_FOUND) << name;
  }
  // Writes continue where they left off: old etags still match, names stay taken.
  EXPECT_OK(client.UpdateRecord(UpdateRecordReq(w.records[0], w.records[0].etag())));
  EXPECT_CODE(client.CreateResult("p0", MakeResult("p0/results/r0")), StatusCode::ALREADY_EXISTS);
}

// Clients are closed before each Stop(): an open connection only delays the shutdown.
TEST(E2eDurabilityTest, DataSurvivesCleanRestart) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  Written written;
  Snapshot before;
  {
    ResultsClient client(server.NewChannel());
    written = WriteSomeData(client);
    ASSERT_FALSE(HasFailure());
    before = TakeSnapshot(client);
  }
  EXPECT_EQ(before.results.size(), 2u);
  EXPECT_EQ(before.records.size(), 9u);
  ASSERT_EQ(server.Stop(), 0) << server.Stderr();
  const std::string dump_before = Dump(server.data_dir());

  ASSERT_TRUE(server.Restart());
  {
    ResultsClient client(server.NewChannel());
    ExpectSameAfterRestart(client, before, written);
  }
  ASSERT_EQ(server.Stop(), 0) << server.Stderr();

  std::vector<LogEvent> events = ParseLog(Dump(server.data_dir(), /*log=*/true));
  ExpectDenseSequence(events);
  // DeleteResult appends a RECORD_DELETED for each of its 5 records, then RESULT_DELETED.
  std::map<std::string, int> kinds;
  for (const LogEvent& e : events) ++kinds[e.kind];
  EXPECT_THAT(kinds, ElementsAre(Pair("RECORD_CREATED", 15), Pair("RECORD_DELETED", 6),
                                 Pair("RECORD_UPDATED", 2), Pair("RESULT_CREATED", 3),
                                 Pair("RESULT_DELETED", 1)));
  EXPECT_NE(dump_before, Dump(server.data_dir()));  // the last update is in the projections
  ExpectReplayReproducesProjections(server.data_dir());
}

// --- (b) Crash in the middle of concurrent writes. ---

constexpr int kWriters = 16;
constexpr auto kWriteTime = std::chrono::seconds(2);

// What one writer knows about one entity: its last acknowledged state (nullopt: deleted or
// never created) and the request whose outcome it never learned, if any.
template <typename T>
struct Entity {
  std::optional<T> acked;
  enum class Pending { kNone, kCreate, kUpdate, kDelete } pending = Pending::kNone;
  T pending_body;
};

// One writer thread's entities under parent "w<id>". Each entity is written by one thread
// only, in sequence, so its last acknowledged write defines its state.
class Writer {
 public:
  Writer(int id, std::shared_ptr<grpc::Channel> channel, const std::atomic<bool>* killed)
      : id_(id), client_(std::move(channel), std::chrono::seconds(5)), killed_(killed), rng_(id) {}

  // Writes until a call fails; after the kill that is the one call with an unknown outcome.
  void Run() {
    while (Step()) {
    }
  }

  int acked() const { return acked_; }
  int unknown() const { return unknown_; }
  const std::map<std::string, Entity<rpc::Result>>& results() const { return results_; }
  const std::map<std::string, Entity<rpc::Record>>& records() const { return records_; }

 private:
  bool Step() {
    const double dice = std::uniform_real_distribution<double>(0, 1)(rng_);
    std::vector<std::string> live = LiveRecords();
    if (results_.empty() || dice < 0.1) return CreateResult();
    if (live.size() < 3 || dice < 0.45) return CreateRecord();
    const std::string& name = live[rng_() % live.size()];
    if (dice < 0.9) return UpdateRecord(name);
    return DeleteRecord(name);
  }

  std::vector<std::string> LiveRecords() const {
    std::vector<std::string> live;
    for (const auto& [name, e] : records_) {
      if (e.acked.has_value()) live.push_back(name);
    }
    return live;
  }

  // Books the outcome of a call on `entity`; returns whether to go on.
  template <typename T, typename R>
  bool Book(Entity<T>& entity, const Reply<R>& reply, typename Entity<T>::Pending op, const T& body,
            const std::function<void()>& on_ok) {
    if (reply.ok()) {
      ++acked_;
      on_ok();
      return true;
    }
    ++unknown_;
    if (!killed_->load()) {
      ADD_FAILURE() << "writer " << id_ << ": " << reply.code() << " " << reply.message();
    }
    entity.pending = op;
    entity.pending_body = body;
    return false;
  }

  bool CreateResult() {
    const std::string name = ResultName("w" + std::to_string(id_), "r" + std::to_string(next_++));
    rpc::Result body = MakeResult(name, {{"writer", std::to_string(id_)}});
    Entity<rpc::Result>& e = results_[name];
    Reply<rpc::Result> reply = client_.CreateResult(ParentOf(name), body);
    return Book(e, reply, Entity<rpc::Result>::Pending::kCreate, body,
                [&] { e.acked = reply.value; });
  }

  bool CreateRecord() {
    // Every result here is acknowledged: a failed call ends Run().
    auto result = std::next(results_.begin(), rng_() % results_.size());
    const std::string name = RecordName(result->first, "x" + std::to_string(next_++));
    return Write(name, Entity<rpc::Record>::Pending::kCreate, [&](const rpc::Record& body) {
      return client_.CreateRecord(result->first, body);
    });
  }

  bool UpdateRecord(const std::string& name) {
    const bool with_etag = rng_() % 2 == 0;
    const std::string etag = with_etag ? records_[name].acked->etag() : "";
    return Write(name, Entity<rpc::Record>::Pending::kUpdate, [&](const rpc::Record& body) {
      return client_.UpdateRecord(UpdateRecordReq(body, etag));
    });
  }

  // Creates or updates `name` with fresh data through `call`.
  bool Write(const std::string& name, Entity<rpc::Record>::Pending op,
             const std::function<Reply<rpc::Record>(const rpc::Record&)>& call) {
    const std::string json =
        "{\"writer\":" + std::to_string(id_) + ",\"n\":" + std::to_string(next_++) + "}";
    rpc::Record body = MakeRecord(name, "w" + std::to_string(id_), json);
    Entity<rpc::Record>& e = records_[name];
    Reply<rpc::Record> reply = call(body);
    return Book(e, reply, op, body, [&] { e.acked = reply.value; });
  }

  bool DeleteRecord(const std::string& name) {
    Entity<rpc::Record>& e = records_[name];
    Reply<google::protobuf::Empty> reply = client_.DeleteRecord(name);
    return Book(e, reply, Entity<rpc::Record>::Pending::kDelete, *e.acked,
                [&] { e.acked.reset(); });
  }

  int id_;
  ResultsClient client_;
  const std::atomic<bool>* killed_;
  std::mt19937 rng_;
  int next_ = 0;
  int acked_ = 0, unknown_ = 0;
  std::map<std::string, Entity<rpc::Result>> results_;
  std::map<std::string, Entity<rpc::Record>> records_;
};

// Checks one writer's record against the server: the acknowledged state, or the outcome of the
// pending request.
void VerifyRecord(ResultsClient& client, const std::string& name, const Entity<rpc::Record>& e) {
  using Pending = Entity<rpc::Record>::Pending;
  Reply<rpc::Record> got = client.GetRecord(name);
  ASSERT_TRUE(got.ok() || got.code() == StatusCode::NOT_FOUND) << name << ": " << got.message();
  const bool acked_state = e.acked.has_value() ? got.ok() && ProtoEq(*e.acked, got.value)
                                               : got.code() == StatusCode::NOT_FOUND;
  if (acked_state) return;
  switch (e.pending) {
    case Pending::kNone:
      ADD_FAILURE() << name << ": acknowledged state lost; got "
                    << (got.ok() ? got.value.ShortDebugString() : got.message()) << ", acked "
                    << (e.acked ? e.acked->ShortDebugString() : "deleted");
      return;
    case Pending::kDelete:
      EXPECT_CODE(got, StatusCode::NOT_FOUND) << name;
      return;
    case Pending::kCreate:
    case Pending::kUpdate:
      ASSERT_OK(got) << name;
      EXPECT_TRUE(ProtoEq(e.pending_body.data(), got.value.data())) << name << ": torn write";
      EXPECT_TRUE(HasServerFields(got.value));
      if (e.pending == Pending::kUpdate) {
        EXPECT_EQ(got.value.uid(), e.acked->uid()) << name;
        EXPECT_TRUE(ProtoEq(e.acked->create_time(), got.value.create_time())) << name;
        EXPECT_TRUE(TimestampLess(e.acked->update_time(), got.value.update_time())) << name;
      }
      return;
  }
}

void VerifyResult(ResultsClient& client, const std::string& name, const Entity<rpc::Result>& e) {
  Reply<rpc::Result> got = client.GetResult(name);
  if (e.acked.has_value()) {
    ASSERT_OK(got) << name << ": acknowledged result lost";
    EXPECT_TRUE(ProtoEq(*e.acked, got.value)) << name;
    return;
  }
  if (got.code() == StatusCode::NOT_FOUND) return;
  ASSERT_OK(got) << name;
  EXPECT_TRUE(HasServerFields(got.value));
  EXPECT_EQ(got.value.annotations().at("writer"), e.pending_body.annotations().at("writer"));
}

// Everything the server lists is known to some writer, and every record's result exists.
void VerifyNothingUnknownExists(ResultsClient& client,
                                const std::vector<std::unique_ptr<Writer>>& writers) {
  std::set<std::string> known;
  for (const auto& w : writers) {
    for (const auto& [name, e] : w->results()) known.insert(name);
    for (const auto& [name, e] : w->records()) known.insert(name);
  }
  Snapshot all = TakeSnapshot(client);
  std::set<std::string> results;
  for (const rpc::Result& r : all.results) {
    EXPECT_TRUE(known.count(r.name())) << "unknown result " << r.name();
    results.insert(r.name());
  }
  for (const rpc::Record& r : all.records) {
    EXPECT_TRUE(known.count(r.name())) << "unknown record " << r.name();
    EXPECT_TRUE(results.count(ParentOf(r.name()))) << r.name() << " has no result";
    Reply<rpc::Record> got = client.GetRecord(r.name());
    ASSERT_OK(got) << r.name();
    EXPECT_TRUE(ProtoEq(got.value, r)) << "list and get disagree";
  }
}

// Runs kWriters writers for kWriteTime, then SIGKILLs the server under them.
std::vector<std::unique_ptr<Writer>> WriteUntilKilled(ServerProcess& server) {
  std::atomic<bool> killed{false};
  std::vector<std::unique_ptr<Writer>> writers;
  for (int i = 0; i < kWriters; ++i) {
    writers.push_back(std::make_unique<Writer>(i, server.NewChannel(), &killed));
  }
  std::vector<std::thread> threads;
  for (auto& w : writers) threads.emplace_back([&w] { w->Run(); });
  std::this_thread::sleep_for(kWriteTime);
  killed = true;
  EXPECT_EQ(server.Kill(), 128 + SIGKILL);
  for (std::thread& t : threads) t.join();
  return writers;
}

TEST(E2eDurabilityTest, AcknowledgedWritesSurviveSigkill) {
  ServerProcess server;
  ASSERT_TRUE(server.Start());
  std::vector<std::unique_ptr<Writer>> writers = WriteUntilKilled(server);
  int acked = 0, unknown = 0;
  for (const auto& w : writers) {
    acked += w->acked();
    unknown += w->unknown();
  }
  EXPECT_GT(acked, 100) << "too few writes to mean anything";

  ASSERT_TRUE(server.Restart());
  {
    ResultsClient client(server.NewChannel());
    for (const auto& w : writers) {
      for (const auto& [name, e] : w->results()) VerifyResult(client, name, e);
      for (const auto& [name, e] : w->records()) VerifyRecord(client, name, e);
    }
    VerifyNothingUnknownExists(client, writers);
  }
  ASSERT_EQ(server.Stop(), 0) << server.Stderr();

  std::vector<LogEvent> events = ParseLog(Dump(server.data_dir(), /*log=*/true));
  ExpectDenseSequence(events);
  std::cout << "acknowledged writes: " << acked << ", unknown outcomes: " << unknown
            << ", log events: " << events.size() << std::endl;
  // One event per acknowledged write, plus at most one per unknown outcome.
  EXPECT_GE(events.size(), static_cast<size_t>(acked));
  EXPECT_LE(events.size(), static_cast<size_t>(acked + unknown));
  ExpectReplayReproducesProjections(server.data_dir());
}

}  // namespace
}  // namespace runledger::e2e
