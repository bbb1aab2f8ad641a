#include "audit/lifecycle_json.h"

#include "audit/event_fields.h"

namespace domicile::audit {
namespace {

using nlohmann::json;

constexpr char kLegacy[] = "legacy";

std::string PrincipalId(const json& event) { return Str(Member(event, "principal"), "id"); }

LegacyHolding& HoldingOf(LifecycleTally& tally, const std::string& site,
                         const std::string& jurisdiction) {
  LegacyHolding& h = tally.holdings[{site, jurisdiction}];
  h.site = site;
  h.jurisdiction = jurisdiction;
  return h;
}

void AddImport(const json& e, LifecycleTally& tally) {
  const std::string site = Str(e, "site");
  if (Str(e, "site_role") == kLegacy) tally.legacy_sites.insert(site);
  HoldingOf(tally, site, Str(e, "jurisdiction")).imported += Uint(e, "created");
}

void AddMigration(uint64_t index, const json& e, LifecycleReport& r, LifecycleTally& tally) {
  Migration m;
  m.index = index;
  m.time = Str(e, "time");
  m.principal = PrincipalId(e);
  m.from = Str(e, "from");
  m.from_role = Str(e, "from_role");
  m.to = Str(e, "to");
  m.jurisdiction = Str(e, "jurisdiction");
  m.records = Uint(e, "records");
  m.copied = Uint(e, "copied");
  m.bytes = Uint(e, "bytes");
  m.source_root = Str(e, "source_root");
  m.target_root = Str(e, "target_root");
  m.verified = Bool(e, "verified");
  m.decision_index = Uint(e, "decision_index");
  if (m.from_role == kLegacy) tally.legacy_sites.insert(m.from);
  r.migrations.push_back(std::move(m));
}

void AddShred(uint64_t index, const json& e, LifecycleReport& r, LifecycleTally& tally) {
  ShredAttestation s;
  s.index = index;
  s.time = Str(e, "time");
  s.principal = PrincipalId(e);
  s.site = Str(e, "site");
  s.site_role = Str(e, "site_role");
  s.jurisdiction = Str(e, "jurisdiction");
  for (const json& kek : Member(e, "keks_destroyed")) {
    if (kek.is_string()) s.keks_destroyed.push_back(kek.get<std::string>());
  }
  s.records_deleted = Uint(e, "records_deleted");
  s.data_keys_deleted = Uint(e, "data_keys_deleted");
  s.forced = Bool(e, "forced");
  s.decision_index = Uint(e, "decision_index");
  if (const json& m = Member(e, "migration"); m.is_object()) {
    s.has_migration = true;
    s.migration_from = Str(m, "from");
    s.migration_to = Str(m, "to");
    s.migration_jurisdiction = Str(m, "jurisdiction");
    s.migration_time = Str(m, "time");
    s.migration_source_root = Str(m, "source_root");
    s.migration_target_root = Str(m, "target_root");
    s.migration_records = Uint(m, "records");
    s.migration_verified = Bool(m, "verified");
  }
  if (s.site_role == kLegacy) tally.legacy_sites.insert(s.site);
  LegacyHolding& h = HoldingOf(tally, s.site, s.jurisdiction);
  h.Delete(s.records_deleted, &LegacyHolding::shredded);
  h.keys_destroyed = true;
  r.shreds.push_back(std::move(s));
}

// A restore brings records back to a site: readable ones, or, after a shred destroyed the
// site's keys, records that open for nobody. A backup of several jurisdictions is counted under
// the first it names (sites hold one jurisdiction's data in practice).
void AddRestore(const json& e, LifecycleTally& tally) {
  const std::string site = Str(e, "site");
  if (Str(e, "site_role") == kLegacy) tally.legacy_sites.insert(site);
  const json& jurisdictions = Member(e, "jurisdictions");
  std::string j;
  if (jurisdictions.is_array() && !jurisdictions.empty() && jurisdictions[0].is_string()) {
    j = jurisdictions[0].get<std::string>();
  }
  LegacyHolding& h = HoldingOf(tally, site, j);
  const uint64_t n = Uint(e, "records_restored");
  if (h.keys_destroyed) {
    h.unreadable += n;
  } else {
    h.restored += n;
  }
}

void AddErasure(uint64_t index, const json& e, LifecycleReport& r, LifecycleTally& tally) {
  const json& resource = Member(e, "resource");
  Erasure erasure;
  erasure.index = index;
  erasure.time = Str(e, "time");
  erasure.principal = PrincipalId(e);
  erasure.subject = Str(resource, "subject");
  erasure.jurisdiction = Str(resource, "jurisdiction");
  for (const json& at : Member(Member(e, "effect"), "erased")) {
    ErasedAt site{Str(at, "site"), Uint(at, "records"), Uint(at, "data_keys")};
    HoldingOf(tally, site.site, erasure.jurisdiction).Delete(site.records, &LegacyHolding::erased);
    erasure.sites.push_back(std::move(site));
  }
  r.erasures.push_back(std::move(erasure));
}

}  // namespace

void AddLifecycleEvent(uint64_t index, const std::string& kind, const json& event,
                       LifecycleReport& report, LifecycleTally& tally) {
  if (kind == "import") {
    AddImport(event, tally);
  } else if (kind == "migration") {
    AddMigration(index, event, report, tally);
  } else if (kind == "shred") {
    AddShred(index, event, report, tally);
  } else if (kind == "restore") {
    AddRestore(event, tally);
  } else if (kind == "access" && Str(event, "action") == "delete" &&
             Str(event, "decision") == "allow" &&
             Str(Member(event, "resource"), "type") == "subject" &&
             Bool(Member(event, "effect"), "erasure")) {
    AddErasure(index, event, report, tally);
  }
}

void AddLifecycleJson(const LifecycleReport& r, json& out) {
  json migrations = json::array();
  for (const Migration& m : r.migrations) {
    migrations.push_back({{"index", m.index},
                          {"time", m.time},
                          {"principal", m.principal},
                          {"from", m.from},
                          {"from_role", m.from_role},
                          {"to", m.to},
                          {"jurisdiction", m.jurisdiction},
                          {"records", m.records},
                          {"copied", m.copied},
                          {"bytes", m.bytes},
                          {"source_root", m.source_root},
                          {"target_root", m.target_root},
                          {"verified", m.verified},
                          {"roots_match", m.RootsMatch()},
                          {"decision_index", m.decision_index}});
  }
  json shreds = json::array();
  for (const ShredAttestation& s : r.shreds) {
    json migration = nullptr;
    if (s.has_migration) {
      migration = {{"from", s.migration_from},
                   {"to", s.migration_to},
                   {"jurisdiction", s.migration_jurisdiction},
                   {"time", s.migration_time},
                   {"records", s.migration_records},
                   {"source_root", s.migration_source_root},
                   {"target_root", s.migration_target_root},
                   {"verified", s.migration_verified}};
    }
    shreds.push_back({{"index", s.index},
                      {"time", s.time},
                      {"principal", s.principal},
                      {"site", s.site},
                      {"site_role", s.site_role},
                      {"jurisdiction", s.jurisdiction},
                      {"keks_destroyed", s.keks_destroyed},
                      {"records_deleted", s.records_deleted},
                      {"data_keys_deleted", s.data_keys_deleted},
                      {"forced", s.forced},
                      {"migration", std::move(migration)},
                      {"verified_migration", s.ReliedOnVerifiedMigration()},
                      {"decision_index", s.decision_index}});
  }
  json legacy = json::array();
  for (const LegacyHolding& h : r.legacy) {
    legacy.push_back({{"site", h.site},
                      {"jurisdiction", h.jurisdiction},
                      {"imported", h.imported},
                      {"shredded", h.shredded},
                      {"erased", h.erased},
                      {"restored", h.restored},
                      {"unreadable", h.unreadable},
                      {"held", h.Held()}});
  }
  json erasures = json::array();
  for (const Erasure& e : r.erasures) {
    json sites = json::array();
    for (const ErasedAt& at : e.sites) {
      sites.push_back({{"site", at.site}, {"records", at.records}, {"data_keys", at.data_keys}});
    }
    erasures.push_back({{"index", e.index},
                        {"time", e.time},
                        {"principal", e.principal},
                        {"subject", e.subject},
                        {"jurisdiction", e.jurisdiction},
                        {"sites", std::move(sites)}});
  }
  const std::vector<uint64_t> forced = r.ShredsWithoutVerifiedMigration();
  const std::vector<uint64_t> not_verified = r.MigrationsNotVerified();
  out["migrations"] = std::move(migrations);
  out["migrations_not_verified"] = {{"count", not_verified.size()}, {"indices", not_verified}};
  out["shreds"] = std::move(shreds);
  out["shreds_without_verified_migration"] = {{"count", forced.size()}, {"indices", forced}};
  out["legacy_holdings"] = std::move(legacy);
  out["records_at_legacy_sites"] = r.RecordsAtLegacySites();
  out["erasures"] = std::move(erasures);
}

}  // namespace domicile::audit
