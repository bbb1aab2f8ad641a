#include "audit/lifecycle_report.h"

#include "fmt/format.h"
#include "fmt/ranges.h"

namespace domicile::audit {
namespace {

std::string OrNone(const std::string& s) { return s.empty() ? "(none)" : s; }

// A root as the text report shows it: its first 16 hex digits, enough to compare by eye.
std::string ShortRoot(const std::string& hex) {
  if (hex.empty()) return "(none)";
  return hex.size() > 16 ? hex.substr(0, 16) + "..." : hex;
}

}  // namespace

std::vector<uint64_t> LifecycleReport::ShredsWithoutVerifiedMigration() const {
  std::vector<uint64_t> out;
  for (const ShredAttestation& s : shreds) {
    if (!s.ReliedOnVerifiedMigration()) out.push_back(s.index);
  }
  return out;
}

std::vector<uint64_t> LifecycleReport::MigrationsNotVerified() const {
  std::vector<uint64_t> out;
  for (const Migration& m : migrations) {
    if (!m.Verified()) out.push_back(m.index);
  }
  return out;
}

uint64_t LifecycleReport::RecordsAtLegacySites() const {
  uint64_t total = 0;
  for (const LegacyHolding& h : legacy) {
    if (h.Held() > 0) total += static_cast<uint64_t>(h.Held());
  }
  return total;
}

std::vector<LegacyHolding> LegacyHoldings(const LifecycleTally& tally) {
  std::vector<LegacyHolding> out;
  for (const auto& [key, holding] : tally.holdings) {
    if (tally.legacy_sites.contains(key.first)) out.push_back(holding);
  }
  return out;
}

void AppendLifecycleHeadlines(const LifecycleReport& r, std::string& out) {
  const std::vector<uint64_t> forced = r.ShredsWithoutVerifiedMigration();
  out += fmt::format("FORCED SHREDS (WITHOUT A VERIFIED MIGRATION): {}\n", forced.size());
  if (!forced.empty()) out += fmt::format("  at entries: {}\n", fmt::join(forced, ", "));
  out += fmt::format("RECORDS STILL AT LEGACY SITES (IMPORTED, NOT YET SHREDDED): {}\n",
                     r.RecordsAtLegacySites());
  for (const LegacyHolding& h : r.legacy) {
    if (h.Held() > 0) out += fmt::format("  {} {}: {}\n", h.site, h.jurisdiction, h.Held());
  }
}

void AppendLifecycleSections(const LifecycleReport& r, std::string& out) {
  out += fmt::format("migrations: {} ({} not verified)\n", r.migrations.size(),
                     r.MigrationsNotVerified().size());
  for (const Migration& m : r.migrations) {
    out += fmt::format("  entry {}  {}  {} -> {}  {}: {} records, {} copied, ", m.index,
                       OrNone(m.time), OrNone(m.from), OrNone(m.to), OrNone(m.jurisdiction),
                       m.records, m.copied);
    if (m.Verified()) {
      out += fmt::format("verified, roots match ({})\n", ShortRoot(m.target_root));
    } else {
      out += fmt::format("NOT VERIFIED ({}, source root {}, target root {})\n",
                         m.verified ? "logged as verified" : "logged as not verified",
                         ShortRoot(m.source_root), ShortRoot(m.target_root));
    }
  }
  out += fmt::format("shred attestations: {}\n", r.shreds.size());
  for (const ShredAttestation& s : r.shreds) {
    out += fmt::format(
        "  entry {}  {}  {} {}{}: KEKs destroyed {}; {} records, {} data keys "
        "deleted; ",
        s.index, OrNone(s.time), OrNone(s.site), OrNone(s.jurisdiction), s.forced ? " FORCED" : "",
        s.keks_destroyed.empty() ? "(none)" : fmt::format("{}", fmt::join(s.keks_destroyed, ", ")),
        s.records_deleted, s.data_keys_deleted);
    if (!s.has_migration) {
      out += s.forced ? "migration: none (forced)\n" : "migration: none\n";
    } else if (s.ReliedOnVerifiedMigration()) {
      out += fmt::format("migration: to {} (root {}, {} records, {})\n", OrNone(s.migration_to),
                         ShortRoot(s.migration_target_root), s.migration_records,
                         OrNone(s.migration_time));
    } else {
      out += fmt::format(
          "migration: NOT A VERIFIED MIGRATION OF THIS DATA ({} {} -> {}, "
          "source root {}, target root {})\n",
          OrNone(s.migration_jurisdiction), OrNone(s.migration_from), OrNone(s.migration_to),
          ShortRoot(s.migration_source_root), ShortRoot(s.migration_target_root));
    }
  }
  out += "records at legacy sites (imported + restored - shredded - erased = held):\n";
  if (r.legacy.empty()) out += "  (none)\n";
  for (const LegacyHolding& h : r.legacy) {
    out += fmt::format("  {} {}: {} + {} - {} - {} = {}{}{}\n", h.site, h.jurisdiction, h.imported,
                       h.restored, h.shredded, h.erased, h.Held(),
                       h.Held() < 0 ? "   (more deleted than the log shows imported)" : "",
                       h.unreadable > 0
                           ? fmt::format("; and {} restored after its keys were destroyed, "
                                         "which open for nobody",
                                         h.unreadable)
                           : "");
  }
  out += fmt::format("erasures: {}\n", r.erasures.size());
  for (const Erasure& e : r.erasures) {
    uint64_t records = 0, data_keys = 0;
    std::vector<std::string> sites;
    for (const ErasedAt& at : e.sites) {
      records += at.records;
      data_keys += at.data_keys;
      sites.push_back(at.site);
    }
    out += fmt::format("  entry {}  {}  {} ({}) by {}: {} records, {} data keys at {}\n", e.index,
                       OrNone(e.time), OrNone(e.subject), OrNone(e.jurisdiction),
                       OrNone(e.principal), records, data_keys,
                       sites.empty() ? "no site" : fmt::format("{}", fmt::join(sites, ", ")));
  }
}

}  // namespace domicile::audit
