// Import, migration, shredding and erasure on a vault with a legacy site and a primary site,
// with the real key custodian (its rules 6 and 7) over a file keyring.
#include <algorithm>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "crypto/sha256.h"
#include "custodian/custodian.h"
#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/file_keyring.h"
#include "nlohmann/json.hpp"
#include "ops/backup.h"
#include "ops/backups.h"
#include "ops/import.h"
#include "ops/merkle_root.h"
#include "ops/migration.h"
#include "ops/operations.h"
#include "ops/shred.h"
#include "ops/site_keys.h"
#include "ops/sites.h"
#include "store/rocksdb_store.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_macros.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"
#include "vault/memory_event_log.h"

namespace domicile::ops {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;

// Allows the principal "ops" everything and the service "svc" reads; denies the rest.
class OpsDecider final : public vault::Decider {
 public:
  vault::Decision Decide(const vault::Principal& p, vault::Action action, const vault::Resource&,
                         const vault::RequestContext&) const override {
    const bool allow =
        p.id == "ops" ||
        (p.id == "svc" && (action == vault::Action::kRead || action == vault::Action::kWrite));
    return vault::Decision{allow, allow ? "test allows" : "test denies", {"test"}, {}, {}};
  }
};

vault::Principal Person(std::string id, vault::PrincipalType type) {
  vault::Principal p;
  p.id = std::move(id);
  p.type = type;
  p.entity = "usds";
  p.location = "US";
  return p;
}

std::string Line(std::string_view subject, std::string_view key, std::string_view value,
                 std::string_view cls = "protected") {
  return nlohmann::json({{"subject", subject},
                         {"key", key},
                         {"class", cls},
                         {"value_b64", Base64Encode(AsBytes(value))}})
             .dump() +
         "\n";
}

class LifecycleTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::unique_ptr<vault::SiteStore>> sites;
    std::vector<vault::Site> defs = {{"us-tx", "US", "oracle", vault::SiteRole::kPrimary},
                                     {"sg", "SG", "self", vault::SiteRole::kLegacy, LegacyOf()}};
    for (const vault::Site& s : defs) {
      auto kv = store::OpenRocksDbStore(dir_ / ("sites/" + s.id));
      ASSERT_OK(kv.status());
      sites.push_back(std::make_unique<vault::SiteStore>(s, Wrap(s, std::move(*kv))));
    }
    auto meta = store::OpenRocksDbStore(dir_ / "meta");
    ASSERT_OK(meta.status());
    auto ring = keys::FileKeyring::Open(dir_ / "keyring", crypto::SecretBytes(32));
    ASSERT_OK(ring.status());
    ring_ = ring->get();
    auto state = store::OpenRocksDbStore(dir_ / "custodian");
    ASSERT_OK(state.status());
    custodian::CustodianOptions options;
    options.log = &log_;
    auto c = custodian::Custodian::Open(std::move(*ring), std::move(*state), &clock_, options);
    ASSERT_OK(c.status());
    vault::ResidencyRules rules;
    rules.AllowPrimary("US", "us-tx");
    auto v = vault::Vault::Create(std::move(sites), std::move(*meta), std::move(rules),
                                  std::move(*c), std::make_unique<OpsDecider>(), &clock_,
                                  vault::VaultOptions{.log = &log_, .source = {"test-node"}});
    ASSERT_OK(v.status());
    vault_ = std::move(*v);
  }

  // Whose data the legacy site "sg" holds.
  virtual std::vector<std::string> LegacyOf() const { return {"US"}; }

  // A derived fixture may put a site's store behind a wrapper.
  virtual std::unique_ptr<store::KvStore> Wrap(const vault::Site&,
                                               std::unique_ptr<store::KvStore> kv) {
    return kv;
  }

  vault::Caller Ops() { return vault::Caller{&ops_, {}}; }

  absl::StatusOr<ImportResult> ImportLines(std::string_view site, std::string body,
                                           uint64_t first_line = 1, bool skip = false,
                                           std::string_view id = "dump-1") {
    ImportRequest r{std::string(site), "US", std::string(id), first_line, body, skip};
    return Import(*vault_, Ops(), r);
  }

  // Imports n records into the legacy site.
  void Fill(int n) {
    std::string body;
    for (int i = 0; i < n; ++i) {
      body += Line(fmt::format("u{}", i % 50), fmt::format("k{}", i), fmt::format("value {}", i),
                   i % 7 == 0 ? "public" : "protected");
    }
    ASSERT_OK(ImportLines("sg", body).status());
  }

  std::string Read(std::string_view subject, std::string_view key, std::string* site = nullptr) {
    absl::StatusOr<vault::ReadResult> r = vault_->Get(vault::Caller{&svc_, {}}, subject, key);
    if (!r.ok()) return "error: " + std::string(r.status().message());
    if (site != nullptr) *site = r->site;
    return r->value;
  }

  std::vector<nlohmann::json> EventsOfKind(std::string_view kind) const {
    std::vector<nlohmann::json> out;
    for (const std::string& e : log_.entries()) {
      nlohmann::json j = nlohmann::json::parse(e);
      if (j["kind"] == kind) out.push_back(std::move(j));
    }
    return out;
  }

  testing::TempDir dir_;
  FakeClock clock_;
  vault::MemoryEventLog log_;
  keys::KeyProvider* ring_ = nullptr;  // owned by the custodian
  std::unique_ptr<vault::Vault> vault_;
  vault::Principal ops_ = Person("ops", vault::PrincipalType::kUser);
  vault::Principal svc_ = Person("svc", vault::PrincipalType::kService);
};

