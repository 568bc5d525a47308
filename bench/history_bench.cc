// runledger-history-bench: the History service (proto/runledger/v1/history.proto) timed over
// gRPC on loopback against a RunLedger server started in this process on a fresh data
// directory. Three cases:
//
//   list-events  ListEvents, first page (page_size 50), of a TaskRun record with 100 events
//                (created, then 99 updates of its 4-5 KB JSON), among --records other records;
//                --calls sequential calls, latency percentiles.
//   catch-up     Subscribe from sequence 1 of a log of --records records (one RECORD_CREATED
//                each, TaskRun JSON, written straight into the store in batches before the
//                server starts), every parent, then one parent: events delivered per second.
//                Then the same page from a HistoryReader in-process, without gRPC.
//   live         a Subscribe stream tailing the log while one client makes --updates sequential
//                UpdateRecord calls: the time from each call's acknowledgement to the arrival of
//                its event on the stream (negative when the event came first), percentiles.
//
// With --reader-only, only the in-process HistoryReader cases run, on the store a previous run
// left in --data-dir (e.g. under `valgrind --tool=callgrind`, for instructions per page): the
// ListEvents page, then a read of the whole feed as Subscribe's catch-up reads it.
//
//   runledger-history-bench --records 200000 --calls 2000 --updates 2000
#include <malloc.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "bench/templates.h"
#include "cxxopts.hpp"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "runledger/v1/history.grpc.pb.h"
#include "src/common/time_util.h"
#include "src/common/uuid.h"
#include "src/projections/store.h"
#include "src/query/history_reader.h"
#include "src/query/server.h"
#include "tekton/results/v1alpha2/api.grpc.pb.h"

namespace runledger::bench {
namespace {

namespace api = tekton::results::v1alpha2;
using Clock = std::chrono::steady_clock;

constexpr int kParents = 12;
constexpr size_t kAppendBatch = 1000;
constexpr int kHistoryEvents = 100;

double Micros(Clock::duration d) { return std::chrono::duration<double, std::micro>(d).count(); }

// Percentile `q` of `samples` (sorted in place), in milliseconds.
double PercentileMs(std::vector<double>* samples, double q) {
  if (samples->empty()) return 0;
  std::sort(samples->begin(), samples->end());
  const size_t i = std::min(samples->size() - 1, static_cast<size_t>(q * samples->size()));
  return (*samples)[i] / 1000;
}

void Check(const absl::Status& status, absl::string_view what) {
  if (status.ok()) return;
  std::fprintf(stderr, "%s: %s\n", std::string(what).c_str(), status.ToString().c_str());
  std::exit(1);
}

void Check(const grpc::Status& status, absl::string_view what) {
  if (status.ok()) return;
  std::fprintf(stderr, "%s: %s\n", std::string(what).c_str(), status.error_message().c_str());
  std::exit(1);
}

// A RECORD_CREATED event of a TaskRun record (and, for its first record, its Result).
std::vector<v1::Event> NewTaskRunEvents(const RecordFactory& factory, uint64_t index) {
  const ResultDocs docs = factory.Make(index);
  const std::string result = absl::StrCat(docs.ns, "/results/", docs.pipelinerun_uid);
  const int64_t now = NowNanos();
  std::vector<v1::Event> events(2);
  events[0].set_kind(v1::RESULT_CREATED);
  events[0].set_name(result);
  api::Result* r = events[0].mutable_result();
  r->set_name(result);
  r->set_uid(NewUuid());
  events[1].set_kind(v1::RECORD_CREATED);
  events[1].set_name(absl::StrCat(result, "/records/", docs.taskruns[0].uid));
  api::Record* record = events[1].mutable_record();
  record->set_name(events[1].name());
  record->set_uid(NewUuid());
  record->mutable_data()->set_type(std::string(kTaskRunType));
  record->mutable_data()->set_value(docs.taskruns[0].json);
  for (v1::Event& event : events) {
    *event.mutable_time() = NanosToTimestamp(now);
    event.set_source("bench:loader");
  }
  *r->mutable_create_time() = *r->mutable_update_time() = NanosToTimestamp(now);
  *record->mutable_create_time() = *record->mutable_update_time() = NanosToTimestamp(now);
  return events;
}

// Writes `records` Results of one TaskRun record each into the store at `dir`, in batches (one
// synced write per batch), and waits for the indexes to fold them.
void Load(const std::string& dir, int64_t records) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir);
  Check(store.status(), "open store");
  RecordFactory factory(kParents, 1, 7);
  std::vector<v1::Event> batch;
  for (int64_t i = 0; i < records; ++i) {
    for (v1::Event& event : NewTaskRunEvents(factory, i)) batch.push_back(std::move(event));
    if (batch.size() >= kAppendBatch || i + 1 == records) {
      Check((*store)->log().Append(&batch), "append");
      batch.clear();
    }
  }
  (*store)->AwaitIndexes((*store)->log().LastSequence(), absl::Minutes(10));
}

