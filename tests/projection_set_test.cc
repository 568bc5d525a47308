// Unit tests of projection checkpoints, catch-up, reset and version-triggered rebuild
// (src/projections/projection_set.h), and of replay equality through Store::DumpProjections.
#include "src/projections/projection_set.h"

#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/ingest/ingestor.h"
#include "src/projections/records_projection.h"
#include "src/projections/results_projection.h"
#include "src/projections/store.h"
#include "tests/test_util.h"

namespace runledger {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

namespace rpc = ::tekton::results::v1alpha2;

// A projection that stores, per event, `e<sequence>` -> the event's name, and a running count of
// applied events under `count` (read back from its own state, so a double apply or a missed
// reset shows). It can be told to fail at one sequence.
class CountingProjection : public Projection {
 public:
  CountingProjection(std::string name, int version) : name_(std::move(name)), version_(version) {}

  absl::string_view name() const override { return name_; }
  int version() const override { return version_; }
  absl::Status Apply(const v1::Event& event, FoldState& state) override {
    if (event.sequence() == fail_at_) return absl::InternalError("boom");
    ++applied_;
    absl::StatusOr<std::optional<std::string>> count = state.Get("count");
    if (!count.ok()) return count.status();
    int n = 0;
    if (count->has_value() && !absl::SimpleAtoi(**count, &n)) return absl::DataLossError("count");
    absl::Status s = state.Put("count", absl::StrCat(n + 1));
    if (!s.ok()) return s;
    return state.Put(absl::StrCat("e", event.sequence()), event.name());
  }

  int applied() const { return applied_; }
  void fail_at(uint64_t sequence) { fail_at_ = sequence; }

 private:
  std::string name_;
  int version_;
  int applied_ = 0;
  uint64_t fail_at_ = 0;
};

// A database, a log without a folder (so tests append "behind the projections' back") and a
// projection set of CountingProjections that can be rebuilt with other versions.
class ProjectionSetTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenSet({{"a", 1}, {"b", 1}}); }

  // Opens the database (again) with a fresh set of projections named and versioned as given.
  void OpenSet(const std::vector<std::pair<std::string, int>>& specs) {
    set_.reset();
    log_.reset();
    database_.reset();
    std::vector<std::unique_ptr<Projection>> projections;
    counting_.clear();
    for (const auto& [name, version] : specs) {
      auto p = std::make_unique<CountingProjection>(name, version);
      counting_.push_back(p.get());
      projections.push_back(std::move(p));
    }
    set_ = std::make_unique<ProjectionSet>(std::move(projections));
    absl::StatusOr<std::unique_ptr<Database>> database =
        Database::Open(dir_.path(), set_->Families());
    ASSERT_TRUE(database.ok()) << database.status();
    database_ = std::move(*database);
    set_->Attach(database_.get());
    log_ = std::make_unique<EventLog>(database_.get(), nullptr);
    ASSERT_TRUE(log_->Open().ok());
  }

  // Appends `n` events directly to the log (no folding).
  void AppendUnfolded(int n) {
    std::vector<v1::Event> events(n);
    for (int i = 0; i < n; ++i) {
      events[i].set_kind(v1::RESULT_UPDATED);
      events[i].set_name(absl::StrCat("x/results/r", i));
    }
    ASSERT_TRUE(log_->Append(&events).ok());
  }

  void CatchUp() {
    absl::Status s = set_->CatchUp(*log_);
    ASSERT_TRUE(s.ok()) << s;
  }

  uint64_t CheckpointOf(int i) {
    absl::StatusOr<uint64_t> c = set_->Checkpoint(*counting_[i]);
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *c : ~uint64_t{0};
  }

  std::optional<std::string> Read(absl::string_view family, absl::string_view key) {
    std::string value;
    rocksdb::Status s = database_->db()->Get(rocksdb::ReadOptions(), database_->family(family),
                                             ToSlice(key), &value);
    if (!s.ok()) return std::nullopt;
    return value;
  }

  e2e::TempDir dir_;
  std::unique_ptr<ProjectionSet> set_;
  std::vector<CountingProjection*> counting_;
  std::unique_ptr<Database> database_;
  std::unique_ptr<EventLog> log_;
};

TEST_F(ProjectionSetTest, FamiliesAreTheProjectionNames) {
  EXPECT_THAT(set_->Families(), ElementsAre("a", "b"));
}