TEST_F(LifecycleTest, ImportsIntoALegacySiteOfItsJurisdictionOnly) {
  ASSERT_OK_AND_ASSIGN(ImportResult r, ImportLines("sg", Line("u1", "email", "a@example.com") +
                                                             Line("u2", "name", "Ann", "public")));
  EXPECT_EQ(r.imported, 2u);
  EXPECT_EQ(r.registered, 2u);
  EXPECT_EQ(r.next_line, 3u);
  std::string site;
  EXPECT_EQ(Read("u1", "email", &site), "a@example.com");
  EXPECT_EQ(site, "sg");
  ImportRequest sg{"sg", "SG", "dump-2", 1, Line("s1", "k", "v"), false};
  EXPECT_THAT(Import(*vault_, Ops(), sg), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(ErrorCodeOf(Import(*vault_, Ops(), sg).status()), error_code::kResidencyViolation);
  ImportRequest primary{"us-tx", "SG", "dump-3", 1, Line("s1", "k", "v"), false};
  EXPECT_EQ(ErrorCodeOf(Import(*vault_, Ops(), primary).status()), error_code::kResidencyViolation);
  // The custodian released keys for the import without a grant (rule 6), and said so.
  EXPECT_FALSE(EventsOfKind("custodian").empty());
  ASSERT_EQ(EventsOfKind("import").size(), 1u);
  EXPECT_EQ(EventsOfKind("import")[0]["records"], 2);
}

TEST_F(LifecycleTest, ReportsBadLinesByNumberAndAbortsOrSkips) {
  const std::string body =
      Line("u1", "a", "1") + "{not json\n" + Line("u1", "b", "2") +
      "{\"subject\":\"u1\",\"key\":\"c\",\"class\":\"secret\",\"value_b64\":\"\"}\n";
  absl::Status aborted = ImportLines("sg", body).status();
  EXPECT_THAT(aborted, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 2:")));
  EXPECT_THAT(aborted, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("line 4:")));
  EXPECT_THAT(Read("u1", "a"), HasSubstr("error"));  // nothing was written
  ASSERT_OK_AND_ASSIGN(ImportResult skipped, ImportLines("sg", body, 1, /*skip=*/true));
  EXPECT_EQ(skipped.imported, 2u);
  EXPECT_EQ(skipped.skipped, 2u);
  ASSERT_EQ(skipped.errors.size(), 2u);
  EXPECT_EQ(skipped.errors[0].line, 2u);
  EXPECT_EQ(skipped.errors[1].line, 4u);
  EXPECT_EQ(Read("u1", "b"), "2");
}

TEST_F(LifecycleTest, AnInterruptedImportResumesWithoutImportingTwice) {
  std::string first = Line("u1", "a", "1") + Line("u1", "b", "2");
  std::string all = first + Line("u1", "c", "3");
  ASSERT_OK(ImportLines("sg", first).status());
  ASSERT_OK_AND_ASSIGN(uint64_t next, ImportProgress(*vault_, "sg", "dump-1"));
  EXPECT_EQ(next, 3u);
  // The client sends everything again from line 1: the first two are already there.
  ASSERT_OK_AND_ASSIGN(ImportResult again, ImportLines("sg", all));
  EXPECT_EQ(again.already, 2u);
  EXPECT_EQ(again.imported, 1u);
  ASSERT_OK_AND_ASSIGN(vault::ListResult list, vault_->List(vault::Caller{&ops_, {}}, "u1"));
  for (const vault::RecordInfo& r : list.records) EXPECT_EQ(r.version, 1u) << r.key;
  // A gap is refused.
  EXPECT_THAT(ImportLines("sg", Line("u1", "z", "9"), 10),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("expects line 4")));
}

