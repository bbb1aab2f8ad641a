// The KvStore conformance suite: one set of tests that states, executably, the contract of
// store/kv_store.h, and that every backend must pass unchanged (RocksDB now, PostgreSQL later).
// A backend adds nothing here; its own test file instantiates the suite with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(
//       RocksDb, KvStoreConformanceTest,
//       ::testing::Values(KvStoreBackend{"RocksDb", [](const std::filesystem::path& dir) {
//         return OpenRocksDbStore(dir);
//       }}),
//       KvStoreBackendName);
//
// and links the library domicile_store_conformance.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "store/kv_store.h"
#include "util/temp_dir.h"

namespace domicile::store {

// Opens the store that lives at `dir`. Each test hands its factory a fresh, empty directory;
// calling the factory again with the same `dir` (after destroying the previous store) must
// reopen the same data, which is how persistence is tested. A server-backed backend maps `dir`
// to a namespace of its own (a schema or a table prefix derived from it) and returns
// Unavailable when its server cannot be reached: the suite then skips, naming the reason
// (fails, when the environment has CI=true: make test starts the servers).
using KvStoreFactory =
    std::function<absl::StatusOr<std::unique_ptr<KvStore>>(const std::filesystem::path& dir)>;

// The suite's parameter: one backend under test.
struct KvStoreBackend {
  std::string name;  // [A-Za-z0-9_]+, used in test names
  KvStoreFactory factory;
};

// Prints the backend's name in gtest's messages.
void PrintTo(const KvStoreBackend& backend, std::ostream* os);

// Test-name generator for INSTANTIATE_TEST_SUITE_P: the backend's name.
std::string KvStoreBackendName(const ::testing::TestParamInfo<KvStoreBackend>& info);

class KvStoreConformanceTest : public ::testing::TestWithParam<KvStoreBackend> {
 protected:
  // Opens the store in a fresh temporary directory; skips the test when the backend is
  // Unavailable.
  void SetUp() override;
  // Destroys the store, then the temporary directory.
  void TearDown() override;

  // Destroys the open store and opens it again from the same directory.
  absl::Status Reopen();

  KvStore& store() { return *store_; }

 private:
  domicile::testing::TempDir dir_;
  std::unique_ptr<KvStore> store_;
};

}  // namespace domicile::store
