// `domicile policy ...`: check policy files, decide one request offline, push a set to a node.
#include <fstream>
#include <iostream>
#include <iterator>

#include "CLI/CLI.hpp"
#include "cli/commands.h"
#include "cli/config.h"
#include "cli/policies.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "http/client.h"
#include "nlohmann/json.hpp"
#include "policy/authorizer.h"
#include "policy/parser.h"
#include "util/file.h"
#include "vault/policy_model.h"

namespace domicile::cli {
namespace {

absl::StatusOr<policy::PolicySet> ReadPolicies(const std::vector<std::string>& files) {
  std::vector<std::pair<std::string, std::string>> texts;
  for (const std::string& f : files) {
    absl::StatusOr<std::string> text = ReadFileToString(f);
    if (!text.ok()) return text.status();
    texts.emplace_back(f, std::move(*text));
  }
  return ParsePolicyTexts(texts);
}

absl::StatusOr<nlohmann::json> ReadJson(const std::string& file) {
  absl::StatusOr<std::string> text = ReadFileToString(file);
  if (!text.ok()) return text.status();
  nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) {
    return absl::InvalidArgumentError(fmt::format("{}: not valid JSON", file));
  }
  return j;
}

int Check(const std::vector<std::string>& files, const std::string& config_file) {
  absl::StatusOr<policy::PolicySet> set = ReadPolicies(files);
  if (!set.ok()) {
    std::cerr << set.status().message() << "\n";
    return 1;
  }
  std::vector<std::string> problems = vault::ValidateAgainstModel(*set);
  for (const std::string& p : problems) std::cerr << p << "\n";
  if (!problems.empty()) return 1;
  if (!config_file.empty()) {
    absl::StatusOr<Config> config = LoadConfig(config_file);
    if (!config.ok()) {
      std::cerr << config.status().message() << "\n";
      return 1;
    }
    if (absl::Status lint = LintPolicySet(*set, *config); !lint.ok()) {
      std::cerr << lint.message();
      return 1;
    }
  }
  std::cout << fmt::format(
      "ok: {} policies{}\n", set->size(),
      config_file.empty() ? " (no --config: the lint did not run)" : ", the lint passed");
  return 0;
}

struct AuthorizeArgs {
  std::vector<std::string> policies;
  std::string entities, principal, action, resource, context;
  bool json = false;
};

int Authorize(const AuthorizeArgs& a) {
  absl::StatusOr<policy::PolicySet> set = ReadPolicies(a.policies);
  if (!set.ok()) {
    std::cerr << set.status().message() << "\n";
    return 1;
  }
  policy::Entities entities;
  if (!a.entities.empty()) {
    absl::StatusOr<nlohmann::json> j = ReadJson(a.entities);
    absl::StatusOr<policy::Entities> e =
        j.ok() ? policy::Entities::FromJson(*j) : absl::StatusOr<policy::Entities>(j.status());
    if (!e.ok()) {
      std::cerr << a.entities << ": " << e.status().message() << "\n";
      return 1;
    }
    entities = std::move(*e);
  }
  policy::Request request;
  for (auto [text, uid, what] : {std::tuple{&a.principal, &request.principal, "--principal"},
                                 std::tuple{&a.action, &request.action, "--action"},
                                 std::tuple{&a.resource, &request.resource, "--resource"}}) {
    absl::StatusOr<policy::EntityUid> parsed = policy::ParseEntityUid(*text);
    if (!parsed.ok()) {
      std::cerr << what << ": " << parsed.status().message() << "\n";
      return 2;
    }
    *uid = std::move(*parsed);
  }
  if (!a.context.empty()) {
    absl::StatusOr<nlohmann::json> j = ReadJson(a.context);
    absl::StatusOr<policy::Value> v =
        j.ok() ? policy::ValueFromJson(*j) : absl::StatusOr<policy::Value>(j.status());
    if (!v.ok()) {
      std::cerr << a.context << ": " << v.status().message() << "\n";
      return 1;
    }
    request.context = std::move(*v);
  }
  policy::Response response = policy::IsAuthorized(*set, entities, request);
  if (a.json) {
    nlohmann::json errors = nlohmann::json::array();
    for (const auto& e : response.errors) {
      errors.push_back({{"policy", e.policy_id}, {"message", e.message}});
    }
    std::cout << nlohmann::json{{"decision", response.allow ? "allow" : "deny"},
                                {"determining", response.determining},
                                {"errors", errors}}
                     .dump()
              << "\n";
    return 0;
  }
  std::cout << (response.allow ? "ALLOW" : "DENY") << "\n";
  std::cout << "determining: "
            << (response.determining.empty()
                    ? "(none: denied by default)"
                    : fmt::format("{}", fmt::join(response.determining, ", ")))
            << "\n";
  for (const auto& e : response.errors) {
    std::cout << "error in " << e.policy_id << ": " << e.message << "\n";
  }
  return 0;
}

int Push(const std::string& file, const std::string& url_arg, const std::string& token_arg) {
  absl::StatusOr<std::string> text = ReadFileToString(file);
  if (!text.ok()) {
    std::cerr << "domicile policy push: " << text.status().message() << "\n";
    return 1;
  }
  std::string url = url_arg;
  if (url.empty()) {
    url = std::getenv("DOMICILE_URL") ? std::getenv("DOMICILE_URL") : "http://127.0.0.1:8700";
  }
  std::string token = token_arg;
  if (token.empty() && std::getenv("DOMICILE_TOKEN")) token = std::getenv("DOMICILE_TOKEN");
  absl::StatusOr<std::unique_ptr<http::Client>> client = http::Client::Create(url);
  if (!client.ok()) {
    std::cerr << "domicile policy push: " << client.status().message() << "\n";
    return 1;
  }
  auto r = (*client)->Do("POST", "/v1/policy", {{"Authorization", "Bearer " + token}}, *text);
  if (!r.ok()) {
    std::cerr << "domicile policy push: " << r.status().message() << "\n";
    return 1;
  }
  nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status != 200) {
    std::string message =
        j.is_object() && j.contains("error")
            ? j["error"].value("code", "") + ": " + j["error"].value("message", "")
            : r->body;
    std::cerr << "domicile policy push: " << message << " (HTTP " << r->status << ")\n";
    return 1;
  }
  std::cout << "active policy set " << j.value("sha256", "") << " (" << j.value("policies", 0)
            << " policies)\n";
  return 0;
}

}  // namespace