// CPU seconds (user + system) of `who`: RUSAGE_SELF (the process) or RUSAGE_THREAD.
double CpuSeconds(int who) {
  rusage usage;
  getrusage(who, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
         (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// CPU seconds of the process's RocksDB background threads (flushes, compactions of a store just
// loaded), from /proc: what the CPU figures below leave out.
double RocksDbBackgroundCpuSeconds() {
  double seconds = 0;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t open = line.find('(');
    const size_t close = line.rfind(')');
    if (open == std::string::npos || close == std::string::npos ||
        line.compare(open + 1, 8, "rocksdb:") != 0) {
      continue;
    }
    // After the name: state, then fields 4 to 13; utime and stime are fields 14 and 15.
    std::istringstream fields(line.substr(close + 2));
    std::string field;
    double ticks = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i >= 14) ticks += std::stod(field);
    }
    seconds += ticks / sysconf(_SC_CLK_TCK);
  }
  return seconds;
}

// CPU seconds of the process but its RocksDB background threads.
double ForegroundCpuSeconds() { return CpuSeconds(RUSAGE_SELF) - RocksDbBackgroundCpuSeconds(); }

struct Rate {
  uint64_t events = 0;
  double seconds = 0;
  double process_cpu = 0;  // CPU seconds of the process (server and client) but RocksDB's own
  double client_cpu = 0;   // of the thread reading the stream
};

// Subscribes from sequence 1 under `parent` and reads until `events` events have arrived.
Rate CatchUp(v1::History::Stub& stub, const std::string& parent, uint64_t events) {
  grpc::ClientContext context;
  v1::SubscribeRequest request;
  request.set_from_sequence(1);
  request.set_parent(parent);
  const Clock::time_point start = Clock::now();
  const double process_cpu = ForegroundCpuSeconds();
  const double client_cpu = CpuSeconds(RUSAGE_THREAD);
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
      stub.Subscribe(&context, request);
  v1::SubscribeResponse response;
  Rate rate;
  while (rate.events < events && reader->Read(&response)) rate.events += response.events_size();
  rate.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  rate.process_cpu = ForegroundCpuSeconds() - process_cpu;
  rate.client_cpu = CpuSeconds(RUSAGE_THREAD) - client_cpu;
  context.TryCancel();
  reader->Finish();
  return rate;
}

// The number of events under `parent`, counted with ListChanges.
uint64_t CountChanges(v1::History::Stub& stub, const std::string& parent) {
  v1::ListChangesRequest request;
  request.set_parent(parent);
  request.set_page_size(10000);
  uint64_t count = 0;
  while (true) {
    grpc::ClientContext context;
    v1::ListChangesResponse response;
    Check(stub.ListChanges(&context, request, &response), "ListChanges");
    count += response.events_size();
    if (response.next_page_token().empty()) return count;
    request.set_page_token(response.next_page_token());
  }
}

// The Result whose record MakeLongHistory writes.
constexpr absl::string_view kLongResult = "history/results/long";

// Creates a Result and a TaskRun record and updates the record until it has `events` events;
// returns the record's name.
std::string MakeLongHistory(api::Results::Stub& results, int events) {
  RecordFactory factory(1, 1, 11);
  const ResultDocs docs = factory.Make(1);
  const std::string parent = "history";
  const std::string result(kLongResult);
  {
    grpc::ClientContext context;
    api::CreateResultRequest request;
    request.set_parent(parent);
    request.mutable_result()->set_name(result);
    api::Result created;
    Check(results.CreateResult(&context, request, &created), "CreateResult");
  }
  api::Record record;
  record.set_name(absl::StrCat(result, "/records/tr"));
  record.mutable_data()->set_type(std::string(kTaskRunType));
  nlohmann::json data = nlohmann::json::parse(docs.taskruns[0].json);
  for (int i = 0; i < events; ++i) {
    data["metadata"]["annotations"]["bench/step"] = std::to_string(i);
    data["status"]["podName"] = absl::StrCat("pod-", i);
    record.mutable_data()->set_value(data.dump());
    grpc::ClientContext context;
    api::Record written;
    if (i == 0) {
      api::CreateRecordRequest request;
      request.set_parent(result);
      *request.mutable_record() = record;
      Check(results.CreateRecord(&context, request, &written), "CreateRecord");
    } else {
      api::UpdateRecordRequest request;
      *request.mutable_record() = record;
      Check(results.UpdateRecord(&context, request, &written), "UpdateRecord");
    }
  }
  return record.name();
}

