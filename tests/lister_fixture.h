// ListerFixture: a real Store in a temporary directory, an Ingestor to fill it and a Lister to
// read it, for the in-process tests of ListResults and ListRecords.
#ifndef RUNLEDGER_TESTS_LISTER_FIXTURE_H_
#define RUNLEDGER_TESTS_LISTER_FIXTURE_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/ingest/ingestor.h"
#include "src/projections/store.h"
#include "src/query/lister.h"
#include "tests/test_util.h"

namespace runledger {

namespace rpc = ::tekton::results::v1alpha2;
using e2e::ListRecordsReq;
using e2e::ListResultsReq;
using e2e::MakeRecord;

inline const google::protobuf::RepeatedPtrField<rpc::Result>& Items(
    const rpc::ListResultsResponse& r) {
  return r.results();
}
inline const google::protobuf::RepeatedPtrField<rpc::Record>& Items(
    const rpc::ListRecordsResponse& r) {
  return r.records();
}

// Every page of a listing, concatenated.
template <typename T>
struct Paged {
  std::vector<T> items;
  std::vector<int> page_sizes;
};

// Follows next_page_token from the first page to the last; page i asks for page_size(i) items.
template <typename T, typename Request, typename ListFn>
absl::StatusOr<Paged<T>> ListAll(Request request, const ListFn& list,
                                 const std::function<int(int)>& page_size) {
  Paged<T> paged;
  for (int page = 0; page < 1000; ++page) {
    request.set_page_size(page_size(page));
    auto response = list(request);
    if (!response.ok()) return response.status();
    paged.items.insert(paged.items.end(), Items(*response).begin(), Items(*response).end());
    paged.page_sizes.push_back(Items(*response).size());
    if (response->next_page_token().empty()) return paged;
    request.set_page_token(response->next_page_token());
  }
  return absl::InternalError("test: too many pages");
}

// A Store with an Ingestor to fill it and a Lister to read it.
class ListerFixture {
 public:
  ListerFixture() {
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    EXPECT_TRUE(store.ok()) << store.status();
    if (!store.ok()) return;
    store_ = std::move(*store);
    ingestor_ = std::make_unique<Ingestor>(&store_->log(), &store_->reader());
    lister_ = std::make_unique<Lister>(store_.get());
    Lister::Limits log_scan;
    log_scan.ordered_scan_budget = 0;
    log_scan_lister_ = std::make_unique<Lister>(store_.get(), log_scan);
  }

  rpc::Result CreateResult(const std::string& name, const rpc::Result& body = {}) {
    rpc::CreateResultRequest req;
    req.set_parent(name.substr(0, name.find('/')));
    *req.mutable_result() = body;
    req.mutable_result()->set_name(name);
    absl::StatusOr<rpc::Result> created = ingestor_->CreateResult(req, "test");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : rpc::Result();
  }

  rpc::Record CreateRecord(const std::string& name, const std::string& type = "TaskRun",
                           const std::string& json = R"({"metadata":{"name":"x"}})") {
    rpc::CreateRecordRequest req;
    req.set_parent(name.substr(0, name.find("/records/")));
    *req.mutable_record() = MakeRecord(name, type, json);
    absl::StatusOr<rpc::Record> created = ingestor_->CreateRecord(req, "test");
    EXPECT_TRUE(created.ok()) << created.status();
    return created.ok() ? *created : rpc::Record();
  }

  rpc::Record TouchRecord(const std::string& name, const std::string& type = "",
                          const std::string& json = "[2]") {
    absl::StatusOr<rpc::Record> updated =
        ingestor_->UpdateRecord(e2e::UpdateRecordReq(MakeRecord(name, type, json)), "test");
    EXPECT_TRUE(updated.ok()) << updated.status();
    return updated.ok() ? *updated : rpc::Record();
  }

  absl::StatusOr<rpc::ListRecordsResponse> ListRecords(const rpc::ListRecordsRequest& req) const {
    return lister_->ListRecords(req);
  }
  // ListRecords that answers any record filter no index narrows by a scan of the log.
  absl::StatusOr<rpc::ListRecordsResponse> ListRecordsByLogScan(
      const rpc::ListRecordsRequest& req, const std::function<bool()>& cancelled = nullptr) const {
    return log_scan_lister_->ListRecords(req, cancelled);
  }
  absl::StatusOr<rpc::ListResultsResponse> ListResults(const rpc::ListResultsRequest& req) const {
    return lister_->ListResults(req);
  }

  absl::StatusOr<Paged<rpc::Record>> AllRecords(const std::string& parent,
                                                const std::string& order_by,
                                                const std::function<int(int)>& page_size) const {
    return ListAll<rpc::Record>(
        ListRecordsReq(parent, 0, order_by),
        [this](const rpc::ListRecordsRequest& r) { return ListRecords(r); }, page_size);
  }
  absl::StatusOr<Paged<rpc::Result>> AllResults(const std::string& parent,
                                                const std::string& order_by,
                                                const std::function<int(int)>& page_size) const {
    return ListAll<rpc::Result>(
        ListResultsReq(parent, 0, order_by),
        [this](const rpc::ListResultsRequest& r) { return ListResults(r); }, page_size);
  }

  Store& store() { return *store_; }
  Ingestor& ingestor() { return *ingestor_; }

 private:
  e2e::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Ingestor> ingestor_;
  std::unique_ptr<Lister> lister_;
  std::unique_ptr<Lister> log_scan_lister_;
};

}  // namespace runledger

#endif  // RUNLEDGER_TESTS_LISTER_FIXTURE_H_
