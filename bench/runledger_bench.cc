// runledger-bench: a load generator for servers of the Tekton Results API
// (tekton.results.v1alpha2.Results over gRPC), such as RunLedger or upstream Tekton Results. It
// uses only that public API, so the same run can compare implementations.
//
// The ingest phase writes data the way the Tekton Results watcher does: per PipelineRun one
// CreateResult, a CreateRecord for the running PipelineRun and one per finished TaskRun, then
// one UpdateRecord (with the create's etag) that finishes the PipelineRun. The read phase times
// GetRecord on random known records, first pages of ListRecords under several parents and
// orders, paging through one namespace, and five CEL filters (four an index can serve, one it
// cannot): first pages, and paging through every match; and GetRecordListSummary of every record
// (unfiltered, grouped by pipeline, grouped by day, filtered by data_type, and one filter no
// aggregate answers). Results go to stdout as a table followed by one JSON line; any failed RPC is
// counted, the first few are printed, and the exit code is 1.
//
// Each of the --streams streams has at most one call in flight, timed from its start to its
// completion. The ingest and GetRecord streams are state machines on gRPC's asynchronous API,
// driven from one completion queue polled by one thread rather than a thread each, so the load
// generator takes little of the CPU it shares with the server it measures. The ListRecords cases
// make blocking calls from --list-streams threads.
//
//   runledger-bench --target 127.0.0.1:50051 --records 200000 --streams 16
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <iterator>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "bench/templates.h"
#include "cxxopts.hpp"
#include "google/protobuf/arena.h"
#include "grpcpp/grpcpp.h"
#include "nlohmann/json.hpp"
#include "tekton/results/v1alpha2/api.grpc.pb.h"

