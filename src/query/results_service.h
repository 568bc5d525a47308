// ResultsService: the tekton.results.v1alpha2.Results gRPC service (callback API). Reads run on
// gRPC's threads. Writes never block one: the Ingestor hands them to the log's commit thread,
// which finishes the RPC once the write is durable.
#ifndef RUNLEDGER_QUERY_RESULTS_SERVICE_H_
#define RUNLEDGER_QUERY_RESULTS_SERVICE_H_

#include "src/ingest/ingestor.h"
#include "src/projections/core_reader.h"
#include "src/projections/store.h"
#include "src/query/arena_message_allocator.h"
#include "src/query/lister.h"
#include "src/query/summarizer.h"
#include "tekton/results/v1alpha2/api.grpc.pb.h"

namespace runledger {

class ResultsService final : public tekton::results::v1alpha2::Results::CallbackService {
 public:
  ResultsService(Ingestor* ingestor, const Store* store)
      : ingestor_(ingestor), reader_(&store->reader()), lister_(store), summarizer_(store) {
    SetMessageAllocatorFor_GetRecordListSummary(&summary_allocator_);
  }

  grpc::ServerUnaryReactor* CreateResult(
      grpc::CallbackServerContext* context,
      const tekton::results::v1alpha2::CreateResultRequest* request,
      tekton::results::v1alpha2::Result* response) override;
  grpc::ServerUnaryReactor* UpdateResult(
      grpc::CallbackServerContext* context,
      const tekton::results::v1alpha2::UpdateResultRequest* request,
      tekton::results::v1alpha2::Result* response) override;
  grpc::ServerUnaryReactor* GetResult(grpc::CallbackServerContext* context,
                                      const tekton::results::v1alpha2::GetResultRequest* request,
                                      tekton::results::v1alpha2::Result* response) override;
  grpc::ServerUnaryReactor* DeleteResult(
      grpc::CallbackServerContext* context,
      const tekton::results::v1alpha2::DeleteResultRequest* request,
      google::protobuf::Empty* response) override;
  grpc::ServerUnaryReactor* ListResults(
      grpc::CallbackServerContext* context,
      const tekton::results::v1alpha2::ListResultsRequest* request,
      tekton::results::v1alpha2::ListResultsResponse* response) override;
  grpc::ServerUnaryReactor* CreateRecord(
      grpc::CallbackServerContext* context,
      const tekton::results::v1alpha2::CreateRecordRequest* request,
      tekton::results::v1alpha2::Record* response) override;
  grpc::ServerUnaryReactor* UpdateRecord(
      grpc::CallbackServerContext* context,
      const tekton::results::v1alpha2::UpdateRecordRequest* request,
      tekton::results::v1alpha2::Record* response) override;
  grpc::ServerUnaryReactor* GetRecord(grpc::CallbackServerContext* context,
                                      const tekton::results::v1alpha2::GetRecordRequest* request,
                                      tekton::results::v1alpha2::Record* response) override;
  grpc::ServerUnaryReactor* ListRecords(
      grpc::CallbackServerContext* context,
      const tekton::results::v1alpha2::ListRecordsRequest* request,
      tekton::results::v1alpha2::ListRecordsResponse* response) override;
  grpc::ServerUnaryReactor* GetRecordListSummary(
      grpc::CallbackServerContext* context,
      const tekton::results::v1alpha2::RecordListSummaryRequest* request,
      tekton::results::v1alpha2::RecordListSummary* response) override;
  grpc::ServerUnaryReactor* DeleteRecord(
      grpc::CallbackServerContext* context,
      const tekton::results::v1alpha2::DeleteRecordRequest* request,
      google::protobuf::Empty* response) override;

 private:
  Ingestor* const ingestor_;
  const CoreReader* const reader_;
  const Lister lister_;
  const Summarizer summarizer_;
  // A summary's rows (google.protobuf.Struct) are built on its call's arena.
  ArenaMessageAllocator<tekton::results::v1alpha2::RecordListSummaryRequest,
                        tekton::results::v1alpha2::RecordListSummary>
      summary_allocator_;
};

}  // namespace runledger

#endif  // RUNLEDGER_QUERY_RESULTS_SERVICE_H_
