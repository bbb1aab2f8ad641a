#include "vault/vault.h"

#include <atomic>

#include "gtest/gtest.h"
#include "keys/envelope.h"
#include "keys/file_keyring.h"
#include "nlohmann/json.hpp"
#include "store/rocksdb_store.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"
#include "vault/grant_facts.h"
#include "vault/memory_event_log.h"
#include "vault/residency_guard.h"

namespace domicile::vault {
namespace {

using ::domicile::testing::StatusIs;

Principal Make(std::string id, std::string location, std::vector<std::string> roles) {
  Principal p;
  p.id = std::move(id);
  p.entity = "usds";
  p.location = std::move(location);
  p.roles = std::move(roles);
  return p;
}

class VaultTest : public ::testing::Test {
 protected:
  void SetUp() override { Open(); }

  void Open() {
    vault_.reset();
    std::vector<std::unique_ptr<SiteStore>> sites;
    std::vector<Site> defs = {{"us-tx", "US", "oracle", SiteRole::kPrimary},
                              {"us-backup", "US", "oracle", SiteRole::kBackup},
                              {"us-va", "US", "self", SiteRole::kLegacy},
                              {"sg", "SG", "self", SiteRole::kPrimary}};
    for (const Site& s : defs) {
      auto kv = store::OpenRocksDbStore(dir_ / ("sites/" + s.id));
      ASSERT_OK(kv.status());
      sites.push_back(std::make_unique<SiteStore>(s, std::move(*kv)));
    }
    auto meta = store::OpenRocksDbStore(dir_ / "meta");
    ASSERT_OK(meta.status());
    crypto::SecretBytes master(32);
    auto ring = keys::FileKeyring::Open(dir_ / "keyring", std::move(master));
    ASSERT_OK(ring.status());
    ResidencyRules rules;
    rules.AllowPrimary("US", "us-tx");
    rules.AllowBackup("US", "us-backup");
    rules.AllowPrimary("SG", "sg");
    auto custodian = std::make_unique<CountingCustodian>(std::move(*ring));
    custodian_ = custodian.get();
    auto vault = Vault::Create(std::move(sites), std::move(*meta), std::move(rules),
                               std::move(custodian), std::make_unique<ResidencyGuard>(), &clock_,
                               VaultOptions{.log = &log_, .source = {"test-node"}});
    ASSERT_OK(vault.status());
    vault_ = std::move(*vault);
  }

  Caller As(const Principal& p) { return Caller{&p, {}}; }

  // The events logged so far, parsed.
  std::vector<nlohmann::json> Events() const {
    std::vector<nlohmann::json> out;
    for (const std::string& e : log_.entries()) out.push_back(nlohmann::json::parse(e));
    return out;
  }

  // An unchecked custodian that counts what it is asked.
  class CountingCustodian final : public KeyCustodian {
   public:
    explicit CountingCustodian(std::unique_ptr<keys::KeyProvider> keys) : inner_(std::move(keys)) {}
    void Unwrap(const Justification& why, const keys::WrappedDataKey& wrapped,
                UnwrapDone done) override {
      ++unwraps;
      last_log_index = why.log_index;
      inner_.Unwrap(why, wrapped, std::move(done));
    }
    absl::Status EnsureKek(std::string_view id) override { return inner_.EnsureKek(id); }
    absl::StatusOr<keys::NewDataKey> NewDataKey(const Justification& why,
                                                std::string_view kek) override {
      return inner_.NewDataKey(why, kek);
    }
    absl::Status GrantRevoked(std::string_view id) override {
      revoked.emplace_back(id);
      return absl::OkStatus();
    }
    absl::Status DestroyKek(const Justification& why, std::string_view kek) override {
      return inner_.DestroyKek(why, kek);
    }
    std::atomic<int> unwraps{0};
    std::atomic<uint64_t> last_log_index{0};
    std::vector<std::string> revoked;

   private:
    UncheckedCustodian inner_;
  };