namespace runledger::bench {
namespace {

namespace v1alpha2 = tekton::results::v1alpha2;
using v1alpha2::Results;
using Clock = std::chrono::steady_clock;

// Long enough for a summary or filter that reads every record on a loaded machine.
constexpr auto kCallDeadline = std::chrono::seconds(60);
constexpr auto kConnectDeadline = std::chrono::seconds(10);
constexpr int kStreamsPerChannel = 4;
constexpr int kListPageSize = 50;
constexpr int kDiscoverPageSize = 500;
// The read phase of --phase read samples at most this many record names from the server.
constexpr size_t kDiscoverLimit = 50000;
// Stops paging through a namespace at this many pages, should a server never end a listing.
constexpr int kMaxPages = 100000;
constexpr int kPrintedErrors = 5;
constexpr int kSampledDocs = 100;

enum class Phase { kAll, kIngest, kRead };

struct Config {
  std::string target;
  int64_t records;
  int streams;
  int list_streams;
  int taskruns_per_result;
  int parents;
  int64_t reads;
  int64_t list_pages;
  int64_t filter_pages;
  int64_t summary_calls;
  std::string pipeline;
  std::string extra_filter;
  std::vector<std::string> cases;  // keys of the filter and summary cases to run; empty: all
  Phase phase;
  uint64_t seed;
  std::string token;
};

// --- Flags. ---

cxxopts::Options MakeOptions() {
  cxxopts::Options options("runledger-bench",
                           "Load generator for Tekton Results API (v1alpha2) servers.");
  cxxopts::OptionAdder add = options.add_options();
  add("target", "Server address, HOST:PORT",
      cxxopts::value<std::string>()->default_value("127.0.0.1:50051"));
  add("records", "Record writes to make (CreateRecord and UpdateRecord calls)",
      cxxopts::value<int64_t>()->default_value("200000"));
  add("streams", "Concurrent streams for ingest and GetRecord, each with one call in flight",
      cxxopts::value<int>()->default_value("16"));
  add("taskruns-per-result", "TaskRun records per Result (besides its PipelineRun record)",
      cxxopts::value<int>()->default_value("4"));
  add("parents", "Distinct parents (namespaces) to spread Results over",
      cxxopts::value<int>()->default_value("10"));
  add("reads", "GetRecord calls in the read phase",
      cxxopts::value<int64_t>()->default_value("100000"));
  add("list-pages", "ListRecords first-page calls in the read phase, split over 9 cases",
      cxxopts::value<int64_t>()->default_value("2000"));
  add("filter-pages",
      "First-page calls per indexed filter case in the read phase (the unindexed case runs a "
      "tenth as often); 0 skips the filter cases",
      cxxopts::value<int64_t>()->default_value("200"));
  add("summary-calls",
      "GetRecordListSummary calls per aggregate case in the read phase (the fallback case runs a "
      "fiftieth as often); 0 skips the summary cases",
      cxxopts::value<int64_t>()->default_value("200"));
  add("pipeline", "Pipeline name the label and name-prefix filter cases look for",
      cxxopts::value<std::string>()->default_value("test-web"));
  add("extra-filter",
      "A further filter case, measured like the unindexed one (e.g. a filter a user index "
      "answers: run it with and without the index)",
      cxxopts::value<std::string>()->default_value(""));
  add("cases",
      "Comma-separated keys of the filter and summary cases to run (filters: label, reason, "
      "data_type, name_prefix, unindexed, extra; summaries: all, by_pipeline, by_day, data_type, "
      "fallback); empty runs every case",
      cxxopts::value<std::string>()->default_value(""));
  add("list-streams",
      "Concurrent clients for the ListRecords cases (1: the latency one client sees; more: "
      "latency under load)",
      cxxopts::value<int>()->default_value("1"));
  add("phase", "all, ingest, or read (read discovers existing records via ListRecords)",
      cxxopts::value<std::string>()->default_value("all"));
  add("seed", "Seed for generated data and read choices; 0 picks one at random",
      cxxopts::value<uint64_t>()->default_value("0"));
  add("token", "Bearer token sent as 'authorization' metadata (servers with auth enabled)",
      cxxopts::value<std::string>()->default_value(""));
  add("h,help", "Print this help");
  return options;
}

std::optional<Phase> ParsePhase(absl::string_view name) {
  if (name == "all") return Phase::kAll;
  if (name == "ingest") return Phase::kIngest;
  if (name == "read") return Phase::kRead;
  return std::nullopt;
}

// The first problem with the flag values, or "" if there is none.
std::string CheckConfig(const Config& c) {
  if (c.records < 1) return "--records must be at least 1";
  if (c.streams < 1 || c.list_streams < 1) return "--streams and --list-streams must be >= 1";
  if (c.taskruns_per_result < 0 || c.taskruns_per_result > 100) {
    return "--taskruns-per-result must be in 0..100";
  }
  if (c.parents < 1) return "--parents must be at least 1";
  if (c.reads < 0 || c.list_pages < 0 || c.filter_pages < 0 || c.summary_calls < 0) {
    return "--reads, --list-pages, --filter-pages and --summary-calls must not be negative";
  }
  return "";
}

// Parses the command line. On --help prints usage and exits 0; on bad flags prints the problem
// and returns nullopt.
std::optional<Config> ParseFlags(int argc, char** argv) {
  cxxopts::Options options = MakeOptions();
  Config config;
  try {
    cxxopts::ParseResult flags = options.parse(argc, argv);
    if (flags.count("help")) {
      std::fputs(options.help().c_str(), stdout);
      std::exit(0);
    }
    std::optional<Phase> phase = ParsePhase(flags["phase"].as<std::string>());
    if (!phase) {
      absl::FPrintF(stderr, "runledger-bench: --phase must be all, ingest or read\n");
      return std::nullopt;
    }
    config = Config{flags["target"].as<std::string>(),
                    flags["records"].as<int64_t>(),
                    flags["streams"].as<int>(),
                    flags["list-streams"].as<int>(),
                    flags["taskruns-per-result"].as<int>(),
                    flags["parents"].as<int>(),
                    flags["reads"].as<int64_t>(),
                    flags["list-pages"].as<int64_t>(),
                    flags["filter-pages"].as<int64_t>(),
                    flags["summary-calls"].as<int64_t>(),
                    flags["pipeline"].as<std::string>(),
                    flags["extra-filter"].as<std::string>(),
                    absl::StrSplit(flags["cases"].as<std::string>(), ',', absl::SkipEmpty()),
                    *phase,
                    flags["seed"].as<uint64_t>(),
                    flags["token"].as<std::string>()};
  } catch (const cxxopts::exceptions::exception& e) {
    absl::FPrintF(stderr, "runledger-bench: %s (see --help)\n", e.what());
    return std::nullopt;
  }
  if (std::string problem = CheckConfig(config); !problem.empty()) {
    absl::FPrintF(stderr, "runledger-bench: %s\n", problem);
    return std::nullopt;
  }
  if (config.seed == 0) config.seed = uint64_t{std::random_device()()} + 1;
  return config;
}

// --- Calls and their measurements. ---

absl::string_view CodeName(grpc::StatusCode code) {
  static constexpr absl::string_view kNames[] = {"OK",
                                                 "CANCELLED",
                                                 "UNKNOWN",
                                                 "INVALID_ARGUMENT",
                                                 "DEADLINE_EXCEEDED",
                                                 "NOT_FOUND",
                                                 "ALREADY_EXISTS",
                                                 "PERMISSION_DENIED",
                                                 "RESOURCE_EXHAUSTED",
                                                 "FAILED_PRECONDITION",
                                                 "ABORTED",
                                                 "OUT_OF_RANGE",
                                                 "UNIMPLEMENTED",
                                                 "INTERNAL",
                                                 "UNAVAILABLE",
                                                 "DATA_LOSS",
                                                 "UNAUTHENTICATED"};
  size_t index = static_cast<size_t>(code);
  return index < sizeof(kNames) / sizeof(kNames[0]) ? kNames[index] : "?";
}

// Counts failed calls across threads and prints the first few as they happen.
class ErrorLog {
 public:
  void Report(absl::string_view method, const grpc::Status& status) {
    if (count_.fetch_add(1) >= kPrintedErrors) return;
    absl::FPrintF(stderr, "error: %s: %s (%d): %s\n", method, CodeName(status.error_code()),
                  static_cast<int>(status.error_code()), status.error_message());
  }
  int64_t count() const { return count_.load(); }

 private:
  std::atomic<int64_t> count_{0};
};

// Latencies of the successful calls of one kind (microseconds), and how many failed.
struct Samples {
  std::vector<int64_t> micros;
  int64_t errors = 0;

  void Merge(const Samples& other) {
    micros.insert(micros.end(), other.micros.begin(), other.micros.end());
    errors += other.errors;
  }
  int64_t calls() const { return static_cast<int64_t>(micros.size()) + errors; }
  // Nearest-rank percentile, q in (0, 1], in milliseconds; `micros` must be sorted.
  double Ms(double q) const {
    if (micros.empty()) return 0;
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(micros.size())));
    return static_cast<double>(micros[std::max<size_t>(rank, 1) - 1]) / 1000.0;
  }
};

Samples MergeSorted(const std::vector<Samples>& parts) {
  Samples all;
  for (const Samples& part : parts) all.Merge(part);
  std::sort(all.micros.begin(), all.micros.end());
  return all;
}