TEST_F(ProjectionSetTest, FoldAppliesEveryEventAndWritesCheckpointAndVersion) {
  EventLog folding_log(database_.get(), set_.get());
  ASSERT_TRUE(folding_log.Open().ok());
  std::vector<v1::Event> events(3);
  for (v1::Event& e : events) e.set_name("n");
  ASSERT_TRUE(folding_log.Append(&events).ok());
  events.resize(2);
  ASSERT_TRUE(folding_log.Append(&events).ok());

  EXPECT_EQ(counting_[0]->applied(), 5);
  EXPECT_EQ(CheckpointOf(0), 5u);
  EXPECT_EQ(CheckpointOf(1), 5u);
  EXPECT_EQ(Read("a", "count"), "5");
  // Checkpoint and version live in the projection's own family (projection.h).
  EXPECT_EQ(Read("a", std::string("\0version", 8)), "1");
  EXPECT_EQ(Read("a", std::string("\0checkpoint", 11)), EventLog::LogKey(5));
}

TEST_F(ProjectionSetTest, FoldErrorNamesProjectionAndEventAndWritesNothing) {
  EventLog folding_log(database_.get(), set_.get());
  ASSERT_TRUE(folding_log.Open().ok());
  counting_[1]->fail_at(2);
  std::vector<v1::Event> events(3);
  absl::Status s = folding_log.Append(&events);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("projection b at event 2: boom"));
  EXPECT_EQ(folding_log.LastSequence(), 0u);
  EXPECT_EQ(CheckpointOf(0), 0u);
  EXPECT_EQ(Read("a", "count"), std::nullopt);
}

TEST_F(ProjectionSetTest, CatchUpFoldsOnlyEventsAfterTheCheckpoint) {
  AppendUnfolded(7);
  CatchUp();
  EXPECT_EQ(counting_[0]->applied(), 7);
  EXPECT_EQ(CheckpointOf(0), 7u);
  AppendUnfolded(3);
  CatchUp();
  EXPECT_EQ(counting_[0]->applied(), 10);
  EXPECT_EQ(CheckpointOf(0), 10u);
  EXPECT_EQ(CheckpointOf(1), 10u);
  EXPECT_EQ(Read("a", "count"), "10");
  EXPECT_EQ(Read("b", "e10"), "x/results/r2");
}

TEST_F(ProjectionSetTest, CatchUpAtTheHeadDoesNothing) {
  AppendUnfolded(2);
  CatchUp();
  CatchUp();
  EXPECT_EQ(counting_[0]->applied(), 2);
  EXPECT_EQ(Read("a", "count"), "2");
}

TEST_F(ProjectionSetTest, CatchUpWorksInChunksAndReportsProgress) {
  AppendUnfolded(5000);  // more than one catch-up chunk
  std::vector<std::pair<uint64_t, uint64_t>> reports;
  ASSERT_TRUE(set_->CatchUp(*log_, [&](uint64_t done,
                                       uint64_t total) { reports.emplace_back(done, total); })
                  .ok());
  EXPECT_THAT(reports, ElementsAre(Pair(4096, 5000), Pair(5000, 5000)));
  EXPECT_EQ(CheckpointOf(0), 5000u);
  EXPECT_EQ(Read("a", "count"), "5000");
}

TEST_F(ProjectionSetTest, ResetOfOneProjectionRebuildsOnlyIt) {
  AppendUnfolded(4);
  CatchUp();
  ASSERT_TRUE(set_->Reset({"a"}).ok());
  EXPECT_EQ(CheckpointOf(0), 0u);
  EXPECT_EQ(Read("a", "count"), std::nullopt);
  EXPECT_EQ(CheckpointOf(1), 4u);
  CatchUp();
  EXPECT_EQ(counting_[0]->applied(), 8);
  EXPECT_EQ(counting_[1]->applied(), 4);
  EXPECT_EQ(Read("a", "count"), "4");
  EXPECT_EQ(Read("b", "count"), "4");
}

TEST_F(ProjectionSetTest, ProjectionsCatchUpFromTheirOwnCheckpoints) {
  AppendUnfolded(3);
  CatchUp();
  ASSERT_TRUE(set_->Reset({"b"}).ok());
  AppendUnfolded(2);
  CatchUp();
  EXPECT_EQ(counting_[0]->applied(), 5);
  EXPECT_EQ(counting_[1]->applied(), 3 + 5);
  EXPECT_EQ(Read("a", "count"), "5");
  EXPECT_EQ(Read("b", "count"), "5");
}

