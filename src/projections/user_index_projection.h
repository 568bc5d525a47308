// UserIndexProjection: an index a user defined (runledger.v1.IndexDefinition) over one value of
// each record — `data_type` or a JSON Pointer into its data — with postings ordered by value, so
// that equality, `in`, prefix and range conjuncts on that value read one key range each.
//
// Keys (in the index generation's column family; <uid> is SortSuffix(kUid, 0, uid)):
//   'N' <record name>              -> runledger.v1.UserIndexEntry (uid, create_nanos, parent and
//                                     the encoded values below: what to remove when the record
//                                     changes or goes away)
//   'V' <encoded value> <uid>      -> 8 ordered bytes of create_time (AppendOrderedNanos) and the
//                                     record's parent
// Encoded values, each starting with a type tag so that one type's postings are contiguous and
// in value order:
//   's' <string> '\0'  a string without '\0' (one with '\0' is not indexed); the terminator
//                      sorts every string before its extensions, so bytes order = string order
//   'n' <8 bytes>      a JSON number as an ordered double (OrderedDouble); -0 is stored as 0
//   't' <8 bytes>      a string that is an RFC 3339 time, also, as AppendOrderedNanos
// A value that is absent, null, a bool, an object or an array has no posting: a filter on it is
// answered without the index.
#ifndef RUNLEDGER_PROJECTIONS_USER_INDEX_PROJECTION_H_
#define RUNLEDGER_PROJECTIONS_USER_INDEX_PROJECTION_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "runledger/v1/admin.pb.h"
#include "runledger/v1/stored.pb.h"
#include "src/projections/entity_index.h"
#include "src/projections/projection.h"

namespace runledger {

class UserIndexProjection : public Projection {
 public:
  static constexpr char kPostingTag = 'V';
  static constexpr char kStringTag = 's';
  static constexpr char kNumberTag = 'n';
  static constexpr char kTimeTag = 't';
  // The `field` of a definition that indexes the record's data type.
  static constexpr absl::string_view kDataTypeField = "data_type";

  explicit UserIndexProjection(v1::IndexDefinition definition)
      : definition_(std::move(definition)) {}

  absl::string_view name() const override { return definition_.name(); }
  int version() const override { return 1; }
  absl::Status Apply(const v1::Event& event, FoldState& state) override;

  static EntityKeys KeysOf(absl::string_view name, const v1::UserIndexEntry& entity);

  // Encoded values (without the 'V' tag).
  static std::string EncodeString(absl::string_view value);  // 's' value '\0'
  static std::string EncodeNumber(double value);
  static std::string EncodeTime(int64_t nanos);

  // The value encoding's sort bytes for a double: byte order equals numeric order.
  static std::string OrderedDouble(double value);

  // The uid at the end of a posting key.
  static std::string UidOfPosting(absl::string_view key);

  // The `field` for a path (steps below `data`, or the variable `data_type` with no steps) and
  // back: a JSON Pointer with '~' and '/' escaped, or kDataTypeField.
  static std::string FieldOf(absl::string_view variable, const std::vector<std::string>& steps);
  // The variable and steps `field` reads.
  static void PathOf(absl::string_view field, std::string* variable,
                     std::vector<std::string>* steps);

 private:
  std::vector<std::string> ValuesOf(const tekton::results::v1alpha2::Record& record) const;

  const v1::IndexDefinition definition_;
};

}  // namespace runledger

#endif  // RUNLEDGER_PROJECTIONS_USER_INDEX_PROJECTION_H_
