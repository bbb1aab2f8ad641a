#include "access/grants.h"

#include <fstream>
#include <iterator>

#include "access/approval.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/file_keyring.h"
#include "policy/parser.h"
#include "store/rocksdb_store.h"
#include "store/shared_kv_store.h"
#include "util/errors.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"
#include "vault/memory_event_log.h"
#include "vault/policy_decider.h"

namespace domicile::access {
namespace {

using ::domicile::testing::StatusIs;
using ::testing::HasSubstr;
using vault::GrantState;
using vault::Principal;
using vault::PrincipalType;

Principal P(std::string id, PrincipalType type, std::string entity, std::string location,
            std::vector<std::string> roles, std::string team = "") {
  Principal p;
  p.id = std::move(id);
  p.type = type;
  p.entity = std::move(entity);
  p.location = std::move(location);
  p.roles = std::move(roles);
  p.team = std::move(team);
  return p;
}

std::string TexasPolicy() {
  std::ifstream in(DOMICILE_SOURCE_DIR "/examples/texas/policy.cedar");
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The example's policy over a vault with a US and an SG subject, and the people of the story
// plus a few who must be refused.
class GrantsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::vector<std::unique_ptr<vault::SiteStore>> sites;
    for (const vault::Site& s : {vault::Site{"us-tx", "US", "oracle", vault::SiteRole::kPrimary},
                                 vault::Site{"sg", "SG", "self", vault::SiteRole::kPrimary}}) {
      ASSERT_OK_AND_ASSIGN(auto kv, store::OpenRocksDbStore(dir_ / ("sites/" + s.id)));
      sites.push_back(std::make_unique<vault::SiteStore>(s, std::move(kv)));
    }
    ASSERT_OK_AND_ASSIGN(auto meta, store::OpenRocksDbStore(dir_ / "meta"));
    ASSERT_OK_AND_ASSIGN(auto ring,
                         keys::FileKeyring::Open(dir_ / "keyring", crypto::SecretBytes(32)));
    vault::ResidencyRules rules;
    rules.AllowPrimary("US", "us-tx");
    rules.AllowPrimary("SG", "sg");
    ASSERT_OK_AND_ASSIGN(policy::PolicySet policies,
                         policy::ParsePolicies(TexasPolicy(), "policy.cedar"));
    vault::NetworkMap network;
    ASSERT_OK(network.Add("127.0.0.0/8", "US"));
    ASSERT_OK_AND_ASSIGN(
        vault_, vault::Vault::Create(
                    std::move(sites), std::move(meta), std::move(rules),
                    std::make_unique<vault::UncheckedCustodian>(std::move(ring)),
                    std::make_unique<vault::PolicyDecider>(std::move(policies), std::move(network)),
                    &clock_, vault::VaultOptions{.log = &log_, .source = {"t"}}));
    for (const char* name : {"alice", "carol", "dave", "erin", "frank", "li"}) {
      ASSERT_OK_AND_ASSIGN(keys_[name], GenerateApproverKey(name));
      options_.approval_keys[name] = keys_[name].verifier;
    }
    ASSERT_NO_FATAL_FAILURE(OpenGrants());
    ASSERT_OK(vault_->RegisterSubject(As(svc_), "u1", "US").status());
    ASSERT_OK(vault_->RegisterSubject(As(svc_), "u2", "US").status());
    ASSERT_OK(vault_->Put(As(svc_), {"u1", "email", vault::Classification::kProtected, "", "a@b"})
                  .status());
    ASSERT_OK(vault_->Put(As(svc_), {"u2", "email", vault::Classification::kProtected, "", "c@d"})
                  .status());
  }

  void OpenGrants() {
    grants_.reset();
    ASSERT_OK_AND_ASSIGN(auto store, store::OpenRocksDbStore(dir_ / "grants"));
    ASSERT_OK_AND_ASSIGN(grants_, Grants::Open(vault_.get(), std::move(store), options_));
  }

  vault::Caller As(const Principal& p, std::string_view grant = "") {
    vault::RequestContext context("", "127.0.0.1", clock_.NowUnixSeconds(),
                                  grant.empty() ? nullptr : grants_->Facts(grant));
    return vault::Caller{&p, std::move(context)};
  }

