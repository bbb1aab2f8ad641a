// What a node and a key custodian process both set up from their configuration: the key
// provider it names, signing keys in it (the log's, the witness's), the event log over the
// transparency log, the custodian's rules and the HTTP server's options.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/config.h"
#include "custodian/custodian.h"
#include "http/server.h"
#include "keys/key_provider.h"
#include "tlog/log.h"
#include "tlog/note.h"
#include "vault/event_log.h"

namespace domicile::cli {

// An EventLog backed by the transparency log.
class TlogEventLog final : public vault::EventLog {
 public:
  explicit TlogEventLog(tlog::Log* log) : log_(log) {}
  void Append(std::string event, Done done) override {
    log_->Append(Bytes(event.begin(), event.end()), std::move(done));
  }

 private:
  tlog::Log* log_;
};

// The name of the log's signing key in the key provider: "log/<origin>".
std::string LogKeyId(const Config& config);

// Opens the key provider the configuration names (the file keyring, or a PKCS#11 token logged
// into with the PIN from the environment variable it names): the one place a backend is chosen.
absl::StatusOr<std::unique_ptr<keys::KeyProvider>> OpenKeyring(const Config& config);

// The 32-byte public key of signing key `id`, created first if missing (`created` says so).
absl::StatusOr<Bytes> EnsureSigningKey(keys::KeyProvider& keys, const std::string& id,
                                       bool* created);

// The log's signing key (created if missing) as a checkpoint verifier.
absl::StatusOr<tlog::NoteVerifier> EnsureLogKey(const Config& config, keys::KeyProvider& keys,
                                                bool* created);

// The custodian's options from the configuration: the quorum, every principal as its directory,
// those with an approval_key as approvers; its events go to `log`.
absl::StatusOr<custodian::CustodianOptions> CustodianOptionsFrom(const Config& config,
                                                                 vault::EventLog* log);

// The HTTP server's options from the configuration (limits, threads, TLS) for HOST:PORT.
http::ServerOptions ServerOptionsFrom(const Config& config, const std::string& host, uint16_t port);

}  // namespace domicile::cli
