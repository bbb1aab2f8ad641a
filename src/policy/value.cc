#include "policy/value.h"

#include <algorithm>

#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "util/status_macros.h"

namespace domicile::policy {

Value Value::Bool(bool b) { return Value(Rep(b)); }
Value Value::Long(int64_t i) { return Value(Rep(i)); }
Value Value::String(std::string s) {
  return Value(Rep(std::make_shared<const std::string>(std::move(s))));
}
Value Value::Set(std::vector<Value> elements) {
  std::sort(elements.begin(), elements.end(),
            [](const Value& a, const Value& b) { return Compare(a, b) < 0; });
  elements.erase(std::unique(elements.begin(), elements.end()), elements.end());
  return Value(Rep(std::make_shared<const SetElements>(std::move(elements))));
}
Value Value::Record(RecordFields fields) {
  return Value(Rep(std::make_shared<const RecordFields>(std::move(fields))));
}
Value Value::Entity(EntityUid uid) {
  return Value(Rep(std::make_shared<const EntityUid>(std::move(uid))));
}

bool Value::SetContains(const Value& v) const {
  const SetElements& s = set_elements();
  auto it = std::lower_bound(s.begin(), s.end(), v,
                             [](const Value& a, const Value& b) { return Compare(a, b) < 0; });
  return it != s.end() && Compare(*it, v) == 0;
}

int Value::Compare(const Value& a, const Value& b) {
  if (a.rep_.index() != b.rep_.index()) return a.rep_.index() < b.rep_.index() ? -1 : 1;
  switch (a.kind()) {
    case Kind::kBool:
      return static_cast<int>(a.bool_value()) - static_cast<int>(b.bool_value());
    case Kind::kLong:
      return a.long_value() < b.long_value() ? -1 : (a.long_value() > b.long_value() ? 1 : 0);
    case Kind::kString: {
      int c = a.string_value().compare(b.string_value());
      return c < 0 ? -1 : (c > 0 ? 1 : 0);
    }
    case Kind::kSet: {
      const SetElements& x = a.set_elements();
      const SetElements& y = b.set_elements();
      if (&x == &y) return 0;
      for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
        if (int c = Compare(x[i], y[i]); c != 0) return c;
      }
      return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
    }
    case Kind::kRecord: {
      const RecordFields& x = a.record_fields();
      const RecordFields& y = b.record_fields();
      if (&x == &y) return 0;
      auto i = x.begin();
      auto j = y.begin();
      for (; i != x.end() && j != y.end(); ++i, ++j) {
        if (int c = i->first.compare(j->first); c != 0) return c < 0 ? -1 : 1;
        if (int c = Compare(i->second, j->second); c != 0) return c;
      }
      return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
    }
    case Kind::kEntity: {
      const EntityUid& x = a.entity_uid();
      const EntityUid& y = b.entity_uid();
      if (x == y) return 0;
      return x < y ? -1 : 1;
    }
  }
  return 0;
}

std::string Value::ToString() const {
  switch (kind()) {
    case Kind::kBool:
      return bool_value() ? "true" : "false";
    case Kind::kLong:
      return fmt::format("{}", long_value());
    case Kind::kString:
      return fmt::format("\"{}\"", EscapeCedarString(string_value()));
    case Kind::kSet: {
      std::string out = "[";
      for (const Value& v : set_elements()) {
        if (out.size() > 1) out += ", ";
        out += v.ToString();
      }
      return out + "]";
    }
    case Kind::kRecord: {
      std::string out = "{";
      for (const auto& [k, v] : record_fields()) {
        if (out.size() > 1) out += ", ";
        out += fmt::format("\"{}\": {}", EscapeCedarString(k), v.ToString());
      }
      return out + "}";
    }
    case Kind::kEntity:
      return entity_uid().ToString();
  }
  return "";
}

std::string_view KindName(Value::Kind kind) {
  switch (kind) {
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kLong:
      return "long";
    case Value::Kind::kString:
      return "string";
    case Value::Kind::kSet:
      return "set";
    case Value::Kind::kRecord:
      return "record";
    case Value::Kind::kEntity:
      return "entity";
  }
  return "?";
}

