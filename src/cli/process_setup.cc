#include "cli/process_setup.h"

#include <cstdlib>

#include "fmt/format.h"
#include "keys/file_keyring.h"
#include "keys/master_key.h"
#include "keys/pkcs11_key_provider.h"
#include "util/status_macros.h"

namespace domicile::cli {

std::string LogKeyId(const Config& config) { return "log/" + config.LogOrigin(); }

// Opens the PKCS#11 token the configuration names, logging in with the PIN from the
// environment variable it names.
absl::StatusOr<std::unique_ptr<keys::KeyProvider>> OpenPkcs11(const Pkcs11Config& config) {
  const char* pin = std::getenv(config.pin_env.c_str());
  if (pin == nullptr || *pin == '\0') {
    return absl::FailedPreconditionError(
        fmt::format("[keys] pin_env: environment variable {} (the PKCS#11 user PIN) is not set",
                    config.pin_env));
  }
  keys::Pkcs11Options options;
  options.module = config.module;
  options.token_label = config.token_label;
  options.user_pin = crypto::SecretBytes(AsBytes(pin));
  absl::StatusOr<std::unique_ptr<keys::Pkcs11KeyProvider>> provider =
      keys::Pkcs11KeyProvider::Open(std::move(options));
  if (!provider.ok()) {
    return absl::Status(provider.status().code(),
                        fmt::format("key provider: {}", std::string(provider.status().message())));
  }
  return std::unique_ptr<keys::KeyProvider>(std::move(*provider));
}

// Opens the key provider the configuration names: the one place a backend is chosen.
absl::StatusOr<std::unique_ptr<keys::KeyProvider>> OpenKeyring(const Config& config) {
  if (config.key_provider == "pkcs11") return OpenPkcs11(config.pkcs11);
  std::filesystem::path master_file =
      config.master_key_file.empty() ? config.data_dir / "master.key" : config.master_key_file;
  std::filesystem::path keyring_file =
      config.keyring_file.empty() ? config.data_dir / "keyring" : config.keyring_file;
  absl::StatusOr<crypto::SecretBytes> master = config.create_master_key
                                                   ? keys::LoadOrCreateMasterKey(master_file)
                                                   : keys::LoadMasterKey(master_file);
  if (!master.ok()) {
    return absl::Status(master.status().code(),
                        fmt::format("master key: {}", std::string(master.status().message())));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<keys::FileKeyring> keyring,
                   keys::FileKeyring::Open(keyring_file, std::move(*master)));
  return std::unique_ptr<keys::KeyProvider>(std::move(keyring));
}

absl::StatusOr<Bytes> EnsureSigningKey(keys::KeyProvider& keys, const std::string& id,
                                       bool* created) {
  absl::StatusOr<Bytes> pub = keys.SigningPublicKey(id);
  if (created != nullptr) *created = false;
  if (absl::IsNotFound(pub.status())) {
    RETURN_IF_ERROR(keys.CreateSigningKey(id));
    if (created != nullptr) *created = true;
    pub = keys.SigningPublicKey(id);
  }
  return pub;
}

absl::StatusOr<tlog::NoteVerifier> EnsureLogKey(const Config& config, keys::KeyProvider& keys,
                                                bool* created) {
  ASSIGN_OR_RETURN(Bytes pub_bytes, EnsureSigningKey(keys, LogKeyId(config), created));
  const Bytes* pub = &pub_bytes;
  tlog::NoteVerifier verifier;
  verifier.name = config.LogOrigin();
  verifier.key_id = tlog::NoteKeyId(verifier.name, *pub);
  std::copy(pub->begin(), pub->end(), verifier.public_key.begin());
  return verifier;
}

absl::StatusOr<custodian::CustodianOptions> CustodianOptionsFrom(const Config& config,
                                                                 vault::EventLog* log) {
  custodian::CustodianOptions options;
  options.quorum = config.grants.quorum;
  options.log = log;
  options.source.node = config.name;
  for (const PrincipalConfig& p : config.principals) {
    options.principals[p.principal.id] = p.principal;
    if (p.approval_key.empty()) continue;
    ASSIGN_OR_RETURN(tlog::NoteVerifier key, tlog::ParseNoteVerifier(p.approval_key));
    options.approvers[p.principal.id] = {p.principal.id, p.principal.location, key};
  }
  return options;
}

http::ServerOptions ServerOptionsFrom(const Config& config, const std::string& host,
                                      uint16_t port) {
  http::ServerOptions options;
  options.host = host;
  options.port = port;
  options.threads = config.threads;
  options.max_body_bytes = config.max_body_bytes;
  options.max_header_bytes = config.max_header_bytes;
  options.read_timeout = std::chrono::milliseconds(config.read_timeout_ms);
  options.tls.cert_file = config.tls.cert;
  options.tls.key_file = config.tls.key;
  options.tls.client_ca_file = config.tls.client_ca;
  return options;
}

}  // namespace domicile::cli