template <typename Request, typename Response>
using Method = grpc::Status (Results::Stub::*)(grpc::ClientContext*, const Request&, Response*);
template <typename Request, typename Response>
using AsyncMethod = std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> (Results::Stub::*)(
    grpc::ClientContext*, const Request&, grpc::CompletionQueue*);

// A call in flight on a completion queue, which hands the call back as its tag.
class AsyncCall {
 public:
  virtual ~AsyncCall() = default;
  // Runs once the call has completed, on the thread polling its queue.
  virtual void Complete() = 0;
};

// A unary call; when it completes, runs on_done(status, start time).
template <typename Response, typename OnDone>
class UnaryCall final : public AsyncCall {
 public:
  explicit UnaryCall(OnDone on_done) : on_done_(std::move(on_done)) {}

  grpc::ClientContext* context() { return &context_; }

  template <typename Request>
  void Start(Results::Stub* stub, AsyncMethod<Request, Response> method, const Request& request,
             Response* response, grpc::CompletionQueue* queue) {
    start_ = Clock::now();
    reader_ = (stub->*method)(&context_, request, queue);
    reader_->Finish(response, &status_, this);
  }
  void Complete() override { on_done_(status_, start_); }

 private:
  grpc::ClientContext context_;
  grpc::Status status_;
  Clock::time_point start_;
  std::unique_ptr<grpc::ClientAsyncResponseReader<Response>> reader_;
  OnDone on_done_;
};

// A completion queue and the thread that runs the completions of the calls on it.
class Poller {
 public:
  Poller() : thread_([this] { Run(); }) {}
  ~Poller() {
    queue_.Shutdown();
    thread_.join();
  }
  Poller(const Poller&) = delete;
  Poller& operator=(const Poller&) = delete;

  grpc::CompletionQueue* queue() { return &queue_; }

 private:
  void Run() {
    void* tag;
    bool ok;  // always true for a unary call's Finish
    while (queue_.Next(&tag, &ok)) {
      std::unique_ptr<AsyncCall> call(static_cast<AsyncCall*>(tag));
      call->Complete();
    }
  }

  grpc::CompletionQueue queue_;
  std::thread thread_;  // after queue_, which it uses from the start
};

// One stream: a stub on a shared connection, making one call at a time.
class Client {
 public:
  Client(const std::shared_ptr<grpc::Channel>& channel, const std::string& token, ErrorLog* errors,
         grpc::CompletionQueue* queue)
      : stub_(Results::NewStub(channel)),
        authorization_(token.empty() ? "" : absl::StrCat("Bearer ", token)),
        errors_(errors),
        queue_(queue) {}

  // Makes one blocking call with a deadline and records its latency or its failure.
  template <typename Request, typename Response>
  bool Call(absl::string_view name, Method<Request, Response> method, const Request& request,
            Response* response, Samples* samples) {
    grpc::ClientContext context;
    Prepare(&context);
    Clock::time_point start = Clock::now();
    grpc::Status status = (stub_.get()->*method)(&context, request, response);
    return Record(name, status, start, samples);
  }

  // Starts one call with a deadline. When it completes, records its latency or its failure and
  // runs done(ok) on the polling thread. `response` must live until then.
  template <typename Request, typename Response, typename Done>
  void Start(absl::string_view name, AsyncMethod<Request, Response> method, const Request& request,
             Response* response, Samples* samples, Done done) {
    auto on_done = [this, name, samples, done](const grpc::Status& status,
                                               Clock::time_point start) {
      done(Record(name, status, start, samples));
    };
    auto* call = new UnaryCall<Response, decltype(on_done)>(std::move(on_done));
    Prepare(call->context());
    call->Start(stub_.get(), method, request, response, queue_);
  }

 private:
  void Prepare(grpc::ClientContext* context) const {
    context->set_deadline(std::chrono::system_clock::now() + kCallDeadline);
    if (!authorization_.empty()) context->AddMetadata("authorization", authorization_);
  }

  // Records the latency of a call started at `start`, or its failure; returns whether it succeeded.
  bool Record(absl::string_view name, const grpc::Status& status, Clock::time_point start,
              Samples* samples) const {
    if (!status.ok()) {
      ++samples->errors;
      errors_->Report(name, status);
      return false;
    }
    samples->micros.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
    return true;
  }

  std::unique_ptr<Results::Stub> stub_;
  std::string authorization_;
  ErrorLog* errors_;
  grpc::CompletionQueue* queue_;  // for the calls Start makes
};

// One client per stream, kStreamsPerChannel streams per HTTP/2 connection. Distinct channel
// args and a local subchannel pool keep the connections separate. Asynchronous calls complete on
// `poller`. Empty if a connection fails.
std::vector<Client> Connect(const Config& config, ErrorLog* errors, Poller* poller) {
  std::vector<std::shared_ptr<grpc::Channel>> channels;
  for (int i = 0; i * kStreamsPerChannel < config.streams; ++i) {
    grpc::ChannelArguments args;
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    args.SetInt("runledger_bench.connection", i);
    args.SetMaxReceiveMessageSize(-1);
    channels.push_back(
        grpc::CreateCustomChannel(config.target, grpc::InsecureChannelCredentials(), args));
    if (!channels.back()->WaitForConnected(std::chrono::system_clock::now() + kConnectDeadline)) {
      absl::FPrintF(stderr, "runledger-bench: cannot connect to %s\n", config.target);
      return {};
    }
  }
  std::vector<Client> clients;
  for (int i = 0; i < config.streams; ++i) {
    clients.emplace_back(channels[i / kStreamsPerChannel], config.token, errors, poller->queue());
  }
  return clients;
}

