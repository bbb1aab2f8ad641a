// The custodian's rules, one test per rule and per attack from the issue: each refusal is a
// custodian_refused error, is logged, and releases nothing.
#include "custodian/custodian.h"

#include "access/approval.h"
#include "access/grant.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/file_keyring.h"
#include "store/rocksdb_store.h"
#include "util/errors.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"
#include "vault/memory_event_log.h"

namespace domicile::custodian {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;
using vault::Principal;
using vault::PrincipalType;

constexpr int64_t kNow = 1'800'000'000;

Principal P(std::string id, PrincipalType type, std::string location) {
  Principal p;
  p.id = std::move(id);
  p.type = type;
  p.entity = "usds";
  p.location = std::move(location);
  return p;
}

class CustodianTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"alice", "carol", "bob", "zed", "mallory"}) {
      ASSERT_OK_AND_ASSIGN(keys_[name], access::GenerateApproverKey(name));
    }
    Open();
    ASSERT_OK(custodian_->EnsureKek(kek_));
    ASSERT_OK_AND_ASSIGN(keys::NewDataKey k, keys::GenerateDataKey(custodian_->keys(), kek_));
    wrapped_ = k.wrapped;
    plain_ = Bytes(k.plaintext.view().begin(), k.plaintext.view().end());
  }

  void Open() {
    custodian_.reset();
    ASSERT_OK_AND_ASSIGN(auto ring,
                         keys::FileKeyring::Open(dir_ / "ring", crypto::SecretBytes(32)));
    ASSERT_OK_AND_ASSIGN(auto state, store::OpenRocksDbStore(dir_ / "state"));
    CustodianOptions o;
    o.quorum = 2;
    // alice and carol approve in the US; zed is an approver located abroad; bob is an approver
    // too (to show he still cannot approve his own grant). mallory is no approver.
    o.approvers["alice"] = {"alice", "US", keys_["alice"].verifier};
    o.approvers["carol"] = {"carol", "US", keys_["carol"].verifier};
    o.approvers["bob"] = {"bob", "US", keys_["bob"].verifier};
    o.approvers["zed"] = {"zed", "CN", keys_["zed"].verifier};
    o.log = &log_;
    o.source = {"custodian-us"};
    ASSERT_OK_AND_ASSIGN(custodian_,
                         Custodian::Open(std::move(ring), std::move(state), &clock_, o));
  }

  // A grant for bob on subject u1, read, protected, expiring in an hour.
  access::Grant BobsGrant(std::string id = "g-00000000000000a1") {
    access::Grant g;
    g.id = std::move(id);
    g.requester = "bob";
    g.scope_kind = "subject";
    g.scope_value = "u1";
    g.jurisdiction = "US";
    g.actions = {vault::Action::kRead};
    g.purpose = "support";
    g.expires = kNow + 3600;
    g.state = vault::GrantState::kActive;
    return g;
  }
  void Approve(access::Grant& g, const std::string& approver) { Approve(g, approver, g); }
  // `approver` signs the statement of `signed_grant` and the approval is put on `g`.
  void Approve(access::Grant& g, const std::string& approver, const access::Grant& signed_grant) {
    absl::StatusOr<std::string> note = access::SignApproval(signed_grant, keys_[approver]);
    ASSERT_OK(note.status());
    g.approvals.push_back({approver, kNow, *note});
  }

  vault::Justification Read(const Principal& p, const access::Grant* grant,
                            std::string subject = "u1",
                            vault::Classification cls = vault::Classification::kProtected) {
    vault::Justification why;
    why.principal = p;
    why.action = vault::Action::kRead;
    why.subject = std::move(subject);
    why.key = "email";
    why.jurisdiction = "US";
    why.site = "us-tx";
    why.classification = cls;
    why.log_index = 41;
    if (grant != nullptr) why.grant = grant->Facts();
    return why;
  }

  absl::StatusOr<crypto::SecretBytes> Unwrap(const vault::Justification& why) {
    absl::StatusOr<crypto::SecretBytes> out = absl::InternalError("not called");
    custodian_->Unwrap(why, wrapped_,
                       [&](absl::StatusOr<crypto::SecretBytes> k) { out = std::move(k); });
    return out;
  }

  // Unwraps and expects a refusal naming `reason`, logged as a custodian deny.
  void ExpectRefused(const vault::Justification& why, std::string_view reason) {
    const size_t before = log_.entries().size();
    EXPECT_THAT(Unwrap(why), StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr(reason)));
    ASSERT_EQ(log_.entries().size(), before + 1);
    nlohmann::json e = nlohmann::json::parse(log_.entries().back());
    EXPECT_EQ(e["kind"], "custodian");
    EXPECT_EQ(e["decision"], "deny");
    EXPECT_THAT(e["reason"].get<std::string>(), HasSubstr(reason));
  }

  void ExpectReleased(const vault::Justification& why) {
    absl::StatusOr<crypto::SecretBytes> k = Unwrap(why);
    ASSERT_OK(k.status());
    EXPECT_EQ(Bytes(k->view().begin(), k->view().end()), plain_);
    nlohmann::json e = nlohmann::json::parse(log_.entries().back());
    EXPECT_EQ(e["kind"], "custodian");
    EXPECT_EQ(e["decision"], "allow");
    EXPECT_EQ(e["node_log_index"], 41);
    EXPECT_EQ(e["kek"], kek_);
  }

  ::domicile::testing::TempDir dir_;
  FakeClock clock_{kNow};
  vault::MemoryEventLog log_;
  std::map<std::string, access::ApproverKey> keys_;
  std::unique_ptr<Custodian> custodian_;
  const std::string kek_ = keys::KekId("us-tx", "US");
  keys::WrappedDataKey wrapped_;
  Bytes plain_;
  const Principal bob_ = P("bob", PrincipalType::kUser, "US");
  const Principal li_ = P("li", PrincipalType::kUser, "CN");
  const Principal app_ = P("svc-app", PrincipalType::kService, "US");
  const Principal app_abroad_ = P("svc-sg", PrincipalType::kService, "SG");
};