absl::StatusOr<EntityUid> EntityUidFromJson(const nlohmann::json& json) {
  const nlohmann::json* j = &json;
  if (j->is_object() && j->contains("__entity")) {
    if (j->size() != 1) {
      return absl::InvalidArgumentError("an `__entity` object must have no other fields");
    }
    j = &(*j)["__entity"];
  }
  if (!j->is_object() || !j->contains("type") || !j->contains("id") || j->size() != 2) {
    return absl::InvalidArgumentError(
        fmt::format("expected an entity uid {{\"type\": ..., \"id\": ...}}, got {}", j->dump()));
  }
  const nlohmann::json& type = (*j)["type"];
  const nlohmann::json& id = (*j)["id"];
  if (!type.is_string() || !id.is_string()) {
    return absl::InvalidArgumentError(
        fmt::format("an entity uid's type and id must be strings, got {}", j->dump()));
  }
  std::string type_name = type.get<std::string>();
  if (!IsValidTypeName(type_name)) {
    return absl::InvalidArgumentError(fmt::format("invalid entity type name `{}`", type_name));
  }
  return EntityUid{std::move(type_name), id.get<std::string>()};
}

absl::StatusOr<Value> ValueFromJson(const nlohmann::json& json) {
  switch (json.type()) {
    case nlohmann::json::value_t::boolean:
      return Value::Bool(json.get<bool>());
    case nlohmann::json::value_t::number_integer:
      return Value::Long(json.get<int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      uint64_t u = json.get<uint64_t>();
      if (u > static_cast<uint64_t>(INT64_MAX)) {
        return absl::InvalidArgumentError(fmt::format("integer {} does not fit in a long", u));
      }
      return Value::Long(static_cast<int64_t>(u));
    }
    case nlohmann::json::value_t::number_float:
      return absl::InvalidArgumentError(
          fmt::format("{} is not an integer: Cedar has no floating-point numbers", json.dump()));
    case nlohmann::json::value_t::string:
      return Value::String(json.get<std::string>());
    case nlohmann::json::value_t::array: {
      std::vector<Value> elements;
      elements.reserve(json.size());
      for (const nlohmann::json& e : json) {
        ASSIGN_OR_RETURN(Value v, ValueFromJson(e));
        elements.push_back(std::move(v));
      }
      return Value::Set(std::move(elements));
    }
    case nlohmann::json::value_t::object: {
      if (json.contains("__entity")) {
        ASSIGN_OR_RETURN(EntityUid uid, EntityUidFromJson(json));
        return Value::Entity(std::move(uid));
      }
      if (json.contains("__extn")) {
        return absl::InvalidArgumentError(
            "extension values (`__extn`: ip, decimal, datetime, duration) are not supported");
      }
      if (json.contains("__expr")) {
        return absl::InvalidArgumentError("the legacy `__expr` escape is not supported");
      }
      Value::RecordFields fields;
      for (const auto& [k, v] : json.items()) {
        ASSIGN_OR_RETURN(Value value, ValueFromJson(v));
        fields.emplace(k, std::move(value));
      }
      return Value::Record(std::move(fields));
    }
    default:
      return absl::InvalidArgumentError(
          fmt::format("{} is not a Cedar value", json.is_null() ? "null" : json.dump()));
  }
}

nlohmann::json ValueToJson(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kBool:
      return value.bool_value();
    case Value::Kind::kLong:
      return value.long_value();
    case Value::Kind::kString:
      return value.string_value();
    case Value::Kind::kSet: {
      nlohmann::json out = nlohmann::json::array();
      for (const Value& v : value.set_elements()) out.push_back(ValueToJson(v));
      return out;
    }
    case Value::Kind::kRecord: {
      nlohmann::json out = nlohmann::json::object();
      for (const auto& [k, v] : value.record_fields()) out[k] = ValueToJson(v);
      return out;
    }
    case Value::Kind::kEntity:
      return {{"__entity", {{"type", value.entity_uid().type}, {"id", value.entity_uid().id}}}};
  }
  return nullptr;
}

}  // namespace domicile::policy
