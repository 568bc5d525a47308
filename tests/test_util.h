// Helpers for the end-to-end tests: temporary directories, a real `runledger serve` child
// process, a Results client that puts a deadline on every call, `runledger dump/replay`
// runners, and builders for Results, Records and list requests.
#ifndef RUNLEDGER_TESTS_TEST_UTIL_H_
#define RUNLEDGER_TESTS_TEST_UTIL_H_

#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "google/protobuf/timestamp.pb.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tekton/results/v1alpha2/api.grpc.pb.h"

namespace runledger::e2e {

namespace rpc = ::tekton::results::v1alpha2;

// A fresh directory under /tmp, removed recursively when the object goes away.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Reads a whole file; empty if it cannot be read.
std::string ReadFile(const std::string& path);
// Writes `content` to `path`, replacing the file (a test failure if that fails).
void WriteFile(const std::string& path, const std::string& content);

struct CommandResult {
  int exit_code = -1;  // 128 + signal number if the process was killed by a signal
  std::string out;     // stdout
  std::string err;     // stderr
};

// Runs RUNLEDGER_BINARY with `args` (e.g. {"dump", "--data-dir", dir}) and waits for it.
CommandResult RunCommand(const std::vector<std::string>& args);

// A `runledger serve` child process listening on 127.0.0.1 with a port of its own choosing.
class ServerProcess {
 public:
  // Serves `data_dir`, or a temporary directory owned by this object if it is empty.
  explicit ServerProcess(std::string data_dir = "");
  ~ServerProcess();  // Kills the server if it still runs.
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Starts the server and waits (up to 20 s) for its `serving on` line.
  ::testing::AssertionResult Start();
  // SIGTERM and wait; returns the exit code (128 + signal if killed), -1 if not running.
  int Stop();
  // SIGKILL and wait; returns like Stop().
  int Kill();
  // Starts again on the same data directory (a new port, unless set_listen fixed one).
  ::testing::AssertionResult Restart() { return Start(); }
  // For the next Start: the --listen address (default 127.0.0.1:0) and flags added after it
  // (e.g. {"--watch", "--kubeconfig", path}).
  void set_listen(std::string listen) { listen_ = std::move(listen); }
  void set_extra_args(std::vector<std::string> args) { extra_args_ = std::move(args); }

  bool running() const { return pid_ > 0; }
  // False (and a test failure) if the server process has exited on its own.
  bool IsAlive();
  const std::string& address() const { return address_; }
  const std::string& data_dir() const { return data_dir_; }
  std::shared_ptr<grpc::Channel> NewChannel() const;
  std::unique_ptr<rpc::Results::Stub> NewStub() const;
  // What the server wrote to stderr since the last start.
  std::string Stderr() const;

 private:
  int WaitForExit(std::chrono::seconds timeout);

  TempDir logs_;
  std::unique_ptr<TempDir> owned_data_;
  std::string data_dir_;
  std::string address_;
  std::string listen_ = "127.0.0.1:0";
  std::vector<std::string> extra_args_;
  pid_t pid_ = -1;
  int starts_ = 0;
};

// The outcome of one RPC: its status and, if it is OK, the response.
template <typename T>
struct Reply {
  grpc::Status status;
  T value;

  bool ok() const { return status.ok(); }
  grpc::StatusCode code() const { return status.error_code(); }
  std::string message() const { return status.error_message(); }
};

// The Results service, each call with a deadline (default 10 s).
class ResultsClient {
 public:
  explicit ResultsClient(std::shared_ptr<grpc::Channel> channel,
                         std::chrono::milliseconds deadline = std::chrono::seconds(10));

  Reply<rpc::Result> CreateResult(const rpc::CreateResultRequest& req);
  Reply<rpc::Result> CreateResult(const std::string& parent, const rpc::Result& result);
  Reply<rpc::Result> GetResult(const std::string& name);
  Reply<rpc::Result> UpdateResult(const rpc::UpdateResultRequest& req);
  Reply<google::protobuf::Empty> DeleteResult(const std::string& name);
  Reply<rpc::ListResultsResponse> ListResults(const rpc::ListResultsRequest& req);

