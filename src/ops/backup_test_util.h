// Test-only helpers for the backup tests: a site "us-tx" on RocksDB whose records are sealed
// under data keys wrapped by a file keyring, and readers of a store's contents.
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fmt/format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "keys/envelope.h"
#include "keys/file_keyring.h"
#include "ops/backup.h"
#include "store/rocksdb_store.h"
#include "util/status_matchers.h"
#include "util/temp_dir.h"
#include "vault/site_store.h"

namespace domicile::ops::backup_testing {

using vault::Classification;

inline constexpr std::string_view kCanary = "PLAINTEXT-CANARY-7f3a";

inline std::unique_ptr<store::KvStore> OpenStore(const std::filesystem::path& dir) {
  store::RocksDbOptions options;
  options.sync_writes = false;  // tests need no power-loss durability
  auto kv = store::OpenRocksDbStore(dir, options);
  EXPECT_THAT(kv, domicile::testing::IsOk());
  return kv.ok() ? std::move(*kv) : nullptr;
}

// Every key and value of `kv`, in order.
inline std::map<std::string, std::string> Contents(const store::KvStore& kv,
                                                   std::string_view prefix = "") {
  std::map<std::string, std::string> out;
  EXPECT_OK(kv.Scan(prefix, [&](std::string_view k, std::string_view v) {
    out.emplace(k, v);
    return true;
  }));
  return out;
}

// The data prefixes of `kv`: what a backup holds.
inline std::map<std::string, std::string> Data(const store::KvStore& kv) {
  std::map<std::string, std::string> out;
  for (std::string_view prefix : kBackupPrefixes) out.merge(Contents(kv, prefix));
  return out;
}

// The complete backups in `store`.
inline std::vector<std::string> Listed(const BackupStore& store) {
  absl::StatusOr<std::vector<std::string>> ids = store.List();
  EXPECT_THAT(ids, domicile::testing::IsOk());
  return ids.ok() ? *ids : std::vector<std::string>{};
}

// A site "us-tx" on RocksDB, its records sealed under data keys wrapped by a file keyring.
class BackupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    site_ = MakeSite("site");
    ASSERT_OK_AND_ASSIGN(keyring_,
                         keys::FileKeyring::Open(dir_ / "keyring", crypto::SecretBytes(32)));
    ASSERT_OK(keyring_->CreateKey(keys::KekId("us-tx", "US")));
    ASSERT_OK(keyring_->CreateKey(keys::PublicKekId("us-tx", "US")));
  }

  std::unique_ptr<vault::SiteStore> MakeSite(const std::string& dir) {
    return std::make_unique<vault::SiteStore>(
        vault::Site{"us-tx", "US", "oracle", vault::SiteRole::kPrimary}, OpenStore(dir_ / dir));
  }

  // Writes record `key` of `subject` at `site` with `plaintext`, making the subject's data key
  // of the record's class at that site on first use (`keys` remembers them).
  void Write(vault::SiteStore& site, std::string_view subject, std::string_view key,
             std::string_view plaintext, Classification cls = Classification::kProtected,
             uint64_t version = 1) {
    const std::string key_id = fmt::format("{}/{}/{}", static_cast<void*>(&site), subject,
                                           cls == Classification::kPublic ? "kp" : "k");
    std::optional<keys::WrappedDataKey> new_key;
    if (!data_keys_.contains(key_id)) {
      const std::string kek = cls == Classification::kPublic ? keys::PublicKekId("us-tx", "US")
                                                             : keys::KekId("us-tx", "US");
      ASSERT_OK_AND_ASSIGN(keys::NewDataKey made, keys::GenerateDataKey(*keyring_, kek));
      new_key = made.wrapped;
      data_keys_.emplace(key_id, std::move(made.plaintext));
    }
    const keys::RecordBinding binding{"us-tx", subject, key, vault::ClassificationName(cls),
                                      version};
    ASSERT_OK_AND_ASSIGN(
        Bytes envelope, keys::SealValue(data_keys_.at(key_id).view(), binding, AsBytes(plaintext)));
    vault::StoredRecord record;
    record.classification = cls;
    record.key_class = cls;
    record.version = version;
    record.envelope = std::move(envelope);
    ASSERT_OK_AND_ASSIGN(vault::SiteStore::CurrentRecord current,
                         site.GetRecordForUpdate(subject, key));
    ASSERT_OK(site.WriteRecord(subject, key, record, new_key ? &*new_key : nullptr, current));
  }

  // Subjects s000.. with `per_subject` protected and one public record each, values of
  // `value_size` bytes that all contain kCanary.
  void Populate(int subjects, int per_subject, size_t value_size = 100) {
    for (int s = 0; s < subjects; ++s) {
      const std::string subject = fmt::format("s{:03d}", s);
      for (int r = 0; r < per_subject; ++r) {
        std::string value = fmt::format("{} {} {}", kCanary, subject, r);
        value.resize(std::max(value.size(), value_size), '.');
        Write(*site_, subject, fmt::format("r{:04d}", r), value);
      }
      Write(*site_, subject, "name", fmt::format("{} public {}", kCanary, subject),
            Classification::kPublic);
    }
  }

  BackupParams Params() const {
    BackupParams p;
    p.site = "us-tx";
    p.site_jurisdiction = "US";
    p.jurisdictions = {"US"};
    p.checkpoint = "example.com/log\n1\nAAAA\n";
    p.clock = &clock_;
    return p;
  }
  static RestoreParams ToSite(std::string site = "us-tx") {
    RestoreParams p;
    p.site = std::move(site);
    p.batch_entries = 10;
    return p;
  }

  domicile::testing::TempDir dir_;
  FakeClock clock_;
  std::unique_ptr<vault::SiteStore> site_;
  std::unique_ptr<keys::FileKeyring> keyring_;
  std::map<std::string, crypto::SecretBytes> data_keys_;
};

}  // namespace domicile::ops::backup_testing
