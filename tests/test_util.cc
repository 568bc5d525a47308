// Implementation of the end-to-end test helpers (see test_util.h).
#include "tests/test_util.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <regex>
#include <sstream>
#include <thread>

#include "google/protobuf/util/message_differencer.h"

#ifndef RUNLEDGER_BINARY
#error "RUNLEDGER_BINARY must be defined by the build"
#endif

namespace runledger::e2e {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Clock = std::chrono::steady_clock;

constexpr char kServingOn[] = "serving on ";
constexpr seconds kStartTimeout(20);
constexpr seconds kStopTimeout(20);

int DecodeWaitStatus(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

// Starts RUNLEDGER_BINARY with `args`, stdout and stderr going to the given files. The child
// gets SIGKILL if the test process dies, so no server outlives a crashed test.
pid_t Spawn(const std::vector<std::string>& args, const std::string& out_path,
            const std::string& err_path) {
  std::vector<std::string> argv_strings = {RUNLEDGER_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& s : argv_strings) argv.push_back(s.data());
  argv.push_back(nullptr);

  int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int err = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (out < 0 || err < 0) return -1;
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid == 0) {
    // Only async-signal-safe calls between fork and exec.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(out);
  close(err);
  return pid;
}

// Waits for `pid` up to `timeout`; returns the decoded status, or nullopt on timeout.
std::optional<int> WaitPid(pid_t pid, milliseconds timeout) {
  Clock::time_point end = Clock::now() + timeout;
  while (true) {
    int status = 0;
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) return DecodeWaitStatus(status);
    if (r < 0) return -1;
    if (Clock::now() >= end) return std::nullopt;
    std::this_thread::sleep_for(milliseconds(5));
  }
}

// The address in a "... serving on 127.0.0.1:PORT ..." line of `out`, or "".
std::string FindServingAddress(const std::string& out) {
  size_t at = out.find(kServingOn);
  if (at == std::string::npos) return "";
  size_t begin = at + sizeof(kServingOn) - 1;
  size_t end = out.find_first_of(" \t\r\n", begin);
  if (end == std::string::npos) return "";  // the line is not complete yet
  return out.substr(begin, end - begin);
}

std::string Sanitize(const std::string& s, size_t max_len) {
  std::string out;
  for (char c : s) {
    if (out.size() >= max_len) break;
    out += std::isalnum(static_cast<unsigned char>(c))
               ? static_cast<char>(std::tolower(static_cast<unsigned char>(c)))
               : '-';
  }
  return out;
}

}  // namespace

// --- TempDir, files, commands. ---

TempDir::TempDir() {
  char tmpl[] = "/tmp/runledger-e2e-XXXXXX";
  char* dir = mkdtemp(tmpl);
  if (dir == nullptr) {
    ADD_FAILURE() << "mkdtemp failed: " << strerror(errno);
    return;
  }
  path_ = dir;
}

TempDir::~TempDir() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void WriteFile(const std::string& path, const std::string& content) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << content;
  if (!out) ADD_FAILURE() << "cannot write " << path;
}

CommandResult RunCommand(const std::vector<std::string>& args) {
  TempDir dir;
  const std::string out_path = dir.path() + "/stdout", err_path = dir.path() + "/stderr";
  CommandResult result;
  pid_t pid = Spawn(args, out_path, err_path);
  if (pid < 0) {
    result.err = "spawn failed";
    return result;
  }
  result.exit_code = WaitPid(pid, milliseconds(120000)).value_or(-1);
  if (result.exit_code == -1) {
    kill(pid, SIGKILL);
    waitpid(pid, nullptr, 0);
    result.err = "timed out after 120 s\n";
  }
  result.out = ReadFile(out_path);
  result.err += ReadFile(err_path);
  return result;
}

// --- ServerProcess. ---

ServerProcess::ServerProcess(std::string data_dir) : data_dir_(std::move(data_dir)) {
  if (data_dir_.empty()) {
    owned_data_ = std::make_unique<TempDir>();
    data_dir_ = owned_data_->path() + "/data";
  }
}

ServerProcess::~ServerProcess() {
  if (running()) Kill();
}