// Sets `*cpu_per_call` to ForegroundCpuSeconds (server and client) per call.
std::vector<double> TimeListEvents(v1::History::Stub& stub, const std::string& name, int calls,
                                   double* cpu_per_call) {
  v1::ListEventsRequest request;
  request.set_name(name);
  std::vector<double> micros;
  const double cpu = ForegroundCpuSeconds();
  for (int i = 0; i < calls; ++i) {
    grpc::ClientContext context;
    v1::ListEventsResponse response;
    const Clock::time_point start = Clock::now();
    Check(stub.ListEvents(&context, request, &response), "ListEvents");
    micros.push_back(Micros(Clock::now() - start));
    if (response.events_size() != 50) {
      std::fprintf(stderr, "ListEvents returned %d events\n", response.events_size());
      std::exit(1);
    }
  }
  *cpu_per_call = (ForegroundCpuSeconds() - cpu) / calls;
  return micros;
}

// The same first page as TimeListEvents, from a HistoryReader over the store at `dir` (the
// server stopped): the server's own share of the call.
std::vector<double> TimeReader(const std::string& dir, const std::string& name, int calls) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir);
  Check(store.status(), "open store");
  HistoryReader reader(&(*store)->log());
  v1::ListEventsRequest request;
  request.set_name(name);
  std::vector<double> micros;
  for (int i = 0; i < calls; ++i) {
    const Clock::time_point start = Clock::now();
    Check(reader.ListEvents(request).status(), "ListEvents");
    micros.push_back(Micros(Clock::now() - start));
  }
  return micros;
}

// Reads the whole feed of the store at `dir` in-process, as Subscribe's catch-up does (without
// gRPC): events/s and CPU per event (of this thread).
void TimeFeedRead(const std::string& dir) {
  absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir);
  Check(store.status(), "open store");
  HistoryReader reader(&(*store)->log());
  Rate rate;
  const Clock::time_point start = Clock::now();
  const double cpu = CpuSeconds(RUSAGE_THREAD);
  for (uint64_t next = 1;;) {
    uint64_t last = 0;
    Check(reader.VisitChanges("-", next, UINT64_MAX, 512, 1 << 20,
                              [&](uint64_t sequence, absl::string_view) {
                                ++rate.events;
                                last = sequence;
                                return absl::OkStatus();
                              }),
          "VisitChanges");
    if (last == 0) break;
    next = last + 1;
  }
  rate.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("feed read in-process: %llu events in %.2f s = %.0f events/s; CPU %.2f us/event\n",
              static_cast<unsigned long long>(rate.events), rate.seconds,
              rate.events / rate.seconds, (CpuSeconds(RUSAGE_THREAD) - cpu) * 1e6 / rate.events);
}

// Delivery latency after acknowledgement of `updates` sequential updates of record `name`.
std::vector<double> TimeLiveDelivery(v1::History::Stub& stub, api::Results::Stub& results,
                                     const std::string& name, uint64_t head, int updates) {
  absl::Mutex mu;
  std::vector<Clock::time_point> arrived;  // by update, in order
  grpc::ClientContext context;
  v1::SubscribeRequest request;
  request.set_from_sequence(head + 1);
  request.set_parent("history");
  std::unique_ptr<grpc::ClientReader<v1::SubscribeResponse>> reader =
      stub.Subscribe(&context, request);
  std::thread tail([&] {
    v1::SubscribeResponse response;
    while (reader->Read(&response)) {
      const Clock::time_point now = Clock::now();
      absl::MutexLock lock(&mu);
      for (int i = 0; i < response.events_size(); ++i) arrived.push_back(now);
    }
  });
  std::vector<double> micros;
  api::Record record;
  record.set_name(name);
  record.mutable_data()->set_type(std::string(kTaskRunType));
  for (int i = 0; i < updates; ++i) {
    record.mutable_data()->set_value(absl::StrCat(R"({"live":)", i, "}"));
    api::UpdateRecordRequest update;
    *update.mutable_record() = record;
    grpc::ClientContext call;
    api::Record written;
    Check(results.UpdateRecord(&call, update, &written), "UpdateRecord");
    const Clock::time_point acknowledged = Clock::now();
    absl::MutexLock lock(&mu);
    auto delivered = [&]() ABSL_SHARED_LOCKS_REQUIRED(mu) {
      return arrived.size() > static_cast<size_t>(i);
    };
    mu.Await(absl::Condition(&delivered));
    micros.push_back(Micros(arrived[i] - acknowledged));
  }
  context.TryCancel();
  tail.join();
  reader->Finish();
  return micros;
}