TEST_F(LifecycleTest, MigratesWithMatchingRootsAndReadsComeFromThePrimary) {
  Fill(120);
  Progress progress;
  ASSERT_OK_AND_ASSIGN(MigrationResult m, Migrate(*vault_, Ops(), {"sg", "us-tx", ""}, progress));
  EXPECT_TRUE(m.verified);
  EXPECT_EQ(m.records, 120u);
  EXPECT_EQ(m.copied, 120u);
  EXPECT_EQ(m.source_root, m.target_root);
  std::string site;
  EXPECT_EQ(Read("u3", "k53", &site), "value 53");
  EXPECT_EQ(site, "us-tx");
  ASSERT_EQ(EventsOfKind("migration").size(), 1u);
  EXPECT_EQ(EventsOfKind("migration")[0]["source_root"], HexEncode(m.source_root));
  // A second run copies nothing and verifies the same roots.
  Progress again;
  ASSERT_OK_AND_ASSIGN(MigrationResult second, Migrate(*vault_, Ops(), {"sg", "us-tx", ""}, again));
  EXPECT_EQ(second.copied, 0u);
  EXPECT_EQ(second.target_root, m.target_root);
}

TEST_F(LifecycleTest, AnInterruptedMigrationResumesWhereItStopped) {
  Fill(2500);
  Progress stopped;
  stopped.cancel.store(true);  // stops after its first batch
  EXPECT_THAT(Migrate(*vault_, Ops(), {"sg", "us-tx", "US"}, stopped),
              StatusIs(absl::StatusCode::kCancelled));
  Progress resumed;
  ASSERT_OK_AND_ASSIGN(MigrationResult m, Migrate(*vault_, Ops(), {"sg", "us-tx", "US"}, resumed));
  EXPECT_TRUE(m.verified);
  EXPECT_EQ(m.records, 2500u);
  EXPECT_GT(m.copied, 0u);
  EXPECT_LT(m.copied, 2500u);  // the first run's batch was kept
}

