// Nodes of one jurisdiction sharing one database: two SiteStores or SubjectRegistries over the
// same KvStore stand for two nodes. A write that raced another node's is refused as a conflict
// and changes nothing; no update is lost, no data key overwritten, no subject registered twice.
#include <atomic>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "store/rocksdb_store.h"
#include "store/shared_kv_store.h"
#include "util/clock.h"
#include "util/errors.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"
#include "vault/site_store.h"
#include "vault/subject_registry.h"

namespace domicile::vault {
namespace {

using ::domicile::testing::IsOk;
using ::domicile::testing::StatusIs;

class SharedStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<store::KvStore>> kv = store::OpenRocksDbStore(dir_.path());
    ASSERT_OK(kv);
    shared_ = std::shared_ptr<store::KvStore>(std::move(kv).value());
  }
  std::unique_ptr<store::KvStore> Handle() {
    return std::make_unique<store::SharedKvStore>(shared_);
  }
  SiteStore Site() { return SiteStore({"oci-us-tx", "US", "oracle"}, Handle()); }

  static StoredRecord Record(uint64_t version, std::string_view sealed) {
    StoredRecord r;
    r.version = version;
    r.envelope.assign(sealed.begin(), sealed.end());
    return r;
  }

  domicile::testing::TempDir dir_;
  std::shared_ptr<store::KvStore> shared_;
};

TEST_F(SharedStoreTest, ARecordWrittenByAnotherNodeMeanwhileIsAConflict) {
  SiteStore node1 = Site(), node2 = Site();
  ASSERT_OK_AND_ASSIGN(SiteStore::CurrentRecord seen1, node1.GetRecordForUpdate("u1", "email"));
  ASSERT_OK_AND_ASSIGN(SiteStore::CurrentRecord seen2, node2.GetRecordForUpdate("u1", "email"));
  ASSERT_OK(node2.WriteRecord("u1", "email", Record(1, "from node 2"), nullptr, seen2));

  // node1 also saw no record and would write version 1 too.
  EXPECT_THAT(
      node1.WriteRecord("u1", "email", Record(1, "from node 1"), nullptr, seen1),
      StatusIs(absl::StatusCode::kFailedPrecondition, ::testing::HasSubstr("concurrently")));
  EXPECT_EQ(ErrorCodeOf(node1.WriteRecord("u1", "email", Record(1, "x"), nullptr, seen1)),
            error_code::kConflict);
  ASSERT_OK_AND_ASSIGN(std::optional<StoredRecord> stored, node1.GetRecord("u1", "email"));
  ASSERT_TRUE(stored.has_value());
  EXPECT_EQ(std::string(stored->envelope.begin(), stored->envelope.end()), "from node 2");

  // Read again, it writes version 2 over node 2's version 1.
  ASSERT_OK_AND_ASSIGN(seen1, node1.GetRecordForUpdate("u1", "email"));
  ASSERT_TRUE(seen1.record.has_value());
  EXPECT_EQ(seen1.record->version, 1u);
  EXPECT_OK(node1.WriteRecord("u1", "email", Record(2, "from node 1"), nullptr, seen1));
}

TEST_F(SharedStoreTest, ADataKeyMadeByAnotherNodeIsNeverOverwritten) {
  SiteStore node1 = Site(), node2 = Site();
  const keys::WrappedDataKey key1{"kek", Bytes{1, 1, 1}}, key2{"kek", Bytes{2, 2, 2}};
  ASSERT_OK_AND_ASSIGN(SiteStore::CurrentRecord email, node1.GetRecordForUpdate("u1", "email"));
  ASSERT_OK_AND_ASSIGN(SiteStore::CurrentRecord phone, node2.GetRecordForUpdate("u1", "phone"));
  ASSERT_OK(node2.WriteRecord("u1", "phone", Record(1, "p"), &key2, phone));

  // node1 found no data key for u1 either and made its own: its record would be sealed under a
  // key that replaced node 2's, leaving node 2's record unreadable.
  EXPECT_EQ(ErrorCodeOf(node1.WriteRecord("u1", "email", Record(1, "e"), &key1, email)),
            error_code::kConflict);
  ASSERT_OK_AND_ASSIGN(std::optional<keys::WrappedDataKey> kept,
                       node1.GetDataKey("u1", Classification::kProtected));
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->wrapped, key2.wrapped);
  ASSERT_OK_AND_ASSIGN(std::optional<StoredRecord> none, node1.GetRecord("u1", "email"));
  EXPECT_FALSE(none.has_value());
}

TEST_F(SharedStoreTest, ConcurrentWritersOnTwoNodesLoseNoVersion) {
  constexpr int kWrites = 100;
  SiteStore node1 = Site(), node2 = Site();
  std::atomic<int> failures{0};
  auto writer = [&](SiteStore* node) {
    for (int done = 0; done < kWrites;) {
      absl::StatusOr<SiteStore::CurrentRecord> seen = node->GetRecordForUpdate("u1", "counter");
      if (!seen.ok()) return void(++failures);
      const uint64_t next = seen->record.has_value() ? seen->record->version + 1 : 1;
      absl::Status s = node->WriteRecord("u1", "counter", Record(next, "v"), nullptr, *seen);
      if (s.ok()) {
        ++done;
      } else if (ErrorCodeOf(s) != error_code::kConflict) {
        return void(++failures);
      }
    }
  };
  std::thread t1(writer, &node1), t2(writer, &node2);
  t1.join();
  t2.join();
  EXPECT_EQ(failures.load(), 0);
  ASSERT_OK_AND_ASSIGN(std::optional<StoredRecord> last, node1.GetRecord("u1", "counter"));
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->version, 2u * kWrites);
}

TEST_F(SharedStoreTest, ASubjectIsRegisteredOnceAcrossNodes) {
  FakeClock clock;
  SubjectRegistry node1(Handle(), &clock), node2(Handle(), &clock);
  ASSERT_OK_AND_ASSIGN(bool created, node1.Register("u1", "US"));
  EXPECT_TRUE(created);
  EXPECT_THAT(node2.Register("u1", "SG"), StatusIs(absl::StatusCode::kFailedPrecondition,
                                                   ::testing::HasSubstr("registered in US")));
  ASSERT_OK_AND_ASSIGN(created, node2.Register("u1", "US"));
  EXPECT_FALSE(created);

  // Racing registrations of new ids in different jurisdictions: one jurisdiction wins each id,
  // and every node then agrees on it.
  constexpr int kIds = 50;
  std::atomic<int> failures{0};
  auto racer = [&](SubjectRegistry* node, const char* jurisdiction) {
    for (int i = 0; i < kIds; ++i) {
      absl::StatusOr<bool> r = node->Register("race" + std::to_string(i), jurisdiction);
      if (!r.ok() && ErrorCodeOf(r.status()) != error_code::kConflict) ++failures;
    }
  };
  std::thread t1(racer, &node1, "US"), t2(racer, &node2, "SG");
  t1.join();
  t2.join();
  EXPECT_EQ(failures.load(), 0);
  for (int i = 0; i < kIds; ++i) {
    const std::string id = "race" + std::to_string(i);
    ASSERT_OK_AND_ASSIGN(std::string j1, node1.Jurisdiction(id));
    ASSERT_OK_AND_ASSIGN(std::string j2, node2.Jurisdiction(id));
    EXPECT_EQ(j1, j2) << id;
  }
}

}  // namespace
}  // namespace domicile::vault