void PrintRate(absl::string_view what, const Rate& rate) {
  std::printf(
      "catch-up, %s: %llu events in %.2f s = %.0f events/s; CPU %.2f us/event (process "
      "but RocksDB's background threads), "
      "%.2f us/event (client thread)\n",
      std::string(what).c_str(), static_cast<unsigned long long>(rate.events), rate.seconds,
      rate.events / rate.seconds, rate.process_cpu * 1e6 / rate.events,
      rate.client_cpu * 1e6 / rate.events);
}

void PrintLatencyHeader() {
  std::printf("%-44s %12s %12s %12s\n", "case", "p50 ms", "p99 ms", "max ms");
}

void PrintLatency(absl::string_view what, std::vector<double>* micros) {
  std::printf("%-44s %12.3f %12.3f %12.3f\n", std::string(what).c_str(), PercentileMs(micros, 0.5),
              PercentileMs(micros, 0.99), PercentileMs(micros, 1.0));
}

int Run(int argc, char** argv) {
  cxxopts::Options options("runledger-history-bench", "Times the History service.");
  options.add_options()("records", "Records in the log",
                        cxxopts::value<int64_t>()->default_value("200000"))(
      "calls", "ListEvents calls", cxxopts::value<int>()->default_value("2000"))(
      "updates", "Live updates", cxxopts::value<int>()->default_value("2000"))(
      "data-dir", "Data directory (must not exist)",
      cxxopts::value<std::string>()->default_value("/tmp/runledger-history-bench"))(
      "reader-only", "Only time the HistoryReader, on the store a previous run left in data-dir");
  cxxopts::ParseResult args = options.parse(argc, argv);
  mallopt(M_ARENA_MAX, 2);  // as `runledger serve` does
  const std::string dir = args["data-dir"].as<std::string>();
  const int64_t records = args["records"].as<int64_t>();
  if (args.count("reader-only") > 0) {
    std::vector<double> reader =
        TimeReader(dir, absl::StrCat(kLongResult, "/records/tr"), args["calls"].as<int>());
    PrintLatencyHeader();
    PrintLatency("ListEvents first page, HistoryReader alone", &reader);
    TimeFeedRead(dir);
    return 0;
  }

  Clock::time_point start = Clock::now();
  Load(dir, records);
  std::printf("loaded %lld records in %.1f s\n", static_cast<long long>(records),
              std::chrono::duration<double>(Clock::now() - start).count());

  ServerOptions server_options;
  server_options.data_dir = dir;
  server_options.listen = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<Server>> server = Server::Start(server_options);
  Check(server.status(), "start server");
  grpc::ChannelArguments channel_args;
  channel_args.SetMaxReceiveMessageSize(64 << 20);
  std::shared_ptr<grpc::Channel> channel = grpc::CreateCustomChannel(
      (*server)->address(), grpc::InsecureChannelCredentials(), channel_args);
  std::unique_ptr<v1::History::Stub> history = v1::History::NewStub(channel);
  std::unique_ptr<api::Results::Stub> results = api::Results::NewStub(channel);

  const uint64_t logged = CountChanges(*history, "-");
  Rate all = CatchUp(*history, "-", logged);
  const std::string one_parent = RecordFactory(kParents, 1, 7).Make(0).ns;
  Rate parent = CatchUp(*history, one_parent, CountChanges(*history, one_parent));

  const std::string name = MakeLongHistory(*results, kHistoryEvents);
  double list_cpu = 0;
  std::vector<double> list = TimeListEvents(*history, name, args["calls"].as<int>(), &list_cpu);
  const uint64_t head = CountChanges(*history, "-");
  std::vector<double> live =
      TimeLiveDelivery(*history, *results, name, head, args["updates"].as<int>());
  (*server)->Shutdown(absl::Seconds(5));
  server->reset();
  std::vector<double> reader = TimeReader(dir, name, args["calls"].as<int>());

  PrintLatencyHeader();
  PrintLatency("ListEvents first page (100-event record)", &list);
  PrintLatency("  the same, HistoryReader alone (no gRPC)", &reader);
  std::printf(
      "ListEvents over gRPC: CPU %.3f ms/call (server and client, RocksDB's background "
      "threads left out)\n",
      list_cpu * 1e3);
  PrintLatency("live delivery after acknowledgement", &live);
  PrintRate("every parent", all);
  PrintRate(absl::StrCat("parent ", one_parent), parent);
  return 0;
}

}  // namespace
}  // namespace runledger::bench

int main(int argc, char** argv) { return runledger::bench::Run(argc, argv); }
