// The KeyProvider conformance suite: one set of tests that states, executably, the contract of
// keys/key_provider.h, and that every backend passes unchanged (the file keyring and PKCS#11).
// A backend adds nothing here; its own test file instantiates the suite with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(
//       File, KeyProviderConformanceTest,
//       ::testing::Values(KeyProviderBackend{"File", [](const std::filesystem::path& dir) {
//         return OpenFileKeyringIn(dir);
//       }}),
//       KeyProviderBackendName);
//
// and links the library domicile_keys_conformance.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <ostream>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "keys/key_provider.h"
#include "util/temp_dir.h"

namespace domicile::keys {

// Opens the provider whose keys live at `dir`. Each test hands its factory a fresh, empty
// directory; calling the factory again with the same `dir` (after destroying the previous
// provider) must open the same keys, which is how durability is tested. A backend whose device
// or server is absent returns Unavailable: the suite then skips, naming the reason.
using KeyProviderFactory =
    std::function<absl::StatusOr<std::unique_ptr<KeyProvider>>(const std::filesystem::path& dir)>;

// The suite's parameter: one backend under test.
struct KeyProviderBackend {
  std::string name;  // [A-Za-z0-9_]+, used in test names
  KeyProviderFactory factory;
};

// Prints the backend's name in gtest's messages.
void PrintTo(const KeyProviderBackend& backend, std::ostream* os);

// Test-name generator for INSTANTIATE_TEST_SUITE_P: the backend's name.
std::string KeyProviderBackendName(const ::testing::TestParamInfo<KeyProviderBackend>& info);

class KeyProviderConformanceTest : public ::testing::TestWithParam<KeyProviderBackend> {
 protected:
  // Opens the provider in a fresh temporary directory; skips the test when the backend is
  // Unavailable.
  void SetUp() override;
  // Destroys the provider, then the temporary directory.
  void TearDown() override;

  // Destroys the open provider and opens it again from the same directory.
  absl::Status Reopen();

  KeyProvider& provider() { return *provider_; }

 private:
  domicile::testing::TempDir dir_;
  std::unique_ptr<KeyProvider> provider_;
};

}  // namespace domicile::keys