TEST_F(CustodianTest, ReleasesUnderAGrantWithAQuorumOfValidApprovals) {
  access::Grant g = BobsGrant();
  Approve(g, "alice");
  Approve(g, "carol");
  ExpectReleased(Read(bob_, &g));
  nlohmann::json e = nlohmann::json::parse(log_.entries().back());
  EXPECT_EQ(e["grant"]["id"], g.id);
  EXPECT_EQ(e["grant"]["approvers"], nlohmann::json::array({"alice", "carol"}));
  EXPECT_EQ(e["principal"]["id"], "bob");
}

TEST_F(CustodianTest, ReleasesToServicesInTheJurisdictionAndPublicRecordsToAnyone) {
  ExpectReleased(Read(app_, nullptr));
  ExpectRefused(Read(app_abroad_, nullptr), "located in SG");
}

TEST_F(CustodianTest, RefusesPeopleWithoutAGrantAndPrincipalsAbroad) {
  ExpectRefused(Read(bob_, nullptr), "the request names none");
  access::Grant g = BobsGrant();
  Approve(g, "alice");
  Approve(g, "carol");
  g.requester = "li";  // li's own grant, correctly approved, still does not take li's key abroad
  ExpectRefused(Read(li_, &g), "located in CN");
}

TEST_F(CustodianTest, RefusesAGrantOfSomeoneElse) {
  access::Grant g = BobsGrant();
  Approve(g, "alice");
  Approve(g, "carol");
  Principal dave = P("dave", PrincipalType::kUser, "US");
  ExpectRefused(Read(dave, &g), "asked for by 'bob', not 'dave'");
}

TEST_F(CustodianTest, RefusesForgedAndMalformedSignatures) {
  access::Grant g = BobsGrant();
  Approve(g, "alice");
  // mallory signs with her own key but says the approval is carol's.
  Approve(g, "mallory");
  g.approvals.back().approver = "carol";
  ExpectRefused(Read(bob_, &g), "the signature of 'carol' does not verify");
  g.approvals.back().signed_note = "not a signed note";
  ExpectRefused(Read(bob_, &g), "the signature of 'carol' does not verify");
}

