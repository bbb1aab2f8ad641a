// `domicile keygen` (an approver's Ed25519 key) and `domicile grant request|approve|list|show|
// revoke`, the client side of just-in-time grants (docs/access.md).
#include <filesystem>
#include <iostream>
#include <sstream>

#include "CLI/CLI.hpp"
#include "access/approval.h"
#include "access/grant.h"
#include "cli/client_call.h"
#include "cli/commands.h"
#include "fmt/format.h"
#include "nlohmann/json.hpp"
#include "util/file.h"

namespace domicile::cli {
namespace {

std::vector<std::string> SplitCommas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

std::string Summary(const nlohmann::json& g) {
  std::string actions;
  for (const nlohmann::json& a : g.value("actions", nlohmann::json::array())) {
    actions += (actions.empty() ? "" : ",") + a.get<std::string>();
  }
  std::string line =
      fmt::format("{}  {:<8} {:<10} {:<22} {:<10} {} approvals  expires {}", g.value("id", ""),
                  g.value("state", ""), g.value("requester", ""), g.value("scope", ""), actions,
                  g.value("approvals", nlohmann::json::array()).size(), g.value("expires", ""));
  if (g.value("break_glass", false)) {
    line += g.value("reviewed", false) ? "  break-glass (reviewed)" : "  BREAK-GLASS (unreviewed)";
  }
  return line;
}

int Keygen(const std::string& name, std::string out) {
  absl::StatusOr<access::ApproverKey> key = access::GenerateApproverKey(name);
  if (!key.ok()) {
    std::cerr << "domicile keygen: " << key.status().message() << "\n";
    return 2;
  }
  if (out.empty()) out = name + ".key";
  std::error_code ec;
  if (std::filesystem::exists(out, ec)) {
    std::cerr << "domicile keygen: " << out << " exists; refusing to overwrite a key\n";
    return 1;
  }
  const std::string text = access::FormatApproverKey(*key);
  if (absl::Status s = WriteFileAtomically(out, AsBytes(text), 0600); !s.ok()) {
    std::cerr << "domicile keygen: " << s.message() << "\n";
    return 1;
  }
  std::cerr << "wrote " << out << " (keep it secret); its public part, for the configuration:\n";
  std::cout << "approval_key = \"" << tlog::FormatNoteVerifier(key->verifier) << "\"\n";
  return 0;
}

int Approve(const Common& common, const std::string& id, const std::string& key_file) {
  absl::StatusOr<std::string> text = ReadFileToString(key_file);
  if (!text.ok()) {
    std::cerr << "domicile grant approve: " << text.status().message() << "\n";
    return 1;
  }
  absl::StatusOr<access::ApproverKey> key = access::ParseApproverKey(*text);
  if (!key.ok()) {
    std::cerr << "domicile grant approve: " << key_file << ": " << key.status().message() << "\n";
    return 1;
  }
  const std::string target = "/v1/grants/" + PercentEncode(id);
  auto shown = Call("grant approve", common, "GET", target);
  if (!shown) return 1;
  nlohmann::json j = nlohmann::json::parse(shown->body, nullptr, false);
  absl::StatusOr<access::Grant> grant =
      j.is_discarded() ? absl::StatusOr<access::Grant>(absl::DataLossError("not JSON"))
                       : access::GrantFromJson(j);
  if (!grant.ok()) {
    std::cerr << "domicile grant approve: the node sent an unreadable grant: "
              << grant.status().message() << "\n";
    return 1;
  }
  // What the approver signs, shown before it is sent.
  std::cerr << "signing as " << key->name << ":\n" << access::ApprovalStatement(*grant);
  absl::StatusOr<std::string> note = access::SignApproval(*grant, *key);
  if (!note.ok()) {
    std::cerr << "domicile grant approve: " << note.status().message() << "\n";
    return 1;
  }
  auto r = Call("grant approve", common, "POST", target + "/approvals", *note);
  if (!r) return 1;
  nlohmann::json after = nlohmann::json::parse(r->body, nullptr, false);
  std::cout << "approved " << id << ": " << (after.is_object() ? Summary(after) : r->body) << "\n";
  return 0;
}

}  // namespace

void AddGrantCommands(CLI::App& app, int& exit_code) {
  {
    auto name = std::make_shared<std::string>();
    auto out = std::make_shared<std::string>();
    CLI::App* keygen = app.add_subcommand(
        "keygen", "Make an approver's Ed25519 key (file) and print its public part");
    keygen->add_option("--name", *name, "Key name: the approver's principal id")->required();
    keygen->add_option("--out,-o", *out, "Where to write the private key (default NAME.key)");
    keygen->callback([name, out, &exit_code] { exit_code = Keygen(*name, *out); });
  }
  CLI::App* grant = app.add_subcommand("grant", "Just-in-time grants: request, approve, revoke");
  grant->require_subcommand(1);
  {
    struct Args {
      Common common;
      std::string scope, classification = "protected", actions = "read", purpose, reason,
                         ttl = "1h";
      bool break_glass = false;
    };
    auto a = std::make_shared<Args>();
    CLI::App* request = grant->add_subcommand("request", "Ask for a grant; prints its id");
    request->add_option("--scope", a->scope, "subject:ID or jurisdiction:CODE")->required();
    request->add_option("--class", a->classification, "protected (default) or public");
    request->add_option("--actions", a->actions, "Comma-separated: read,list (default read)");
    request->add_option("--reason", a->reason, "Why (a ticket, an incident)")->required();
    request->add_option("--ttl", a->ttl, "How long, e.g. 30m, 1h (default 1h)");
    request->add_flag("--break-glass", a->break_glass,
                      "Active at once with one approval, at most 1h, flagged for review");
    AddCommon(request, a->common);
    // --purpose is the grant's purpose here (and also sent as the request's purpose).
    request->callback([a, &exit_code] {
      if (a->common.purpose.empty()) {
        std::cerr << "domicile grant request: --purpose is required\n";
        exit_code = 2;
        return;
      }
      nlohmann::json body = {{"scope", a->scope},
                             {"class", a->classification},
                             {"actions", SplitCommas(a->actions)},
                             {"purpose", a->common.purpose},
                             {"reason", a->reason},
                             {"ttl", a->ttl},
                             {"break_glass", a->break_glass}};
      auto r = Call("grant request", a->common, "POST", "/v1/grants", body.dump());
      if (!r) {
        exit_code = 1;
        return;
      }
      nlohmann::json g = nlohmann::json::parse(r->body, nullptr, false);
      if (!g.is_object()) {
        exit_code = 1;
        return;
      }
      std::cerr << Summary(g) << "\n";
      std::cout << g.value("id", "") << "\n";
    });
  }
  {
    struct Args {
      Common common;
      std::string id, key;
    };
    auto a = std::make_shared<Args>();
    CLI::App* approve = grant->add_subcommand("approve", "Sign and send an approval of a grant");
    approve->add_option("id", a->id, "Grant id")->required();
    approve->add_option("--key", a->key, "The approver's key file (from domicile keygen)")
        ->required();
    AddCommon(approve, a->common);
    approve->callback([a, &exit_code] { exit_code = Approve(a->common, a->id, a->key); });
  }
  {
    auto common = std::make_shared<Common>();
    CLI::App* list = grant->add_subcommand("list", "List grants, newest first");
    AddCommon(list, *common);
    list->callback([common, &exit_code] {
      auto r = Call("grant list", *common, "GET", "/v1/grants");
      if (!r) {
        exit_code = 1;
        return;
      }
      nlohmann::json j = nlohmann::json::parse(r->body, nullptr, false);
      if (!j.is_object()) {
        exit_code = 1;
        return;
      }
      for (const nlohmann::json& g : j["grants"]) std::cout << Summary(g) << "\n";
    });
  }
  for (const char* verb : {"show", "revoke"}) {
    struct Args {
      Common common;
      std::string id;
    };
    auto a = std::make_shared<Args>();
    const std::string name = verb;
    CLI::App* cmd =
        grant->add_subcommand(name, name == "show" ? "Show one grant (JSON)" : "End a grant now");
    cmd->add_option("id", a->id, "Grant id")->required();
    AddCommon(cmd, a->common);
    cmd->callback([a, name, &exit_code] {
      const std::string target = "/v1/grants/" + PercentEncode(a->id);
      auto r = name == "show" ? Call("grant show", a->common, "GET", target)
                              : Call("grant revoke", a->common, "POST", target + "/revoke");
      if (!r) {
        exit_code = 1;
        return;
      }
      nlohmann::json g = nlohmann::json::parse(r->body, nullptr, false);
      if (name == "show") {
        std::cout << (g.is_discarded() ? r->body : g.dump(2)) << "\n";
      } else {
        std::cout << "revoked " << a->id << "\n";
      }
    });
  }
}

}  // namespace domicile::cli