// The progress bar's total for a legacy site of one jurisdiction is the store's estimate while
// the pass runs, and the exact count once it is done.
TEST_F(LifecycleTest, AMigrationsTotalIsEstimatedWhileItRunsAndExactWhenDone) {
  Fill(2500);
  Progress stopped;
  stopped.cancel.store(true);  // stops after its first window
  EXPECT_THAT(Migrate(*vault_, Ops(), {"sg", "us-tx", "US"}, stopped),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_TRUE(stopped.totals_estimated.load());
  EXPECT_GT(stopped.records_total.load(), 0u);
  Progress resumed;
  ASSERT_OK_AND_ASSIGN(MigrationResult m, Migrate(*vault_, Ops(), {"sg", "us-tx", "US"}, resumed));
  EXPECT_FALSE(resumed.totals_estimated.load());
  EXPECT_EQ(resumed.records_total.load(), 2500u);
  EXPECT_EQ(resumed.records.load(), 2500u);
  EXPECT_EQ(m.records, 2500u);
}

// A legacy site that may hold several jurisdictions' data: its statistics cannot tell one
// jurisdiction's records from another's, so they are counted.
class SharedLegacySiteTest : public LifecycleTest {
 protected:
  std::vector<std::string> LegacyOf() const override { return {"US", "SG"}; }
};

TEST_F(SharedLegacySiteTest, AMigrationsTotalIsCountedBesideThePass) {
  Fill(2500);
  Progress stopped;
  stopped.cancel.store(true);
  EXPECT_THAT(Migrate(*vault_, Ops(), {"sg", "us-tx", "US"}, stopped),
              StatusIs(absl::StatusCode::kCancelled));
  EXPECT_FALSE(stopped.totals_estimated.load());
  EXPECT_EQ(stopped.records_total.load(), 2500u);  // counted while the first window ran
  Progress resumed;
  ASSERT_OK_AND_ASSIGN(MigrationResult m, Migrate(*vault_, Ops(), {"sg", "us-tx", "US"}, resumed));
  EXPECT_TRUE(m.verified);
  EXPECT_EQ(resumed.records_total.load(), 2500u);
}

// Small chunks, windows and files, so that every boundary of the pass is crossed many times:
// the roots do not depend on them, and a second run with the defaults copies nothing.
TEST_F(LifecycleTest, AMigrationAcrossManyWindowsVerifiesAsOneWithTheDefaultsWould) {
  Fill(2500);
  Progress progress;
  MigrationTuning small;
  small.chunk_records = 16;
  small.window_bytes = 16 << 10;
  small.file_bytes = 4 << 10;
  small.verify_bytes = 2 << 10;
  ASSERT_OK_AND_ASSIGN(MigrationResult m,
                       Migrate(*vault_, Ops(), {"sg", "us-tx", "US"}, progress, small));
  EXPECT_TRUE(m.verified);
  EXPECT_EQ(m.records, 2500u);
  EXPECT_EQ(m.copied, 2500u);
  EXPECT_EQ(progress.records.load(), 2500u);
  EXPECT_EQ(Read("u7", "k2457"), "value 2457");
  EXPECT_EQ(Read("u0", "k0"), "value 0");  // public, the first record
  Progress again;
  ASSERT_OK_AND_ASSIGN(MigrationResult second,
                       Migrate(*vault_, Ops(), {"sg", "us-tx", "US"}, again));
  EXPECT_TRUE(second.verified);
  EXPECT_EQ(second.copied, 0u);
  EXPECT_EQ(second.source_root, m.source_root);
  EXPECT_EQ(second.target_root, m.target_root);
}

TEST_F(LifecycleTest, AMigrationWhoseCopyDiffersDoesNotVerifyAndCannotBeShredded) {
  Fill(30);
  Progress p1;
  ASSERT_OK(Migrate(*vault_, Ops(), {"sg", "us-tx", ""}, p1).status());
  // A live write changes a migrated record at the primary.
  ASSERT_OK(vault_
                ->Put(vault::Caller{&svc_, {}},
                      {"u1", "k1", vault::Classification::kProtected, "", "changed"})
                .status());
  Progress p2;
  EXPECT_THAT(Migrate(*vault_, Ops(), {"sg", "us-tx", ""}, p2),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("did not verify")));
  EXPECT_EQ(EventsOfKind("migration").back()["verified"], false);
  // Each root is what the records of its side give, computed here from reads: the source's
  // hold the imported values at version 1, the target's what the primary now serves.
  std::vector<std::pair<std::string, std::string>> records;  // in store order
  for (int i = 0; i < 30; ++i) records.emplace_back(fmt::format("u{}", i), fmt::format("k{}", i));
  std::sort(records.begin(), records.end(), [](const auto& a, const auto& b) {
    return vault::RecordStoreKey(a.first, a.second) < vault::RecordStoreKey(b.first, b.second);
  });
  MerkleRoot source, target;
  for (const auto& [subject, key] : records) {
    const std::string imported = fmt::format("value {}", key.substr(1));
    source.AddLeafHash(RecordLeafHash(subject, key, 1, crypto::Sha256(AsBytes(imported))));
    ASSERT_OK_AND_ASSIGN(vault::ReadResult r, vault_->Get(vault::Caller{&svc_, {}}, subject, key));
    EXPECT_EQ(r.site, "us-tx");
    target.AddLeafHash(RecordLeafHash(subject, key, r.version, crypto::Sha256(AsBytes(r.value))));
  }
  EXPECT_EQ(EventsOfKind("migration").back()["source_root"], HexEncode(source.Root()));
  EXPECT_EQ(EventsOfKind("migration").back()["target_root"], HexEncode(target.Root()));
  Progress p3;
  EXPECT_THAT(Shred(*vault_, Ops(), {"sg", "", false}, p3),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("no verified migration")));
}