  GrantRequest Ask(std::string scope = "subject:u1", std::string ttl = "1h") {
    GrantRequest r;
    r.scope = std::move(scope);
    r.actions = {"read"};
    r.purpose = "support";
    r.reason = "ticket 123";
    r.ttl = std::move(ttl);
    return r;
  }

  absl::StatusOr<GrantResult> ApproveAs(const Principal& p, const std::string& id,
                                        const std::string& key_name = "") {
    absl::StatusOr<Grant> g = grants_->Get(id);
    if (!g.ok()) return g.status();
    absl::StatusOr<std::string> note = SignApproval(*g, keys_[key_name.empty() ? p.id : key_name]);
    if (!note.ok()) return note.status();
    return grants_->Approve(As(p), id, *note);
  }

  // An active grant of bob's on `scope`.
  std::string ActiveGrant(std::string scope = "subject:u1") {
    absl::StatusOr<GrantResult> r = grants_->Request(As(bob_), Ask(std::move(scope)));
    EXPECT_OK(r.status());
    if (!r.ok()) return "";
    EXPECT_OK(ApproveAs(alice_, r->grant.id).status());
    EXPECT_OK(ApproveAs(carol_, r->grant.id).status());
    return r->grant.id;
  }

  std::vector<nlohmann::json> Events(std::string_view kind) const {
    std::vector<nlohmann::json> out;
    for (const std::string& e : log_.entries()) {
      nlohmann::json j = nlohmann::json::parse(e);
      if (j["kind"] == kind) out.push_back(std::move(j));
    }
    return out;
  }
  std::vector<std::string> Steps() const {
    std::vector<std::string> out;
    for (const nlohmann::json& e : Events("grant")) out.push_back(e["step"]);
    return out;
  }

