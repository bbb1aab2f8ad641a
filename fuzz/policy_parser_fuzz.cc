// libFuzzer target for the policy language: arbitrary bytes as Cedar policy text and as a
// single expression. Whatever parses is then printed back and evaluated against a small fixed
// entity store and a few requests, so the evaluator and the authorizer are fuzzed with every
// shape of expression the parser accepts.
//
// The contract under test: no input crashes, leaks, overflows the stack or hits undefined
// behaviour (the build enables AddressSanitizer and UndefinedBehaviorSanitizer); a bad input is
// an InvalidArgument, never anything else. Build and run: see fuzz/README.md.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "policy/authorizer.h"
#include "policy/entities.h"
#include "policy/entity_uid.h"
#include "policy/evaluator.h"
#include "policy/expr.h"
#include "policy/parser.h"
#include "policy/policy.h"
#include "policy/policy_set.h"
#include "policy/value.h"

namespace domicile::policy {
namespace {

// Aborts (a crash libFuzzer records with its input) when the parser reports a failure with a
// code other than InvalidArgument, which parser.h promises for every bad input.
void CheckParseError(const absl::Status& status) {
  if (status.code() != absl::StatusCode::kInvalidArgument) {
    std::fprintf(stderr, "parse failed with %s, not InvalidArgument\n",
                 std::string(status.ToString()).c_str());
    std::abort();
  }
}

EntityUid Uid(std::string type, std::string id) { return {std::move(type), std::move(id)}; }

// The example model in miniature: a user in a group, a record, the action hierarchy.
const Entities& FixedEntities() {
  static const Entities* entities = [] {
    std::vector<Entity> list;
    list.push_back({Uid("User", "alice"),
                    {{"entity", Value::String("usds")},
                     {"location", Value::String("US")},
                     {"roles", Value::Set({Value::String("writer"), Value::String("approver")})},
                     {"team", Value::Entity(Uid("Team", "feed"))},
                     {"age", Value::Long(42)}},
                    {Uid("Team", "feed")}});
    list.push_back({Uid("Team", "feed"), {}, {Uid("Org", "usds")}});
    list.push_back({Uid("Record", "u1/email"),
                    {{"jurisdiction", Value::String("US")},
                     {"class", Value::String("protected")},
                     {"site", Value::Entity(Uid("Site", "tx"))},
                     {"subject", Value::String("u1")},
                     {"key", Value::String("email")}},
                    {Uid("Site", "tx")}});
    list.push_back({Uid("Action", "read"), {}, {Uid("Action", "all")}});
    absl::StatusOr<Entities> created = Entities::Create(std::move(list));
    if (!created.ok()) std::abort();  // the fixture itself is wrong
    return new Entities(*std::move(created));
  }();
  return *entities;
}

// A request that finds its entities in the store, and one that finds none of them.
const std::vector<Request>& FixedRequests() {
  static const std::vector<Request>* requests = [] {
    Value context = Value::Record({{"purpose", Value::String("support")},
                                   {"source_jurisdiction", Value::String("US")},
                                   {"time", Value::Long(1700000000)}});
    return new std::vector<Request>{
        {Uid("User", "alice"), Uid("Action", "read"), Uid("Record", "u1/email"), context},
        {Uid("Service", "ghost"), Uid("Action", "write"), Uid("Subject", "u2"), Value::Record({})},
    };
  }();
  return *requests;
}

void FuzzPolicies(std::string_view text) {
  absl::StatusOr<PolicySet> set = ParsePolicies(text, "fuzz.cedar");
  if (!set.ok()) {
    CheckParseError(set.status());
    return;
  }
  for (const Policy& policy : set->policies()) {
    (void)policy.principal.ToString("principal");
    (void)policy.action.ToString("action");
    (void)policy.resource.ToString("resource");
    for (const Condition& condition : policy.conditions) (void)condition.body.ToString();
  }
  for (const Request& request : FixedRequests()) {
    (void)IsAuthorized(*set, FixedEntities(), request);
    (void)IsAuthorized(*set, Entities(), request);
  }
}

void FuzzExpression(std::string_view text) {
  absl::StatusOr<Expr> expr = ParseExpression(text, "fuzz.expr");
  if (!expr.ok()) {
    CheckParseError(expr.status());
    return;
  }
  (void)expr->ToString();
  for (const Request& request : FixedRequests()) {
    Evaluator evaluator(FixedEntities(), request);
    absl::StatusOr<Value> value = evaluator.Evaluate(*expr);
    if (value.ok()) (void)value->ToString();
  }
}

}  // namespace
}  // namespace domicile::policy

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  domicile::policy::FuzzPolicies(text);
  domicile::policy::FuzzExpression(text);
  (void)domicile::policy::ParseEntityUid(text);
  return 0;
}