::testing::AssertionResult ServerProcess::Start() {
  if (running()) return ::testing::AssertionFailure() << "server already running";
  ++starts_;
  const std::string out_path = logs_.path() + "/stdout." + std::to_string(starts_);
  address_.clear();
  std::vector<std::string> args = {"serve", "--data-dir", data_dir_, "--listen", listen_};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  pid_ = Spawn(args, out_path, logs_.path() + "/stderr");
  if (pid_ < 0) return ::testing::AssertionFailure() << "cannot spawn " << RUNLEDGER_BINARY;
  Clock::time_point deadline = Clock::now() + kStartTimeout;
  while (Clock::now() < deadline) {
    address_ = FindServingAddress(ReadFile(out_path));
    if (!address_.empty()) return ::testing::AssertionSuccess();
    if (std::optional<int> exit = WaitPid(pid_, milliseconds(10)); exit.has_value()) {
      pid_ = -1;
      return ::testing::AssertionFailure()
             << "server exited with " << *exit << " before serving\nstdout:\n"
             << ReadFile(out_path) << "\nstderr:\n"
             << Stderr();
    }
  }
  Kill();
  return ::testing::AssertionFailure()
         << "no '" << kServingOn << "' line within " << kStartTimeout.count() << " s\nstdout:\n"
         << ReadFile(out_path) << "\nstderr:\n"
         << Stderr();
}

int ServerProcess::WaitForExit(seconds timeout) {
  std::optional<int> exit = WaitPid(pid_, timeout);
  if (!exit.has_value()) {
    ADD_FAILURE() << "server did not exit within " << timeout.count() << " s; killing it";
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
    exit = -1;
  }
  pid_ = -1;
  return *exit;
}

int ServerProcess::Stop() {
  if (!running()) return -1;
  kill(pid_, SIGTERM);
  return WaitForExit(kStopTimeout);
}

int ServerProcess::Kill() {
  if (!running()) return -1;
  kill(pid_, SIGKILL);
  return WaitForExit(kStopTimeout);
}

bool ServerProcess::IsAlive() {
  if (!running()) return false;
  if (std::optional<int> exit = WaitPid(pid_, milliseconds(0)); exit.has_value()) {
    ADD_FAILURE() << "server died with status " << *exit << "\nstderr:\n" << Stderr();
    pid_ = -1;
    return false;
  }
  return true;
}

std::shared_ptr<grpc::Channel> ServerProcess::NewChannel() const {
  return grpc::CreateChannel(address_, grpc::InsecureChannelCredentials());
}

std::unique_ptr<rpc::Results::Stub> ServerProcess::NewStub() const {
  return rpc::Results::NewStub(NewChannel());
}

std::string ServerProcess::Stderr() const { return ReadFile(logs_.path() + "/stderr"); }

// --- ResultsClient. ---

ResultsClient::ResultsClient(std::shared_ptr<grpc::Channel> channel, milliseconds deadline)
    : stub_(rpc::Results::NewStub(std::move(channel))), deadline_(deadline) {}

template <typename Req, typename Resp>
Reply<Resp> ResultsClient::Call(grpc::Status (rpc::Results::Stub::*method)(grpc::ClientContext*,
                                                                           const Req&, Resp*),
                                const Req& req) {
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + deadline_);
  Reply<Resp> reply;
  reply.status = ((*stub_).*method)(&context, req, &reply.value);
  return reply;
}

Reply<rpc::Result> ResultsClient::CreateResult(const rpc::CreateResultRequest& req) {
  return Call(&rpc::Results::Stub::CreateResult, req);
}

Reply<rpc::Result> ResultsClient::CreateResult(const std::string& parent,
                                               const rpc::Result& result) {
  rpc::CreateResultRequest req;
  req.set_parent(parent);
  *req.mutable_result() = result;
  return CreateResult(req);
}

Reply<rpc::Result> ResultsClient::GetResult(const std::string& name) {
  rpc::GetResultRequest req;
  req.set_name(name);
  return Call(&rpc::Results::Stub::GetResult, req);
}

Reply<rpc::Result> ResultsClient::UpdateResult(const rpc::UpdateResultRequest& req) {
  return Call(&rpc::Results::Stub::UpdateResult, req);
}

Reply<google::protobuf::Empty> ResultsClient::DeleteResult(const std::string& name) {
  rpc::DeleteResultRequest req;
  req.set_name(name);
  return Call(&rpc::Results::Stub::DeleteResult, req);
}