TEST_F(CustodianTest, RefusesApprovalsByTheRequesterAbroadUnknownOrTwice) {
  access::Grant g = BobsGrant();
  Approve(g, "alice");
  Approve(g, "bob");
  ExpectRefused(Read(bob_, &g), "'bob' is the requester");
  g.approvals.pop_back();
  Approve(g, "zed");
  ExpectRefused(Read(bob_, &g), "'zed' is located in CN");
  g.approvals.pop_back();
  Approve(g, "mallory");
  ExpectRefused(Read(bob_, &g), "'mallory' is not an approver the custodian knows");
  g.approvals.pop_back();
  Approve(g, "alice");
  ExpectRefused(Read(bob_, &g), "'alice' approved twice");
}

TEST_F(CustodianTest, RefusesApprovalsOfAnotherGrantAndATamperedGrant) {
  access::Grant other = BobsGrant("g-00000000000000b2");
  access::Grant g = BobsGrant();
  Approve(g, "alice");
  Approve(g, "carol", other);  // replay: carol's approval of another grant
  ExpectRefused(Read(bob_, &g), "the signature of 'carol' does not verify");

  // A node that widens a properly approved grant (longer, wider scope) breaks the signatures.
  access::Grant ok = BobsGrant();
  Approve(ok, "alice");
  Approve(ok, "carol");
  access::Grant longer = ok;
  longer.expires += 86400;
  ExpectRefused(Read(bob_, &longer), "valid approval(s) of the 2 needed");
  access::Grant wider = ok;
  wider.scope_kind = "jurisdiction";
  wider.scope_value = "US";
  ExpectRefused(Read(bob_, &wider, "u2"), "valid approval(s) of the 2 needed");
}

TEST_F(CustodianTest, RefusesUseOutsideTheGrantsScopeActionsOrTime) {
  access::Grant g = BobsGrant();
  Approve(g, "alice");
  Approve(g, "carol");
  ExpectRefused(Read(bob_, &g, "u2"), "does not cover");
  vault::Justification write = Read(bob_, &g);
  write.action = vault::Action::kWrite;
  ExpectRefused(write, "does not cover");
  clock_.Advance(std::chrono::seconds(3600));
  ExpectRefused(Read(bob_, &g), "expired");
}

TEST_F(CustodianTest, RefusesARevokedGrantEvenAfterARestart) {
  access::Grant g = BobsGrant();
  Approve(g, "alice");
  Approve(g, "carol");
  ExpectReleased(Read(bob_, &g));
  ASSERT_OK(custodian_->GrantRevoked(g.id));
  ExpectRefused(Read(bob_, &g), "revoked");
  Open();
  ExpectRefused(Read(bob_, &g), "revoked");
}

TEST_F(CustodianTest, BreakGlassNeedsOneApprovalOthersAQuorum) {
  access::Grant g = BobsGrant();
  Approve(g, "alice");
  ExpectRefused(Read(bob_, &g), "1 valid approval(s) of the 2 needed");
  access::Grant bg = BobsGrant("g-00000000000000c3");
  bg.break_glass = true;
  Approve(bg, "alice");
  ExpectReleased(Read(bob_, &bg));
}

TEST_F(CustodianTest, RefusesAKeyOfAnotherSiteOrJurisdiction) {
  vault::Justification why = Read(app_, nullptr);
  why.site = "sg";
  ExpectRefused(why, "is not the key of a US protected record at site 'sg'");
  why = Read(app_, nullptr);
  why.jurisdiction = "SG";
  ExpectRefused(why, "is not the key of a SG protected record");
  // A node that calls a protected record public, to get its key without the protected rules.
  ExpectRefused(Read(li_, nullptr, "u1", vault::Classification::kPublic),
                "is not the key of a US public record");
}

