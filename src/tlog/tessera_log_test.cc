// Verifies the real tlog-tiles log written by transparency-dev/tessera in
// shared/testdata/tessera-log: an independent implementation must agree with it byte for byte,
// and must notice when any byte changes.
#include <filesystem>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "gtest/gtest.h"
#include "tlog/checkpoint.h"
#include "tlog/entry_bundle.h"
#include "tlog/merkle.h"
#include "tlog/note.h"
#include "tlog/tile_path.h"
#include "util/encoding.h"
#include "util/file.h"
#include "util/status_matchers.h"

namespace domicile::tlog {
namespace {

using ::domicile::testing::StatusIs;

constexpr uint64_t kLogSize = 15;
const std::filesystem::path kDir = DOMICILE_TESSERA_LOG_DIR;

std::string Read(const std::string& rel) {
  absl::StatusOr<std::string> s = ReadFileToString(kDir / rel);
  EXPECT_TRUE(s.ok()) << rel << ": " << s.status();
  return s.ok() ? *s : std::string();
}

NoteVerifier Verifier() {
  std::string vkey = Read("VKEY");
  while (!vkey.empty() && vkey.back() == '\n') vkey.pop_back();
  absl::StatusOr<NoteVerifier> v = ParseNoteVerifier(vkey);
  EXPECT_TRUE(v.ok()) << v.status();
  return *v;
}

std::vector<Hash> LeafHashesOf(const std::vector<Bytes>& entries) {
  std::vector<Hash> out;
  for (const Bytes& e : entries) out.push_back(LeafHash(e));
  return out;
}

class TesseraLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // The log lives in the workplace's shared/ folder beside the repository (as in CI).
    if (!std::filesystem::exists(kDir)) {
      GTEST_SKIP() << "SKIPPED LOUDLY: the Tessera test log is not at " << kDir
                   << " (it is shared/testdata/tessera-log beside the repository)";
    }
    verifier_ = Verifier();
    for (uint64_t n = 0; n <= kLogSize; ++n) {
      absl::StatusOr<Checkpoint> cp =
          OpenCheckpoint(Read(fmt::format("checkpoint.{}", n)), verifier_);
      ASSERT_TRUE(cp.ok()) << "checkpoint." << n << ": " << cp.status();
      checkpoints_.push_back(*cp);
    }
    absl::StatusOr<std::vector<Bytes>> entries =
        ParseEntryBundle(AsBytes(Read(EntriesPath(0, kLogSize))));
    ASSERT_TRUE(entries.ok()) << entries.status();
    entries_ = *entries;
    leaves_ = LeafHashesOf(entries_);
  }

  NoteVerifier verifier_;
  std::vector<Checkpoint> checkpoints_;
  std::vector<Bytes> entries_;
  std::vector<Hash> leaves_;
};

TEST_F(TesseraLogTest, VerifierKeyMatchesReadme) {
  EXPECT_EQ(FormatNoteVerifier(verifier_),
            "example.com/log/testdata+33d7b496+AeHTu4Q3hEIMHNqc6fASMsq3rKNx280NI+oO5xCFkkSx");
}

TEST_F(TesseraLogTest, EveryCheckpointIsSignedForItsSizeAndOrigin) {
  for (uint64_t n = 0; n <= kLogSize; ++n) {
    EXPECT_EQ(checkpoints_[n].size, n);
    EXPECT_EQ(checkpoints_[n].origin, verifier_.name);
    EXPECT_TRUE(checkpoints_[n].extensions.empty());
  }
  EXPECT_EQ(Read("checkpoint"), Read(fmt::format("checkpoint.{}", kLogSize)));
}

