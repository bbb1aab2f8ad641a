#include "store/kv_store_conformance.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "util/status_matchers.h"

namespace domicile::store {

void PrintTo(const KvStoreBackend& backend, std::ostream* os) { *os << backend.name; }

std::string KvStoreBackendName(const ::testing::TestParamInfo<KvStoreBackend>& info) {
  return info.param.name;
}

void KvStoreConformanceTest::SetUp() {
  absl::StatusOr<std::unique_ptr<KvStore>> store = GetParam().factory(dir_.path());
  if (store.status().code() == absl::StatusCode::kUnavailable) {
    // make test starts every backend's server, so in CI an absent one is a failure.
    const char* ci = std::getenv("CI");
    if (ci != nullptr && std::string_view(ci) == "true") {
      FAIL() << "backend " << GetParam().name << " unavailable in CI: " << store.status();
    }
    GTEST_SKIP() << "backend " << GetParam().name << " unavailable: " << store.status();
  }
  ASSERT_OK(store);
  store_ = std::move(store).value();
}

void KvStoreConformanceTest::TearDown() { store_.reset(); }

absl::Status KvStoreConformanceTest::Reopen() {
  store_.reset();
  ASSIGN_OR_RETURN(store_, GetParam().factory(dir_.path()));
  return absl::OkStatus();
}

namespace {

using ::domicile::testing::IsOk;
using ::domicile::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;
using KeyValues = std::vector<std::pair<std::string, std::string>>;

// Everything `source` (a KvStore or a Snapshot) yields for `prefix`, in the order yielded.
template <typename Source>
KeyValues ScanAll(const Source& source, std::string_view prefix) {
  KeyValues out;
  absl::Status s = source.Scan(prefix, [&](std::string_view key, std::string_view value) {
    out.emplace_back(std::string(key), std::string(value));
    return true;
  });
  EXPECT_OK(s);
  return out;
}

template <typename Source>
std::vector<std::string> ScanKeys(const Source& source, std::string_view prefix) {
  std::vector<std::string> keys;
  for (auto& [key, value] : ScanAll(source, prefix)) keys.push_back(std::move(key));
  return keys;
}

// Binary strings written as std::string(literal, size) so that NUL bytes survive.
const std::string kNulKey("k\0ey", 4);
const std::string kBinaryValue("\0\xff\x01\xfe\0", 5);

TEST_P(KvStoreConformanceTest, GetOfAbsentKeyIsNotFound) {
  EXPECT_THAT(store().Get("absent"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(KvStoreConformanceTest, PutThenGetRoundTripsBinaryKeysAndValues) {
  std::string all_bytes;
  for (int b = 0; b < 256; ++b) all_bytes.push_back(static_cast<char>(b));
  ASSERT_OK(store().Put("plain", "value"));
  ASSERT_OK(store().Put(kNulKey, kBinaryValue));
  ASSERT_OK(store().Put("\xff\xff", all_bytes));
  ASSERT_OK(store().Put("empty-value", ""));

  EXPECT_EQ(store().Get("plain").value_or("<error>"), "value");
  EXPECT_EQ(store().Get(kNulKey).value_or("<error>"), kBinaryValue);
  EXPECT_EQ(store().Get("\xff\xff").value_or("<error>"), all_bytes);
  // An empty value is a value, not an absent key.
  EXPECT_EQ(store().Get("empty-value").value_or("<error>"), "");
  // The key with a NUL is not confused with its prefix.
  EXPECT_THAT(store().Get("k"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(KvStoreConformanceTest, PutOverwritesPreviousValue) {
  ASSERT_OK(store().Put("key", "first, and longer than the second"));
  ASSERT_OK(store().Put("key", "second"));
  EXPECT_EQ(store().Get("key").value_or("<error>"), "second");
}

TEST_P(KvStoreConformanceTest, DeleteRemovesKey) {
  ASSERT_OK(store().Put("key", "value"));
  ASSERT_OK(store().Put("keep", "value"));
  ASSERT_OK(store().Delete("key"));
  EXPECT_THAT(store().Get("key"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store().Get("keep").value_or("<error>"), "value");
}

TEST_P(KvStoreConformanceTest, DeleteOfAbsentKeyIsOk) { EXPECT_OK(store().Delete("absent")); }

TEST_P(KvStoreConformanceTest, EmptyKeyIsRejected) {
  EXPECT_THAT(store().Put("", "value"), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Get(""), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Delete(""), StatusIs(absl::StatusCode::kInvalidArgument));

  // A batch with one bad key is rejected whole.
  WriteBatch batch;
  batch.Put("good", "value");
  batch.Put("", "value");
  EXPECT_THAT(store().Write(batch), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store().Get("good"), StatusIs(absl::StatusCode::kNotFound));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Snapshot> snapshot, store().GetSnapshot());
  EXPECT_THAT(snapshot->Get(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_P(KvStoreConformanceTest, OneMebibyteValueRoundTrips) {
  std::string big(1 << 20, '\0');
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>((i * 131 + i / 7) & 0xff);
  ASSERT_OK(store().Put("big", big));
  ASSERT_OK_AND_ASSIGN(std::string got, store().Get("big"));
  EXPECT_TRUE(got == big) << "1 MiB value differs, got " << got.size() << " bytes";
}

TEST_P(KvStoreConformanceTest, WriteBatchAppliesAllOpsInOrder) {
  ASSERT_OK(store().Put("old", "value"));
  WriteBatch batch;
  batch.Put("a", "1");
  batch.Put("b", "2");
  batch.Delete("old");
  batch.Put("put-then-delete", "x");
  batch.Delete("put-then-delete");
  batch.Delete("delete-then-put");
  batch.Put("delete-then-put", "present");
  batch.Put("twice", "first");
  batch.Put("twice", "second");
  ASSERT_OK(store().Write(batch));

  EXPECT_EQ(store().Get("a").value_or("<error>"), "1");
  EXPECT_EQ(store().Get("b").value_or("<error>"), "2");
  EXPECT_THAT(store().Get("old"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store().Get("put-then-delete"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store().Get("delete-then-put").value_or("<error>"), "present");
  EXPECT_EQ(store().Get("twice").value_or("<error>"), "second");
}

TEST_P(KvStoreConformanceTest, EmptyBatchIsOkAndChangesNothing) {
  ASSERT_OK(store().Put("key", "value"));
  EXPECT_OK(store().Write(WriteBatch()));
  EXPECT_THAT(ScanAll(store(), ""), ElementsAre(Pair("key", "value")));
}

// Keys around prefix boundaries: 0xff bytes, NUL bytes, and keys that extend a prefix into
// what would be the next one ("user/1" vs "user/10").
const std::vector<std::string>& BoundaryKeys() {
  static const auto* keys = new std::vector<std::string>{"a",           std::string("a\0", 2),
                                                         "a\xff",       std::string("a\xff\0", 3),
                                                         "a\xff\xff",   "ab",
                                                         "b",           "user/",
                                                         "user/1",      "user/1/x",
                                                         "user/10",     "user/2",
                                                         "\xff",        "\xff\xff",
                                                         "\xff\xff\x01"};
  return *keys;
}

TEST_P(KvStoreConformanceTest, ScanVisitsExactlyThePrefixInBytewiseOrder) {
  // Written in reverse so that insertion order cannot pass for key order.
  for (auto it = BoundaryKeys().rbegin(); it != BoundaryKeys().rend(); ++it) {
    ASSERT_OK(store().Put(*it, "v:" + *it));
  }
  EXPECT_THAT(ScanKeys(store(), "a"), ElementsAre("a", std::string("a\0", 2), "ab", "a\xff",
                                                  std::string("a\xff\0", 3), "a\xff\xff"));
  EXPECT_THAT(ScanKeys(store(), "a\xff"),
              ElementsAre("a\xff", std::string("a\xff\0", 3), "a\xff\xff"));
  EXPECT_THAT(ScanKeys(store(), "a\xff\xff"), ElementsAre("a\xff\xff"));
  EXPECT_THAT(ScanKeys(store(), "user/1"), ElementsAre("user/1", "user/1/x", "user/10"));
  EXPECT_THAT(ScanKeys(store(), "user/1/"), ElementsAre("user/1/x"));
  EXPECT_THAT(ScanKeys(store(), "\xff"), ElementsAre("\xff", "\xff\xff", "\xff\xff\x01"));
  EXPECT_THAT(ScanKeys(store(), "\xff\xff"), ElementsAre("\xff\xff", "\xff\xff\x01"));
  EXPECT_THAT(ScanKeys(store(), "c"), IsEmpty());
  EXPECT_THAT(ScanKeys(store(), "user/3"), IsEmpty());
  // Values travel with their keys.
  EXPECT_THAT(ScanAll(store(), "ab"), ElementsAre(Pair("ab", "v:ab")));
}

TEST_P(KvStoreConformanceTest, WriteBulkIsAWriteOfManyPutsWhereTheLastPutWins) {
  ASSERT_OK(store().Put("b/keep", "old"));
  ASSERT_OK(store().Put("b/0005", "old"));
  // Large enough for a backend's bulk path (RocksDB: over 1 MiB), unsorted, with repeats.
  WriteBatch bulk;
  const std::string value(4096, 'v');
  for (int i = 999; i >= 0; --i) bulk.Put(fmt::format("b/{:04d}", i), value + std::to_string(i));
  bulk.Put("b/0007", "second");
  bulk.Put("a", "first key");
  ASSERT_OK(store().WriteBulk(bulk));
  EXPECT_EQ(store().Get("b/0005").value_or("<error>"), value + "5");
  EXPECT_EQ(store().Get("b/0007").value_or("<error>"), "second");
  EXPECT_EQ(store().Get("b/keep").value_or("<error>"), "old");
  EXPECT_EQ(store().Get("a").value_or("<error>"), "first key");
  EXPECT_EQ(ScanKeys(store(), "b/").size(), 1001u);
  // A later ordinary write still wins over it.
  ASSERT_OK(store().Put("b/0001", "newer"));
  EXPECT_EQ(store().Get("b/0001").value_or("<error>"), "newer");
  // With deletes, and small: the same as Write.
  WriteBatch mixed;
  mixed.Put("c", "1");
  mixed.Delete("b/keep");
  ASSERT_OK(store().WriteBulk(mixed));
  EXPECT_THAT(store().Get("b/keep"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store().Get("c").value_or("<error>"), "1");
}

TEST_P(KvStoreConformanceTest, BulkLoadIsInvisibleUntilCommitThenVisibleAllAtOnce) {
  ASSERT_OK(store().Put("b/0002", "old"));
  ASSERT_OK(store().Put("b/keep", "old"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BulkLoad> load, store().StartBulkLoad());
  const std::string value(4096, 'v');
  for (int i = 0; i < 500; ++i) ASSERT_OK(load->Put(fmt::format("b/{:04d}", i), value));
  ASSERT_OK(load->Put(std::string("b/\xff\0", 4), "binary key"));
  EXPECT_THAT(store().Get("b/0001"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(store().Get("b/0002").value_or("<error>"), "old");
  ASSERT_OK(load->Commit());
  EXPECT_EQ(store().Get("b/0001").value_or("<error>"), value);
  EXPECT_EQ(store().Get("b/0002").value_or("<error>"), value);
  EXPECT_EQ(store().Get(std::string("b/\xff\0", 4)).value_or("<error>"), "binary key");
  EXPECT_EQ(store().Get("b/keep").value_or("<error>"), "old");
  EXPECT_EQ(ScanKeys(store(), "b/").size(), 502u);
  // A later ordinary write still wins over it.
  ASSERT_OK(store().Put("b/0001", "newer"));
  EXPECT_EQ(store().Get("b/0001").value_or("<error>"), "newer");
}

TEST_P(KvStoreConformanceTest, BulkLoadRefusesKeysOutOfOrderAndAnAbandonedOneLeavesNothing) {
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<BulkLoad> load, store().StartBulkLoad());
    ASSERT_OK(load->Put("k/2", "v"));
    EXPECT_THAT(load->Put("k/1", "v"), StatusIs(absl::StatusCode::kInvalidArgument));
    EXPECT_THAT(load->Put("k/2", "again"), StatusIs(absl::StatusCode::kInvalidArgument));
  }  // abandoned
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<BulkLoad> load, store().StartBulkLoad());
    ASSERT_OK(load->Put("k/3", "v"));
  }  // abandoned
  EXPECT_THAT(ScanKeys(store(), "k/"), IsEmpty());
  // Nothing put: a commit is OK and writes nothing.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<BulkLoad> empty, store().StartBulkLoad());
  EXPECT_OK(empty->Commit());
  EXPECT_THAT(ScanKeys(store(), ""), IsEmpty());
}

// ScanOnce is ScanFrom with a hint about caching: both must visit the same keys and values.
TEST_P(KvStoreConformanceTest, ScanFromAndScanOnceStartAtTheFirstKeyNotBeforeStart) {
  for (auto it = BoundaryKeys().rbegin(); it != BoundaryKeys().rend(); ++it) {
    ASSERT_OK(store().Put(*it, "v:" + *it));
  }
  for (const bool once : {false, true}) {
    SCOPED_TRACE(once ? "ScanOnce" : "ScanFrom");
    auto from = [&](std::string_view prefix, std::string_view start) {
      std::vector<std::string> keys;
      auto fn = [&](std::string_view key, std::string_view value) {
        EXPECT_EQ(value, "v:" + std::string(key));
        keys.emplace_back(key);
        return true;
      };
      EXPECT_OK(once ? store().ScanOnce(prefix, start, fn) : store().ScanFrom(prefix, start, fn));
      return keys;
    };
    EXPECT_THAT(from("user/", "user/1/x"), ElementsAre("user/1/x", "user/10", "user/2"));
    EXPECT_THAT(from("user/", "user/1/y"), ElementsAre("user/10", "user/2"));
    // A start before the prefix starts at the prefix; one after it visits nothing.
    EXPECT_THAT(from("user/1", "a"), ElementsAre("user/1", "user/1/x", "user/10"));
    EXPECT_THAT(from("user/1", "z"), IsEmpty());
    EXPECT_THAT(from("a\xff", std::string("a\xff\0", 3)),
                ElementsAre(std::string("a\xff\0", 3), "a\xff\xff"));
  }
}

TEST_P(KvStoreConformanceTest, ScanWithEmptyPrefixVisitsEverythingInOrder) {
  EXPECT_THAT(ScanKeys(store(), ""), IsEmpty());
  for (auto it = BoundaryKeys().rbegin(); it != BoundaryKeys().rend(); ++it) {
    ASSERT_OK(store().Put(*it, "v"));
  }
  std::vector<std::string> expected = BoundaryKeys();
  std::sort(expected.begin(), expected.end());  // std::string orders bytes as unsigned
  EXPECT_EQ(ScanKeys(store(), ""), expected);
}

TEST_P(KvStoreConformanceTest, ScanStopsWhenFnReturnsFalse) {
  for (const char* key : {"p/1", "p/2", "p/3", "p/4"}) ASSERT_OK(store().Put(key, "v"));
  std::vector<std::string> seen;
  EXPECT_OK(store().Scan("p/", [&](std::string_view key, std::string_view) {
    seen.emplace_back(key);
    return seen.size() < 2;
  }));
  EXPECT_THAT(seen, ElementsAre("p/1", "p/2"));
}

TEST_P(KvStoreConformanceTest, SnapshotIgnoresLaterWrites) {
  ASSERT_OK(store().Put("s/changed", "before"));
  ASSERT_OK(store().Put("s/deleted", "before"));
  ASSERT_OK(store().Put("s/same", "before"));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Snapshot> snapshot, store().GetSnapshot());

  ASSERT_OK(store().Put("s/changed", "after"));
  ASSERT_OK(store().Delete("s/deleted"));
  ASSERT_OK(store().Put("s/added", "after"));
  WriteBatch batch;
  batch.Put("s/batched", "after");
  ASSERT_OK(store().Write(batch));

  EXPECT_EQ(snapshot->Get("s/changed").value_or("<error>"), "before");
  EXPECT_EQ(snapshot->Get("s/deleted").value_or("<error>"), "before");
  EXPECT_THAT(snapshot->Get("s/added"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ScanAll(*snapshot, "s/"),
              ElementsAre(Pair("s/changed", "before"), Pair("s/deleted", "before"),
                          Pair("s/same", "before")));
  EXPECT_THAT(ScanKeys(*snapshot, ""), ElementsAre("s/changed", "s/deleted", "s/same"));

  // The store itself sees the new state.
  EXPECT_EQ(store().Get("s/changed").value_or("<error>"), "after");
  EXPECT_THAT(store().Get("s/deleted"), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ScanAll(store(), "s/"),
              ElementsAre(Pair("s/added", "after"), Pair("s/batched", "after"),
                          Pair("s/changed", "after"), Pair("s/same", "before")));

  // A second snapshot is independent of the first.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Snapshot> later, store().GetSnapshot());
  EXPECT_EQ(later->Get("s/changed").value_or("<error>"), "after");
  EXPECT_EQ(snapshot->Get("s/changed").value_or("<error>"), "before");
}

TEST_P(KvStoreConformanceTest, DataPersistsAcrossReopen) {
  ASSERT_OK(store().Put("kept", kBinaryValue));
  ASSERT_OK(store().Put("overwritten", "old"));
  ASSERT_OK(store().Put("overwritten", "new"));
  ASSERT_OK(store().Put("deleted", "value"));
  ASSERT_OK(store().Delete("deleted"));
  WriteBatch batch;
  batch.Put("batched/1", "one");
  batch.Put("batched/2", "two");
  ASSERT_OK(store().Write(batch));

  ASSERT_OK(Reopen());
  EXPECT_THAT(ScanAll(store(), ""),
              ElementsAre(Pair("batched/1", "one"), Pair("batched/2", "two"),
                          Pair("kept", kBinaryValue), Pair("overwritten", "new")));
  // The reopened store accepts writes.
  ASSERT_OK(store().Put("after-reopen", "value"));
  EXPECT_EQ(store().Get("after-reopen").value_or("<error>"), "value");
}

TEST_P(KvStoreConformanceTest, ConcurrentWritersAllLand) {
  constexpr int kThreads = 4;
  constexpr int kPutsPerThread = 500;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPutsPerThread; ++i) {
        if (!store().Put(fmt::format("w/{}/{:04}", t, i), fmt::format("{}-{}", t, i)).ok()) {
          ++failures;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(failures.load(), 0);

  KeyValues all = ScanAll(store(), "w/");
  ASSERT_EQ(all.size(), static_cast<size_t>(kThreads * kPutsPerThread));
  size_t n = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPutsPerThread; ++i, ++n) {
      EXPECT_EQ(all[n].first, fmt::format("w/{}/{:04}", t, i));
      EXPECT_EQ(all[n].second, fmt::format("{}-{}", t, i));
    }
  }
}

TEST_P(KvStoreConformanceTest, ConcurrentBatchesOnSameKeysNeverMix) {
  constexpr int kWriters = 4;
  constexpr int kBatchesPerWriter = 100;
  std::atomic<int> failures{0};
  std::atomic<int> mixed_reads{0};
  std::atomic<bool> done{false};

  // Checks, while writers run, that snapshots and scans see a, b and c from the same batch.
  std::thread reader([&] {
    while (!done.load()) {
      if (auto snapshot = store().GetSnapshot(); snapshot.ok()) {
        auto a = (*snapshot)->Get("a"), b = (*snapshot)->Get("b"), c = (*snapshot)->Get("c");
        if (a.ok() != b.ok() || a.ok() != c.ok() || (a.ok() && (*a != *b || *a != *c))) {
          ++mixed_reads;
        }
      } else {
        ++failures;
      }
      KeyValues all = ScanAll(store(), "");
      if (!all.empty() &&
          (all.size() != 3 || all[0].second != all[1].second || all[0].second != all[2].second)) {
        ++mixed_reads;
      }
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kBatchesPerWriter; ++i) {
        const std::string value = fmt::format("writer {} batch {}", t, i);
        WriteBatch batch;
        batch.Put("a", value);
        batch.Put("b", value);
        batch.Put("c", value);
        if (!store().Write(batch).ok()) ++failures;
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  done = true;
  reader.join();

  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(mixed_reads.load(), 0);
  ASSERT_OK_AND_ASSIGN(std::string a, store().Get("a"));
  EXPECT_EQ(store().Get("b").value_or("<error>"), a);
  EXPECT_EQ(store().Get("c").value_or("<error>"), a);
}

TEST_P(KvStoreConformanceTest, ExpectedValueThatHoldsLetsTheBatchApply) {
  ASSERT_OK(store().Put("guard", "v1"));
  WriteBatch batch;
  batch.Expect("guard", "v1");
  batch.ExpectAbsent("absent");
  batch.Put("guard", "v2");
  batch.Put("other", "x");
  ASSERT_OK(store().Write(batch));
  EXPECT_EQ(store().Get("guard").value_or("<error>"), "v2");
  EXPECT_EQ(store().Get("other").value_or("<error>"), "x");
}

TEST_P(KvStoreConformanceTest, ExpectationThatFailsIsAbortedAndWritesNothing) {
  ASSERT_OK(store().Put("guard", "v1"));
  WriteBatch wrong_value;
  wrong_value.Expect("guard", "v0");
  wrong_value.Put("guard", "v2");
  wrong_value.Put("other", "x");
  EXPECT_THAT(store().Write(wrong_value),
              StatusIs(absl::StatusCode::kAborted, ::testing::HasSubstr("guard")));

  WriteBatch present;
  present.ExpectAbsent("guard");
  present.Put("other", "x");
  EXPECT_THAT(store().Write(present), StatusIs(absl::StatusCode::kAborted));

  WriteBatch absent;
  absent.Expect("absent", "");  // an empty value is a value: an absent key does not hold it
  absent.Delete("guard");
  EXPECT_THAT(store().Write(absent), StatusIs(absl::StatusCode::kAborted));
  EXPECT_THAT(store().WriteBulk(absent), StatusIs(absl::StatusCode::kAborted));

  WriteBatch nothing_to_write;
  nothing_to_write.ExpectAbsent("guard");
  EXPECT_THAT(store().Write(nothing_to_write), StatusIs(absl::StatusCode::kAborted));

  EXPECT_EQ(store().Get("guard").value_or("<error>"), "v1");
  EXPECT_THAT(store().Get("other"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_P(KvStoreConformanceTest, ExpectationsCheckBinaryValuesExactly) {
  ASSERT_OK(store().Put(kNulKey, kBinaryValue));
  WriteBatch prefix_only;
  prefix_only.Expect(kNulKey, kBinaryValue.substr(0, 1));
  prefix_only.Put("x", "1");
  EXPECT_THAT(store().Write(prefix_only), StatusIs(absl::StatusCode::kAborted));
  WriteBatch exact;
  exact.Expect(kNulKey, kBinaryValue);
  exact.Put("x", "1");
  EXPECT_OK(store().Write(exact));
}

// The contract nodes sharing one database rely on: compare-and-set increments from many
// writers lose none.
TEST_P(KvStoreConformanceTest, ConcurrentCompareAndSetLosesNoUpdate) {
  constexpr int kWriters = 4;
  constexpr int kIncrements = 50;
  ASSERT_OK(store().Put("counter", "0"));
  std::atomic<int> failures{0};
  std::atomic<int> conflicts{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&] {
      for (int i = 0; i < kIncrements;) {
        absl::StatusOr<std::string> current = store().Get("counter");
        if (!current.ok()) {
          ++failures;
          return;
        }
        WriteBatch batch;
        batch.Expect("counter", *current);
        batch.Put("counter", std::to_string(std::stoi(*current) + 1));
        absl::Status s = store().Write(batch);
        if (s.ok()) {
          ++i;
        } else if (absl::IsAborted(s)) {
          ++conflicts;  // somebody else incremented first: read again
        } else {
          ++failures;
          return;
        }
      }
    });
  }
  for (std::thread& writer : writers) writer.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(store().Get("counter").value_or("<error>"), std::to_string(kWriters * kIncrements));
}

TEST_P(KvStoreConformanceTest, ConcurrentCreatesOfOneKeyHaveOneWinner) {
  constexpr int kWriters = 4;
  constexpr int kRounds = 25;
  std::atomic<int> failures{0};
  for (int round = 0; round < kRounds; ++round) {
    const std::string key = fmt::format("create/{}", round);
    std::atomic<int> winners{0};
    std::vector<std::thread> writers;
    for (int t = 0; t < kWriters; ++t) {
      writers.emplace_back([&, t] {
        WriteBatch batch;
        batch.ExpectAbsent(key);
        batch.Put(key, fmt::format("writer {}", t));
        absl::Status s = store().Write(batch);
        if (s.ok()) {
          ++winners;
        } else if (!absl::IsAborted(s)) {
          ++failures;
        }
      });
    }
    for (std::thread& writer : writers) writer.join();
    EXPECT_EQ(winners.load(), 1) << key;
  }
  EXPECT_EQ(failures.load(), 0);
}

}  // namespace
}  // namespace domicile::store
