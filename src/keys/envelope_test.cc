#include "keys/envelope.h"

#include "gtest/gtest.h"
#include "keys/file_keyring.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"

namespace domicile::keys {
namespace {

using ::domicile::testing::StatusIs;

RecordBinding Binding() { return {"oci-us-tx", "u1", "email", "protected", 3}; }

TEST(Envelope, SealsAndOpens) {
  Bytes key(32, 1);
  ASSERT_OK_AND_ASSIGN(Bytes sealed, SealValue(key, Binding(), AsBytes("alice@example.com")));
  EXPECT_EQ(AsChars(sealed).find("alice@example.com"), std::string_view::npos);
  ASSERT_OK_AND_ASSIGN(Bytes opened, OpenValue(key, Binding(), sealed));
  EXPECT_EQ(AsChars(opened), "alice@example.com");
}

TEST(Envelope, FreshNonceEachSeal) {
  Bytes key(32, 1);
  ASSERT_OK_AND_ASSIGN(Bytes a, SealValue(key, Binding(), AsBytes("same")));
  ASSERT_OK_AND_ASSIGN(Bytes b, SealValue(key, Binding(), AsBytes("same")));
  EXPECT_NE(a, b);
}

TEST(Envelope, EveryBoundFieldMatters) {
  Bytes key(32, 1);
  ASSERT_OK_AND_ASSIGN(Bytes sealed, SealValue(key, Binding(), AsBytes("v")));
  auto fails = [&](RecordBinding b) {
    EXPECT_THAT(OpenValue(key, b, sealed), StatusIs(absl::StatusCode::kDataLoss));
  };
  RecordBinding b = Binding();
  b.site = "own-sg";
  fails(b);
  b = Binding();
  b.subject = "u2";
  fails(b);
  b = Binding();
  b.key = "phone";
  fails(b);
  b = Binding();
  b.classification = "public";
  fails(b);
  b = Binding();
  b.version = 4;
  fails(b);
  EXPECT_THAT(OpenValue(Bytes(32, 2), Binding(), sealed), StatusIs(absl::StatusCode::kDataLoss));
  for (size_t i = 0; i < sealed.size(); ++i) {
    Bytes altered = sealed;
    altered[i] ^= 0x80;
    EXPECT_THAT(OpenValue(key, Binding(), altered), StatusIs(absl::StatusCode::kDataLoss)) << i;
  }
}

TEST(Envelope, AadSeparatesFieldsUnambiguously) {
  // ("ab","c") and ("a","bc") must not produce the same associated data.
  RecordBinding x{"s", "ab", "c", "public", 1};
  RecordBinding y{"s", "a", "bc", "public", 1};
  EXPECT_NE(RecordAad(x), RecordAad(y));
}

TEST(Envelope, DataKeyRoundTripThroughProvider) {
  testing::TempDir dir;
  crypto::SecretBytes master(32);
  ASSERT_OK_AND_ASSIGN(auto ring, FileKeyring::Open(dir / "keyring", std::move(master)));
  std::string kek = KekId("oci-us-tx", "US");
  EXPECT_EQ(kek, "site/oci-us-tx/US");
  ASSERT_OK(ring->CreateKey(kek));
  ASSERT_OK_AND_ASSIGN(NewDataKey dk, GenerateDataKey(*ring, kek));
  Bytes stored = EncodeWrappedDataKey(dk.wrapped);
  ASSERT_OK_AND_ASSIGN(WrappedDataKey decoded, DecodeWrappedDataKey(stored));
  EXPECT_EQ(decoded.kek_id, kek);
  ASSERT_OK_AND_ASSIGN(crypto::SecretBytes plain, UnwrapDataKey(*ring, decoded));
  EXPECT_EQ(Bytes(plain.view().begin(), plain.view().end()),
            Bytes(dk.plaintext.view().begin(), dk.plaintext.view().end()));
  stored.pop_back();
  EXPECT_THAT(DecodeWrappedDataKey(Bytes{}), StatusIs(absl::StatusCode::kDataLoss));
}

}  // namespace
}  // namespace domicile::keys