TEST_F(ProjectionSetTest, VersionChangeResetsAndRebuildsFromTheLog) {
  AppendUnfolded(5);
  CatchUp();
  ASSERT_TRUE(
      database_->db()->Put(rocksdb::WriteOptions(), database_->family("a"), "stale", "x").ok());
  OpenSet({{"a", 2}, {"b", 1}});
  CatchUp();
  EXPECT_EQ(counting_[0]->applied(), 5);  // rebuilt from the start
  EXPECT_EQ(counting_[1]->applied(), 0);  // unchanged version: nothing to do
  EXPECT_EQ(Read("a", "stale"), std::nullopt);
  EXPECT_EQ(Read("a", "count"), "5");
  EXPECT_EQ(Read("a", std::string("\0version", 8)), "2");
}

TEST_F(ProjectionSetTest, SameVersionKeepsState) {
  AppendUnfolded(5);
  CatchUp();
  ASSERT_TRUE(
      database_->db()->Put(rocksdb::WriteOptions(), database_->family("a"), "kept", "x").ok());
  OpenSet({{"a", 1}, {"b", 1}});
  CatchUp();
  EXPECT_EQ(counting_[0]->applied(), 0);
  EXPECT_EQ(Read("a", "kept"), "x");
}

TEST_F(ProjectionSetTest, CatchUpErrorLeavesCheckpointBeforeTheFailedChunk) {
  AppendUnfolded(3);
  counting_[0]->fail_at(2);
  absl::Status s = set_->CatchUp(*log_);
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_THAT(s.message(), HasSubstr("projection a at event 2"));
  EXPECT_EQ(CheckpointOf(0), 0u);
  EXPECT_EQ(Read("a", "count"), std::nullopt);
}

// --- The core projections through Store, with events made by the Ingestor. ---

class StoreReplayTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }

  void Reopen() {
    ingestor_.reset();
    store_.reset();
    absl::StatusOr<std::unique_ptr<Store>> store = Store::Open(dir_.path());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    ingestor_ = std::make_unique<Ingestor>(&store_->log(), &store_->reader());
  }

  std::string Dump() {
    std::ostringstream out;
    absl::Status s = store_->DumpProjections(out);
    EXPECT_TRUE(s.ok()) << s;
    return out.str();
  }

  template <typename T>
  T Must(absl::StatusOr<T> value) {
    EXPECT_TRUE(value.ok()) << value.status();
    return value.ok() ? *std::move(value) : T();
  }

  // Creates, updates and deletes Results and Records: every event kind, with summaries, data
  // changes, and a cascading delete. `results` Results per parent, 8 events each.
  void RunWorkload(int results = 3) {
    for (const std::string parent : {"p", "q"}) {
      for (int r = 0; r < results; ++r) {
        const std::string result = absl::StrCat(parent, "/results/r", r);
        rpc::CreateResultRequest create;
        create.set_parent(parent);
        *create.mutable_result() = e2e::MakeResult(result, {{"k", absl::StrCat(r)}});
        rpc::Result created = Must(ingestor_->CreateResult(create, "test"));
        for (int i = 0; i < 4; ++i) {
          rpc::CreateRecordRequest rec;
          rec.set_parent(result);
          *rec.mutable_record() = e2e::MakeRecord(absl::StrCat(result, "/records/x", i), "T",
                                                  absl::StrCat(R"({"i":)", i, "}"));
          Must(ingestor_->CreateRecord(rec, "test"));
        }
        rpc::Result body;
        rpc::RecordSummary* summary = body.mutable_summary();
        summary->set_record(absl::StrCat(result, "/records/x0"));
        summary->set_type("T");
        summary->mutable_start_time()->set_seconds(1000 + r);
        Must(ingestor_->UpdateResult(e2e::UpdateResultReq(result, body, created.etag()), "test"));
        Must(ingestor_->UpdateRecord(
            e2e::UpdateRecordReq(e2e::MakeRecord(absl::StrCat(result, "/records/x1"), "", "[1]")),
            "test"));
        rpc::DeleteRecordRequest del;
        del.set_name(absl::StrCat(result, "/records/x2"));
        ASSERT_TRUE(ingestor_->DeleteRecord(del, "test").ok());
      }
    }
    rpc::DeleteResultRequest del;
    del.set_name("q/results/r1");
    ASSERT_TRUE(ingestor_->DeleteResult(del, "test").ok());
  }

  e2e::TempDir dir_;
  std::unique_ptr<Store> store_;
  std::unique_ptr<Ingestor> ingestor_;
};