  Reply<rpc::Record> CreateRecord(const rpc::CreateRecordRequest& req);
  Reply<rpc::Record> CreateRecord(const std::string& parent, const rpc::Record& record);
  Reply<rpc::Record> GetRecord(const std::string& name);
  Reply<rpc::Record> UpdateRecord(const rpc::UpdateRecordRequest& req);
  Reply<google::protobuf::Empty> DeleteRecord(const std::string& name);
  Reply<rpc::ListRecordsResponse> ListRecords(const rpc::ListRecordsRequest& req);
  Reply<rpc::RecordListSummary> GetRecordListSummary(const rpc::RecordListSummaryRequest& req);

 private:
  template <typename Req, typename Resp>
  Reply<Resp> Call(grpc::Status (rpc::Results::Stub::*method)(grpc::ClientContext*, const Req&,
                                                              Resp*),
                   const Req& req);

  std::unique_ptr<rpc::Results::Stub> stub_;
  std::chrono::milliseconds deadline_;
};

// --- Builders. ---

// "<parent>/results/<id>" and the parent ("p/results/r" → "p"; record → "p/results/r").
std::string ResultName(const std::string& parent, const std::string& id);
std::string RecordName(const std::string& result_name, const std::string& id);
std::string ParentOf(const std::string& name);

rpc::Result MakeResult(const std::string& name,
                       const std::map<std::string, std::string>& annotations = {});
// A record with data {type, value = json}.
rpc::Record MakeRecord(const std::string& name, const std::string& type = "TaskRun",
                       const std::string& json = R"({"metadata":{"name":"x"}})");
rpc::Any MakeData(const std::string& type, const std::string& json);

rpc::UpdateResultRequest UpdateResultReq(const std::string& name,
                                         const std::optional<rpc::Result>& result,
                                         const std::string& etag = "");
rpc::UpdateRecordRequest UpdateRecordReq(const rpc::Record& record, const std::string& etag = "");

// Create calls that add a test failure (and return an empty message) if the call fails.
rpc::Result MustCreateResult(ResultsClient& client, const std::string& name,
                             const std::map<std::string, std::string>& annotations = {});
rpc::Record MustCreateRecord(ResultsClient& client, const rpc::Record& record);

google::protobuf::Timestamp MakeTimestamp(int64_t seconds, int32_t nanos = 0);
int64_t UnixNanos(const google::protobuf::Timestamp& ts);
// uid + "-" + unix nanos of update_time: the etag the server must compute.
std::string ExpectedEtag(const std::string& uid, const google::protobuf::Timestamp& update_time);

rpc::ListResultsRequest ListResultsReq(const std::string& parent, int page_size = 0,
                                       const std::string& order_by = "",
                                       const std::string& page_token = "");
rpc::ListRecordsRequest ListRecordsReq(const std::string& parent, int page_size = 0,
                                       const std::string& order_by = "",
                                       const std::string& page_token = "");

// --- Listing. ---

// Every page of a listing, concatenated, plus what went wrong if something did.
template <typename T>
struct Listing {
  grpc::Status status;  // the first non-OK status, if any
  std::vector<T> items;
  std::vector<int> page_sizes;  // number of items on each page
};

// Follows next_page_token to the end. `page_size(i)` gives the size for page i (sizes may change
// between pages). Stops after `max_pages` pages as a guard against token loops.
using PageSizeFn = std::function<int(int page)>;
Listing<rpc::Result> ListAllResults(ResultsClient& client, const std::string& parent,
                                    const std::string& order_by, const PageSizeFn& page_size,
                                    int max_pages = 1000, const std::string& filter = "");
Listing<rpc::Record> ListAllRecords(ResultsClient& client, const std::string& parent,
                                    const std::string& order_by, const PageSizeFn& page_size,
                                    int max_pages = 1000, const std::string& filter = "");
PageSizeFn FixedPageSize(int n);

// The sort key of `order_by` field (create_time, update_time, summary.start_time,
// summary.end_time) of an item.
google::protobuf::Timestamp SortKey(const rpc::Result& r, const std::string& field);
google::protobuf::Timestamp SortKey(const rpc::Record& r, const std::string& field);

bool TimestampLess(const google::protobuf::Timestamp& a, const google::protobuf::Timestamp& b);
// Splits "field [dir]" into field and whether it is descending.
void ParseOrderBy(const std::string& order_by, std::string* field, bool* desc);

// The uids of `items` in the order the server must list them for `order_by` ("" = by uid,
// "<field>", "<field> asc" or "<field> desc"; ties broken by uid in the same direction).
template <typename T>
std::vector<std::string> ExpectedUidOrder(std::vector<T> items, const std::string& order_by);
template <typename T>
std::vector<std::string> Uids(const std::vector<T>& items);

// --- Comparing. ---

// gtest assertion: two messages are equal field by field (reports the difference).
::testing::AssertionResult ProtoEq(const google::protobuf::Message& expected,
                                   const google::protobuf::Message& actual);

// The deprecated twins of uid/create_time/update_time, read without deprecation warnings.
std::string IdOf(const rpc::Result& r);
std::string IdOf(const rpc::Record& r);
google::protobuf::Timestamp CreatedTimeOf(const rpc::Result& r);
google::protobuf::Timestamp CreatedTimeOf(const rpc::Record& r);
google::protobuf::Timestamp UpdatedTimeOf(const rpc::Result& r);
google::protobuf::Timestamp UpdatedTimeOf(const rpc::Record& r);

// A copy without update_time, updated_time and etag: what an update must leave unchanged.
rpc::Result WithoutUpdateStamp(rpc::Result r);
rpc::Record WithoutUpdateStamp(rpc::Record r);

// The server-generated fields are consistent: uid is a UUID v4, id == uid, the deprecated times
// equal the new ones, create_time is set and <= update_time, and etag == ExpectedEtag().
::testing::AssertionResult HasServerFields(const rpc::Result& r);
::testing::AssertionResult HasServerFields(const rpc::Record& r);

// A name segment unique to the running test (lower-case test name + counter), usable as a
// parent so that tests sharing one server do not see each other's data.
std::string UniqueParent();

// --- Fixture. ---

// One server for all tests of a suite; `client()` talks to it.
class E2eTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void SetUp() override;
  void TearDown() override;

