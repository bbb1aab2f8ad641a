#include "http/ops_routes.h"

#include <map>
#include <memory>

#include "absl/strings/numbers.h"
#include "fmt/format.h"
#include "http/logged_error.h"
#include "http/status_mapping.h"
#include "ops/import.h"
#include "ops/migration.h"
#include "ops/shred.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "vault/event_log.h"

namespace domicile::http {
namespace {

// The caller, owned: an operation outlives its request.
struct OwnedCaller {
  explicit OwnedCaller(const vault::Caller& c)
      : principal(*c.principal),
        purpose(c.context.purpose),
        source_ip(c.context.source_ip),
        time(c.context.time) {}
  vault::Caller View() const {
    return vault::Caller{&principal, vault::RequestContext(purpose, source_ip, time)};
  }
  vault::Principal principal;
  std::string purpose, source_ip;
  int64_t time;
};

// The string fields of a JSON object body: `required` ones must be there, `optional` may be;
// nothing else is allowed. "force" is the one boolean.
absl::StatusOr<nlohmann::json> Fields(std::string_view body,
                                      std::initializer_list<std::string_view> required,
                                      std::initializer_list<std::string_view> optional) {
  nlohmann::json j = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return absl::InvalidArgumentError("body must be a JSON object");
  }
  auto listed = [](std::initializer_list<std::string_view> names, std::string_view n) {
    return std::find(names.begin(), names.end(), n) != names.end();
  };
  for (const auto& [name, value] : j.items()) {
    if (!listed(required, name) && !listed(optional, name)) {
      return absl::InvalidArgumentError(fmt::format("unknown field '{}'", name));
    }
    if (name == "force" ? !value.is_boolean() : !value.is_string()) {
      return absl::InvalidArgumentError(
          fmt::format("field '{}' must be a {}", name, name == "force" ? "boolean" : "string"));
    }
  }
  for (std::string_view name : required) {
    if (!j.contains(name)) {
      return absl::InvalidArgumentError(fmt::format("field '{}' is required", name));
    }
  }
  return j;
}

nlohmann::json MigrationJson(const ops::MigrationResult& m) {
  return {{"jurisdiction", m.jurisdiction},
          {"records", m.records},
          {"copied", m.copied},
          {"bytes", m.bytes},
          {"source_root", HexEncode(m.source_root)},
          {"target_root", HexEncode(m.target_root)},
          {"verified", m.verified},
          {"log_index", m.log_index}};
}

nlohmann::json ShredJson(const ops::ShredResult& s) {
  return {{"jurisdiction", s.jurisdiction},
          {"keks_destroyed", s.keks_destroyed},
          {"records_deleted", s.records},
          {"data_keys_deleted", s.data_keys},
          {"forced", s.forced},
          {"log_index", s.log_index}};
}

}  // namespace

bool OpsRoutes::Matches(const std::vector<std::string>& seg) {
  if (seg.size() < 2 || seg[0] != "v1") return false;
  if (seg[1] == "import") return seg.size() <= 3;
  if (seg[1] == "migrations" || seg[1] == "shreds" || seg[1] == "backups" || seg[1] == "restores") {
    return seg.size() == 2;
  }
  if (seg[1] == "operations") return seg.size() == 3;
  return false;
}

Response OpsRoutes::Handle(const Request& request, const std::vector<std::string>& seg,
                           const vault::Caller& caller) const {
  if (seg[1] == "import") {
    if (seg.size() == 2) {
      if (request.method != "POST") return ErrorResponse(MethodNotAllowedError(request));
      return Import(request, caller);
    }
    if (request.method != "GET") return ErrorResponse(MethodNotAllowedError(request));
    absl::StatusOr<std::map<std::string, std::string>> q = ParseQueryParams(request, {"site"});
    if (!q.ok()) return ErrorResponse(q.status());
    if (!q->contains("site")) {
      return ErrorResponse(absl::InvalidArgumentError("query parameter 'site' is required"));
    }
    absl::StatusOr<uint64_t> next = ops::ImportProgress(*vault_, q->at("site"), seg[2]);
    if (!next.ok()) return ErrorResponse(next.status());
    return JsonResponse(200, {{"import", seg[2]}, {"site", q->at("site")}, {"next_line", *next}});
  }
  if (absl::StatusOr<std::map<std::string, std::string>> q = ParseQueryParams(request, {});
      !q.ok()) {
    return ErrorResponse(q.status());
  }
  if (seg[1] == "operations") {
    absl::StatusOr<nlohmann::json> state;
    if (request.method == "GET") {
      state = operations_->Describe(seg[2], caller.principal->id);
    } else if (request.method == "DELETE") {
      state = operations_->Cancel(seg[2], caller.principal->id);
    } else {
      return ErrorResponse(MethodNotAllowedError(request));
    }
    if (!state.ok()) return ErrorResponse(state.status());
    return JsonResponse(200, *state);
  }
  if (request.method != "POST") return ErrorResponse(MethodNotAllowedError(request));
  return StartOperation(request, seg[1], caller);
}