Reply<rpc::ListResultsResponse> ResultsClient::ListResults(const rpc::ListResultsRequest& req) {
  return Call(&rpc::Results::Stub::ListResults, req);
}

Reply<rpc::Record> ResultsClient::CreateRecord(const rpc::CreateRecordRequest& req) {
  return Call(&rpc::Results::Stub::CreateRecord, req);
}

Reply<rpc::Record> ResultsClient::CreateRecord(const std::string& parent,
                                               const rpc::Record& record) {
  rpc::CreateRecordRequest req;
  req.set_parent(parent);
  *req.mutable_record() = record;
  return CreateRecord(req);
}

Reply<rpc::Record> ResultsClient::GetRecord(const std::string& name) {
  rpc::GetRecordRequest req;
  req.set_name(name);
  return Call(&rpc::Results::Stub::GetRecord, req);
}

Reply<rpc::Record> ResultsClient::UpdateRecord(const rpc::UpdateRecordRequest& req) {
  return Call(&rpc::Results::Stub::UpdateRecord, req);
}

Reply<google::protobuf::Empty> ResultsClient::DeleteRecord(const std::string& name) {
  rpc::DeleteRecordRequest req;
  req.set_name(name);
  return Call(&rpc::Results::Stub::DeleteRecord, req);
}

Reply<rpc::ListRecordsResponse> ResultsClient::ListRecords(const rpc::ListRecordsRequest& req) {
  return Call(&rpc::Results::Stub::ListRecords, req);
}

Reply<rpc::RecordListSummary> ResultsClient::GetRecordListSummary(
    const rpc::RecordListSummaryRequest& req) {
  return Call(&rpc::Results::Stub::GetRecordListSummary, req);
}

// --- Builders. ---

std::string ResultName(const std::string& parent, const std::string& id) {
  return parent + "/results/" + id;
}

std::string RecordName(const std::string& result_name, const std::string& id) {
  return result_name + "/records/" + id;
}

std::string ParentOf(const std::string& name) {
  size_t records = name.rfind("/records/");
  if (records != std::string::npos) return name.substr(0, records);
  size_t results = name.rfind("/results/");
  return results == std::string::npos ? "" : name.substr(0, results);
}

rpc::Result MakeResult(const std::string& name,
                       const std::map<std::string, std::string>& annotations) {
  rpc::Result result;
  result.set_name(name);
  result.mutable_annotations()->insert(annotations.begin(), annotations.end());
  return result;
}

rpc::Any MakeData(const std::string& type, const std::string& json) {
  rpc::Any data;
  data.set_type(type);
  data.set_value(json);
  return data;
}

rpc::Record MakeRecord(const std::string& name, const std::string& type, const std::string& json) {
  rpc::Record record;
  record.set_name(name);
  *record.mutable_data() = MakeData(type, json);
  return record;
}

rpc::UpdateResultRequest UpdateResultReq(const std::string& name,
                                         const std::optional<rpc::Result>& result,
                                         const std::string& etag) {
  rpc::UpdateResultRequest req;
  req.set_name(name);
  if (result.has_value()) *req.mutable_result() = *result;
  req.set_etag(etag);
  return req;
}

rpc::UpdateRecordRequest UpdateRecordReq(const rpc::Record& record, const std::string& etag) {
  rpc::UpdateRecordRequest req;
  *req.mutable_record() = record;
  req.set_etag(etag);
  return req;
}

rpc::Result MustCreateResult(ResultsClient& client, const std::string& name,
                             const std::map<std::string, std::string>& annotations) {
  Reply<rpc::Result> r = client.CreateResult(ParentOf(name), MakeResult(name, annotations));
  EXPECT_OK(r) << " creating " << name;
  return r.value;
}

rpc::Record MustCreateRecord(ResultsClient& client, const rpc::Record& record) {
  Reply<rpc::Record> r = client.CreateRecord(ParentOf(record.name()), record);
  EXPECT_OK(r) << " creating " << record.name();
  return r.value;
}

google::protobuf::Timestamp MakeTimestamp(int64_t seconds, int32_t nanos) {
  google::protobuf::Timestamp ts;
  ts.set_seconds(seconds);
  ts.set_nanos(nanos);
  return ts;
}