TEST_F(CustodianTest, ReleasesPublicDataKeysToAnyoneTheNodeAllowed) {
  const std::string public_kek = keys::PublicKekId("us-tx", "US");
  ASSERT_OK(custodian_->EnsureKek(public_kek));
  ASSERT_OK_AND_ASSIGN(keys::NewDataKey k, keys::GenerateDataKey(custodian_->keys(), public_kek));
  absl::StatusOr<crypto::SecretBytes> out = absl::InternalError("not called");
  custodian_->Unwrap(Read(li_, nullptr, "u1", vault::Classification::kPublic), k.wrapped,
                     [&](absl::StatusOr<crypto::SecretBytes> key) { out = std::move(key); });
  ASSERT_OK(out.status());
  // The public KEK's key is no protected one: asked for as protected, it is refused.
  custodian_->Unwrap(Read(app_, nullptr), k.wrapped,
                     [&](absl::StatusOr<crypto::SecretBytes> key) { out = std::move(key); });
  EXPECT_THAT(out, StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(CustodianTest, WithADirectoryRefusesUnknownPrincipalsAndFalseAttributes) {
  custodian_.reset();
  ASSERT_OK_AND_ASSIGN(auto ring, keys::FileKeyring::Open(dir_ / "ring", crypto::SecretBytes(32)));
  ASSERT_OK_AND_ASSIGN(auto state, store::OpenRocksDbStore(dir_ / "state"));
  CustodianOptions o;
  o.log = &log_;
  o.principals["svc-app"] = app_;
  o.principals["li"] = li_;
  ASSERT_OK_AND_ASSIGN(custodian_, Custodian::Open(std::move(ring), std::move(state), &clock_, o));
  ExpectReleased(Read(app_, nullptr));
  ExpectRefused(Read(app_abroad_, nullptr), "does not know principal 'svc-sg'");
  // A node that moves li to the US and calls her a service.
  Principal li_as_service = P("li", PrincipalType::kService, "US");
  ExpectRefused(Read(li_as_service, nullptr), "is not what the custodian knows of it");
}

TEST_F(CustodianTest, FailsClosedWhenItsLogFails) {
  log_.SetFailure(absl::UnavailableError("disk gone"));
  EXPECT_THAT(Unwrap(Read(app_, nullptr)),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("could not log its decision")));
  vault::Justification write = Read(app_, nullptr);
  write.action = vault::Action::kWrite;
  EXPECT_THAT(custodian_->NewDataKey(write, kek_), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(custodian_->EnsureKek(keys::KekId("us-tx", "CA")),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_FALSE(custodian_->keys().HasKey(keys::KekId("us-tx", "CA")));
}

TEST_F(CustodianTest, KekCreationIsLoggedFirst) {
  bool seen = false;
  for (const std::string& entry : log_.entries()) {
    nlohmann::json e = nlohmann::json::parse(entry);
    if (e["kind"] == "key" && e["key_id"] == kek_) {
      EXPECT_EQ(e["operation"], "create");
      EXPECT_EQ(e["key_type"], "kek");
      EXPECT_EQ(e["node"], "custodian-us");
      seen = true;
    }
  }
  EXPECT_TRUE(seen);
}

TEST_F(CustodianTest, NewDataKeysFollowTheSameRules) {
  vault::Justification write = Read(app_, nullptr);
  write.action = vault::Action::kWrite;
  write.log_index = 0;
  ASSERT_OK_AND_ASSIGN(keys::NewDataKey k, custodian_->NewDataKey(write, kek_));
  EXPECT_EQ(k.wrapped.kek_id, kek_);
  write.principal = li_;
  EXPECT_THAT(custodian_->NewDataKey(write, kek_),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("located in CN")));
  // Writing a public record from abroad still needs a key that opens protected records.
  write.classification = vault::Classification::kPublic;
  EXPECT_THAT(custodian_->NewDataKey(write, kek_), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(CustodianTest, EventsMatchTheCanonicalForm) {
  access::Grant g = BobsGrant();
  Approve(g, "alice");
  Approve(g, "carol");
  Principal teamed = bob_;
  teamed.team = "feed";
  teamed.roles = {"engineer", "oncall"};
  vault::Justification with_grant = Read(teamed, &g);
  vault::Justification write = Read(app_, nullptr);
  write.action = vault::Action::kWrite;
  write.key.clear();
  write.log_index = 0;
  vault::Justification odd = Read(P("z\"q\u00e9", PrincipalType::kUser, "US"), nullptr);
  const auto t =
      std::chrono::system_clock::time_point(std::chrono::milliseconds(1'800'000'000'123));
  for (const vault::Justification* why : {&with_grant, &write, &odd}) {
    for (const absl::Status& outcome : {absl::OkStatus(), CustodianRefusedError("no \"way\"\n"),
                                        CustodianRefusedError("\xc3\xa9t\xc3\xa9")}) {
      const std::string fast = CustodianEvent({"c"}, t, "unwrap", *why, kek_, outcome);
      EXPECT_EQ(fast, SlowCustodianEvent({"c"}, t, "unwrap", *why, kek_, outcome));
      EXPECT_EQ(fast, vault::CanonicalJson(nlohmann::json::parse(fast)));
    }
  }
}

TEST_F(CustodianTest, ReleasesKeysForImportAndMigrationWithoutAGrantOnlyInTheJurisdiction) {
  // Rule 6: the node re-seals with the key and returns no value, so an operator needs no grant.
  vault::Justification migrate = Read(bob_, nullptr);
  migrate.action = vault::Action::kMigrate;
  ExpectReleased(migrate);
  vault::Justification import = Read(bob_, nullptr);
  import.action = vault::Action::kImport;
  ExpectReleased(import);
  // ... but only inside the jurisdiction, and only for these actions.
  vault::Justification abroad = Read(li_, nullptr);
  abroad.action = vault::Action::kMigrate;
  ExpectRefused(abroad, "located in CN");
  vault::Justification backup = Read(app_, nullptr);
  backup.action = vault::Action::kBackup;
  ExpectRefused(backup, "not 'backup'");
}

TEST_F(CustodianTest, DestroysAKekOnlyToShredAndNeverCreatesItAgain) {
  vault::Justification shred = Read(bob_, nullptr);
  shred.kind = vault::Resource::Kind::kSite;
  shred.action = vault::Action::kShred;
  // Rule 7: not for another action, another site, or a principal abroad.
  vault::Justification read = shred;
  read.action = vault::Action::kRead;
  EXPECT_THAT(custodian_->DestroyKek(read, kek_),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("only to shred")));
  vault::Justification other_site = shred;
  other_site.site = "us-va";
  EXPECT_THAT(custodian_->DestroyKek(other_site, kek_),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("us-va")));
  vault::Justification abroad = shred;
  abroad.principal = li_;
  EXPECT_THAT(custodian_->DestroyKek(abroad, kek_),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("located in CN")));
  EXPECT_TRUE(custodian_->keys().HasKey(kek_));
  // Each decision is logged, refusals included.
  nlohmann::json refused = nlohmann::json::parse(log_.entries().back());
  EXPECT_EQ(refused["operation"], "destroy_kek");
  EXPECT_EQ(refused["decision"], "deny");

  ASSERT_OK(custodian_->DestroyKek(shred, kek_));
  EXPECT_FALSE(custodian_->keys().HasKey(kek_));
  nlohmann::json destroyed = nlohmann::json::parse(log_.entries().back());
  EXPECT_EQ(destroyed["operation"], "destroy_kek");
  EXPECT_EQ(destroyed["decision"], "allow");
  EXPECT_EQ(destroyed["kek"], kek_);
  // Nothing wrapped under it opens any more, for anyone; destroying again is a no-op.
  EXPECT_FALSE(Unwrap(Read(app_, nullptr)).ok());
  EXPECT_OK(custodian_->DestroyKek(shred, kek_));
  // The id is remembered across a restart and never created again.
  Open();
  EXPECT_TRUE(custodian_->Destroyed(kek_));
  EXPECT_THAT(custodian_->EnsureKek(kek_),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("destroyed")));
  EXPECT_FALSE(custodian_->keys().HasKey(kek_));
  // A forced shred is its own action, accepted the same way.
  const std::string other = keys::KekId("us-tx", "CA");
  ASSERT_OK(custodian_->EnsureKek(other));
  vault::Justification forced = shred;
  forced.action = vault::Action::kShredForce;
  forced.jurisdiction = "CA";
  forced.principal.location = "CA";
  EXPECT_OK(custodian_->DestroyKek(forced, other));
}

}  // namespace
}  // namespace domicile::custodian
