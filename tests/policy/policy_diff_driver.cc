// policy_diff_driver: our side of the differential test against Cedar (differential.mjs).
//
// Reads one case per line on stdin, a JSON object
//   {"policies": "<policy text>", "entities": [<Cedar entity JSON>],
//    "principal": {"type","id"}, "action": {...}, "resource": {...}, "context": {...}}
// and writes one JSON line per case, flushed at once so the caller can converse with it:
//   {"decision": "allow"|"deny", "reason": [ids, sorted], "errors": [ids, sorted],
//    "messages": {id: message}}
// or, when our engine refuses the input, {"parse_error": "..."} (policies),
// {"entities_error": "..."} or {"context_error": "..."}. A line that is not a case at all
// yields {"bad_case": "..."}. Exits 0 at the end of input.
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <string_view>

#include "policy/authorizer.h"
#include "policy/entities.h"
#include "policy/entity_uid.h"
#include "policy/parser.h"
#include "policy/value.h"

namespace domicile::policy {
namespace {

using nlohmann::json;

EntityUid UidFromJson(const json& j) {
  return EntityUid{j.at("type").get<std::string>(), j.at("id").get<std::string>()};
}

json Decide(const json& c) {
  absl::StatusOr<PolicySet> policies = ParsePolicies(c.at("policies").get<std::string>());
  if (!policies.ok()) return {{"parse_error", std::string(policies.status().message())}};
  absl::StatusOr<Entities> entities = Entities::FromJson(c.at("entities"));
  if (!entities.ok()) return {{"entities_error", std::string(entities.status().message())}};
  absl::StatusOr<Value> context = ValueFromJson(c.at("context"));
  if (!context.ok()) return {{"context_error", std::string(context.status().message())}};

  Request request{UidFromJson(c.at("principal")), UidFromJson(c.at("action")),
                  UidFromJson(c.at("resource")), *std::move(context)};
  Response response = IsAuthorized(*policies, *entities, request);

  std::set<std::string> reason(response.determining.begin(), response.determining.end());
  std::set<std::string> errors;
  std::map<std::string, std::string> messages;
  for (const Diagnostic& d : response.errors) {
    errors.insert(d.policy_id);
    messages.emplace(d.policy_id, d.message);
  }
  return {{"decision", response.allow ? "allow" : "deny"},
          {"reason", reason},
          {"errors", errors},
          {"messages", messages}};
}

}  // namespace
}  // namespace domicile::policy

int main() {
  std::ios::sync_with_stdio(false);
  std::string line;
  while (std::getline(std::cin, line)) {
    if (line.empty()) continue;
    nlohmann::json out;
    try {
      out = domicile::policy::Decide(nlohmann::json::parse(line));
    } catch (const nlohmann::json::exception& e) {
      // Only the case's own framing can throw here (our engine reports through absl::Status).
      out = {{"bad_case", e.what()}};
    }
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << '\n'
              << std::flush;
  }
  return 0;
}