int64_t UnixNanos(const google::protobuf::Timestamp& ts) {
  return ts.seconds() * 1000000000LL + ts.nanos();
}

std::string ExpectedEtag(const std::string& uid, const google::protobuf::Timestamp& update_time) {
  return uid + "-" + std::to_string(UnixNanos(update_time));
}

rpc::ListResultsRequest ListResultsReq(const std::string& parent, int page_size,
                                       const std::string& order_by, const std::string& page_token) {
  rpc::ListResultsRequest req;
  req.set_parent(parent);
  req.set_page_size(page_size);
  req.set_order_by(order_by);
  req.set_page_token(page_token);
  return req;
}

rpc::ListRecordsRequest ListRecordsReq(const std::string& parent, int page_size,
                                       const std::string& order_by, const std::string& page_token) {
  rpc::ListRecordsRequest req;
  req.set_parent(parent);
  req.set_page_size(page_size);
  req.set_order_by(order_by);
  req.set_page_token(page_token);
  return req;
}

// --- Listing. ---

namespace {

// Pages through a listing. `fetch(page_size, token)` returns the status, the items of the page
// and the next token.
template <typename T, typename Fetch>
Listing<T> ListAll(const Fetch& fetch, const PageSizeFn& page_size, int max_pages) {
  Listing<T> listing;
  std::string token;
  for (int page = 0; page < max_pages; ++page) {
    std::vector<T> items;
    std::string next;
    listing.status = fetch(page_size(page), token, &items, &next);
    if (!listing.status.ok()) return listing;
    listing.page_sizes.push_back(static_cast<int>(items.size()));
    listing.items.insert(listing.items.end(), items.begin(), items.end());
    if (next.empty()) return listing;
    token = next;
  }
  listing.status = grpc::Status(grpc::StatusCode::INTERNAL, "test: too many pages");
  return listing;
}

}  // namespace

Listing<rpc::Result> ListAllResults(ResultsClient& client, const std::string& parent,
                                    const std::string& order_by, const PageSizeFn& page_size,
                                    int max_pages, const std::string& filter) {
  auto fetch = [&](int size, const std::string& token, std::vector<rpc::Result>* items,
                   std::string* next) {
    rpc::ListResultsRequest request = ListResultsReq(parent, size, order_by, token);
    request.set_filter(filter);
    Reply<rpc::ListResultsResponse> r = client.ListResults(request);
    items->assign(r.value.results().begin(), r.value.results().end());
    *next = r.value.next_page_token();
    return r.status;
  };
  return ListAll<rpc::Result>(fetch, page_size, max_pages);
}

Listing<rpc::Record> ListAllRecords(ResultsClient& client, const std::string& parent,
                                    const std::string& order_by, const PageSizeFn& page_size,
                                    int max_pages, const std::string& filter) {
  auto fetch = [&](int size, const std::string& token, std::vector<rpc::Record>* items,
                   std::string* next) {
    rpc::ListRecordsRequest request = ListRecordsReq(parent, size, order_by, token);
    request.set_filter(filter);
    Reply<rpc::ListRecordsResponse> r = client.ListRecords(request);
    items->assign(r.value.records().begin(), r.value.records().end());
    *next = r.value.next_page_token();
    return r.status;
  };
  return ListAll<rpc::Record>(fetch, page_size, max_pages);
}

PageSizeFn FixedPageSize(int n) {
  return [n](int) { return n; };
}

google::protobuf::Timestamp SortKey(const rpc::Result& r, const std::string& field) {
  if (field == "create_time") return r.create_time();
  if (field == "update_time") return r.update_time();
  if (field == "summary.start_time") return r.summary().start_time();
  if (field == "summary.end_time") return r.summary().end_time();
  ADD_FAILURE() << "unknown order field " << field;
  return {};
}

google::protobuf::Timestamp SortKey(const rpc::Record& r, const std::string& field) {
  if (field == "create_time") return r.create_time();
  if (field == "update_time") return r.update_time();
  ADD_FAILURE() << "unknown order field " << field;
  return {};
}

bool TimestampLess(const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b) {
  return UnixNanos(a) < UnixNanos(b);
}

