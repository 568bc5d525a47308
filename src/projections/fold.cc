#include "src/projections/fold.h"

#include <algorithm>
#include <future>
#include <thread>

#include "absl/strings/str_cat.h"
#include "rocksdb/sst_file_writer.h"
#include "src/log/database.h"

namespace runledger {
namespace {

// A fold whose effects come to at least this many keys writes them as a table file, which the
// family then ingests (IngestExternalFile): rebuilds and long catch-ups skip the memtable
// inserts and the flush. Fewer keys go through the memtable, where a few cost less than a file.
constexpr size_t kIngestMinKeys = 2048;

absl::Status WriteBatched(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
                          const FoldOverlay& overlay) {
  rocksdb::WriteBatch batch;
  for (const auto& [key, value] : overlay) {
    rocksdb::Status s = value ? batch.Put(family, key, *value) : batch.Delete(family, key);
    if (!s.ok()) return FromRocks(s);
  }
  rocksdb::WriteOptions options;
  options.disableWAL = true;
  return FromRocks(db->Write(options, &batch));
}

// Writes `overlay` (sorted, as a table file must be) to a file of the scratch directory and
// ingests it into `family`: one atomic step that is durable once it returns. The file lands in
// level 0 (its checkpoint key overlaps the family's) and compaction merges it down. It is left
// uncompressed: compaction reads it soon and compresses what it writes.
absl::Status WriteIngested(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family,
                           const FoldOverlay& overlay, uint64_t last) {
  const std::string path =
      absl::StrCat(Database::ScratchDir(*db), "/", family->GetID(), "-", last, ".sst");
  rocksdb::Options options = db->GetOptions(family);
  options.compression = rocksdb::kNoCompression;
  rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options, family);
  rocksdb::Status s = writer.Open(path);
  for (auto it = overlay.begin(); s.ok() && it != overlay.end(); ++it) {
    s = it->second ? writer.Put(it->first, *it->second) : writer.Delete(it->first);
  }
  if (s.ok()) s = writer.Finish();
  if (s.ok()) {
    rocksdb::IngestExternalFileOptions ingest;
    ingest.move_files = true;
    ingest.write_global_seqno = false;
    s = db->IngestExternalFile(family, {path}, ingest);
  }
  if (!s.ok()) db->GetEnv()->DeleteFile(path).PermitUncheckedError();
  return FromRocks(s);
}

// Folds the events after the target's checkpoint and writes their effects with the new
// checkpoint, in key order (a memtable takes keys in order far faster than scattered).
absl::Status FoldOne(rocksdb::DB* db, absl::Span<const v1::Event> events, FoldTarget& target) {
  auto first = std::find_if(events.begin(), events.end(),
                            [&](const v1::Event& e) { return e.sequence() > target.checkpoint; });
  if (first == events.end()) return absl::OkStatus();
  FoldOverlay overlay;
  FoldState state(db, target.family, &overlay, target.fresh);
  for (auto e = first; e != events.end(); ++e) {
    absl::Status s = target.projection->Apply(*e, state);
    if (!s.ok()) {
      return absl::Status(s.code(), absl::StrCat("projection ", target.projection->name(),
                                                 " at event ", e->sequence(), ": ", s.message()));
    }
  }
  if (absl::Status s = target.projection->FinishBatch(state); !s.ok()) return s;
  const uint64_t last = events.back().sequence();
  for (CheckpointEntry& entry : CheckpointEntries(*target.projection, last)) {
    overlay.insert_or_assign(std::string(ToView(entry.key)), std::move(entry.value));
  }
  absl::Status s = overlay.size() >= kIngestMinKeys
                       ? WriteIngested(db, target.family, overlay, last)
                       : WriteBatched(db, target.family, overlay);
  if (!s.ok()) return s;
  target.checkpoint = last;
  target.projection->Committed();
  return absl::OkStatus();
}

}  // namespace

absl::Status FoldChunk(rocksdb::DB* db, absl::Span<const v1::Event> events,
                       absl::Span<FoldTarget> targets) {
  if (events.empty() || targets.empty()) return absl::OkStatus();
  std::vector<absl::Status> outcomes(targets.size());
  std::vector<std::thread> threads;
  for (size_t i = 1; i < targets.size(); ++i) {
    threads.emplace_back([&, i] { outcomes[i] = FoldOne(db, events, targets[i]); });
  }
  outcomes[0] = FoldOne(db, events, targets[0]);
  for (std::thread& t : threads) t.join();
  absl::Status first_error;
  for (size_t i = 0; i < targets.size(); ++i) {
    if (outcomes[i].ok()) continue;
    targets[i].projection->Load(db, targets[i].family).IgnoreError();
    if (first_error.ok()) first_error = outcomes[i];
  }
  return first_error;
}

absl::Status CatchUpTargets(rocksdb::DB* db, const EventLog& log, uint64_t head,
                            absl::Span<FoldTarget> targets, const CatchUpOptions& options) {
  if (targets.empty()) return absl::OkStatus();
  uint64_t start = head;
  for (const FoldTarget& t : targets) start = std::min(start, t.checkpoint);
  auto read = [&](uint64_t from) {
    return log.Read(from, std::min<uint64_t>(options.chunk_events, head - from + 1));
  };
  // The next chunk is read and decoded while the current one folds.
  std::future<absl::StatusOr<std::vector<v1::Event>>> next_chunk;
  if (start < head && options.max_chunks > 0) {
    next_chunk = std::async(std::launch::async, read, start + 1);
  }
  for (size_t chunks = 0; next_chunk.valid(); ++chunks) {
    absl::StatusOr<std::vector<v1::Event>> events = next_chunk.get();
    if (!events.ok()) return events.status();
    if (events->empty()) return absl::DataLossError(absl::StrCat("log ends before ", head));
    const uint64_t next = events->back().sequence() + 1;
    if (next <= head && chunks + 1 < options.max_chunks) {
      next_chunk = std::async(std::launch::async, read, next);
    }
    absl::Status s = FoldChunk(db, *events, targets);
    if (!s.ok()) return s;
    if (options.progress) options.progress(next - 1 - start, head - start);
    if (options.stop != nullptr && options.stop->load()) {
      return absl::CancelledError("catch-up stopped");
    }
  }
  return absl::OkStatus();
}

absl::Status FlushFamilies(rocksdb::DB* db,
                           const std::vector<rocksdb::ColumnFamilyHandle*>& families) {
  if (families.empty()) return absl::OkStatus();
  rocksdb::FlushOptions options;
  options.wait = true;
  return FromRocks(db->Flush(options, families));
}

}  // namespace runledger
