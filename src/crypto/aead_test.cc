#include "crypto/aead.h"

#include <string>
#include <thread>
#include <vector>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "util/encoding.h"
#include "util/status_matchers.h"

namespace domicile::crypto {
namespace {

using ::domicile::testing::StatusIs;

Bytes Hex(std::string_view hex) {
  std::optional<Bytes> bytes = HexDecode(hex);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes.value_or(Bytes());
}

// "The Galois/Counter Mode of Operation (GCM)", McGrew & Viega, test case 16.
struct Case16 {
  Bytes key = Hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308");
  Bytes nonce = Hex("cafebabefacedbaddecaf888");
  Bytes plaintext =
      Hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72"
          "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39");
  Bytes aad = Hex("feedfacedeadbeeffeedfacedeadbeefabaddad2");
  std::string sealed_hex =
      "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
      "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
      "76fc6ece0f4e1768cddf8853bb2d551b";
};

TEST(Aes256GcmTest, GcmSpecTestCase16Seal) {
  Case16 v;
  ASSERT_OK_AND_ASSIGN(Bytes sealed, Aes256GcmSeal(v.key, v.nonce, v.plaintext, v.aad));
  EXPECT_EQ(HexEncode(sealed), v.sealed_hex);
}

TEST(Aes256GcmTest, GcmSpecTestCase16Open) {
  Case16 v;
  ASSERT_OK_AND_ASSIGN(Bytes opened, Aes256GcmOpen(v.key, v.nonce, Hex(v.sealed_hex), v.aad));
  EXPECT_EQ(opened, v.plaintext);
}

TEST(Aes256GcmTest, SealToAndOpenToWriteTheSameBytesIntoTheCallersMemory) {
  Case16 v;
  Bytes sealed(v.plaintext.size() + kGcmTagSize, 0xaa);
  ASSERT_OK(Aes256GcmSealTo(v.key, v.nonce, v.plaintext, v.aad, sealed));
  EXPECT_EQ(HexEncode(sealed), v.sealed_hex);
  Bytes opened(v.plaintext.size(), 0xaa);
  ASSERT_OK(Aes256GcmOpenTo(v.key, v.nonce, sealed, v.aad, opened));
  EXPECT_EQ(opened, v.plaintext);
  // A tampered input leaves zeros, not a partial plaintext.
  sealed[0] ^= 1;
  EXPECT_THAT(Aes256GcmOpenTo(v.key, v.nonce, sealed, v.aad, opened),
              StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_EQ(opened, Bytes(v.plaintext.size(), 0));
  // The output must fit exactly.
  Bytes small(v.plaintext.size());
  EXPECT_THAT(Aes256GcmSealTo(v.key, v.nonce, v.plaintext, v.aad, small),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Aes256GcmOpenTo(v.key, v.nonce, Hex(v.sealed_hex), v.aad, sealed),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Aes256GcmTest, GcmSpecTestCase13EmptyPlaintextAndAad) {
  const Bytes key(32, 0);
  const Bytes nonce(12, 0);
  ASSERT_OK_AND_ASSIGN(Bytes sealed, Aes256GcmSeal(key, nonce, {}, {}));
  EXPECT_EQ(HexEncode(sealed), "530f8afbc74536b9a963b4f1c4cb738b");
  ASSERT_OK_AND_ASSIGN(Bytes opened, Aes256GcmOpen(key, nonce, sealed, {}));
  EXPECT_TRUE(opened.empty());
}

TEST(Aes256GcmTest, GcmSpecTestCase14) {
  const Bytes key(32, 0);
  const Bytes nonce(12, 0);
  ASSERT_OK_AND_ASSIGN(Bytes sealed, Aes256GcmSeal(key, nonce, Bytes(16, 0), {}));
  EXPECT_EQ(HexEncode(sealed), "cea7403d4d606b6e074ec5d3baf39d18d0d1c8a799996bf0265b98b5d48ab919");
}

TEST(Aes256GcmTest, RoundTripsManySizes) {
  const Bytes key = Hex("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
  const Bytes nonce = Hex("0c0d0e0f1011121314151617");
  for (size_t size : {0, 1, 15, 16, 17, 31, 64, 1000, 1024, 65537}) {
    Bytes plaintext(size);
    for (size_t i = 0; i < size; ++i) plaintext[i] = static_cast<uint8_t>(i * 7 + 3);
    const Bytes aad = ToBytes("record/" + std::to_string(size));
    ASSERT_OK_AND_ASSIGN(Bytes sealed, Aes256GcmSeal(key, nonce, plaintext, aad));
    EXPECT_EQ(sealed.size(), size + kGcmTagSize);
    ASSERT_OK_AND_ASSIGN(Bytes opened, Aes256GcmOpen(key, nonce, sealed, aad));
    EXPECT_EQ(opened, plaintext) << "size " << size;
  }
}

// The per-thread context is re-keyed per call: alternating keys must not leak state.
TEST(Aes256GcmTest, AlternatingKeysOnOneThread) {
  Case16 v;
  const Bytes other_key(32, 0x42);
  for (int i = 0; i < 3; ++i) {
    ASSERT_OK_AND_ASSIGN(Bytes a, Aes256GcmSeal(v.key, v.nonce, v.plaintext, v.aad));
    ASSERT_OK_AND_ASSIGN(Bytes b, Aes256GcmSeal(other_key, v.nonce, v.plaintext, v.aad));
    EXPECT_EQ(HexEncode(a), v.sealed_hex);
    EXPECT_NE(a, b);
    EXPECT_THAT(Aes256GcmOpen(other_key, v.nonce, a, v.aad), StatusIs(absl::StatusCode::kDataLoss));
    ASSERT_OK_AND_ASSIGN(Bytes opened, Aes256GcmOpen(v.key, v.nonce, a, v.aad));
    EXPECT_EQ(opened, v.plaintext);
  }
}

// What a thread computes with fresh contexts: the reference for the contexts a thread keeps.
Bytes SealOnAFreshThread(const Bytes& key, const Bytes& nonce, const Bytes& plaintext,
                         const Bytes& aad) {
  Bytes sealed;
  std::thread([&] { sealed = Aes256GcmSeal(key, nonce, plaintext, aad).value_or(Bytes()); }).join();
  return sealed;
}

// A thread keeps contexts keyed with its last keys and only sets the nonce when a key comes
// again: every interleaving of keys, nonces, directions and failed opens gives what fresh
// contexts give.
TEST(Aes256GcmTest, KeptContextsGiveWhatFreshOnesGive) {
  const std::vector<Bytes> keys = {Bytes(32, 0x01), Bytes(32, 0x02), Bytes(32, 0x03)};
  const std::vector<Bytes> nonces = {Bytes(12, 0x10), Bytes(12, 0x11)};
  const Bytes aad = ToBytes("aad");
  // Key sequences that hit a kept context, evict the older one, and come back to each.
  const std::vector<int> order = {0, 0, 1, 0, 1, 1, 2, 0, 2, 1, 0, 2, 2, 1};
  for (size_t step = 0; step < order.size(); ++step) {
    const Bytes& key = keys[order[step]];
    const Bytes& nonce = nonces[step % nonces.size()];
    const Bytes plaintext = ToBytes(fmt::format("value {} of key {}", step, order[step]));
    const Bytes expected = SealOnAFreshThread(key, nonce, plaintext, aad);
    ASSERT_FALSE(expected.empty());
    ASSERT_OK_AND_ASSIGN(Bytes sealed, Aes256GcmSeal(key, nonce, plaintext, aad));
    EXPECT_EQ(sealed, expected) << "step " << step;
    // A failed open with the same key, or another one, leaves nothing behind.
    Bytes forged = sealed;
    forged.back() ^= 1;
    EXPECT_THAT(Aes256GcmOpen(key, nonce, forged, aad), StatusIs(absl::StatusCode::kDataLoss));
    EXPECT_THAT(Aes256GcmOpen(keys[(order[step] + 1) % keys.size()], nonce, sealed, aad),
                StatusIs(absl::StatusCode::kDataLoss));
    ASSERT_OK_AND_ASSIGN(Bytes opened, Aes256GcmOpen(key, nonce, sealed, aad));
    EXPECT_EQ(opened, plaintext) << "step " << step;
  }
}

TEST(Aes256GcmTest, ConcurrentThreads) {
  Case16 v;
  std::vector<std::thread> threads;
  std::vector<int> failures(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&v, &failures, t] {
      for (int i = 0; i < 200; ++i) {
        absl::StatusOr<Bytes> sealed = Aes256GcmSeal(v.key, v.nonce, v.plaintext, v.aad);
        if (!sealed.ok() || HexEncode(*sealed) != v.sealed_hex) ++failures[t];
        absl::StatusOr<Bytes> opened = Aes256GcmOpen(v.key, v.nonce, Hex(v.sealed_hex), v.aad);
        if (!opened.ok() || *opened != v.plaintext) ++failures[t];
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures, std::vector<int>(4, 0));
}

TEST(Aes256GcmTest, FlippedCiphertextOrTagByteFails) {
  Case16 v;
  const Bytes sealed = Hex(v.sealed_hex);
  for (size_t i = 0; i < sealed.size(); ++i) {
    Bytes tampered = sealed;
    tampered[i] ^= 0x01;
    absl::StatusOr<Bytes> opened = Aes256GcmOpen(v.key, v.nonce, tampered, v.aad);
    EXPECT_THAT(opened, StatusIs(absl::StatusCode::kDataLoss)) << "byte " << i;
    EXPECT_EQ(opened.status().message(), "authentication failed");
  }
  // A failure leaves the thread's context usable.
  ASSERT_OK_AND_ASSIGN(Bytes opened, Aes256GcmOpen(v.key, v.nonce, sealed, v.aad));
  EXPECT_EQ(opened, v.plaintext);
}

TEST(Aes256GcmTest, FlippedNonceByteFails) {
  Case16 v;
  const Bytes sealed = Hex(v.sealed_hex);
  for (size_t i = 0; i < v.nonce.size(); ++i) {
    Bytes nonce = v.nonce;
    nonce[i] ^= 0x80;
    EXPECT_THAT(Aes256GcmOpen(v.key, nonce, sealed, v.aad), StatusIs(absl::StatusCode::kDataLoss))
        << "byte " << i;
  }
}

TEST(Aes256GcmTest, FlippedAadByteFails) {
  Case16 v;
  const Bytes sealed = Hex(v.sealed_hex);
  for (size_t i = 0; i < v.aad.size(); ++i) {
    Bytes aad = v.aad;
    aad[i] ^= 0x01;
    EXPECT_THAT(Aes256GcmOpen(v.key, v.nonce, sealed, aad), StatusIs(absl::StatusCode::kDataLoss))
        << "byte " << i;
  }
  EXPECT_THAT(Aes256GcmOpen(v.key, v.nonce, sealed, {}), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(Aes256GcmTest, TruncatedOrExtendedInputFails) {
  Case16 v;
  Bytes sealed = Hex(v.sealed_hex);
  Bytes shorter(sealed.begin() + 1, sealed.end());
  EXPECT_THAT(Aes256GcmOpen(v.key, v.nonce, shorter, v.aad), StatusIs(absl::StatusCode::kDataLoss));
  sealed.push_back(0);
  EXPECT_THAT(Aes256GcmOpen(v.key, v.nonce, sealed, v.aad), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(Aes256GcmTest, OtherKeyFails) {
  Case16 v;
  Bytes key = v.key;
  key[31] ^= 0x01;
  EXPECT_THAT(Aes256GcmOpen(key, v.nonce, Hex(v.sealed_hex), v.aad),
              StatusIs(absl::StatusCode::kDataLoss));
}

TEST(Aes256GcmTest, WrongKeySizeIsInvalidArgument) {
  Case16 v;
  for (size_t size : {0, 16, 31, 33}) {
    const Bytes key(size, 1);
    EXPECT_THAT(Aes256GcmSeal(key, v.nonce, v.plaintext, v.aad),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(Aes256GcmOpen(key, v.nonce, Hex(v.sealed_hex), v.aad),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(Aes256GcmTest, WrongNonceSizeIsInvalidArgument) {
  Case16 v;
  for (size_t size : {0, 8, 11, 13, 16}) {
    const Bytes nonce(size, 1);
    EXPECT_THAT(Aes256GcmSeal(v.key, nonce, v.plaintext, v.aad),
                StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(Aes256GcmOpen(v.key, nonce, Hex(v.sealed_hex), v.aad),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(Aes256GcmTest, InputShorterThanTagIsInvalidArgument) {
  Case16 v;
  for (size_t size = 0; size < kGcmTagSize; ++size) {
    EXPECT_THAT(Aes256GcmOpen(v.key, v.nonce, Bytes(size, 0), v.aad),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << "size " << size;
  }
}

}  // namespace
}  // namespace domicile::crypto