TEST_F(LifecycleTest, ShredsOnlyAfterAVerifiedMigrationDestroyingTheKeys) {
  Fill(40);
  Progress p0;
  EXPECT_THAT(Shred(*vault_, Ops(), {"sg", "", false}, p0),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_TRUE(ring_->HasKey("site/sg/US"));
  Progress p1;
  ASSERT_OK(Migrate(*vault_, Ops(), {"sg", "us-tx", ""}, p1).status());
  Progress p2;
  ASSERT_OK_AND_ASSIGN(ShredResult s, Shred(*vault_, Ops(), {"sg", "", false}, p2));
  EXPECT_THAT(s.keks_destroyed, ::testing::ElementsAre("site/sg/US", "site/sg/US/public"));
  EXPECT_EQ(s.records, 40u);
  EXPECT_GT(s.data_keys, 0u);
  EXPECT_FALSE(ring_->HasKey("site/sg/US"));
  EXPECT_FALSE(ring_->HasKey("site/sg/US/public"));
  ASSERT_EQ(EventsOfKind("shred").size(), 1u);
  const nlohmann::json attestation = EventsOfKind("shred")[0];
  EXPECT_EQ(attestation["records_deleted"], 40);
  EXPECT_EQ(attestation["forced"], false);
  EXPECT_EQ(attestation["migration"]["target_root"], attestation["migration"]["source_root"]);
  // The data lives on at the primary; the legacy site holds nothing.
  EXPECT_EQ(Read("u1", "k1"), "value 1");
  uint64_t left = 0;
  ASSERT_OK(vault_->FindSite("sg")->kv().Scan("", [&](std::string_view k, std::string_view) {
    left += k.starts_with("r/") || k.starts_with("k/") || k.starts_with("kp/");
    return true;
  }));
  EXPECT_EQ(left, 0u);
  // Nothing is left to migrate or shred again.
  Progress p3, p4;
  EXPECT_THAT(Migrate(*vault_, Ops(), {"sg", "us-tx", ""}, p3),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("was shredded")));
  EXPECT_THAT(Shred(*vault_, Ops(), {"sg", "", false}, p4),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("already shredded")));
  // A shredded KEK is never created again: nothing can be imported there any more.
  EXPECT_THAT(ImportLines("sg", Line("u9", "a", "1"), 1, false, "later"),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("destroyed")));
}

TEST_F(LifecycleTest, ForcedShredIsItsOwnActionAndRecordedAsForced) {
  Fill(5);
  Progress p;
  ASSERT_OK_AND_ASSIGN(ShredResult s, Shred(*vault_, Ops(), {"sg", "US", true}, p));
  EXPECT_TRUE(s.forced);
  EXPECT_EQ(EventsOfKind("shred")[0]["forced"], true);
  bool decided_forced = false;
  for (const nlohmann::json& e : EventsOfKind("access")) {
    decided_forced |= e["action"] == "shred.force" && e["decision"] == "allow";
  }
  EXPECT_TRUE(decided_forced);
  EXPECT_THAT(Read("u1", "k1"), HasSubstr("error"));  // nowhere else: it is gone
}

