// Value: a Cedar value — Bool, Long (int64; arithmetic overflow is an evaluation error),
// String, Set, Record or an entity reference. Values are immutable and cheap to copy (the
// heap-held kinds are shared), because the evaluator passes them around on the hot path.
//
// Equality follows Cedar: values of different kinds are unequal (never an error), sets compare
// as unordered collections without duplicates, records by their keys and values. Sets are
// kept sorted by a total order over values (Compare) with duplicates removed, so membership is
// a binary search.
//
// JSON conversion uses Cedar's JSON value format: entity references as
// {"__entity":{"type":"T","id":"i"}}, records as objects, sets as arrays, integers, strings and
// booleans. Extension values ({"__extn":...}) and the legacy {"__expr":...} are rejected.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "nlohmann/json_fwd.hpp"
#include "policy/entity_uid.h"

namespace domicile::policy {

class Value {
 public:
  enum class Kind : uint8_t { kBool, kLong, kString, kSet, kRecord, kEntity };
  using SetElements = std::vector<Value>;  // sorted by Compare, no duplicates
  using RecordFields = std::map<std::string, Value>;

  Value() : rep_(false) {}  // Bool(false)

  static Value Bool(bool b);
  static Value Long(int64_t i);
  static Value String(std::string s);
  static Value Set(std::vector<Value> elements);  // sorts and removes duplicates
  static Value Record(RecordFields fields);
  static Value Entity(EntityUid uid);

  Kind kind() const { return static_cast<Kind>(rep_.index()); }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_long() const { return kind() == Kind::kLong; }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_set() const { return kind() == Kind::kSet; }
  bool is_record() const { return kind() == Kind::kRecord; }
  bool is_entity() const { return kind() == Kind::kEntity; }

  // REQUIRES: the value is of the accessor's kind.
  bool bool_value() const { return std::get<bool>(rep_); }
  int64_t long_value() const { return std::get<int64_t>(rep_); }
  const std::string& string_value() const { return *std::get<StringPtr>(rep_); }
  const SetElements& set_elements() const { return *std::get<SetPtr>(rep_); }
  const RecordFields& record_fields() const { return *std::get<RecordPtr>(rep_); }
  const EntityUid& entity_uid() const { return *std::get<EntityPtr>(rep_); }

  // True if this set holds `v`. REQUIRES: is_set().
  bool SetContains(const Value& v) const;

  // The Cedar text of the value (a literal that parses back to it).
  std::string ToString() const;

  friend bool operator==(const Value& a, const Value& b) { return Compare(a, b) == 0; }
  friend bool operator!=(const Value& a, const Value& b) { return Compare(a, b) != 0; }

  // A total order: by kind, then by contents. Used to canonicalise sets.
  static int Compare(const Value& a, const Value& b);

 private:
  using StringPtr = std::shared_ptr<const std::string>;
  using SetPtr = std::shared_ptr<const SetElements>;
  using RecordPtr = std::shared_ptr<const RecordFields>;
  using EntityPtr = std::shared_ptr<const EntityUid>;
  // The order of the alternatives is the order of Kind.
  using Rep = std::variant<bool, int64_t, StringPtr, SetPtr, RecordPtr, EntityPtr>;

  explicit Value(Rep rep) : rep_(std::move(rep)) {}

  Rep rep_;
};

std::string_view KindName(Value::Kind kind);

absl::StatusOr<Value> ValueFromJson(const nlohmann::json& json);
nlohmann::json ValueToJson(const Value& value);

// An entity uid in Cedar's JSON form: {"type":"T","id":"i"}, or the same wrapped in
// {"__entity": ...}.
absl::StatusOr<EntityUid> EntityUidFromJson(const nlohmann::json& json);

}  // namespace domicile::policy