Response OpsRoutes::Import(const Request& request, const vault::Caller& caller) const {
  absl::StatusOr<std::map<std::string, std::string>> q =
      ParseQueryParams(request, {"site", "jurisdiction", "import", "first_line", "on_error"});
  if (!q.ok()) return ErrorResponse(q.status());
  for (const char* name : {"site", "jurisdiction", "import"}) {
    if (!q->contains(name)) {
      return ErrorResponse(
          absl::InvalidArgumentError(fmt::format("query parameter '{}' is required", name)));
    }
  }
  ops::ImportRequest r;
  r.site = q->at("site");
  r.jurisdiction = q->at("jurisdiction");
  r.import_id = q->at("import");
  r.body = request.body;
  if (auto it = q->find("first_line"); it != q->end()) {
    if (!absl::SimpleAtoi(ToAbsl(it->second), &r.first_line) || r.first_line == 0) {
      return ErrorResponse(absl::InvalidArgumentError("first_line must be a positive integer"));
    }
  }
  if (auto it = q->find("on_error"); it != q->end()) {
    if (it->second != "skip" && it->second != "abort") {
      return ErrorResponse(absl::InvalidArgumentError("on_error must be 'skip' or 'abort'"));
    }
    r.skip_bad = it->second == "skip";
  }
  absl::StatusOr<ops::ImportResult> result = ops::Import(*vault_, caller, r);
  if (!result.ok()) return LoggedErrorResponse(result.status());
  nlohmann::json errors = nlohmann::json::array();
  for (const ops::LineError& e : result->errors) {
    errors.push_back({{"line", e.line}, {"message", e.message}});
  }
  Response response = JsonResponse(200, {{"import", r.import_id},
                                         {"site", r.site},
                                         {"imported", result->imported},
                                         {"registered", result->registered},
                                         {"already", result->already},
                                         {"skipped", result->skipped},
                                         {"next_line", result->next_line},
                                         {"errors", std::move(errors)}});
  response.headers.push_back({"Domicile-Log-Index", std::to_string(result->log_index)});
  return response;
}

Response OpsRoutes::StartOperation(const Request& request, const std::string& kind,
                                   const vault::Caller& caller) const {
  auto who = std::make_shared<OwnedCaller>(caller);
  vault::Vault* vault = vault_;
  ops::Operations::Body body;
  std::string name;
  if (kind == "migrations") {
    absl::StatusOr<nlohmann::json> f = Fields(request.body, {"from", "to"}, {"jurisdiction"});
    if (!f.ok()) return ErrorResponse(f.status());
    ops::MigrationRequest m{(*f)["from"], (*f)["to"], f->value("jurisdiction", "")};
    name = "migrate";
    body = [vault, who, m](ops::Progress& p) -> absl::StatusOr<nlohmann::json> {
      absl::StatusOr<ops::MigrationResult> r = ops::Migrate(*vault, who->View(), m, p);
      if (!r.ok()) return r.status();
      return MigrationJson(*r);
    };
  } else if (kind == "backups" || kind == "restores") {
    if (backups_ == nullptr) {
      return ErrorResponse(absl::NotFoundError(fmt::format("no route for {}", request.path)));
    }
    const ops::BackupDestinations* backups = backups_;
    if (kind == "backups") {
      absl::StatusOr<nlohmann::json> f = Fields(request.body, {"site", "to"}, {});
      if (!f.ok()) return ErrorResponse(f.status());
      ops::BackupRequest b{(*f)["site"], (*f)["to"]};
      name = "backup";
      body = [vault, who, backups, b, checkpoint = checkpoint_](ops::Progress& p) {
        return ops::RunBackup(*vault, who->View(), *backups, checkpoint, b, p);
      };
    } else {
      absl::StatusOr<nlohmann::json> f = Fields(request.body, {"from", "backup", "site"}, {});
      if (!f.ok()) return ErrorResponse(f.status());
      ops::RestoreRequest r{(*f)["from"], (*f)["backup"], (*f)["site"]};
      name = "restore";
      body = [vault, who, backups, r](ops::Progress& p) {
        return ops::RunRestore(*vault, who->View(), *backups, r, p);
      };
    }
  } else {
    absl::StatusOr<nlohmann::json> f = Fields(request.body, {"site"}, {"jurisdiction", "force"});
    if (!f.ok()) return ErrorResponse(f.status());
    ops::ShredRequest s{(*f)["site"], f->value("jurisdiction", ""), f->value("force", false)};
    name = "shred";
    body = [vault, who, s](ops::Progress& p) -> absl::StatusOr<nlohmann::json> {
      absl::StatusOr<ops::ShredResult> r = ops::Shred(*vault, who->View(), s, p);
      if (!r.ok()) return r.status();
      return ShredJson(*r);
    };
  }
  absl::StatusOr<nlohmann::json> state =
      operations_->Start(name, caller.principal->id, std::move(body));
  if (!state.ok()) return LoggedErrorResponse(state.status());
  return JsonResponse(202, *state);
}

}  // namespace domicile::http