TEST_F(LifecycleTest, ErasureDestroysTheSubjectsKeysAndRecordsEverywhere) {
  Fill(20);
  Progress p;
  ASSERT_OK(Migrate(*vault_, Ops(), {"sg", "us-tx", ""}, p).status());  // u1 now at both sites
  ASSERT_OK_AND_ASSIGN(vault::EraseResult e, vault_->EraseSubject(Ops(), "u1"));
  EXPECT_THAT(e.sites, ::testing::UnorderedElementsAre("sg", "us-tx"));
  EXPECT_GT(e.records, 0u);
  EXPECT_GT(e.data_keys, 0u);
  EXPECT_THAT(vault_->SubjectJurisdiction("u1"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(std::optional<int64_t> when, vault_->subjects().ErasedAt("u1"));
  EXPECT_TRUE(when.has_value());
  for (const char* site : {"sg", "us-tx"}) {
    ASSERT_OK_AND_ASSIGN(
        auto key, vault_->FindSite(site)->GetDataKey("u1", vault::Classification::kProtected));
    EXPECT_FALSE(key.has_value()) << site;
  }
  EXPECT_THAT(vault_->EraseSubject(vault::Caller{&svc_, {}}, "u2"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(LifecycleTest, ABackupTakenBeforeTheShredRestoresButOpensForNobody) {
  Fill(30);
  BackupDestinations destinations(*vault_);
  destinations.AddDirectory("archive", "US", dir_ / "archive");
  CheckpointFn checkpoint = [] { return std::string("test checkpoint\n"); };
  // The rules allow no US backups at "archive": refused before anything is written.
  Progress refused;
  EXPECT_EQ(
      ErrorCodeOf(
          RunBackup(*vault_, Ops(), destinations, checkpoint, {"sg", "archive"}, refused).status()),
      error_code::kResidencyViolation);
  EXPECT_FALSE(std::filesystem::exists(dir_ / "archive"));
}

TEST_F(LifecycleTest, RestoredDataKeysOfAShreddedSiteOpenForNobody) {
  Fill(30);
  BackupDestinations destinations(*vault_);
  destinations.AddDirectory("archive", "US", dir_ / "archive");
  DirectoryBackupStore store(dir_ / "archive");
  BackupParams params{"sg", "SG", {"US"}, "checkpoint", &clock_};
  ASSERT_OK_AND_ASSIGN(BackupManifest m, TakeBackup(vault_->FindSite("sg")->kv(), store, params));
  Progress p1, p2, p3;
  ASSERT_OK(Migrate(*vault_, Ops(), {"sg", "us-tx", ""}, p1).status());
  ASSERT_OK(Shred(*vault_, Ops(), {"sg", "", false}, p2).status());
  ASSERT_OK_AND_ASSIGN(nlohmann::json restored,
                       RunRestore(*vault_, Ops(), destinations, {"archive", m.id, "sg"}, p3));
  EXPECT_EQ(restored["records_restored"], 30);
  EXPECT_EQ(EventsOfKind("restore").size(), 1u);
  // The restored wrapped keys are there, and the custodian cannot open them: their KEK is gone.
  vault::Justification why;
  why.principal = svc_;
  why.jurisdiction = "US";
  why.site = "sg";
  ASSERT_OK_AND_ASSIGN(std::optional<keys::WrappedDataKey> wrapped,
                       vault_->FindSite("sg")->GetDataKey("u1", vault::Classification::kProtected));
  ASSERT_TRUE(wrapped.has_value());
  why.subject = "u1";
  EXPECT_FALSE(UnwrapNow(vault_->custodian(), why, *wrapped).ok());
}

TEST(OperationsTest, StartsFollowsAndStopsAnOperationForItsOwnerOnly) {
  Operations ops;
  // One that is refused before it begins: the refusal is the answer to Start.
  EXPECT_THAT(ops.Start("migrate", "ops",
                        [](Progress&) -> absl::StatusOr<nlohmann::json> {
                          return absl::PermissionDeniedError("no");
                        }),
              StatusIs(absl::StatusCode::kPermissionDenied));
  // One that runs until it is stopped.
  ASSERT_OK_AND_ASSIGN(nlohmann::json state,
                       ops.Start("shred", "ops", [](Progress& p) -> absl::StatusOr<nlohmann::json> {
                         p.started.store(true);
                         while (!p.cancel.load()) std::this_thread::yield();
                         return absl::CancelledError("stopped");
                       }));
  EXPECT_EQ(state["state"], "running");
  const std::string id = state["id"];
  EXPECT_THAT(ops.Describe(id, "someone-else"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(ops.Cancel(id, "ops").status());
  nlohmann::json end;
  do {
    ASSERT_OK_AND_ASSIGN(end, ops.Describe(id, "ops"));
  } while (end["state"] == "stopping" || end["state"] == "running");
  EXPECT_EQ(end["state"], "cancelled");
  EXPECT_EQ(end["error"]["code"], "cancelled");
}

// A target whose bulk loads store one record other than as written (a fault in the store or in
// the load), for the migration's read-back to catch.
class AlteredBulkLoad final : public store::BulkLoad {
 public:
  explicit AlteredBulkLoad(std::unique_ptr<store::BulkLoad> inner) : inner_(std::move(inner)) {}
  absl::Status Put(std::string_view key, std::string_view value) override {
    if (key != "r/u3/k53") return inner_->Put(key, value);
    std::string altered(value);
    altered.back() ^= 1;
    return inner_->Put(key, altered);
  }
  absl::Status Commit() override { return inner_->Commit(); }

 private:
  std::unique_ptr<store::BulkLoad> inner_;
};

class AlteringStore final : public store::KvStore {
 public:
  explicit AlteringStore(std::unique_ptr<store::KvStore> inner) : inner_(std::move(inner)) {}
  absl::StatusOr<std::string> Get(std::string_view key) const override { return inner_->Get(key); }
  absl::Status Put(std::string_view key, std::string_view value) override {
    return inner_->Put(key, value);
  }
  absl::Status Delete(std::string_view key) override { return inner_->Delete(key); }
  absl::Status Write(const store::WriteBatch& batch) override { return inner_->Write(batch); }
  absl::StatusOr<std::unique_ptr<store::BulkLoad>> StartBulkLoad() override {
    ASSIGN_OR_RETURN(std::unique_ptr<store::BulkLoad> load, inner_->StartBulkLoad());
    return std::make_unique<AlteredBulkLoad>(std::move(load));
  }
  absl::Status Scan(std::string_view prefix, const store::ScanFn& fn) const override {
    return inner_->Scan(prefix, fn);
  }
  absl::Status ScanFrom(std::string_view prefix, std::string_view start,
                        const store::ScanFn& fn) const override {
    return inner_->ScanFrom(prefix, start, fn);
  }
  absl::Status ScanOnce(std::string_view prefix, std::string_view start,
                        const store::ScanFn& fn) const override {
    return inner_->ScanOnce(prefix, start, fn);
  }
  absl::StatusOr<std::unique_ptr<store::Snapshot>> GetSnapshot() const override {
    return inner_->GetSnapshot();
  }

 private:
  std::unique_ptr<store::KvStore> inner_;
};

class AlteringTargetTest : public LifecycleTest {
 protected:
  std::unique_ptr<store::KvStore> Wrap(const vault::Site& site,
                                       std::unique_ptr<store::KvStore> kv) override {
    if (site.id != "us-tx") return kv;
    return std::make_unique<AlteringStore>(std::move(kv));
  }
};

// The copy is read back from the target as stored, not taken from memory: one record stored
// otherwise than written leaves the migration unverified, and the source unmarked.
TEST_F(AlteringTargetTest, ACopyTheTargetDoesNotHoldAsWrittenDoesNotVerify) {
  Fill(120);
  Progress progress;
  EXPECT_THAT(Migrate(*vault_, Ops(), {"sg", "us-tx", "US"}, progress),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("did not verify")));
  ASSERT_EQ(EventsOfKind("migration").size(), 1u);
  EXPECT_EQ(EventsOfKind("migration")[0]["verified"], false);
  EXPECT_EQ(EventsOfKind("migration")[0]["copied"], 120);
  EXPECT_NE(EventsOfKind("migration")[0]["source_root"],
            EventsOfKind("migration")[0]["target_root"]);
  ASSERT_OK_AND_ASSIGN(std::optional<nlohmann::json> mark,
                       MigratedMark(*vault_->FindSite("sg"), "US"));
  EXPECT_FALSE(mark.has_value());
}

}  // namespace
}  // namespace domicile::ops