TEST_F(StoreReplayTest, CheckpointsEqualTheLogHead) {
  RunWorkload();
  const uint64_t head = store_->log().LastSequence();
  EXPECT_GT(head, 50u);
  for (const auto& p : store_->projections().projections()) {
    absl::StatusOr<uint64_t> checkpoint = store_->projections().Checkpoint(*p);
    ASSERT_TRUE(checkpoint.ok());
    EXPECT_EQ(*checkpoint, head) << p->name();
  }
}

TEST_F(StoreReplayTest, RebuildOfEveryProjectionReproducesTheDump) {
  RunWorkload();
  const std::string live = Dump();
  ASSERT_THAT(live, HasSubstr("results N"));
  ASSERT_THAT(live, HasSubstr("records N"));
  ASSERT_TRUE(store_->Rebuild({}).ok());
  EXPECT_EQ(Dump(), live);
}

TEST_F(StoreReplayTest, RebuildOfALongLogIngestsTableFilesAndReproducesTheDump) {
  // Enough events that a rebuild's folds write table files (fold.cc) rather than batches.
  RunWorkload(200);
  const std::string live = Dump();
  ASSERT_TRUE(store_->Rebuild({}).ok());
  EXPECT_EQ(Dump(), live);
  std::string files;
  ASSERT_TRUE(store_->database().db()->GetProperty(
      store_->database().family(RecordsProjection::kName), "rocksdb.num-files-at-level0", &files));
  EXPECT_EQ(files, "0") << "the fresh build compacts its family once done";
  Reopen();
  EXPECT_EQ(Dump(), live);
}

TEST_F(StoreReplayTest, RebuildOfOneProjectionReproducesTheDump) {
  RunWorkload();
  const std::string live = Dump();
  ASSERT_TRUE(store_->Rebuild({std::string(RecordsProjection::kName)}).ok());
  EXPECT_EQ(Dump(), live);
}

TEST_F(StoreReplayTest, ReopenReproducesTheDump) {
  RunWorkload();
  const std::string live = Dump();
  Reopen();
  EXPECT_EQ(Dump(), live);
}

TEST_F(StoreReplayTest, ResetThenCatchUpRestoresTheDump) {
  RunWorkload();
  const std::string live = Dump();
  ASSERT_TRUE(store_->projections().Reset({std::string(ResultsProjection::kName)}).ok());
  EXPECT_NE(Dump(), live);
  ASSERT_TRUE(store_->projections().CatchUp(store_->log()).ok());
  EXPECT_EQ(Dump(), live);
}

TEST_F(StoreReplayTest, DeletedVersionKeyRebuildsOnCatchUp) {
  RunWorkload();
  const std::string live = Dump();
  Database& db = store_->database();
  const std::string projection(ResultsProjection::kName);
  ASSERT_TRUE(db.db()->Put(rocksdb::WriteOptions(), db.family(projection), "garbage", "x").ok());
  ASSERT_TRUE(
      db.db()
          ->Delete(rocksdb::WriteOptions(), db.family(projection), rocksdb::Slice("\0version", 8))
          .ok());
  ASSERT_TRUE(store_->projections().CatchUp(store_->log()).ok());
  EXPECT_EQ(Dump(), live);
}

TEST_F(StoreReplayTest, ChangedStoredVersionRebuildsOnOpen) {
  RunWorkload();
  const std::string live = Dump();
  Database& db = store_->database();
  const std::string projection(RecordsProjection::kName);
  ASSERT_TRUE(db.db()->Put(rocksdb::WriteOptions(), db.family(projection), "garbage", "x").ok());
  ASSERT_TRUE(
      db.db()
          ->Put(rocksdb::WriteOptions(), db.family(projection), rocksdb::Slice("\0version", 8), "0")
          .ok());
  Reopen();
  EXPECT_EQ(Dump(), live);
}

TEST_F(StoreReplayTest, DumpLogListsEveryEvent) {
  RunWorkload();
  std::ostringstream out;
  ASSERT_TRUE(store_->DumpLog(out).ok());
  EXPECT_THAT(out.str(), testing::StartsWith("1 RESULT_CREATED p/results/r0\n"
                                             "2 RECORD_CREATED p/results/r0/records/x0\n"));
  // The cascading delete is the tail: the surviving records of q/results/r1, then the result.
  EXPECT_THAT(out.str(), testing::EndsWith(" RESULT_DELETED q/results/r1\n"));
}

}  // namespace
}  // namespace runledger