// Hands out the indexes of `items` work items to `streams` streams, and waits until every stream
// has found the queue empty.
class WorkQueue {
 public:
  WorkQueue(int64_t items, int streams) : items_(items), streams_left_(streams) {}

  // The next item's index, or nullopt once all are taken: then the calling stream is done and
  // must not touch anything the waiter may free.
  std::optional<int64_t> Take() {
    int64_t index = next_++;
    if (index < items_) return index;
    std::lock_guard<std::mutex> lock(mu_);
    if (--streams_left_ == 0) all_done_.notify_all();
    return std::nullopt;
  }

  void Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    all_done_.wait(lock, [this] { return streams_left_ == 0; });
  }

 private:
  const int64_t items_;
  std::atomic<int64_t> next_{0};
  std::mutex mu_;
  std::condition_variable all_done_;
  int streams_left_;  // guarded by mu_
};

// Starts every stream (each calls work->Take() until it returns nullopt) and waits until all are
// done; returns the wall time in seconds.
template <typename Stream>
double RunStreams(std::vector<Stream>& streams, WorkQueue* work) {
  Clock::time_point start = Clock::now();
  for (Stream& stream : streams) stream.Next();
  work->Wait();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Runs fn(thread_index) on `threads` threads; returns the wall time in seconds.
template <typename Fn>
double RunParallel(int threads, Fn fn) {
  Clock::time_point start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(fn, t);
  for (std::thread& thread : pool) thread.join();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// --- Report. ---

struct Row {
  std::string phase;
  std::string operation;
  Samples samples;  // sorted
  double rate;      // successful operations per second of wall time
};

// Rounds to `decimals` places, so the JSON summary prints short numbers.
double Round(double value, int decimals) {
  const double scale = std::pow(10.0, decimals);
  return std::round(value * scale) / scale;
}

struct Report {
  std::vector<Row> rows;
  nlohmann::ordered_json summary = {{"ingest_records_per_s", nullptr},
                                    {"ingest_p50_ms", nullptr},
                                    {"ingest_p99_ms", nullptr},
                                    {"get_ops_per_s", nullptr},
                                    {"get_p50_ms", nullptr},
                                    {"get_p99_ms", nullptr},
                                    {"list_first_page_p99_ms", nlohmann::ordered_json::object()},
                                    {"list_pages_per_s", nullptr},
                                    {"errors", 0}};

  const Row& Add(std::string phase, std::string operation, Samples samples, double seconds) {
    double rate = seconds > 0 ? static_cast<double>(samples.micros.size()) / seconds : 0;
    rows.push_back({std::move(phase), std::move(operation), std::move(samples), rate});
    return rows.back();
  }

  void Print() const {
    absl::PrintF("\n%-7s %-46s %8s %6s %10s %8s %8s %8s %8s %8s\n", "phase", "operation", "calls",
                 "errors", "ops/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "max ms");
    for (const Row& r : rows) {
      const Samples& s = r.samples;
      absl::PrintF("%-7s %-46s %8d %6d %10.1f %8.2f %8.2f %8.2f %8.2f %8.2f\n", r.phase,
                   r.operation, s.calls(), s.errors, r.rate, s.Ms(0.5), s.Ms(0.9), s.Ms(0.99),
                   s.Ms(0.999), s.Ms(1));
    }
    absl::PrintF("\n%s\n", summary.dump());
  }
};

// --- Data the read phase addresses. ---

struct Corpus {
  std::vector<std::string> records;
  std::vector<std::string> results;
  std::vector<std::string> namespaces;

  void Merge(const Corpus& other) {
    records.insert(records.end(), other.records.begin(), other.records.end());
    results.insert(results.end(), other.results.begin(), other.results.end());
  }
  // Derives the namespaces from the Result names.
  void IndexNamespaces() {
    for (const std::string& result : results) {
      namespaces.push_back(result.substr(0, result.find('/')));
    }
    std::sort(namespaces.begin(), namespaces.end());
    namespaces.erase(std::unique(namespaces.begin(), namespaces.end()), namespaces.end());
  }
};

// --- Ingest phase. ---

// Renders sample documents once: proves the templates produce valid JSON and reports sizes.
bool CheckDocuments(const RecordFactory& factory) {
  size_t pipelineruns = 0, taskruns = 0, taskrun_count = 0;
  for (int i = 0; i < kSampledDocs; ++i) {
    ResultDocs docs = factory.Make(i);
    bool valid = nlohmann::json::accept(docs.pipelinerun_running) &&
                 nlohmann::json::accept(docs.pipelinerun_final);
    pipelineruns += docs.pipelinerun_final.size();
    for (const TaskRunDoc& tr : docs.taskruns) {
      valid = valid && nlohmann::json::accept(tr.json);
      taskruns += tr.json.size();
      ++taskrun_count;
    }
    if (!valid) {
      absl::FPrintF(stderr, "runledger-bench: generated invalid JSON for index %d\n", i);
      return false;
    }
  }
  absl::PrintF("record data: PipelineRun %.1f KB, TaskRun %.1f KB on average\n",
               pipelineruns / 1024.0 / kSampledDocs,
               taskrun_count ? taskruns / 1024.0 / taskrun_count : 0.0);
  return true;
}

struct IngestSamples {
  Samples create_result;
  Samples create_record;
  Samples update_record;
};

// Writes Results as the watcher would, one call at a time, until the work queue runs dry; keeps
// what it created in corpus().
class IngestStream {
 public:
  IngestStream(Client* client, const RecordFactory* factory, WorkQueue* work)
      : client_(client), factory_(factory), work_(work) {}

  // Starts writing the next Result.
  void Next() {
    std::optional<int64_t> index = work_->Take();
    if (!index) return;
    docs_ = factory_->Make(*index);
    result_name_ = absl::StrCat(docs_.ns, "/results/", docs_.pipelinerun_uid);
    create_result_.set_parent(docs_.ns);
    create_result_.mutable_result()->set_name(result_name_);
    client_->Start("CreateResult", &Results::Stub::AsyncCreateResult, create_result_, &result_,
                   &samples_.create_result, [this](bool ok) { OnResultCreated(ok); });
  }

  const IngestSamples& samples() const { return samples_; }
  const Corpus& corpus() const { return corpus_; }

 private:
  void OnResultCreated(bool ok) {
    if (!ok) {
      Next();
      return;
    }
    corpus_.results.push_back(result_name_);
    CreateRecord(docs_.pipelinerun_uid, kPipelineRunType, std::move(docs_.pipelinerun_running),
                 [this](bool ok) { OnPipelineRunCreated(ok); });
  }

  void OnPipelineRunCreated(bool ok) {
    if (!ok) {
      Next();
      return;
    }
    pipelinerun_.Swap(&record_);
    corpus_.records.push_back(pipelinerun_.name());
    taskruns_created_ = 0;
    CreateTaskRun();
  }

  // Creates the next TaskRun record, or finishes the PipelineRun once all are created.
  void CreateTaskRun() {
    if (taskruns_created_ == docs_.taskruns.size()) {
      UpdatePipelineRun();
      return;
    }
    TaskRunDoc& taskrun = docs_.taskruns[taskruns_created_++];
    CreateRecord(taskrun.uid, kTaskRunType, std::move(taskrun.json), [this](bool ok) {
      if (ok) corpus_.records.push_back(record_.name());
      CreateTaskRun();
    });
  }

  template <typename Done>
  void CreateRecord(const std::string& id, absl::string_view type, std::string json, Done done) {
    create_record_.set_parent(result_name_);
    v1alpha2::Record* record = create_record_.mutable_record();
    record->set_name(absl::StrCat(result_name_, "/records/", id));
    record->mutable_data()->set_type(std::string(type));
    record->mutable_data()->set_value(std::move(json));
    client_->Start("CreateRecord", &Results::Stub::AsyncCreateRecord, create_record_, &record_,
                   &samples_.create_record, std::move(done));
  }

  void UpdatePipelineRun() {
    update_.set_etag(pipelinerun_.etag());
    update_.mutable_record()->set_name(pipelinerun_.name());
    update_.mutable_record()->mutable_data()->set_type(std::string(kPipelineRunType));
    update_.mutable_record()->mutable_data()->set_value(std::move(docs_.pipelinerun_final));
    client_->Start("UpdateRecord", &Results::Stub::AsyncUpdateRecord, update_, &record_,
                   &samples_.update_record, [this](bool) { Next(); });
  }

  Client* client_;
  const RecordFactory* factory_;
  WorkQueue* work_;
  IngestSamples samples_;
  Corpus corpus_;
  // The Result being written.
  ResultDocs docs_;
  std::string result_name_;
  size_t taskruns_created_ = 0;
  v1alpha2::Record pipelinerun_;  // as created
  // Requests and responses of the call in flight.
  v1alpha2::CreateResultRequest create_result_;
  v1alpha2::Result result_;
  v1alpha2::CreateRecordRequest create_record_;
  v1alpha2::UpdateRecordRequest update_;
  v1alpha2::Record record_;
};

// Writes --records records; nullopt if the record templates are broken.
std::optional<Corpus> Ingest(const Config& config, std::vector<Client>& clients, Report* report) {
  RecordFactory factory(config.parents, config.taskruns_per_result, config.seed);
  if (!CheckDocuments(factory)) return std::nullopt;
  const int64_t writes_per_result = config.taskruns_per_result + 2;
  const int64_t results = (config.records + writes_per_result - 1) / writes_per_result;
  absl::PrintF("ingest: %d Results x %d record writes over %d streams\n", results,
               writes_per_result, config.streams);
  WorkQueue work(results, config.streams);
  std::vector<IngestStream> streams;
  for (Client& client : clients) streams.emplace_back(&client, &factory, &work);
  double seconds = RunStreams(streams, &work);
  std::vector<Samples> creates, results_samples, updates;
  Corpus corpus;
  for (const IngestStream& stream : streams) {
    results_samples.push_back(stream.samples().create_result);
    creates.push_back(stream.samples().create_record);
    updates.push_back(stream.samples().update_record);
    corpus.Merge(stream.corpus());
  }
  report->Add("ingest", "CreateResult", MergeSorted(results_samples), seconds);
  report->Add("ingest", "CreateRecord", MergeSorted(creates), seconds);
  report->Add("ingest", "UpdateRecord", MergeSorted(updates), seconds);
  creates.insert(creates.end(), updates.begin(), updates.end());
  const Row& writes = report->Add("ingest", "record writes (CreateRecord + UpdateRecord)",
                                  MergeSorted(creates), seconds);
  report->summary["ingest_records_per_s"] = Round(writes.rate, 1);
  report->summary["ingest_p50_ms"] = Round(writes.samples.Ms(0.5), 3);
  report->summary["ingest_p99_ms"] = Round(writes.samples.Ms(0.99), 3);
  corpus.IndexNamespaces();
  return corpus;
}

// --- Read phase. ---

// Learns existing record names for --phase read by paging through all records.
Corpus Discover(Client& client, Report* report) {
  Corpus corpus;
  Samples samples;
  v1alpha2::ListRecordsRequest request;
  request.set_parent("-/results/-");
  request.set_page_size(kDiscoverPageSize);
  Clock::time_point start = Clock::now();
  do {
    v1alpha2::ListRecordsResponse response;
    if (!client.Call("ListRecords", &Results::Stub::ListRecords, request, &response, &samples)) {
      break;
    }
    for (const v1alpha2::Record& record : response.records()) {
      corpus.records.push_back(record.name());
      corpus.results.push_back(record.name().substr(0, record.name().find("/records/")));
    }
    request.set_page_token(response.next_page_token());
  } while (!request.page_token().empty() && corpus.records.size() < kDiscoverLimit);
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(samples.micros.begin(), samples.micros.end());
  report->Add("find", absl::StrCat("ListRecords -/results/- page_size ", kDiscoverPageSize),
              std::move(samples), seconds);
  std::sort(corpus.results.begin(), corpus.results.end());
  corpus.results.erase(std::unique(corpus.results.begin(), corpus.results.end()),
                       corpus.results.end());
  corpus.IndexNamespaces();
  absl::PrintF("read: found %d records in %d Results\n", corpus.records.size(),
               corpus.results.size());
  return corpus;
}

// Gets random records out of `names`, one call at a time, until the work queue runs dry.
class ReadStream {
 public:
  ReadStream(Client* client, const std::vector<std::string>* names, uint64_t seed, WorkQueue* work)
      : client_(client), names_(names), rng_(seed), work_(work) {}

  // Starts the next GetRecord.
  void Next() {
    if (!work_->Take()) return;
    request_.set_name((*names_)[absl::Uniform<size_t>(rng_, 0, names_->size())]);
    client_->Start("GetRecord", &Results::Stub::AsyncGetRecord, request_, &record_, &samples_,
                   [this](bool) { Next(); });
  }

  const Samples& samples() const { return samples_; }

 private:
  Client* client_;
  const std::vector<std::string>* names_;
  std::mt19937_64 rng_;
  WorkQueue* work_;
  Samples samples_;
  v1alpha2::GetRecordRequest request_;
  v1alpha2::Record record_;
};

void ReadRecords(const Config& config, const Corpus& corpus, std::vector<Client>& clients,
                 Report* report) {
  WorkQueue work(config.reads, config.streams);
  std::vector<ReadStream> streams;
  for (size_t t = 0; t < clients.size(); ++t) {
    streams.emplace_back(&clients[t], &corpus.records, config.seed + t, &work);
  }
  double seconds = RunStreams(streams, &work);
  std::vector<Samples> samples;
  for (const ReadStream& stream : streams) samples.push_back(stream.samples());
  const Row& row = report->Add("read", "GetRecord", MergeSorted(samples), seconds);
  report->summary["get_ops_per_s"] = Round(row.rate, 1);
  report->summary["get_p50_ms"] = Round(row.samples.Ms(0.5), 3);
  report->summary["get_p99_ms"] = Round(row.samples.Ms(0.99), 3);
}

enum class ParentKind { kNamespace, kAll, kResult };

struct ParentCase {
  ParentKind kind;
  absl::string_view label;  // in the table
  absl::string_view key;    // in the JSON summary
};

constexpr ParentCase kParentCases[] = {{ParentKind::kNamespace, "<ns>/results/-", "ns"},
                                       {ParentKind::kAll, "-/results/-", "all"},
                                       {ParentKind::kResult, "<ns>/results/<id>", "result"}};

struct OrderCase {
  absl::string_view order_by;
  absl::string_view key;
};

constexpr OrderCase kOrderCases[] = {{"", "default"},
                                     {"create_time desc", "create_time_desc"},
                                     {"update_time asc", "update_time_asc"}};

// A random parent of the kind: a known namespace, all namespaces, or a known Result.
std::string PickParent(ParentKind kind, const Corpus& corpus, std::mt19937_64& rng) {
  switch (kind) {
    case ParentKind::kNamespace:
      return absl::StrCat(
          corpus.namespaces[absl::Uniform<size_t>(rng, 0, corpus.namespaces.size())], "/results/-");
    case ParentKind::kAll:
      return "-/results/-";
    case ParentKind::kResult:
      break;
  }
  return corpus.results[absl::Uniform<size_t>(rng, 0, corpus.results.size())];
}

// `calls` first pages (page_size 50) of ListRecords for one parent kind and order.
void ListFirstPages(const Config& config, const Corpus& corpus, std::vector<Client>& clients,
                    const ParentCase& parent, const OrderCase& order, int64_t calls,
                    Report* report) {
  std::vector<Samples> samples(config.list_streams);
  std::atomic<int64_t> next{0};
  double seconds = RunParallel(config.list_streams, [&](int t) {
    std::mt19937_64 rng(config.seed + t);
    v1alpha2::ListRecordsRequest request;
    request.set_page_size(kListPageSize);
    request.set_order_by(std::string(order.order_by));
    v1alpha2::ListRecordsResponse response;
    for (int64_t i = next++; i < calls; i = next++) {
      request.set_parent(PickParent(parent.kind, corpus, rng));
      clients[t].Call("ListRecords", &Results::Stub::ListRecords, request, &response, &samples[t]);
    }
  });
  std::string label = absl::StrCat("ListRecords ", parent.label, " ",
                                   order.order_by.empty() ? "(default)" : order.order_by);
  const Row& row = report->Add("list", std::move(label), MergeSorted(samples), seconds);
  report->summary["list_first_page_p99_ms"][absl::StrCat(parent.key, ":", order.key)] =
      Round(row.samples.Ms(0.99), 3);
}

// Pages through every record of one namespace, one page after another.
void PageNamespace(const Corpus& corpus, Client& client, Report* report) {
  Samples samples;
  v1alpha2::ListRecordsRequest request;
  request.set_parent(absl::StrCat(corpus.namespaces[0], "/results/-"));
  request.set_page_size(kListPageSize);
  int64_t records = 0;
  Clock::time_point start = Clock::now();
  for (int page = 0; page < kMaxPages; ++page) {
    v1alpha2::ListRecordsResponse response;
    if (!client.Call("ListRecords", &Results::Stub::ListRecords, request, &response, &samples)) {
      break;
    }
    records += response.records_size();
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::sort(samples.micros.begin(), samples.micros.end());
  absl::PrintF("page: %s: %d pages, %d records\n", request.parent(), samples.calls(), records);
  const Row& row =
      report->Add("page", "ListRecords <ns>/results/- every page", std::move(samples), seconds);
  report->summary["list_pages_per_s"] = Round(row.rate, 1);
}

// One filtered listing: its parent kind and filter, and whether to page through every match.
struct FilterCase {
  absl::string_view key;  // in the JSON summary
  ParentKind parent;
  std::string filter;
  bool indexed;  // an index serves it (else every call is a full pass over the records)
};

std::vector<FilterCase> FilterCases(const Config& config) {
  std::vector<FilterCase> cases = {
      {"label", ParentKind::kAll,
       absl::StrCat("data.metadata.labels['tekton.dev/pipeline'] == '", config.pipeline, "'"),
       true},
      {"reason", ParentKind::kAll, "data.status.conditions[0].reason == 'Failed'", true},
      {"data_type", ParentKind::kNamespace, "data_type == PIPELINE_RUN", true},
      {"name_prefix", ParentKind::kAll,
       absl::StrCat("data.metadata.name.startsWith('", config.pipeline, "')"), true},
      {"unindexed", ParentKind::kAll,
       "data.spec.timeout == '1h0m0s' && size(data.status.childReferences) > 3", false},
  };
  if (!config.extra_filter.empty()) {
    cases.push_back({"extra", ParentKind::kAll, config.extra_filter, false});
  }
  return cases;
}

// Whether --cases selects the filter or summary case `key`.
bool Selected(const Config& config, absl::string_view key) {
  return config.cases.empty() ||
         std::find(config.cases.begin(), config.cases.end(), key) != config.cases.end();
}

// Page size for paging through every match of a filter.
constexpr int kFilterPageAllSize = 1000;

// Pages through every match of `filter` under `parent`; returns the number of records.
int64_t PageAll(Client& client, const std::string& parent, const std::string& filter,
                Samples* samples) {
  v1alpha2::ListRecordsRequest request;
  request.set_parent(parent);
  request.set_filter(filter);
  request.set_page_size(kFilterPageAllSize);
  int64_t records = 0;
  for (int page = 0; page < kMaxPages; ++page) {
    v1alpha2::ListRecordsResponse response;
    if (!client.Call("ListRecords", &Results::Stub::ListRecords, request, &response, samples)) {
      break;
    }
    records += response.records_size();
    if (response.next_page_token().empty()) break;
    request.set_page_token(response.next_page_token());
  }
  return records;
}

// First pages of each filter case, then the time to page through all matches of each.
void ListFiltered(const Config& config, const Corpus& corpus, Client& client, Report* report) {
  std::mt19937_64 rng(config.seed);
  for (const FilterCase& c : FilterCases(config)) {
    if (!Selected(config, c.key)) continue;
    const int64_t calls =
        c.indexed ? config.filter_pages : std::max<int64_t>(1, config.filter_pages / 10);
    Samples samples;
    v1alpha2::ListRecordsRequest request;
    request.set_page_size(kListPageSize);
    request.set_filter(c.filter);
    v1alpha2::ListRecordsResponse response;
    Clock::time_point start = Clock::now();
    for (int64_t i = 0; i < calls; ++i) {
      request.set_parent(PickParent(c.parent, corpus, rng));
      client.Call("ListRecords", &Results::Stub::ListRecords, request, &response, &samples);
    }
    double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::sort(samples.micros.begin(), samples.micros.end());
    const Row& first =
        report->Add("filter", absl::StrCat("first page: ", c.filter), std::move(samples), seconds);
    report->summary["filter_first_page_p99_ms"][std::string(c.key)] =
        Round(first.samples.Ms(0.99), 3);

    Samples pages;
    start = Clock::now();
    const int64_t matches = PageAll(client, PickParent(c.parent, corpus, rng), c.filter, &pages);
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::sort(pages.micros.begin(), pages.micros.end());
    absl::PrintF("filter %s: %d matches in %d pages of %d, %.3f s\n", c.key, matches, pages.calls(),
                 kFilterPageAllSize, seconds);
    report->Add("filter", absl::StrCat("every page: ", c.filter), std::move(pages), seconds);
    report->summary["filter_page_all_s"][std::string(c.key)] = Round(seconds, 3);
    report->summary["filter_matches"][std::string(c.key)] = matches;
  }
}

// One summary request: its key in the JSON summary, and whether aggregates answer it (else every
// call aggregates the records a filter matches).
struct SummaryCase {
  absl::string_view key;
  absl::string_view group_by;
  absl::string_view filter;
  bool aggregated;
};

constexpr SummaryCase kSummaryCases[] = {
    {"all", "", "", true},
    {"by_pipeline", "pipeline", "", true},
    {"by_day", "day", "", true},
    {"data_type", "", "data_type == PIPELINE_RUN", true},
    {"fallback", "", "data.spec.timeout == '1h0m0s'", false},
};

// A reply of hundreds of rows of google.protobuf.Struct is hundreds of small maps: parsed into a
// message on an arena, they are allocated from the arena's blocks and released all at once by
// its reset, which any client can do. The sample covers the call, the parse and the reset.
constexpr size_t kSummaryArenaBlockBytes = 1 << 20;

// Makes one summary call on `arena` (reset after it); returns the number of rows.
int SummarizeOnArena(Client& client, const v1alpha2::RecordListSummaryRequest& request,
                     google::protobuf::Arena* arena, Samples* samples) {
  auto* response = google::protobuf::Arena::CreateMessage<v1alpha2::RecordListSummary>(arena);
  Samples call;
  const bool ok = client.Call("GetRecordListSummary", &Results::Stub::GetRecordListSummary, request,
                              response, &call);
  const Clock::time_point reset_start = Clock::now();
  const int rows = response->summary_size();
  arena->Reset();
  samples->errors += call.errors;
  if (ok) {
    samples->micros.push_back(
        call.micros.front() +
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - reset_start).count());
  }
  return rows;
}

// Every aggregate of every record (`-/results/-`), per summary case.
void Summarize(const Config& config, Client& client, Report* report) {
  std::vector<char> arena_block(kSummaryArenaBlockBytes);
  google::protobuf::ArenaOptions arena_options;
  arena_options.initial_block = arena_block.data();
  arena_options.initial_block_size = arena_block.size();
  google::protobuf::Arena arena(arena_options);
  v1alpha2::RecordListSummaryRequest request;
  request.set_parent("-/results/-");
  request.set_summary(
      "total,succeeded,failed,cancelled,running,others,avg_duration,max_duration,min_duration,"
      "total_duration,last_runtime");
  for (const SummaryCase& c : kSummaryCases) {
    if (!Selected(config, c.key)) continue;
    const int64_t calls =
        c.aggregated ? config.summary_calls : std::max<int64_t>(1, config.summary_calls / 50);
    request.set_group_by(std::string(c.group_by));
    request.set_filter(std::string(c.filter));
    Samples samples;
    int groups = 0;
    const Clock::time_point start = Clock::now();
    for (int64_t i = 0; i < calls; ++i) {
      groups = SummarizeOnArena(client, request, &arena, &samples);
    }
    const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
    std::sort(samples.micros.begin(), samples.micros.end());
    absl::PrintF("summary %s: %d groups\n", c.key, groups);
    const Row& row = report->Add(
        "summary", absl::StrCat("summary ", c.key, c.filter.empty() ? "" : ": ", c.filter),
        std::move(samples), seconds);
    report->summary["summary_p99_ms"][std::string(c.key)] = Round(row.samples.Ms(0.99), 3);
  }
}

// Returns false if there is nothing to read.
// The first key of --cases that names no filter or summary case, or "" if there is none.
std::string UnknownCase(const Config& config) {
  for (const std::string& key : config.cases) {
    const std::vector<FilterCase> filters = FilterCases(config);
    const bool known = std::any_of(filters.begin(), filters.end(),
                                   [&](const FilterCase& c) { return c.key == key; }) ||
                       std::any_of(std::begin(kSummaryCases), std::end(kSummaryCases),
                                   [&](const SummaryCase& c) { return c.key == key; });
    if (!known) return key;
  }
  return "";
}

bool Read(const Config& config, const Corpus& corpus, std::vector<Client>& clients,
          Report* report) {
  if (std::string key = UnknownCase(config); !key.empty()) {
    absl::FPrintF(stderr, "runledger-bench: --cases: no filter or summary case '%s'\n", key);
    return false;
  }
  if (corpus.records.empty()) {
    absl::FPrintF(stderr, "runledger-bench: no records to read\n");
    return false;
  }
  if (config.reads > 0) ReadRecords(config, corpus, clients, report);
  if (config.list_pages > 0) {
    const int64_t calls = std::max<int64_t>(
        1,
        config.list_pages / static_cast<int64_t>(std::size(kParentCases) * std::size(kOrderCases)));
    for (const ParentCase& parent : kParentCases) {
      for (const OrderCase& order : kOrderCases) {
        ListFirstPages(config, corpus, clients, parent, order, calls, report);
      }
    }
    PageNamespace(corpus, clients[0], report);
  }
  if (config.filter_pages > 0) ListFiltered(config, corpus, clients[0], report);
  if (config.summary_calls > 0) Summarize(config, clients[0], report);
  return true;
}

int Main(int argc, char** argv) {
  std::optional<Config> config = ParseFlags(argc, argv);
  if (!config) return 2;
  absl::PrintF("runledger-bench: target %s, %d streams, seed %d\n", config->target, config->streams,
               config->seed);
  ErrorLog errors;
  Poller poller;
  std::vector<Client> clients = Connect(*config, &errors, &poller);
  if (clients.empty()) return 1;
  Report report;
  std::optional<Corpus> corpus = config->phase == Phase::kRead ? Discover(clients[0], &report)
                                                               : Ingest(*config, clients, &report);
  if (!corpus) return 1;
  bool read_ok = config->phase == Phase::kIngest || Read(*config, *corpus, clients, &report);
  report.summary["errors"] = errors.count();
  report.Print();
  if (errors.count() > 0) {
    absl::FPrintF(stderr, "runledger-bench: %d calls failed\n", errors.count());
    return 1;
  }
  return read_ok ? 0 : 1;
}

}  // namespace
}  // namespace runledger::bench

int main(int argc, char** argv) {
  // The detector's bookkeeping on gRPC's mutexes costs the client CPU the server could use.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  try {
    return runledger::bench::Main(argc, argv);
  } catch (const std::exception& e) {
    absl::FPrintF(stderr, "runledger-bench: %s\n", e.what());
    return 1;
  }
}
