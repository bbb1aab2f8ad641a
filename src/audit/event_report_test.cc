#include "audit/event_report.h"

#include "audit/directory_log_source.h"
#include "audit/log_verifier.h"
#include "audit/report_test_events.h"
#include "audit/test_log_writer.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::audit {
namespace {

using ::domicile::audit::testing::Access;
using ::domicile::audit::testing::Build;
using ::domicile::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::UnorderedElementsAre;

std::vector<std::string> SyntheticLog() {
  return {
      // 0: node start
      R"({"config_sha256":"c1","kind":"node","log_size":0,"node":"us-1","operation":"start","policy_sha256":"p1","time":"2026-11-22T09:00:00.000Z","v":1,"version":"0.1.0"})",
      // 1: in-jurisdiction protected read: fine
      Access("2026-11-22T10:00:00.000Z", "bob", "usds", "US", "read", "protected", "US", "allow"),
      // 2: CROSS-BORDER protected read: must be counted
      Access("2026-11-22T10:01:00.000Z", "li", "parent", "CN", "read", "protected", "US", "allow"),
      // 3: denied
      Access("2026-11-22T10:02:00.000Z", "li", "parent", "CN", "read", "protected", "US", "deny"),
      // 4: denied again, later
      Access("2026-11-22T11:30:00.000Z", "li", "parent", "CN", "write", "protected", "US", "deny"),
      // 5: public read from abroad: allowed and fine
      Access("2026-11-22T10:03:00.000Z", "li", "parent", "CN", "read", "public", "US", "allow"),
      // 6: not an event
      "hello, world",
      // 7: JSON but not an event
      R"({"kind":1})",
      // 8: a policy change
      R"({"kind":"policy","new_sha256":"n2","node":"us-1","old_sha256":"o1","policies":3,"principal":{"entity":"usds","id":"alice","location":"US","roles":["admin"],"type":"User"},"time":"2026-11-22T12:00:00.000Z","v":1})",
      // 9: node stop
      R"({"kind":"node","node":"us-1","operation":"stop","time":"2026-11-22T13:00:00.000Z","v":1})",
      // 10: a denied attempt earlier than 3 (out of order in the log)
      Access("2026-11-22T09:30:00.000Z", "li", "parent", "CN", "delete", "protected", "US", "deny"),
  };
}

TEST(EventReport, CountsEverythingAndTheCrossBorderProtectedRead) {
  const EventReport r = Build(SyntheticLog());
  EXPECT_EQ(r.entries, 11u);
  EXPECT_EQ(r.events, 9u);
  EXPECT_EQ(r.unparsable, 2u);
  EXPECT_THAT(r.by_kind,
              UnorderedElementsAre(Pair("access", 6), Pair("node", 2), Pair("policy", 1)));
  EXPECT_THAT(r.by_decision, UnorderedElementsAre(Pair("allow", 3), Pair("deny", 3)));
  EXPECT_THAT(r.by_principal_entity, UnorderedElementsAre(Pair("usds", 2), Pair("parent", 5)));
  EXPECT_THAT(r.by_principal_location, UnorderedElementsAre(Pair("US", 2), Pair("CN", 5)));
  EXPECT_THAT(r.protected_reads_outside_jurisdiction, ElementsAre(2));
  ASSERT_EQ(r.denied.size(), 1u);
  const DeniedAttempts& li = r.denied.at("li");
  EXPECT_EQ(li.count, 3u);
  EXPECT_EQ(li.first_time, "2026-11-22T09:30:00.000Z");
  EXPECT_EQ(li.last_time, "2026-11-22T11:30:00.000Z");
  ASSERT_EQ(r.policy_changes.size(), 1u);
  EXPECT_EQ(r.policy_changes[0].index, 8u);
  EXPECT_EQ(r.policy_changes[0].principal, "alice");
  EXPECT_EQ(r.policy_changes[0].old_sha256, "o1");
  EXPECT_EQ(r.policy_changes[0].new_sha256, "n2");
  ASSERT_EQ(r.node_events.size(), 2u);
  EXPECT_EQ(r.node_events[0].operation, "start");
  EXPECT_EQ(r.node_events[0].config_sha256, "c1");
  EXPECT_EQ(r.node_events[0].policy_sha256, "p1");
  EXPECT_EQ(r.node_events[0].log_size, 0u);
  EXPECT_EQ(r.node_events[1].operation, "stop");

  const std::string text = FormatReportText(r);
  EXPECT_THAT(text, HasSubstr("PROTECTED READS BY PRINCIPALS OUTSIDE THE DATA'S JURISDICTION: 1"));
  EXPECT_THAT(text, HasSubstr("MUST BE 0"));
  EXPECT_THAT(text, HasSubstr("events: 9   unparsable entries: 2   excluded by --since: 0"));
  EXPECT_THAT(text, HasSubstr("at entries: 2\n"));
  EXPECT_THAT(text, HasSubstr("li  3 denied, first 2026-11-22T09:30:00.000Z"));
  EXPECT_THAT(text, HasSubstr("by alice: o1 -> n2  (entry 8)"));

  const nlohmann::json j = nlohmann::json::parse(FormatReportJson(r));
  EXPECT_EQ(j["protected_reads_outside_jurisdiction"]["count"], 1);
  EXPECT_EQ(j["protected_reads_outside_jurisdiction"]["indices"], nlohmann::json::array({2}));
  EXPECT_EQ(j["unparsable"], 2);
  EXPECT_EQ(j["by_kind"]["access"], 6);
  EXPECT_EQ(j["denied"][0]["principal"], "li");
  EXPECT_EQ(j["denied"][0]["count"], 3);
  EXPECT_EQ(j["policy_changes"][0]["new_sha256"], "n2");
  EXPECT_EQ(j["node_events"][1]["log_size"], nullptr);
  EXPECT_EQ(j["since"], nullptr);
}

TEST(EventReport, AReadWithoutAKnownLocationCountsAsOutside) {
  nlohmann::json e = nlohmann::json::parse(
      Access("2026-11-22T10:00:00Z", "x", "usds", "US", "read", "protected", "US", "allow"));
  e["principal"].erase("location");
  const EventReport r = Build({e.dump()});
  EXPECT_THAT(r.protected_reads_outside_jurisdiction, ElementsAre(0));
  EXPECT_THAT(r.by_principal_location, ElementsAre(Pair("(none)", 1)));
}

TEST(EventReport, NoCrossBorderReadsPrintsZero) {
  const EventReport r = Build(
      {Access("2026-11-22T10:00:00Z", "bob", "usds", "US", "read", "protected", "US", "allow")});
  EXPECT_TRUE(r.protected_reads_outside_jurisdiction.empty());
  const std::string text = FormatReportText(r);
  EXPECT_THAT(text, HasSubstr("OUTSIDE THE DATA'S JURISDICTION: 0\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("MUST BE 0")));
}

TEST(EventReport, SinceFiltersOnTheEventTime) {
  const EventReport r = Build(SyntheticLog(), "2026-11-22T10:01:30Z");
  // Kept: 3 (10:02), 4 (11:30), 5 (10:03), 8 (12:00), 9 (13:00).
  EXPECT_EQ(r.events, 5u);
  EXPECT_EQ(r.excluded_by_since, 4u);
  EXPECT_EQ(r.unparsable, 2u);
  EXPECT_TRUE(r.protected_reads_outside_jurisdiction.empty());
  EXPECT_EQ(r.denied.at("li").count, 2u);
  EXPECT_THAT(FormatReportText(r),
              HasSubstr("events since 2026-11-22T10:01:30Z: 5   unparsable entries: 2"));
  // An offset is honoured: 11:00+01:00 is 10:00Z.
  EXPECT_EQ(Build(SyntheticLog(), "2026-11-22T11:00:00+01:00").protected_reads_outside_jurisdiction,
            std::vector<uint64_t>{2});
  EXPECT_THAT(EventReportBuilder::Create("yesterday"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(EventReport, ReadsTheVerifiedMirrorOfAState) {
  domicile::testing::TempDir dir;
  Bytes seed(32, 7);
  ASSERT_OK_AND_ASSIGN(testing::TestLogWriter writer,
                       testing::TestLogWriter::Create(dir / "log", "events.test/log", seed));
  for (const std::string& e : SyntheticLog()) writer.Append(ToBytes(e));
  ASSERT_OK(writer.Publish());
  EXPECT_THAT(ReportFromState(dir / "state", std::nullopt),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  ASSERT_OK_AND_ASSIGN(tlog::NoteVerifier key, tlog::ParseNoteVerifier(writer.verifier_key()));
  DirectoryLogSource source(writer.dir());
  ASSERT_OK(VerifyLog(source, key, dir / "state"));
  ASSERT_OK_AND_ASSIGN(EventReport r, ReportFromState(dir / "state", std::nullopt));
  EXPECT_EQ(r.origin, "events.test/log");
  EXPECT_EQ(r.log_size, 11u);
  EXPECT_EQ(r.entries, 11u);
  EXPECT_THAT(r.protected_reads_outside_jurisdiction, ElementsAre(2));
  const nlohmann::json j = nlohmann::json::parse(FormatReportJson(r));
  EXPECT_EQ(j["log"]["size"], 11);
  EXPECT_EQ(j["log"]["origin"], "events.test/log");
}

}  // namespace
}  // namespace domicile::audit

namespace domicile::audit {
namespace {

std::string GrantStep(std::string_view step, std::string_view id, bool break_glass, bool reviewed) {
  nlohmann::json j = {
      {"v", 1},
      {"kind", "grant"},
      {"time", "2026-11-22T10:00:00.000Z"},
      {"node", "us-1"},
      {"step", step},
      {"grant",
       {{"id", id}, {"requester", "bob"}, {"scope", "subject:u1"}, {"break_glass", break_glass}}}};
  if (break_glass) j["grant"]["reviewed"] = reviewed;
  return j.dump();
}

TEST(EventReport, GrantsPeopleWithoutGrantsAndUnreviewedBreakGlass) {
  nlohmann::json under_grant = nlohmann::json::parse(
      Access("2026-11-22T10:00:00.000Z", "bob", "usds", "US", "read", "protected", "US", "allow"));
  under_grant["grant"] = "g-1";
  const EventReport r = Build({
      GrantStep("request", "g-1", false, false),
      GrantStep("activate", "g-1", false, false),
      under_grant.dump(),
      // bob read without naming a grant: standing access.
      Access("2026-11-22T10:05:00.000Z", "bob", "usds", "US", "read", "protected", "US", "allow"),
      GrantStep("activate", "g-2", true, false),  // break-glass, reviewed below
      GrantStep("activate", "g-3", true, false),  // break-glass, never reviewed
      GrantStep("review", "g-2", true, true),
  });
  EXPECT_THAT(r.protected_reads_by_people_without_grant, ElementsAre(3u));
  EXPECT_THAT(r.grant_steps,
              UnorderedElementsAre(Pair("request", 1u), Pair("activate", 3u), Pair("review", 1u)));
  ASSERT_EQ(r.break_glass.size(), 2u);
  EXPECT_TRUE(r.break_glass[0].reviewed);
  EXPECT_FALSE(r.break_glass[1].reviewed);
  const std::string text = FormatReportText(r);
  EXPECT_THAT(text, HasSubstr("PROTECTED READS BY PEOPLE WITHOUT A GRANT: 1"));
  EXPECT_THAT(text, HasSubstr("UNREVIEWED BREAK-GLASS GRANTS: 1\n  g-3  bob on subject:u1"));
  const nlohmann::json j = nlohmann::json::parse(FormatReportJson(r));
  EXPECT_EQ(j["break_glass"].size(), 2u);
  EXPECT_EQ(j["protected_reads_by_people_without_grant"]["count"], 1);
}

// A custodian event as the custodian writes it (docs/events.md).
std::string Custodian(std::string_view principal, std::string_view location, std::string_view cls,
                      std::string_view decision, std::string_view reason = "") {
  nlohmann::json j = {
      {"v", 1},
      {"kind", "custodian"},
      {"time", "2026-11-22T10:00:00.000Z"},
      {"node", "custodian-us"},
      {"operation", "unwrap"},
      {"decision", decision},
      {"principal",
       {{"id", principal},
        {"type", "User"},
        {"entity", "usds"},
        {"location", location},
        {"roles", nlohmann::json::array()}}},
      {"action", "read"},
      {"resource",
       {{"subject", "u1"}, {"key", "k"}, {"jurisdiction", "US"}, {"site", "s"}, {"class", cls}}},
      {"kek", "site/s/US"},
      {"node_log_index", 3},
  };
  if (!reason.empty()) j["reason"] = reason;
  return j.dump();
}

TEST(EventReport, CustodianDecisionsRefusalsAndKeysReleasedAbroad) {
  const EventReport r = Build({
      Custodian("bob", "US", "protected", "allow"),
      Custodian("li", "CN", "protected", "deny", "principal 'li' is located in CN"),
      Custodian("li", "CN", "public", "allow"),      // public: fine anywhere
      Custodian("eve", "CN", "protected", "allow"),  // must never happen
  });
  EXPECT_THAT(r.custodian_decisions, UnorderedElementsAre(Pair("allow", 3u), Pair("deny", 1u)));
  ASSERT_EQ(r.custodian_refusals.size(), 1u);
  EXPECT_EQ(r.custodian_refusals[0].index, 1u);
  EXPECT_EQ(r.custodian_refusals[0].principal, "li");
  EXPECT_THAT(r.keys_released_outside_jurisdiction, ElementsAre(3u));
  const std::string text = FormatReportText(r);
  EXPECT_THAT(text, HasSubstr("PROTECTED DATA KEYS RELEASED OUTSIDE THE DATA'S JURISDICTION: 1"
                              "   <-- MUST BE 0\n  at entries: 3"));
  EXPECT_THAT(text, HasSubstr("entry 1  2026-11-22T10:00:00.000Z  li: principal 'li' is located"));
  const nlohmann::json j = nlohmann::json::parse(FormatReportJson(r));
  EXPECT_EQ(j["keys_released_outside_jurisdiction"]["count"], 1);
  EXPECT_EQ(j["custodian_refusals"][0]["reason"], "principal 'li' is located in CN");
}

}  // namespace
}  // namespace domicile::audit
