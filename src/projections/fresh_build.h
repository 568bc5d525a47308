// FreshBuild: what a fold into a family that started empty (a projection rebuilt from the start
// of the log, in this process) knows that a fold resuming from a checkpoint does not.
//
// 1. The keys it has read. Every projection reads a key it reads back (an entity's stored state,
//    a record's summary contribution) before it first writes it, so a key the build has never
//    read was never written: its first read needs no lookup. FirstRead remembers a 64-bit hash
//    per key; a collision only costs a lookup.
// 2. Its family needs no compaction until the build is done: auto-compaction is off from Start
//    to Finish (the files a build ingests would otherwise be merged again and again into the
//    growing bottom level); Finish compacts the family once, then turns it back on. A crash in
//    between loses nothing: the family's options come from code again at the next open.
#ifndef RUNLEDGER_PROJECTIONS_FRESH_BUILD_H_
#define RUNLEDGER_PROJECTIONS_FRESH_BUILD_H_

#include <cstdint>
#include <memory>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "rocksdb/db.h"

namespace runledger {

class FreshBuild {
 public:
  // Starts the build of `family`, which must be empty.
  static absl::StatusOr<std::unique_ptr<FreshBuild>> Start(rocksdb::DB* db,
                                                           rocksdb::ColumnFamilyHandle* family);

  // True the first time `key` is read in this build (it then holds no value); false after.
  bool FirstRead(absl::string_view key);

  // Compacts the family once and turns its auto-compaction back on.
  absl::Status Finish(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* family);

 private:
  FreshBuild() = default;
  absl::flat_hash_set<uint64_t> read_;
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_FRESH_BUILD_H_
