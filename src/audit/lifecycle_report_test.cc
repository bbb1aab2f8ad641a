// The lifecycle part of the auditor's report, through the report's builder and both of its
// output forms, over events as the node writes them (src/ops, docs/events.md).
#include "audit/lifecycle_report.h"

#include "audit/event_report.h"
#include "audit/report_test_events.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace domicile::audit {
namespace {

using ::domicile::audit::testing::Access;
using ::domicile::audit::testing::Build;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;
using json = nlohmann::json;

constexpr char kRootA[] = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
constexpr char kRootB[] = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";

json Lifecycle(std::string_view kind, std::string_view time) {
  return {{"v", 1},
          {"kind", kind},
          {"time", time},
          {"node", "us-1"},
          {"principal",
           {{"id", "ops"},
            {"type", "User"},
            {"entity", "usds"},
            {"location", "US"},
            {"roles", json::array({"operator"})},
            {"team", "infra"}}}};
}

std::string ImportEvent(std::string_view time, std::string_view site, std::string_view role,
                        uint64_t records, uint64_t created) {
  json j = Lifecycle("import", time);
  j.update({{"site", site},
            {"site_role", role},
            {"jurisdiction", "US"},
            {"import", "imp-1"},
            {"first_line", 1},
            {"next_line", records + 1},
            {"records", records},
            {"created", created},
            {"registered", 1},
            {"skipped", 0},
            {"ciphertext_sha256", "cc"},
            {"decision_index", 0}});
  return j.dump();
}

// The details of a migration, as its event and the source's mark (in a shred event) hold them.
json MigrationDetails(std::string_view from, std::string_view to, uint64_t records,
                      std::string_view source_root, std::string_view target_root, bool verified) {
  return {{"from", from},
          {"from_role", "legacy"},
          {"to", to},
          {"jurisdiction", "US"},
          {"records", records},
          {"copied", records},
          {"bytes", records * 1024},
          {"source_root", source_root},
          {"target_root", target_root},
          {"verified", verified},
          {"decision_index", 1}};
}

std::string MigrationEvent(std::string_view time, const json& details) {
  json j = Lifecycle("migration", time);
  j.update(details);
  return j.dump();
}

// A shred of `site`'s US data relying on `migration` (null: none).
std::string ShredEvent(std::string_view time, std::string_view site, uint64_t records, bool forced,
                       json migration) {
  if (migration.is_object()) migration["time"] = "2026-11-22T10:30:00.000Z";
  json j = Lifecycle("shred", time);
  j.update(
      {{"site", site},
       {"site_role", "legacy"},
       {"jurisdiction", "US"},
       {"keks_destroyed", json::array({std::string("site/") + std::string(site) + "/US",
                                       std::string("site/") + std::string(site) + "/US/public"})},
       {"records_deleted", records},
       {"data_keys_deleted", 2},
       {"forced", forced},
       {"migration", std::move(migration)},
       {"decision_index", 5}});
  return j.dump();
}

// An allowed delete of `subject` (a US subject) that erased what `erased` lists.
std::string EraseEvent(std::string_view time, std::string_view subject, json erased,
                       std::string_view decision = "allow") {
  json j = json::parse(Access(time, "alice", "usds", "US", "delete", "protected", "US", decision));
  j["resource"] = {{"type", "subject"}, {"subject", subject}, {"jurisdiction", "US"}};
  if (decision == "allow") j["effect"] = {{"erasure", true}, {"erased", std::move(erased)}};
  return j.dump();
}

TEST(LifecycleReport, MigrationsAndWhetherEachVerified) {
  const EventReport r = Build({
      MigrationEvent("2026-11-22T10:30:00.000Z",
                     MigrationDetails("own-us-va", "oci-us-tx", 1000, kRootA, kRootA, true)),
      // Logged as not verified: the roots differ.
      MigrationEvent("2026-11-22T10:40:00.000Z",
                     MigrationDetails("own-sg", "oci-us-tx", 500, kRootA, kRootB, false)),
      // Logged as verified, but its roots differ: the auditor does not take the node's word.
      MigrationEvent("2026-11-22T10:50:00.000Z",
                     MigrationDetails("own-sg", "oci-us-tx", 500, kRootA, kRootB, true)),
  });
  ASSERT_EQ(r.lifecycle.migrations.size(), 3u);
  const Migration& first = r.lifecycle.migrations[0];
  EXPECT_EQ(first.from, "own-us-va");
  EXPECT_EQ(first.to, "oci-us-tx");
  EXPECT_EQ(first.records, 1000u);
  EXPECT_EQ(first.principal, "ops");
  EXPECT_TRUE(first.Verified());
  EXPECT_FALSE(r.lifecycle.migrations[2].Verified());
  EXPECT_THAT(r.lifecycle.MigrationsNotVerified(), ElementsAre(1u, 2u));

  const std::string text = FormatReportText(r);
  EXPECT_THAT(text,
              HasSubstr("migrations: 3 (2 not verified)\n"
                        "  entry 0  2026-11-22T10:30:00.000Z  own-us-va -> oci-us-tx  US: "
                        "1000 records, 1000 copied, verified, roots match (aaaaaaaaaaaaaaaa"));
  EXPECT_THAT(text, HasSubstr("entry 1  2026-11-22T10:40:00.000Z  own-sg -> oci-us-tx  US: 500 "
                              "records, 500 copied, NOT VERIFIED (logged as not verified"));
  EXPECT_THAT(text, HasSubstr("entry 2  2026-11-22T10:50:00.000Z  own-sg -> oci-us-tx  US: 500 "
                              "records, 500 copied, NOT VERIFIED (logged as verified, source "
                              "root aaaaaaaaaaaaaaaa..., target root bbbbbbbbbbbbbbbb...)"));

  const json j = json::parse(FormatReportJson(r));
  ASSERT_EQ(j["migrations"].size(), 3u);
  EXPECT_EQ(j["migrations"][0]["to"], "oci-us-tx");
  EXPECT_EQ(j["migrations"][0]["source_root"], kRootA);
  EXPECT_EQ(j["migrations"][0]["roots_match"], true);
  EXPECT_EQ(j["migrations"][2]["verified"], true);
  EXPECT_EQ(j["migrations"][2]["roots_match"], false);
  EXPECT_EQ(j["migrations_not_verified"]["count"], 2);
  EXPECT_EQ(j["migrations_not_verified"]["indices"], json::array({1, 2}));
}

TEST(LifecycleReport, ShredAttestationsAndShredsWithoutAVerifiedMigration) {
  const json verified = MigrationDetails("own-us-va", "oci-us-tx", 1000, kRootA, kRootA, true);
  const EventReport r = Build({
      ShredEvent("2026-11-22T11:00:00.000Z", "own-us-va", 1000, false, verified),
      ShredEvent("2026-11-22T11:10:00.000Z", "own-sg", 500, true, nullptr),
      // Forced, but a verified migration existed: not counted.
      ShredEvent("2026-11-22T11:20:00.000Z", "own-us-va", 0, true, verified),
      // Relies on another site's migration: not a verified migration of this data.
      ShredEvent("2026-11-22T11:30:00.000Z", "own-x", 7, false, verified),
  });
  ASSERT_EQ(r.lifecycle.shreds.size(), 4u);
  const ShredAttestation& first = r.lifecycle.shreds[0];
  EXPECT_EQ(first.site, "own-us-va");
  EXPECT_THAT(first.keks_destroyed, ElementsAre("site/own-us-va/US", "site/own-us-va/US/public"));
  EXPECT_EQ(first.records_deleted, 1000u);
  EXPECT_EQ(first.data_keys_deleted, 2u);
  EXPECT_EQ(first.migration_to, "oci-us-tx");
  EXPECT_TRUE(first.ReliedOnVerifiedMigration());
  EXPECT_FALSE(r.lifecycle.shreds[1].has_migration);
  EXPECT_THAT(r.lifecycle.ShredsWithoutVerifiedMigration(), ElementsAre(1u, 3u));

  const std::string text = FormatReportText(r);
  EXPECT_THAT(text, HasSubstr("FORCED SHREDS (WITHOUT A VERIFIED MIGRATION): 2\n"
                              "  at entries: 1, 3\n"));
  EXPECT_THAT(text, HasSubstr("shred attestations: 4\n  entry 0  2026-11-22T11:00:00.000Z  "
                              "own-us-va US: KEKs destroyed site/own-us-va/US, "
                              "site/own-us-va/US/public; 1000 records, 2 data keys deleted; "
                              "migration: to oci-us-tx (root aaaaaaaaaaaaaaaa..., 1000 records, "
                              "2026-11-22T10:30:00.000Z)\n"));
  EXPECT_THAT(text, HasSubstr("entry 1  2026-11-22T11:10:00.000Z  own-sg US FORCED: KEKs "
                              "destroyed site/own-sg/US, site/own-sg/US/public; 500 records, 2 "
                              "data keys deleted; migration: none (forced)\n"));
  EXPECT_THAT(text, HasSubstr("own-x US: KEKs destroyed site/own-x/US, site/own-x/US/public; 7 "
                              "records, 2 data keys deleted; migration: NOT A VERIFIED MIGRATION "
                              "OF THIS DATA (US own-us-va -> oci-us-tx"));

  const json j = json::parse(FormatReportJson(r));
  ASSERT_EQ(j["shreds"].size(), 4u);
  EXPECT_EQ(j["shreds"][0]["keks_destroyed"],
            json::array({"site/own-us-va/US", "site/own-us-va/US/public"}));
  EXPECT_EQ(j["shreds"][0]["migration"]["target_root"], kRootA);
  EXPECT_EQ(j["shreds"][0]["verified_migration"], true);
  EXPECT_EQ(j["shreds"][1]["migration"], nullptr);
  EXPECT_EQ(j["shreds"][1]["forced"], true);
  EXPECT_EQ(j["shreds_without_verified_migration"]["count"], 2);
  EXPECT_EQ(j["shreds_without_verified_migration"]["indices"], json::array({1, 3}));
}

TEST(LifecycleReport, WhatLegacySitesStillHoldFallsToZeroOnceEveryCopyIsShredded) {
  const json va = MigrationDetails("own-us-va", "oci-us-tx", 1000, kRootA, kRootA, true);
  const json sg = MigrationDetails("own-sg", "oci-us-tx", 498, kRootB, kRootB, true);
  std::vector<std::string> log = {
      // Two batches into own-us-va; the second rewrote 100 records it had already created.
      ImportEvent("2026-11-22T10:00:00.000Z", "own-us-va", "legacy", 600, 600),
      ImportEvent("2026-11-22T10:01:00.000Z", "own-us-va", "legacy", 500, 400),
      ImportEvent("2026-11-22T10:02:00.000Z", "own-sg", "legacy", 500, 500),
      // A primary site is not a legacy site, whatever it holds.
      ImportEvent("2026-11-22T10:03:00.000Z", "oci-us-tx", "primary", 100, 100),
      // u1 erased: 2 records at own-sg, 1 at oci-us-tx.
      EraseEvent("2026-11-22T10:10:00.000Z", "u1",
                 {{{"site", "own-sg"}, {"records", 2}, {"data_keys", 1}},
                  {{"site", "oci-us-tx"}, {"records", 1}, {"data_keys", 1}}}),
      MigrationEvent("2026-11-22T10:30:00.000Z", va),
      ShredEvent("2026-11-22T11:00:00.000Z", "own-us-va", 1000, false, va),
  };
  const EventReport before = Build(log);
  EXPECT_EQ(before.lifecycle.RecordsAtLegacySites(), 498u);
  ASSERT_EQ(before.lifecycle.legacy.size(), 2u);
  const LegacyHolding& own_sg = before.lifecycle.legacy[0];
  EXPECT_EQ(own_sg.site, "own-sg");
  EXPECT_EQ(own_sg.imported, 500u);
  EXPECT_EQ(own_sg.erased, 2u);
  EXPECT_EQ(own_sg.Held(), 498);
  EXPECT_EQ(before.lifecycle.legacy[1].site, "own-us-va");
  EXPECT_EQ(before.lifecycle.legacy[1].Held(), 0);
  std::string text = FormatReportText(before);
  EXPECT_THAT(text, HasSubstr("RECORDS STILL AT LEGACY SITES (IMPORTED, NOT YET SHREDDED): 498\n"
                              "  own-sg US: 498\n\n"));
  EXPECT_THAT(
      text, HasSubstr("records at legacy sites (imported + restored - shredded - erased = held):\n"
                      "  own-sg US: 500 + 0 - 0 - 2 = 498\n"
                      "  own-us-va US: 1000 + 0 - 1000 - 0 = 0\n"));
  json j = json::parse(FormatReportJson(before));
  EXPECT_EQ(j["records_at_legacy_sites"], 498);
  EXPECT_EQ(j["legacy_holdings"][0], json({{"site", "own-sg"},
                                           {"jurisdiction", "US"},
                                           {"imported", 500},
                                           {"shredded", 0},
                                           {"erased", 2},
                                           {"restored", 0},
                                           {"unreadable", 0},
                                           {"held", 498}}));

  log.push_back(MigrationEvent("2026-11-22T11:10:00.000Z", sg));
  log.push_back(ShredEvent("2026-11-22T11:20:00.000Z", "own-sg", 498, false, sg));
  const EventReport after = Build(log);
  EXPECT_EQ(after.lifecycle.RecordsAtLegacySites(), 0u);
  text = FormatReportText(after);
  EXPECT_THAT(text, HasSubstr("RECORDS STILL AT LEGACY SITES (IMPORTED, NOT YET SHREDDED): 0\n\n"));
  EXPECT_THAT(text, HasSubstr("FORCED SHREDS (WITHOUT A VERIFIED MIGRATION): 0\n"));
  j = json::parse(FormatReportJson(after));
  EXPECT_EQ(j["records_at_legacy_sites"], 0);

  // With the imports before --since the log shows more deleted than imported: the row says so
  // and the headline counts no negative holding.
  const EventReport since = Build(log, "2026-11-22T10:05:00Z");
  EXPECT_EQ(since.lifecycle.RecordsAtLegacySites(), 0u);
  EXPECT_EQ(since.lifecycle.legacy[0].Held(), -500);
  EXPECT_THAT(FormatReportText(since),
              HasSubstr("own-sg US: 0 + 0 - 498 - 2 = -500   (more deleted than the log shows "
                        "imported)"));
}

TEST(LifecycleReport, RecordsRestoredAfterAShredAreCountedApartAsUnreadable) {
  const json sg = MigrationDetails("own-sg", "oci-us-tx", 500, kRootB, kRootB, true);
  auto restore = [](const std::string& time, uint64_t n) {
    json e = Lifecycle("restore", time);
    e["site"] = "own-sg";
    e["site_role"] = "legacy";
    e["jurisdictions"] = json::array({"US"});
    e["records_restored"] = n;
    return e.dump();
  };
  std::vector<std::string> log = {
      ImportEvent("2026-11-22T10:00:00.000Z", "own-sg", "legacy", 500, 500),
      // A restore before any shred brings readable records back.
      restore("2026-11-22T10:05:00.000Z", 10),
      MigrationEvent("2026-11-22T10:30:00.000Z", sg),
      ShredEvent("2026-11-22T11:00:00.000Z", "own-sg", 510, false, sg),
      // A backup taken before the shred, restored after it: its keys are gone.
      restore("2026-11-22T12:00:00.000Z", 80),
      // An erasure takes from the unreadable records first.
      EraseEvent("2026-11-22T12:10:00.000Z", "u1",
                 {{{"site", "own-sg"}, {"records", 2}, {"data_keys", 1}}}),
  };
  const EventReport r = Build(log);
  ASSERT_EQ(r.lifecycle.legacy.size(), 1u);
  const LegacyHolding& h = r.lifecycle.legacy[0];
  EXPECT_EQ(h.restored, 10u);
  EXPECT_EQ(h.shredded, 510u);
  EXPECT_EQ(h.erased, 0u);
  EXPECT_EQ(h.unreadable, 78u);
  EXPECT_EQ(h.Held(), 0);
  EXPECT_EQ(r.lifecycle.RecordsAtLegacySites(), 0u);
  EXPECT_THAT(FormatReportText(r),
              HasSubstr("own-sg US: 500 + 10 - 510 - 0 = 0; and 78 restored after its keys were "
                        "destroyed, which open for nobody\n"));
  // Shredding the site again deletes them.
  log.push_back(ShredEvent("2026-11-22T13:00:00.000Z", "own-sg", 78, false, sg));
  const EventReport again = Build(log);
  EXPECT_EQ(again.lifecycle.legacy[0].unreadable, 0u);
  EXPECT_EQ(again.lifecycle.legacy[0].Held(), 0);
}

TEST(LifecycleReport, ErasuresAndTheSubjectsErased) {
  const EventReport r = Build({
      EraseEvent("2026-11-22T10:10:00.000Z", "u1",
                 {{{"site", "own-sg"}, {"records", 2}, {"data_keys", 1}},
                  {{"site", "oci-us-tx"}, {"records", 3}, {"data_keys", 2}}}),
      // Refused: not an erasure.
      EraseEvent("2026-11-22T10:11:00.000Z", "u2", nullptr, "deny"),
      // A subject that held nothing anywhere.
      EraseEvent("2026-11-22T10:12:00.000Z", "u3", json::array()),
      // The delete of one record is not an erasure of its subject.
      Access("2026-11-22T10:13:00.000Z", "bob", "usds", "US", "delete", "protected", "US", "allow"),
  });
  ASSERT_EQ(r.lifecycle.erasures.size(), 2u);
  const Erasure& u1 = r.lifecycle.erasures[0];
  EXPECT_EQ(u1.subject, "u1");
  EXPECT_EQ(u1.jurisdiction, "US");
  EXPECT_EQ(u1.principal, "alice");
  ASSERT_EQ(u1.sites.size(), 2u);
  EXPECT_EQ(u1.sites[1].site, "oci-us-tx");
  EXPECT_EQ(u1.sites[1].records, 3u);
  EXPECT_EQ(r.lifecycle.erasures[1].subject, "u3");
  // No site was seen as legacy: nothing to hold.
  EXPECT_THAT(r.lifecycle.legacy, IsEmpty());

  const std::string text = FormatReportText(r);
  EXPECT_THAT(text, HasSubstr("erasures: 2\n"
                              "  entry 0  2026-11-22T10:10:00.000Z  u1 (US) by alice: 5 records, "
                              "3 data keys at own-sg, oci-us-tx\n"
                              "  entry 2  2026-11-22T10:12:00.000Z  u3 (US) by alice: 0 records, "
                              "0 data keys at no site\n"));
  const json j = json::parse(FormatReportJson(r));
  ASSERT_EQ(j["erasures"].size(), 2u);
  EXPECT_EQ(j["erasures"][0]["subject"], "u1");
  EXPECT_EQ(j["erasures"][0]["index"], 0);
  EXPECT_EQ(j["erasures"][0]["sites"][0],
            json({{"site", "own-sg"}, {"records", 2}, {"data_keys", 1}}));
}

TEST(LifecycleReport, SiteDecisionsAndKindsNotYetKnownChangeNothingElse) {
  json site_decision = json::parse(Access("2026-11-22T10:00:00.000Z", "ops", "usds", "US",
                                          "shred.force", "protected", "US", "allow"));
  // As the node writes it: a site resource carries the class "protected".
  site_decision["resource"] = {
      {"type", "site"}, {"site", "own-sg"}, {"jurisdiction", "US"}, {"class", "protected"}};
  json backup = Lifecycle("backup", "2026-11-22T12:00:00.000Z");
  backup["site"] = "oci-us-tx";
  const EventReport r = Build({site_decision.dump(), backup.dump()});
  EXPECT_THAT(r.by_kind, UnorderedElementsAre(Pair("access", 1u), Pair("backup", 1u)));
  EXPECT_THAT(r.by_decision, ElementsAre(Pair("allow", 1u)));
  EXPECT_THAT(r.protected_reads_outside_jurisdiction, IsEmpty());
  EXPECT_THAT(r.lifecycle.migrations, IsEmpty());
  EXPECT_THAT(r.lifecycle.shreds, IsEmpty());
  EXPECT_THAT(r.lifecycle.erasures, IsEmpty());
  const std::string text = FormatReportText(r);
  EXPECT_THAT(text, HasSubstr("FORCED SHREDS (WITHOUT A VERIFIED MIGRATION): 0\n"
                              "RECORDS STILL AT LEGACY SITES (IMPORTED, NOT YET SHREDDED): 0\n"));
  EXPECT_THAT(text, HasSubstr("migrations: 0 (0 not verified)\nshred attestations: 0\n"
                              "records at legacy sites (imported + restored - shredded - erased "
                              "= held):\n"
                              "  (none)\nerasures: 0\n"));
  EXPECT_THAT(text, Not(HasSubstr("NOT VERIFIED")));
  const json j = json::parse(FormatReportJson(r));
  EXPECT_EQ(j["migrations"], json::array());
  EXPECT_EQ(j["shreds"], json::array());
  EXPECT_EQ(j["legacy_holdings"], json::array());
  EXPECT_EQ(j["erasures"], json::array());
  EXPECT_EQ(j["records_at_legacy_sites"], 0);
  EXPECT_EQ(j["shreds_without_verified_migration"]["count"], 0);
}

}  // namespace
}  // namespace domicile::audit
