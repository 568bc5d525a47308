// The index worker's fold window (index_set.h), over a real Store: with nobody waiting, new events
// are folded once the window has passed; a reader that waits for an index ends the window at once,
// however long it is, and so does closing the store.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "src/ingest/ingestor.h"
#include "src/projections/filter_index_projection.h"
#include "src/projections/store.h"
#include "tests/test_util.h"

namespace runledger {
namespace {

namespace rpc = ::tekton::results::v1alpha2;

class FoldWindowTest : public ::testing::Test {
 protected:
  void Open(absl::Duration fold_window) {
    IndexSet::Options options;
    options.fold_window = fold_window;
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path(), nullptr, options);
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ingestor_ = std::make_unique<Ingestor>(&store_->log(), &store_->reader());
    // The indexes are built over the empty log before the test writes.
    ASSERT_TRUE(store_->AwaitIndexes(0, absl::Seconds(30)));
  }

  // Creates a new Result and returns the log head after it.
  uint64_t Write() {
    rpc::CreateResultRequest request;
    request.set_parent("p");
    *request.mutable_result() = e2e::MakeResult(absl::StrCat("p/results/r", ++results_));
    EXPECT_TRUE(ingestor_->CreateResult(request, "test").ok());
    return store_->log().LastSequence();
  }

  // The filter index's checkpoint as the admin status reports it (reading it waits for nothing).
  uint64_t FilterIndexCheckpoint() const {
    for (const v1::ProjectionStatus& status : store_->ProjectionStatuses()) {
      if (status.name() == FilterIndexProjection::kName) return status.checkpoint();
    }
    return 0;
  }

  e2e::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Ingestor> ingestor_;
  int results_ = 0;
};

TEST_F(FoldWindowTest, WithoutReadersEventsAreFoldedAfterTheWindow) {
  Open(absl::Milliseconds(20));
  const uint64_t head = Write();
  const absl::Time deadline = absl::Now() + absl::Seconds(30);
  while (FilterIndexCheckpoint() < head && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(FilterIndexCheckpoint(), head);
}

TEST_F(FoldWindowTest, AReaderWaitingForAnIndexEndsTheWindow) {
  Open(absl::Hours(1));
  const uint64_t head = Write();
  EXPECT_NE(store_->ReadyIndex(FilterIndexProjection::kName, head, absl::Seconds(30)), nullptr);
  const uint64_t next = Write();
  EXPECT_TRUE(store_->AwaitIndexes(next, absl::Seconds(30)));
}

TEST_F(FoldWindowTest, ClosingTheStoreEndsTheWindow) {
  Open(absl::Hours(1));
  Write();
  const absl::Time start = absl::Now();
  ingestor_.reset();
  store_.reset();
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
}

}  // namespace
}  // namespace runledger