  ::domicile::testing::TempDir dir_;
  FakeClock clock_;
  vault::MemoryEventLog log_;
  std::unique_ptr<vault::Vault> vault_;
  GrantsOptions options_;
  std::map<std::string, ApproverKey> keys_;
  std::unique_ptr<Grants> grants_;
  Principal svc_ = P("svc-app", PrincipalType::kService, "usds", "US", {"writer"});
  Principal alice_ = P("alice", PrincipalType::kUser, "usds", "US", {"approver"}, "trust");
  Principal carol_ = P("carol", PrincipalType::kUser, "usds", "US", {"approver"}, "trust");
  Principal bob_ = P("bob", PrincipalType::kUser, "usds", "US", {"engineer"}, "feed");
  Principal dave_ = P("dave", PrincipalType::kUser, "usds", "US", {"approver"}, "feed");
  Principal erin_ = P("erin", PrincipalType::kUser, "usds", "US", {"engineer"}, "ops");
  Principal frank_ = P("frank", PrincipalType::kUser, "usds", "SG", {"approver"}, "trust");
  Principal li_ = P("li", PrincipalType::kUser, "parent", "CN", {"approver"});
};

TEST_F(GrantsTest, BobAsksAliceAndCarolApproveBobReadsUntilItExpires) {
  EXPECT_THAT(vault_->Get(As(bob_), "u1", "email"), StatusIs(absl::StatusCode::kPermissionDenied));

  ASSERT_OK_AND_ASSIGN(GrantResult asked, grants_->Request(As(bob_), Ask()));
  const std::string id = asked.grant.id;
  EXPECT_THAT(id, ::testing::MatchesRegex("g-[0-9a-f]{16}"));
  EXPECT_EQ(asked.grant.state, GrantState::kPending);
  EXPECT_EQ(asked.grant.jurisdiction, "US");
  EXPECT_EQ(asked.grant.expires, clock_.NowUnixSeconds() + 3600);
  // Pending: not yet usable.
  EXPECT_THAT(vault_->Get(As(bob_, id), "u1", "email"),
              StatusIs(absl::StatusCode::kPermissionDenied));

  ASSERT_OK_AND_ASSIGN(GrantResult one, ApproveAs(alice_, id));
  EXPECT_EQ(one.grant.state, GrantState::kPending);
  ASSERT_OK_AND_ASSIGN(GrantResult two, ApproveAs(carol_, id));
  EXPECT_EQ(two.grant.state, GrantState::kActive);

  ASSERT_OK_AND_ASSIGN(vault::ReadResult read, vault_->Get(As(bob_, id), "u1", "email"));
  EXPECT_EQ(read.value, "a@b");
  // The use is in the log: the read's access event names the grant.
  nlohmann::json used = nlohmann::json::parse(log_.entries()[read.log_index]);
  EXPECT_EQ(used["grant"], id);
  EXPECT_EQ(used["decision"], "allow");
  EXPECT_EQ(used["determining"], nlohmann::json::array({"read-protected-under-grant"}));
  EXPECT_EQ(Steps(), (std::vector<std::string>{"request", "approval", "approval", "activate"}));

  clock_.Advance(std::chrono::seconds(3600));
  EXPECT_THAT(vault_->Get(As(bob_, id), "u1", "email"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(grants_->ExpireDue());
  ASSERT_OK_AND_ASSIGN(Grant expired, grants_->Get(id));
  EXPECT_EQ(expired.state, GrantState::kExpired);
  EXPECT_EQ(Steps().back(), "expire");
  ASSERT_OK(grants_->ExpireDue());
  EXPECT_EQ(Events("grant").size(), 5u) << "expiry is logged once";
}

TEST_F(GrantsTest, AGrantCoversOnlyItsScopeActionsAndRequester) {
  const std::string id = ActiveGrant("subject:u1");
  EXPECT_OK(vault_->Get(As(bob_, id), "u1", "email").status());
  EXPECT_THAT(vault_->Get(As(bob_, id), "u2", "email"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(vault_->List(As(bob_, id), "u1"), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(vault_->Get(As(erin_, id), "u1", "email"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(vault_->Get(As(bob_, "g-0000000000000000"), "u1", "email"),
              StatusIs(absl::StatusCode::kPermissionDenied));

  const std::string all = ActiveGrant("jurisdiction:US");
  EXPECT_OK(vault_->Get(As(bob_, all), "u2", "email").status());
}

TEST_F(GrantsTest, RefusesApprovalsThatDoNotCountAndLogsWhy) {
  ASSERT_OK_AND_ASSIGN(GrantResult asked, grants_->Request(As(bob_), Ask()));
  const std::string id = asked.grant.id;
  struct Case {
    const char* who;
    absl::StatusOr<GrantResult> outcome;
    absl::StatusCode code;
    const char* says;
  };
  std::vector<Case> cases;
  cases.push_back({"requester", ApproveAs(bob_, id, "alice"), absl::StatusCode::kPermissionDenied,
                   "cannot approve"});
  cases.push_back(
      {"teammate", ApproveAs(dave_, id), absl::StatusCode::kPermissionDenied, "requester's team"});
  cases.push_back({"non-approver", ApproveAs(erin_, id), absl::StatusCode::kPermissionDenied,
                   "no policy permits"});
  cases.push_back(
      {"abroad", ApproveAs(frank_, id), absl::StatusCode::kPermissionDenied, "no policy permits"});
  cases.push_back({"parent company", ApproveAs(li_, id), absl::StatusCode::kPermissionDenied,
                   "forbidden by no-parent-on-grants"});
  cases.push_back({"forged signature", ApproveAs(alice_, id, "carol"),
                   absl::StatusCode::kPermissionDenied, "not signed by alice"});
  for (const Case& c : cases) {
    EXPECT_THAT(c.outcome, StatusIs(c.code)) << c.who;
    EXPECT_THAT(c.outcome.status().message(), HasSubstr(c.says)) << c.who;
    EXPECT_TRUE(vault::LogIndexOf(c.outcome.status()).has_value()) << c.who << ": not logged";
  }
  EXPECT_THAT(grants_->Approve(As(alice_), id, "garbage"),
              StatusIs(absl::StatusCode::kInvalidArgument));

  ASSERT_OK(ApproveAs(alice_, id).status());
  EXPECT_THAT(ApproveAs(alice_, id), StatusIs(absl::StatusCode::kFailedPrecondition));  // 409
  ASSERT_OK_AND_ASSIGN(Grant g, grants_->Get(id));
  EXPECT_EQ(g.state, GrantState::kPending) << "none of the refused approvals counted";
  EXPECT_EQ(g.approvals.size(), 1u);
  // Refusals by the node's own rules are grant events; the policy's are access events.
  size_t refused = 0;
  for (const nlohmann::json& e : Events("grant")) refused += e["step"] == "approval_refused";
  EXPECT_EQ(refused, 5u);
}

TEST_F(GrantsTest, AnApprovalCannotBeReplayedOnAnotherGrant) {
  ASSERT_OK_AND_ASSIGN(GrantResult first, grants_->Request(As(bob_), Ask()));
  ASSERT_OK_AND_ASSIGN(GrantResult second, grants_->Request(As(bob_), Ask()));
  ASSERT_OK_AND_ASSIGN(std::string note, SignApproval(first.grant, keys_["alice"]));
  EXPECT_THAT(grants_->Approve(As(alice_), second.grant.id, note),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_OK(grants_->Approve(As(alice_), first.grant.id, note).status());
}

TEST_F(GrantsTest, EndedGrantsTakeNoApprovals) {
  ASSERT_OK_AND_ASSIGN(GrantResult revoked, grants_->Request(As(bob_), Ask()));
  ASSERT_OK_AND_ASSIGN(GrantResult r, grants_->Revoke(As(bob_), revoked.grant.id));
  EXPECT_EQ(r.grant.state, GrantState::kRevoked);
  EXPECT_EQ(r.grant.revoked_by, "bob");
  EXPECT_THAT(ApproveAs(alice_, revoked.grant.id), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(grants_->Revoke(As(bob_), revoked.grant.id),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  ASSERT_OK_AND_ASSIGN(GrantResult expired, grants_->Request(As(bob_), Ask("subject:u1", "10m")));
  clock_.Advance(std::chrono::minutes(10));
  EXPECT_THAT(ApproveAs(alice_, expired.grant.id), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(GrantsTest, RevocationEndsAccessAtOnce) {
  const std::string id = ActiveGrant();
  EXPECT_OK(vault_->Get(As(bob_, id), "u1", "email").status());
  EXPECT_THAT(grants_->Revoke(As(erin_), id), StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(grants_->Revoke(As(alice_), id).status());
  EXPECT_THAT(vault_->Get(As(bob_, id), "u1", "email"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_EQ(Steps().back(), "revoke");
}

TEST_F(GrantsTest, TheParentCompanyCanNeitherAskNorApprove) {
  Principal admin = P("admin", PrincipalType::kUser, "parent", "CN", {"admin"});
  EXPECT_THAT(grants_->Request(As(li_), Ask()), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(grants_->Request(As(admin), Ask()), StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(grants_->List().empty());
}

TEST_F(GrantsTest, RequestsAreValidated) {
  GrantRequest r = Ask();
  r.actions = {"write"};
  EXPECT_THAT(grants_->Request(As(bob_), r), StatusIs(absl::StatusCode::kInvalidArgument));
  r = Ask("subject:nobody");
  EXPECT_THAT(grants_->Request(As(bob_), r), StatusIs(absl::StatusCode::kNotFound));
  r = Ask("subject:u1", "9h");
  EXPECT_THAT(grants_->Request(As(bob_), r).status().message(), HasSubstr("between 1s and 8h"));
  r = Ask("subject:u1", "soon");
  EXPECT_THAT(grants_->Request(As(bob_), r), StatusIs(absl::StatusCode::kInvalidArgument));
  r = Ask();
  r.purpose = "";
  EXPECT_THAT(grants_->Request(As(bob_), r), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_TRUE(grants_->List().empty()) << "nothing half-made";
}

TEST_F(GrantsTest, BreakGlassIsActiveAtOnceAndUnreviewedUntilAQuorumApproves) {
  GrantRequest r = Ask("subject:u1", "2h");
  r.break_glass = true;
  EXPECT_THAT(grants_->Request(As(bob_), r).status().message(), HasSubstr("break-glass"));
  r.ttl = "1h";
  ASSERT_OK_AND_ASSIGN(GrantResult asked, grants_->Request(As(bob_), r));
  ASSERT_OK_AND_ASSIGN(GrantResult one, ApproveAs(alice_, asked.grant.id));
  EXPECT_EQ(one.grant.state, GrantState::kActive);
  EXPECT_FALSE(one.grant.reviewed);
  EXPECT_OK(vault_->Get(As(bob_, asked.grant.id), "u1", "email").status());
  ASSERT_OK_AND_ASSIGN(GrantResult two, ApproveAs(carol_, asked.grant.id));
  EXPECT_TRUE(two.grant.reviewed);
  EXPECT_EQ(Steps(),
            (std::vector<std::string>{"request", "approval", "activate", "approval", "review"}));
  EXPECT_EQ(Events("grant")[2]["grant"]["break_glass"], true);
  EXPECT_EQ(Events("grant")[2]["grant"]["reviewed"], false);
}

TEST_F(GrantsTest, GrantsSurviveARestart) {
  const std::string id = ActiveGrant();
  ASSERT_NO_FATAL_FAILURE(OpenGrants());
  ASSERT_OK_AND_ASSIGN(Grant g, grants_->Get(id));
  EXPECT_EQ(g.state, GrantState::kActive);
  EXPECT_EQ(g.approvals.size(), 2u);
  EXPECT_OK(vault_->Get(As(bob_, id), "u1", "email").status());
}

// Two nodes sharing the grants' store: what one does, the other sees.
TEST_F(GrantsTest, NodesSharingTheStoreSeeEachOthersGrants) {
  grants_.reset();
  ASSERT_OK_AND_ASSIGN(auto kv, store::OpenRocksDbStore(dir_ / "shared-grants"));
  std::shared_ptr<store::KvStore> shared = std::move(kv);
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Grants> other,
      Grants::Open(vault_.get(), std::make_unique<store::SharedKvStore>(shared), options_));
  ASSERT_OK_AND_ASSIGN(
      grants_,
      Grants::Open(vault_.get(), std::make_unique<store::SharedKvStore>(shared), options_));

  ASSERT_OK_AND_ASSIGN(GrantResult asked, other->Request(As(bob_), Ask()));
  const std::string id = asked.grant.id;
  EXPECT_TRUE(grants_->Facts(id)->known) << "read through before any reload";
  ASSERT_OK(ApproveAs(alice_, id).status());  // here
  ASSERT_OK_AND_ASSIGN(Grant g, other->Get(id));
  ASSERT_OK_AND_ASSIGN(std::string note, SignApproval(g, keys_["carol"]));
  ASSERT_OK_AND_ASSIGN(GrantResult active, other->Approve(As(carol_), id, note));
  EXPECT_EQ(active.grant.state, GrantState::kActive) << "alice's approval, made at the other "
                                                        "node, counts";
  EXPECT_EQ(active.grant.approvals.size(), 2u);

  ASSERT_OK(grants_->Reload());
  EXPECT_OK(vault_->Get(As(bob_, id), "u1", "email").status());
  ASSERT_OK(other->Revoke(As(alice_), id).status());
  ASSERT_OK(grants_->Reload());
  EXPECT_THAT(vault_->Get(As(bob_, id), "u1", "email"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK_AND_ASSIGN(Grant here, grants_->Get(id));
  EXPECT_EQ(here.state, GrantState::kRevoked);
}

TEST_F(GrantsTest, NothingChangesWhenTheLogFails) {
  ASSERT_OK_AND_ASSIGN(GrantResult asked, grants_->Request(As(bob_), Ask()));
  log_.SetFailure(absl::UnavailableError("test: log down"));
  EXPECT_THAT(ApproveAs(alice_, asked.grant.id), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(grants_->Request(As(bob_), Ask()), StatusIs(absl::StatusCode::kUnavailable));
  log_.SetFailure(absl::OkStatus());
  ASSERT_OK_AND_ASSIGN(Grant g, grants_->Get(asked.grant.id));
  EXPECT_TRUE(g.approvals.empty());
  EXPECT_EQ(grants_->List().size(), 1u);
}

}  // namespace
}  // namespace domicile::access