TEST_F(TesseraLogTest, RootsRecomputedFromEntryBundlesAndTilesMatch) {
  ASSERT_EQ(entries_.size(), kLogSize);
  EXPECT_EQ(checkpoints_[0].root, EmptyRoot());
  for (uint64_t n = 1; n <= kLogSize; ++n) {
    const auto w = static_cast<uint8_t>(n);
    // The partial bundle of width n holds exactly the first n entries.
    ASSERT_OK_AND_ASSIGN(std::vector<Bytes> bundle,
                         ParseEntryBundle(AsBytes(Read(EntriesPath(0, w)))));
    ASSERT_EQ(bundle.size(), n);
    const std::vector<Hash> leaves = LeafHashesOf(bundle);
    EXPECT_EQ(RootFromLeafHashes(leaves), checkpoints_[n].root) << "size " << n;
    EXPECT_TRUE(std::equal(bundle.begin(), bundle.end(), entries_.begin())) << "size " << n;

    // The level-0 hash tile holds the leaf hashes.
    const std::string tile = Read(TilePath(0, 0, w));
    ASSERT_EQ(tile.size(), n * 32) << "size " << n;
    for (uint64_t i = 0; i < n; ++i) {
      EXPECT_TRUE(std::ranges::equal(leaves[i], AsBytes(tile).subspan(i * 32, 32)))
          << "leaf " << i << " in tile of size " << n;
    }
    // And every entry is provably included in this checkpoint's tree.
    for (uint64_t i = 0; i < n; ++i) {
      EXPECT_TRUE(
          VerifyInclusion(i, n, leaves[i], InclusionProof(i, leaves), checkpoints_[n].root));
    }
  }
}

TEST_F(TesseraLogTest, EveryPairOfCheckpointsIsConsistent) {
  for (uint64_t n = 0; n <= kLogSize; ++n) {
    const std::span<const Hash> leaves = std::span(leaves_).first(n);
    for (uint64_t m = 0; m <= n; ++m) {
      EXPECT_TRUE(VerifyConsistency(m, n, ConsistencyProof(m, leaves), checkpoints_[m].root,
                                    checkpoints_[n].root))
          << m << " -> " << n;
    }
  }
}

TEST_F(TesseraLogTest, FlippedSignatureByteIsRejected) {
  for (uint64_t n = 0; n <= kLogSize; ++n) {
    const std::string note = Read(fmt::format("checkpoint.{}", n));
    const size_t at = note.rfind(' ') + 1;
    Bytes raw = *Base64Decode(note.substr(at, note.size() - at - 1));
    raw[4 + n] ^= 0x20;  // a signature byte, past the key ID
    const std::string tampered = note.substr(0, at) + Base64Encode(raw) + "\n";
    EXPECT_THAT(OpenCheckpoint(tampered, verifier_), StatusIs(absl::StatusCode::kUnauthenticated))
        << n;
  }
}

TEST_F(TesseraLogTest, FlippedRootIsRejected) {
  for (uint64_t n = 1; n <= kLogSize; ++n) {
    // Changing the root in the signed text breaks the signature.
    std::string note = Read(fmt::format("checkpoint.{}", n));
    const size_t root_at = note.find('\n', note.find('\n') + 1) + 1;
    note[root_at] = note[root_at] == 'A' ? 'B' : 'A';
    EXPECT_THAT(OpenCheckpoint(note, verifier_), StatusIs(absl::StatusCode::kUnauthenticated));

    // A changed root no longer matches the entries nor proves consistency.
    Hash root = checkpoints_[n].root;
    root[n % 32] ^= 0x01;
    const std::span<const Hash> leaves = std::span(leaves_).first(n);
    EXPECT_NE(RootFromLeafHashes(leaves), root);
    for (uint64_t m = 1; m < n; ++m) {
      EXPECT_FALSE(
          VerifyConsistency(m, n, ConsistencyProof(m, leaves), checkpoints_[m].root, root));
      EXPECT_FALSE(
          VerifyConsistency(m, n, ConsistencyProof(m, leaves), root, checkpoints_[n].root));
    }
  }
}

TEST_F(TesseraLogTest, FlippedEntryByteIsRejected) {
  const Bytes bundle = ToBytes(Read(EntriesPath(0, kLogSize)));
  for (size_t pos = 0; pos < bundle.size(); ++pos) {
    Bytes tampered = bundle;
    tampered[pos] ^= 0x01;
    absl::StatusOr<std::vector<Bytes>> entries = ParseEntryBundle(tampered);
    if (!entries.ok()) continue;  // a broken length prefix is caught by the parser
    EXPECT_NE(entries->size() == kLogSize ? RootFromLeafHashes(LeafHashesOf(*entries)) : Hash{},
              checkpoints_[kLogSize].root)
        << "byte " << pos;
  }
}

}  // namespace
}  // namespace domicile::tlog