void ParseOrderBy(const std::string& order_by, std::string* field, bool* desc) {
  std::istringstream in(order_by);
  std::string dir;
  field->clear();
  in >> *field >> dir;
  *desc = dir == "desc" || dir == "DESC";
}

// --- Comparing, naming. ---

::testing::AssertionResult ProtoEq(const google::protobuf::Message& expected,
                                   const google::protobuf::Message& actual) {
  google::protobuf::util::MessageDifferencer differencer;
  std::string diff;
  differencer.ReportDifferencesToString(&diff);
  if (differencer.Compare(expected, actual)) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "messages differ:\n"
                                       << diff << "expected: " << expected.ShortDebugString()
                                       << "\nactual:   " << actual.ShortDebugString();
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
std::string IdOf(const rpc::Result& r) { return r.id(); }
std::string IdOf(const rpc::Record& r) { return r.id(); }
google::protobuf::Timestamp CreatedTimeOf(const rpc::Result& r) { return r.created_time(); }
google::protobuf::Timestamp CreatedTimeOf(const rpc::Record& r) { return r.created_time(); }
google::protobuf::Timestamp UpdatedTimeOf(const rpc::Result& r) { return r.updated_time(); }
google::protobuf::Timestamp UpdatedTimeOf(const rpc::Record& r) { return r.updated_time(); }

rpc::Result WithoutUpdateStamp(rpc::Result r) {
  r.clear_update_time();
  r.clear_updated_time();
  r.clear_etag();
  return r;
}

rpc::Record WithoutUpdateStamp(rpc::Record r) {
  r.clear_update_time();
  r.clear_updated_time();
  r.clear_etag();
  return r;
}
#pragma GCC diagnostic pop

namespace {

template <typename T>
::testing::AssertionResult CheckServerFields(const T& r) {
  static const std::regex kUuidV4(
      "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  ::testing::AssertionResult failure = ::testing::AssertionFailure();
  failure << r.name() << ": ";
  if (!std::regex_match(r.uid(), kUuidV4)) return failure << "uid is not a UUID v4: " << r.uid();
  if (IdOf(r) != r.uid()) return failure << "id " << IdOf(r) << " != uid " << r.uid();
  if (!r.has_create_time() || UnixNanos(r.create_time()) == 0) return failure << "no create_time";
  if (!ProtoEq(r.create_time(), CreatedTimeOf(r))) return failure << "created_time != create_time";
  if (!ProtoEq(r.update_time(), UpdatedTimeOf(r))) return failure << "updated_time != update_time";
  if (TimestampLess(r.update_time(), r.create_time())) {
    return failure << "update_time before create_time";
  }
  if (r.etag() != ExpectedEtag(r.uid(), r.update_time())) {
    return failure << "etag " << r.etag() << " != " << ExpectedEtag(r.uid(), r.update_time());
  }
  return ::testing::AssertionSuccess();
}

}  // namespace

::testing::AssertionResult HasServerFields(const rpc::Result& r) { return CheckServerFields(r); }
::testing::AssertionResult HasServerFields(const rpc::Record& r) { return CheckServerFields(r); }

std::string UniqueParent() {
  static std::atomic<int> counter{0};
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string base = info != nullptr ? info->name() : "test";
  return Sanitize(base, 50) + "-" + std::to_string(++counter);
}

// --- Fixture. ---

ServerProcess* E2eTest::server_ = nullptr;
ResultsClient* E2eTest::client_ = nullptr;

void E2eTest::SetUpTestSuite() {
  server_ = new ServerProcess();
  ::testing::AssertionResult started = server_->Start();
  if (!started) {
    ADD_FAILURE() << started.message();
    return;
  }
  client_ = new ResultsClient(server_->NewChannel());
}

void E2eTest::TearDownTestSuite() {
  delete client_;
  client_ = nullptr;
  if (server_ != nullptr) {
    EXPECT_EQ(server_->Stop(), 0) << "server did not shut down cleanly\n" << server_->Stderr();
  }
  delete server_;
  server_ = nullptr;
}

void E2eTest::SetUp() {
  ASSERT_NE(client_, nullptr) << "the suite's server did not start";
  ASSERT_TRUE(server_->IsAlive()) << "the suite's server is gone";
}

void E2eTest::TearDown() { EXPECT_TRUE(server_->IsAlive()) << "the server died during the test"; }

}  // namespace runledger::e2e