  static ServerProcess& server() { return *server_; }
  static ResultsClient& client() { return *client_; }

 private:
  static ServerProcess* server_;
  static ResultsClient* client_;
};

// gtest matchers on Reply<T>.
#define EXPECT_CODE(reply, expected_code) \
  EXPECT_EQ((reply).code(), (expected_code)) << (reply).message()
#define ASSERT_OK(reply) ASSERT_TRUE((reply).ok()) << (reply).code() << ": " << (reply).message()
#define EXPECT_OK(reply) EXPECT_TRUE((reply).ok()) << (reply).code() << ": " << (reply).message()

// --- Template definitions. ---

template <typename T>
std::vector<std::string> Uids(const std::vector<T>& items) {
  std::vector<std::string> uids;
  uids.reserve(items.size());
  for (const T& item : items) uids.push_back(item.uid());
  return uids;
}

template <typename T>
std::vector<std::string> ExpectedUidOrder(std::vector<T> items, const std::string& order_by) {
  std::string field;
  bool desc = false;
  ParseOrderBy(order_by, &field, &desc);
  auto less = [&field](const T& a, const T& b) {
    if (!field.empty()) {
      google::protobuf::Timestamp ka = SortKey(a, field), kb = SortKey(b, field);
      if (TimestampLess(ka, kb)) return true;
      if (TimestampLess(kb, ka)) return false;
    }
    return a.uid() < b.uid();
  };
  std::sort(items.begin(), items.end(), less);
  if (desc) std::reverse(items.begin(), items.end());
  return Uids(items);
}

}  // namespace runledger::e2e

#endif  // RUNLEDGER_TESTS_TEST_UTIL_H_