  testing::TempDir dir_;
  FakeClock clock_;
  CountingCustodian* custodian_ = nullptr;  // owned by vault_
  MemoryEventLog log_;
  std::unique_ptr<Vault> vault_;
  Principal writer_ = Make("svc-app", "US", {"writer"});
  Principal us_engineer_ = Make("bob", "US", {"engineer"});
  Principal cn_engineer_ = Make("li", "CN", {"engineer"});
  Principal cn_admin_ = Make("admin", "CN", {"admin"});
};

TEST_F(VaultTest, WriteThenReadInJurisdiction) {
  ASSERT_OK_AND_ASSIGN(RegisterResult reg, vault_->RegisterSubject(As(writer_), "u1", "US"));
  EXPECT_TRUE(reg.created);
  PutRequest put{"u1", "email", Classification::kProtected, "", "u1@example.com"};
  ASSERT_OK_AND_ASSIGN(WriteResult w, vault_->Put(As(writer_), put));
  EXPECT_EQ(w.site, "us-tx");
  EXPECT_EQ(w.version, 1u);
  EXPECT_TRUE(w.created);
  ASSERT_OK_AND_ASSIGN(ReadResult r, vault_->Get(As(us_engineer_), "u1", "email"));
  EXPECT_EQ(r.value, "u1@example.com");
  EXPECT_EQ(r.site, "us-tx");
  EXPECT_EQ(r.version, 1u);
}

TEST_F(VaultTest, TheCustodianIsAskedAfterTheAllowEventWithItsIndex) {
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  ASSERT_OK(vault_->Put(As(writer_), {"u1", "k", Classification::kProtected, "", "v"}).status());
  const int before = custodian_->unwraps;
  ASSERT_OK_AND_ASSIGN(ReadResult r, vault_->Get(As(us_engineer_), "u1", "k"));
  EXPECT_EQ(custodian_->unwraps, before + 1);
  EXPECT_EQ(custodian_->last_log_index, r.log_index);
  // A refused read never reaches the custodian.
  EXPECT_FALSE(vault_->Get(As(cn_engineer_), "u1", "k").ok());
  EXPECT_EQ(custodian_->unwraps, before + 1);
}

TEST_F(VaultTest, DataKeysAreCachedPerGrantUntilItEndsOrIsRevoked) {
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u2", "US").status());
  ASSERT_OK(vault_->Put(As(writer_), {"u1", "a", Classification::kProtected, "", "1"}).status());
  ASSERT_OK(vault_->Put(As(writer_), {"u1", "b", Classification::kProtected, "", "2"}).status());
  ASSERT_OK(vault_->Put(As(writer_), {"u2", "a", Classification::kProtected, "", "3"}).status());
  auto grant = std::make_shared<GrantFacts>();
  grant->id = "g-1";
  grant->known = true;
  grant->state = GrantState::kActive;
  grant->expires = clock_.NowUnixSeconds() + 60;
  Caller bob{&us_engineer_, RequestContext("", "", clock_.NowUnixSeconds(), grant)};
  const int base = custodian_->unwraps;
  ASSERT_OK(vault_->Get(bob, "u1", "a").status());
  ASSERT_OK(vault_->Get(bob, "u1", "b").status());  // same (grant, site, subject): cached
  EXPECT_EQ(custodian_->unwraps, base + 1);
  ASSERT_OK(vault_->Get(bob, "u2", "a").status());  // another subject: asked
  EXPECT_EQ(custodian_->unwraps, base + 2);
  // Without the grant, bob's read is another justification: asked again.
  ASSERT_OK(vault_->Get(As(us_engineer_), "u1", "a").status());
  EXPECT_EQ(custodian_->unwraps, base + 3);

  // Revoked: the custodian is told and the cached keys are gone.
  ASSERT_OK(vault_->GrantRevoked("g-1"));
  EXPECT_EQ(custodian_->revoked, std::vector<std::string>{"g-1"});
  ASSERT_OK(vault_->Get(bob, "u1", "a").status());  // this guard allows it; the key is asked for
  EXPECT_EQ(custodian_->unwraps, base + 4);
  // Expired: the cached key is not used past the grant's expiry.
  ASSERT_OK(vault_->Get(bob, "u1", "a").status());
  EXPECT_EQ(custodian_->unwraps, base + 4);
  clock_.Advance(std::chrono::seconds(60));
  ASSERT_OK(vault_->Get(bob, "u1", "a").status());
  EXPECT_EQ(custodian_->unwraps, base + 5);
}

TEST_F(VaultTest, VersionsIncreaseAndSurviveReopen) {
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  PutRequest put{"u1", "k", Classification::kProtected, "", "one"};
  ASSERT_OK(vault_->Put(As(writer_), put).status());
  put.value = "two";
  ASSERT_OK_AND_ASSIGN(WriteResult w, vault_->Put(As(writer_), put));
  EXPECT_EQ(w.version, 2u);
  EXPECT_FALSE(w.created);
  Open();
  ASSERT_OK_AND_ASSIGN(ReadResult r, vault_->Get(As(us_engineer_), "u1", "k"));
  EXPECT_EQ(r.value, "two");
  EXPECT_EQ(r.version, 2u);
}

TEST_F(VaultTest, ProtectedDataIsRefusedAbroadWhateverTheRole) {
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  ASSERT_OK(vault_->Put(As(writer_), {"u1", "k", Classification::kProtected, "", "v"}).status());
  for (const Principal* p : {&cn_engineer_, &cn_admin_}) {
    absl::StatusOr<ReadResult> r = vault_->Get(As(*p), "u1", "k");
    EXPECT_THAT(r, StatusIs(absl::StatusCode::kPermissionDenied)) << p->id;
    EXPECT_EQ(ErrorCodeOf(r.status()), "denied");
    EXPECT_THAT(vault_->List(As(*p), "u1"), StatusIs(absl::StatusCode::kPermissionDenied));
  }
  // The existence of a record is not revealed abroad either.
  EXPECT_THAT(vault_->Get(As(cn_engineer_), "u1", "absent"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(vault_->Get(As(us_engineer_), "u1", "absent"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(VaultTest, PublicDataIsReadableByAnyone) {
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  ASSERT_OK(
      vault_->Put(As(writer_), {"u1", "handle", Classification::kPublic, "", "@u1"}).status());
  ASSERT_OK_AND_ASSIGN(ReadResult r, vault_->Get(As(cn_engineer_), "u1", "handle"));
  EXPECT_EQ(r.value, "@u1");
  EXPECT_EQ(r.classification, Classification::kPublic);
}

TEST_F(VaultTest, WritesNeedTheWriterRole) {
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  EXPECT_THAT(vault_->Put(As(us_engineer_), {"u1", "k", Classification::kPublic, "", "v"}),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(vault_->RegisterSubject(As(us_engineer_), "u2", "US"),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(VaultTest, ResidencyViolationsWriteNothing) {
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  for (std::string_view site : {"sg", "us-va", "us-backup"}) {
    absl::StatusOr<WriteResult> w =
        vault_->Put(As(writer_), {"u1", "k", Classification::kProtected, site, "v"});
    EXPECT_EQ(ErrorCodeOf(w.status()), "residency_violation") << site << ": " << w.status();
  }
  EXPECT_THAT(vault_->Put(As(writer_), {"u1", "k", Classification::kProtected, "nowhere", "v"}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(vault_->Get(As(us_engineer_), "u1", "k"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK_AND_ASSIGN(auto list, vault_->List(As(us_engineer_), "u1"));
  EXPECT_TRUE(list.records.empty());
}

TEST_F(VaultTest, SubjectJurisdictionIsFixed) {
  ASSERT_OK_AND_ASSIGN(RegisterResult first, vault_->RegisterSubject(As(writer_), "u1", "US"));
  ASSERT_OK_AND_ASSIGN(RegisterResult again, vault_->RegisterSubject(As(writer_), "u1", "US"));
  EXPECT_TRUE(first.created);
  EXPECT_FALSE(again.created);
  absl::StatusOr<RegisterResult> moved = vault_->RegisterSubject(As(writer_), "u1", "SG");
  EXPECT_EQ(ErrorCodeOf(moved.status()), "conflict");
  // Conflict wins over "no site for that jurisdiction".
  EXPECT_EQ(ErrorCodeOf(vault_->RegisterSubject(As(writer_), "u1", "ZZ").status()), "conflict");
  EXPECT_THAT(vault_->RegisterSubject(As(writer_), "u2", "ZZ"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(vault_->RegisterSubject(As(writer_), "u/3", "US"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(vault_->RegisterSubject(As(writer_), "u3", "us"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(VaultTest, UnknownSubjectIsNotFound) {
  EXPECT_THAT(vault_->Get(As(us_engineer_), "ghost", "k"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(vault_->Put(As(writer_), {"ghost", "k", Classification::kPublic, "", "v"}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(VaultTest, DeleteAndList) {
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  ASSERT_OK(vault_->Put(As(writer_), {"u1", "a", Classification::kProtected, "", "1"}).status());
  ASSERT_OK(vault_->Put(As(writer_), {"u1", "b", Classification::kPublic, "", "2"}).status());
  ASSERT_OK_AND_ASSIGN(auto list, vault_->List(As(us_engineer_), "u1"));
  ASSERT_EQ(list.records.size(), 2u);
  EXPECT_EQ(list.records[0].key, "a");
  EXPECT_EQ(list.records[0].classification, Classification::kProtected);
  EXPECT_EQ(list.records[1].key, "b");
  EXPECT_THAT(vault_->Delete(As(us_engineer_), "u1", "a"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  ASSERT_OK(vault_->Delete(As(writer_), "u1", "a").status());
  EXPECT_THAT(vault_->Get(As(us_engineer_), "u1", "a"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(vault_->Delete(As(writer_), "u1", "a"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(VaultTest, ValueLimitIsEnforced) {
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  std::string big((1 << 20) + 1, 'x');
  absl::StatusOr<WriteResult> w =
      vault_->Put(As(writer_), {"u1", "k", Classification::kProtected, "", big});
  EXPECT_EQ(ErrorCodeOf(w.status()), "too_large");
}

TEST_F(VaultTest, EachSubjectHasItsOwnDataKey) {
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u2", "US").status());
  ASSERT_OK(vault_->Put(As(writer_), {"u1", "k", Classification::kProtected, "", "v"}).status());
  ASSERT_OK(vault_->Put(As(writer_), {"u2", "k", Classification::kProtected, "", "v"}).status());
  // Open the site store directly: the wrapped data keys differ and name the site's KEK.
  vault_.reset();
  ASSERT_OK_AND_ASSIGN(auto kv, store::OpenRocksDbStore(dir_ / "sites/us-tx"));
  SiteStore site({"us-tx", "US", "oracle", SiteRole::kPrimary}, std::move(kv));
  ASSERT_OK_AND_ASSIGN(auto k1, site.GetDataKey("u1", Classification::kProtected));
  ASSERT_OK_AND_ASSIGN(auto k2, site.GetDataKey("u2", Classification::kProtected));
  ASSERT_TRUE(k1.has_value() && k2.has_value());
  EXPECT_EQ(k1->kek_id, "site/us-tx/US");
  EXPECT_NE(k1->wrapped, k2->wrapped);
  // No public record, no public data key.
  ASSERT_OK_AND_ASSIGN(auto p1, site.GetDataKey("u1", Classification::kPublic));
  EXPECT_FALSE(p1.has_value());
}

TEST_F(VaultTest, PublicAndProtectedRecordsHaveTheirOwnDataKeys) {
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  ASSERT_OK(vault_->Put(As(writer_), {"u1", "pub", Classification::kPublic, "", "hi"}).status());
  ASSERT_OK(vault_->Put(As(writer_), {"u1", "sec", Classification::kProtected, "", "s"}).status());
  ASSERT_OK_AND_ASSIGN(ReadResult r, vault_->Get(As(cn_engineer_), "u1", "pub"));
  EXPECT_EQ(r.value, "hi");
  vault_.reset();
  ASSERT_OK_AND_ASSIGN(auto kv, store::OpenRocksDbStore(dir_ / "sites/us-tx"));
  SiteStore site({"us-tx", "US", "oracle", SiteRole::kPrimary}, std::move(kv));
  ASSERT_OK_AND_ASSIGN(auto pub, site.GetDataKey("u1", Classification::kPublic));
  ASSERT_OK_AND_ASSIGN(auto sec, site.GetDataKey("u1", Classification::kProtected));
  ASSERT_TRUE(pub.has_value() && sec.has_value());
  EXPECT_EQ(pub->kek_id, "site/us-tx/US/public");
  EXPECT_EQ(sec->kek_id, "site/us-tx/US");
  // The public data key does not open the protected record.
  ASSERT_OK_AND_ASSIGN(auto ring,
                       keys::FileKeyring::Open(dir_ / "keyring", crypto::SecretBytes(32)));
  ASSERT_OK_AND_ASSIGN(crypto::SecretBytes pub_key, keys::UnwrapDataKey(*ring, *pub));
  ASSERT_OK_AND_ASSIGN(std::optional<StoredRecord> secret, site.GetRecord("u1", "sec"));
  ASSERT_TRUE(secret.has_value());
  EXPECT_EQ(secret->key_class, Classification::kProtected);
  keys::RecordBinding binding{"us-tx", "u1", "sec", "protected", secret->version};
  EXPECT_THAT(keys::OpenValue(pub_key.view(), binding, secret->envelope),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST_F(VaultTest, RecordsOfTheSharedKeyFormatStillRead) {
  // A public record as format 0x01 wrote it: sealed under the subject's protected data key.
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  ASSERT_OK(vault_->Put(As(writer_), {"u1", "sec", Classification::kProtected, "", "s"}).status());
  vault_.reset();
  {
    ASSERT_OK_AND_ASSIGN(auto kv, store::OpenRocksDbStore(dir_ / "sites/us-tx"));
    SiteStore site({"us-tx", "US", "oracle", SiteRole::kPrimary}, std::move(kv));
    ASSERT_OK_AND_ASSIGN(auto ring,
                         keys::FileKeyring::Open(dir_ / "keyring", crypto::SecretBytes(32)));
    ASSERT_OK_AND_ASSIGN(auto wrapped, site.GetDataKey("u1", Classification::kProtected));
    ASSERT_OK_AND_ASSIGN(crypto::SecretBytes key, keys::UnwrapDataKey(*ring, *wrapped));
    keys::RecordBinding binding{"us-tx", "u1", "old", "public", 1};
    ASSERT_OK_AND_ASSIGN(Bytes envelope, keys::SealValue(key.view(), binding, AsBytes("legacy")));
    Bytes raw = {0x01, 0x00};  // format 0x01, public
    AppendU64(raw, 1);
    raw.insert(raw.end(), envelope.begin(), envelope.end());
    ASSERT_OK(site.kv().Put("r/u1/old", ToString(raw)));
  }
  Open();
  ASSERT_OK_AND_ASSIGN(ReadResult r, vault_->Get(As(writer_), "u1", "old"));
  EXPECT_EQ(r.value, "legacy");
  EXPECT_EQ(r.classification, Classification::kPublic);
}

TEST_F(VaultTest, EveryDecisionIsLoggedBeforeItsEffectAndNoValueIsLogged) {
  const size_t at_start = log_.entries().size();  // KEK creations
  ASSERT_OK_AND_ASSIGN(RegisterResult reg, vault_->RegisterSubject(As(writer_), "u1", "US"));
  ASSERT_OK_AND_ASSIGN(WriteResult w,
                       vault_->Put(As(writer_), {"u1", "email", Classification::kProtected, "",
                                                 "secret-value-123"}));
  ASSERT_OK_AND_ASSIGN(ReadResult r, vault_->Get(As(us_engineer_), "u1", "email"));
  absl::StatusOr<ReadResult> denied = vault_->Get(As(cn_admin_), "u1", "email");
  ASSERT_THAT(denied, StatusIs(absl::StatusCode::kPermissionDenied));
  std::optional<uint64_t> denied_index = LogIndexOf(denied.status());
  ASSERT_TRUE(denied_index.has_value());

  std::vector<nlohmann::json> events = Events();
  ASSERT_EQ(events.size(), at_start + 4);
  EXPECT_EQ(reg.log_index, at_start);
  EXPECT_EQ(w.log_index, at_start + 1);
  EXPECT_EQ(r.log_index, at_start + 2);
  EXPECT_EQ(*denied_index, at_start + 3);

  const nlohmann::json& write = events[w.log_index];
  EXPECT_EQ(write["kind"], "access");
  EXPECT_EQ(write["action"], "write");
  EXPECT_EQ(write["decision"], "allow");
  EXPECT_EQ(write["resource"]["site"], "us-tx");
  EXPECT_EQ(write["effect"]["version"], 1);
  EXPECT_EQ(write["effect"]["ciphertext_sha256"].get<std::string>().size(), 64u);

  const nlohmann::json& read = events[r.log_index];
  EXPECT_EQ(read["principal"]["id"], "bob");
  EXPECT_EQ(read["principal"]["location"], "US");
  EXPECT_EQ(read["resource"]["jurisdiction"], "US");
  EXPECT_EQ(read["resource"]["class"], "protected");
  EXPECT_EQ(read["decision"], "allow");
  EXPECT_EQ(read["node"], "test-node");

  const nlohmann::json& deny = events[*denied_index];
  EXPECT_EQ(deny["principal"]["id"], "admin");
  EXPECT_EQ(deny["decision"], "deny");
  EXPECT_FALSE(deny["reason"].get<std::string>().empty());

  for (const std::string& e : log_.entries()) {
    EXPECT_EQ(e.find("secret-value-123"), std::string::npos) << e;
    EXPECT_EQ(nlohmann::json::parse(e).dump(), e) << "not canonical";
  }
}

TEST_F(VaultTest, ResidencyRefusalsAreLoggedAsDenials) {
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  absl::StatusOr<WriteResult> w =
      vault_->Put(As(writer_), {"u1", "k", Classification::kProtected, "sg", "v"});
  ASSERT_EQ(ErrorCodeOf(w.status()), "residency_violation");
  std::optional<uint64_t> index = LogIndexOf(w.status());
  ASSERT_TRUE(index.has_value());
  nlohmann::json e = Events()[*index];
  EXPECT_EQ(e["decision"], "deny");
  EXPECT_EQ(e["determining"], nlohmann::json::array({"residency_violation"}));
  EXPECT_EQ(e["resource"]["site"], "sg");
}

TEST_F(VaultTest, NothingHappensWhenTheLogFails) {
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  ASSERT_OK(vault_->Put(As(writer_), {"u1", "k", Classification::kProtected, "", "old"}).status());
  log_.SetFailure(absl::UnavailableError("disk gone"));

  absl::StatusOr<ReadResult> r = vault_->Get(As(us_engineer_), "u1", "k");
  EXPECT_THAT(r, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(ErrorCodeOf(r.status()), "unavailable");
  EXPECT_THAT(vault_->Get(As(cn_admin_), "u1", "k"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(vault_->Put(As(writer_), {"u1", "k", Classification::kProtected, "", "new"}),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(vault_->Delete(As(writer_), "u1", "k"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(vault_->List(As(us_engineer_), "u1"), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(vault_->RegisterSubject(As(writer_), "u2", "US"),
              StatusIs(absl::StatusCode::kUnavailable));

  log_.SetFailure(absl::OkStatus());
  ASSERT_OK_AND_ASSIGN(ReadResult after, vault_->Get(As(us_engineer_), "u1", "k"));
  EXPECT_EQ(after.value, "old");
  EXPECT_EQ(after.version, 1u);
  EXPECT_THAT(vault_->Get(As(us_engineer_), "u2", "k"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(VaultTest, ReadsCompleteWhenTheLogAnswersFromAnotherThread) {
  log_.AnswerFromOtherThread(true);
  ASSERT_OK(vault_->RegisterSubject(As(writer_), "u1", "US").status());
  ASSERT_OK(vault_->Put(As(writer_), {"u1", "k", Classification::kProtected, "", "v"}).status());
  ASSERT_OK_AND_ASSIGN(ReadResult r, vault_->Get(As(us_engineer_), "u1", "k"));
  EXPECT_EQ(r.value, "v");
  EXPECT_THAT(vault_->Get(As(cn_admin_), "u1", "k"), StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST(EventsTest, TimesAreRfc3339WithMilliseconds) {
  using namespace std::chrono;
  EXPECT_EQ(FormatEventTime(system_clock::time_point(milliseconds(1'700'000'000'123))),
            "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(FormatEventTime(system_clock::time_point(milliseconds(0))), "1970-01-01T00:00:00.000Z");
}

TEST(EventsTest, CanonicalJsonSortsKeysAndHasNoWhitespace) {
  nlohmann::json j = {{"b", 1}, {"a", {{"d", "x y"}, {"c", nlohmann::json::array({2, 1})}}}};
  EXPECT_EQ(CanonicalJson(j), R"({"a":{"c":[2,1],"d":"x y"},"b":1})");
  EXPECT_EQ(CanonicalJson(nlohmann::json("\xff")), "\"\xef\xbf\xbd\"");
}

TEST(EventsTest, AccessEventsAreCanonicalWhateverTheirStrings) {
  Principal p = Make("bob", "US", {});
  Decision d;
  d.allow = true;
  d.reason = R"(permitted by "quoted\back" policy)";
  d.determining = {"a", "b\"c"};
  d.policy_sha256 = std::string(64, 'f');
  EventSource source{"node-1"};
  std::chrono::system_clock::time_point t{std::chrono::milliseconds(1'700'000'000'123)};
  for (std::string reason : {d.reason, std::string("caf\xc3\xa9 \x01 tab\t"), std::string()}) {
    for (bool with_team : {false, true}) {
      for (std::string_view purpose : {std::string_view(), std::string_view("support \"x\"")}) {
        d.reason = reason;
        p.team = with_team ? "feed" : "";
        Resource r{Resource::Kind::kRecord, "u1", "k:1", "US", Classification::kProtected, ""};
        RequestContext c{purpose, "127.0.0.1", 0};
        std::string e = AccessEvent(source, t, p, Action::kRead, r, c, d);
        nlohmann::json parsed = nlohmann::json::parse(e);
        EXPECT_EQ(CanonicalJson(parsed), e);
        EXPECT_EQ(parsed["reason"], reason);
        EXPECT_EQ(parsed["determining"], nlohmann::json::array({"a", "b\"c"}));
        EXPECT_EQ(parsed["principal"]["roles"], nlohmann::json::array());
        EXPECT_EQ(parsed["principal"].contains("team"), with_team);
        EXPECT_EQ(parsed.contains("purpose"), !purpose.empty());
        EXPECT_EQ(parsed["resource"]["key"], "k:1");
        EXPECT_FALSE(parsed["resource"].contains("site"));
        EXPECT_EQ(parsed["time"], "2023-11-14T22:13:20.123Z");
        EXPECT_EQ(parsed["v"], 1);
      }
    }
  }
}

}  // namespace
}  // namespace domicile::vault
