// Node: a running vault node built from a Config: it opens each site's store (its own RocksDB
// directory under <data_dir>/sites/<id>), the node's metadata store (<data_dir>/meta), the
// key provider ([keys]: the file keyring and its master key, or a PKCS#11 token), the decider,
// and serves the API over HTTP or HTTPS. This is the one place where backends are chosen from
// the configuration.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "cli/config.h"

namespace domicile::cli {

struct NodeOptions {
  // Allow listening on a non-loopback address without TLS.
  bool insecure = false;
};

class Node {
 public:
  // Opens everything and starts serving. FailedPrecondition when asked to listen on a
  // non-loopback address without TLS and without `insecure`.
  static absl::StatusOr<std::unique_ptr<Node>> Start(Config config, NodeOptions options);
  ~Node();

  // "http://HOST:PORT" or "https://HOST:PORT", with the bound port.
  std::string url() const;
  // The C2SP verifier key of the log's checkpoints.
  std::string log_verifier_key() const;
  // The cosigner verifier key of the custodian's witness (empty when none cosigns).
  std::string witness_key() const;
  // Stops serving gracefully, logs the stop, publishes a last checkpoint and closes the stores.
  // Idempotent.
  void Stop();

  // Everything a node holds (node.cc).
  struct Parts;

 private:
  explicit Node(std::unique_ptr<Parts> parts);
  std::unique_ptr<Parts> parts_;
};

// The embedded default: one US primary site, a file keyring whose master key is created on
// first start, and one demo writer principal (Service "demo", located in US) whose random token
// is returned in `demo_token`.
Config EmbeddedDefaultConfig(std::string& demo_token);

// The C2SP verifier key of the log's checkpoints ("origin+id+key"), creating the log's key in
// the key provider if it does not exist yet. Opens the key provider the configuration names.
absl::StatusOr<std::string> LogVerifierKey(const Config& config);
// Whether `host` is a loopback address or "localhost".
bool IsLoopback(std::string_view host);

}  // namespace domicile::cli