void AddPolicyCommands(CLI::App& app, int& exit_code) {
  CLI::App* policy = app.add_subcommand("policy", "Check, try and push Cedar policies");
  policy->require_subcommand(1);
  {
    auto files = std::make_shared<std::vector<std::string>>();
    auto config = std::make_shared<std::string>();
    CLI::App* check = policy->add_subcommand(
        "check", "Parse, validate against the model, and (with --config) lint policy files");
    check->add_option("files", *files, "Policy files (Cedar)")->required();
    check->add_option("--config", *config, "Node configuration: lint against its principals");
    check->callback([files, config, &exit_code] { exit_code = Check(*files, *config); });
  }
  {
    auto a = std::make_shared<AuthorizeArgs>();
    CLI::App* authorize = policy->add_subcommand(
        "authorize", "Decide one request offline; prints ALLOW or DENY on its first line");
    authorize->add_option("--policies", a->policies, "Policy files (Cedar)")->required();
    authorize->add_option("--entities", a->entities, "Entities, in Cedar's JSON entity format");
    authorize->add_option("--principal", a->principal, "e.g. 'User::\"bob\"'")->required();
    authorize->add_option("--action", a->action, "e.g. 'Action::\"read\"'")->required();
    authorize->add_option("--resource", a->resource, "e.g. 'Record::\"u1/email\"'")->required();
    authorize->add_option("--context", a->context, "Context record, JSON");
    authorize->add_flag("--json", a->json, "Machine-readable output");
    authorize->callback([a, &exit_code] { exit_code = Authorize(*a); });
  }
  {
    auto file = std::make_shared<std::string>();
    auto url = std::make_shared<std::string>();
    auto token = std::make_shared<std::string>();
    CLI::App* push =
        policy->add_subcommand("push", "Replace a node's policy set (POST /v1/policy)");
    push->add_option("file", *file, "Policy file (Cedar)")->required();
    push->add_option("--url", *url, "Node URL (default $DOMICILE_URL)");
    push->add_option("--token", *token, "Bearer token (default $DOMICILE_TOKEN)");
    push->callback([file, url, token, &exit_code] { exit_code = Push(*file, *url, *token); });
  }
}

}  // namespace domicile::cli
