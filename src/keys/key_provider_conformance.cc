#include "keys/key_provider_conformance.h"

#include <algorithm>
#include <atomic>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "crypto/ed25519.h"
#include "fmt/core.h"
#include "gmock/gmock.h"
#include "util/status_matchers.h"

namespace domicile::keys {

void PrintTo(const KeyProviderBackend& backend, std::ostream* os) { *os << backend.name; }

std::string KeyProviderBackendName(const ::testing::TestParamInfo<KeyProviderBackend>& info) {
  return info.param.name;
}

void KeyProviderConformanceTest::SetUp() {
  absl::StatusOr<std::unique_ptr<KeyProvider>> provider = GetParam().factory(dir_.path());
  if (provider.status().code() == absl::StatusCode::kUnavailable) {
    GTEST_SKIP() << "backend " << GetParam().name << " unavailable: " << provider.status();
  }
  ASSERT_OK(provider);
  provider_ = std::move(provider).value();
}

void KeyProviderConformanceTest::TearDown() { provider_.reset(); }

absl::Status KeyProviderConformanceTest::Reopen() {
  provider_.reset();
  ASSIGN_OR_RETURN(provider_, GetParam().factory(dir_.path()));
  return absl::OkStatus();
}

namespace {

using ::domicile::testing::IsOk;
using ::domicile::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A data key whose bytes depend on `seed`, so that keys are told apart.
Bytes DataKey(int seed, size_t size = 32) {
  Bytes key(size);
  for (size_t i = 0; i < size; ++i) key[i] = static_cast<uint8_t>(seed * 37 + i * 11 + 1);
  return key;
}

Bytes Plain(const crypto::SecretBytes& secret) {
  return Bytes(secret.view().begin(), secret.view().end());
}

TEST_P(KeyProviderConformanceTest, CreateKeyIsIdempotentAndKeepsTheKey) {
  EXPECT_FALSE(provider().HasKey("site/a/US"));
  ASSERT_OK(provider().CreateKey("site/a/US"));
  EXPECT_TRUE(provider().HasKey("site/a/US"));
  ASSERT_OK_AND_ASSIGN(Bytes wrapped, provider().Wrap("site/a/US", DataKey(1)));
  // Creating it again changes nothing: the same KEK still unwraps what it wrapped.
  ASSERT_OK(provider().CreateKey("site/a/US"));
  EXPECT_THAT(provider().ListKeys(), ElementsAre("site/a/US"));
  ASSERT_OK_AND_ASSIGN(crypto::SecretBytes got, provider().Unwrap("site/a/US", wrapped));
  EXPECT_EQ(Plain(got), DataKey(1));
}

TEST_P(KeyProviderConformanceTest, WrapAndUnwrapRoundTripAcrossReopen) {
  ASSERT_OK(provider().CreateKey("k"));
  std::vector<Bytes> data_keys = {DataKey(1), DataKey(2, 16), DataKey(3, 24), DataKey(4, 64)};
  std::vector<Bytes> wrapped;
  for (const Bytes& data_key : data_keys) {
    ASSERT_OK_AND_ASSIGN(Bytes w, provider().Wrap("k", data_key));
    // The wrapped form does not carry the data key in the clear.
    EXPECT_EQ(std::search(w.begin(), w.end(), data_key.begin(), data_key.end()), w.end());
    wrapped.push_back(std::move(w));
  }
  ASSERT_OK(Reopen());
  EXPECT_TRUE(provider().HasKey("k"));
  for (size_t i = 0; i < data_keys.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(crypto::SecretBytes got, provider().Unwrap("k", wrapped[i]));
    EXPECT_EQ(Plain(got), data_keys[i]) << "data key " << i;
  }
}

TEST_P(KeyProviderConformanceTest, WrappedKeyOnlyUnwrapsUnderItsKekAndUnaltered) {
  ASSERT_OK(provider().CreateKey("a"));
  ASSERT_OK(provider().CreateKey("b"));
  ASSERT_OK_AND_ASSIGN(Bytes wrapped, provider().Wrap("a", DataKey(7)));
  EXPECT_THAT(provider().Unwrap("b", wrapped), StatusIs(absl::StatusCode::kDataLoss));
  for (size_t at : {size_t{0}, wrapped.size() / 2, wrapped.size() - 1}) {
    Bytes altered = wrapped;
    altered[at] ^= 0x01;
    EXPECT_THAT(provider().Unwrap("a", altered), StatusIs(absl::StatusCode::kDataLoss))
        << "byte " << at << " flipped";
  }
  Bytes truncated(wrapped.begin(), wrapped.end() - 8);
  EXPECT_THAT(provider().Unwrap("a", truncated), StatusIs(absl::StatusCode::kDataLoss));
  Bytes extended = wrapped;
  extended.insert(extended.end(), 8, 0);
  EXPECT_THAT(provider().Unwrap("a", extended), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(provider().Unwrap("a", Bytes()), StatusIs(absl::StatusCode::kDataLoss));
  // And the original still unwraps.
  ASSERT_OK_AND_ASSIGN(crypto::SecretBytes got, provider().Unwrap("a", wrapped));
  EXPECT_EQ(Plain(got), DataKey(7));
}

TEST_P(KeyProviderConformanceTest, MissingKekIsNotFound) {
  EXPECT_FALSE(provider().HasKey("missing"));
  EXPECT_THAT(provider().Wrap("missing", DataKey(1)), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(provider().CreateKey("present"));
  ASSERT_OK_AND_ASSIGN(Bytes wrapped, provider().Wrap("present", DataKey(1)));
  EXPECT_THAT(provider().Unwrap("missing", wrapped), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(provider().DestroyKey("missing"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(KeyProviderConformanceTest, DestroyedKekIsGoneForGood) {
  ASSERT_OK(provider().CreateKey("doomed"));
  ASSERT_OK(provider().CreateKey("kept"));
  ASSERT_OK_AND_ASSIGN(Bytes wrapped, provider().Wrap("doomed", DataKey(9)));
  ASSERT_OK_AND_ASSIGN(Bytes kept_wrapped, provider().Wrap("kept", DataKey(10)));
  ASSERT_OK(provider().DestroyKey("doomed"));
  EXPECT_FALSE(provider().HasKey("doomed"));
  EXPECT_THAT(provider().Unwrap("doomed", wrapped), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(provider().Wrap("doomed", DataKey(9)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(provider().DestroyKey("doomed"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(provider().ListKeys(), ElementsAre("kept"));

  ASSERT_OK(Reopen());
  EXPECT_FALSE(provider().HasKey("doomed"));
  EXPECT_THAT(provider().Unwrap("doomed", wrapped), StatusIs(absl::StatusCode::kNotFound));
  // A new KEK under the old name is a new key: what the old one wrapped stays shredded.
  ASSERT_OK(provider().CreateKey("doomed"));
  EXPECT_THAT(provider().Unwrap("doomed", wrapped), StatusIs(absl::StatusCode::kDataLoss));
  // The other KEK was not touched.
  ASSERT_OK_AND_ASSIGN(crypto::SecretBytes got, provider().Unwrap("kept", kept_wrapped));
  EXPECT_EQ(Plain(got), DataKey(10));
}

TEST_P(KeyProviderConformanceTest, ListKeysIsSortedAndHoldsOnlyKeks) {
  EXPECT_THAT(provider().ListKeys(), IsEmpty());
  for (const char* id : {"site/b/US", "site/a/US", "z", "site/a", "A"}) {
    ASSERT_OK(provider().CreateKey(id));
  }
  ASSERT_OK(provider().CreateSigningKey("log/x"));
  EXPECT_THAT(provider().ListKeys(), ElementsAre("A", "site/a", "site/a/US", "site/b/US", "z"));
  ASSERT_OK(Reopen());
  EXPECT_THAT(provider().ListKeys(), ElementsAre("A", "site/a", "site/a/US", "site/b/US", "z"));
}

TEST_P(KeyProviderConformanceTest, SigningKeysSignAndStaySeparateFromKeks) {
  const Bytes message = ToBytes("checkpoint text\n");
  EXPECT_THAT(provider().Sign("log/x", message), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(provider().SigningPublicKey("log/x"), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(provider().CreateKey("site/a/US"));
  ASSERT_OK(provider().CreateSigningKey("log/x"));
  ASSERT_OK_AND_ASSIGN(Bytes public_key, provider().SigningPublicKey("log/x"));
  ASSERT_EQ(public_key.size(), 32u);
  ASSERT_OK(provider().CreateSigningKey("log/x"));  // idempotent: the same key
  EXPECT_EQ(provider().SigningPublicKey("log/x").value_or(Bytes()), public_key);
  // A signing key is not a KEK, and a KEK's name is not a signing key's.
  EXPECT_FALSE(provider().HasKey("log/x"));
  EXPECT_THAT(provider().Wrap("log/x", DataKey(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(provider().Sign("site/a/US", message), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(provider().ListKeys(), ElementsAre("site/a/US"));

  ASSERT_OK_AND_ASSIGN(Bytes signature, provider().Sign("log/x", message));
  ASSERT_EQ(signature.size(), 64u);
  EXPECT_TRUE(crypto::Ed25519Verify(public_key, message, signature));
  Bytes altered = message;
  altered.back() ^= 1;
  EXPECT_FALSE(crypto::Ed25519Verify(public_key, altered, signature));
  // Another signing key is another key.
  ASSERT_OK(provider().CreateSigningKey("log/y"));
  ASSERT_OK_AND_ASSIGN(Bytes other_public, provider().SigningPublicKey("log/y"));
  EXPECT_NE(other_public, public_key);
  ASSERT_OK_AND_ASSIGN(Bytes other_signature, provider().Sign("log/y", message));
  EXPECT_FALSE(crypto::Ed25519Verify(public_key, message, other_signature));

  ASSERT_OK(Reopen());
  EXPECT_EQ(provider().SigningPublicKey("log/x").value_or(Bytes()), public_key);
  ASSERT_OK_AND_ASSIGN(Bytes after, provider().Sign("log/x", ToBytes("after reopen")));
  EXPECT_TRUE(crypto::Ed25519Verify(public_key, ToBytes("after reopen"), after));
}

TEST_P(KeyProviderConformanceTest, ConcurrentWrapsAndUnwrapsAllRoundTrip) {
  constexpr int kThreads = 4;
  constexpr int kRoundsPerThread = 50;
  ASSERT_OK(provider().CreateKey("k0"));
  ASSERT_OK(provider().CreateKey("k1"));
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kRoundsPerThread; ++i) {
        const std::string id = (i + t) % 2 == 0 ? "k0" : "k1";
        const Bytes data_key = DataKey(t * 1000 + i);
        absl::StatusOr<Bytes> wrapped = provider().Wrap(id, data_key);
        absl::StatusOr<crypto::SecretBytes> got =
            wrapped.ok() ? provider().Unwrap(id, *wrapped) : wrapped.status();
        if (!got.ok() || Plain(*got) != data_key) ++failures;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST_P(KeyProviderConformanceTest, ConcurrentCreatesOfOneIdMakeOneKey) {
  constexpr int kThreads = 4;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      if (!provider().CreateKey("shared").ok()) ++failures;
      if (!provider().CreateSigningKey("log/shared").ok()) ++failures;
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_THAT(provider().ListKeys(), ElementsAre("shared"));
  ASSERT_OK_AND_ASSIGN(Bytes wrapped, provider().Wrap("shared", DataKey(5)));
  ASSERT_OK_AND_ASSIGN(crypto::SecretBytes got, provider().Unwrap("shared", wrapped));
  EXPECT_EQ(Plain(got), DataKey(5));
  ASSERT_OK_AND_ASSIGN(Bytes public_key, provider().SigningPublicKey("log/shared"));
  ASSERT_OK_AND_ASSIGN(Bytes signature, provider().Sign("log/shared", DataKey(6)));
  EXPECT_TRUE(crypto::Ed25519Verify(public_key, DataKey(6), signature));
}

TEST_P(KeyProviderConformanceTest, IdsMustBeOneTo255Bytes) {
  const std::string longest(kMaxKeyIdSize, 'x');
  const std::string too_long(kMaxKeyIdSize + 1, 'x');
  EXPECT_THAT(provider().CreateKey(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(provider().CreateKey(too_long), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(provider().CreateSigningKey(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(provider().CreateSigningKey(too_long), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_FALSE(provider().HasKey(""));
  EXPECT_THAT(provider().Wrap("", DataKey(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(provider().Sign("", DataKey(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(provider().ListKeys(), IsEmpty());

  ASSERT_OK(provider().CreateKey(longest));
  ASSERT_OK_AND_ASSIGN(Bytes wrapped, provider().Wrap(longest, DataKey(2)));
  ASSERT_OK_AND_ASSIGN(crypto::SecretBytes got, provider().Unwrap(longest, wrapped));
  EXPECT_EQ(Plain(got), DataKey(2));
  ASSERT_OK(provider().CreateSigningKey(longest));
  EXPECT_THAT(provider().SigningPublicKey(longest), IsOk());
  EXPECT_THAT(provider().ListKeys(), ElementsAre(longest));
}

}  // namespace
}  // namespace domicile::keys
