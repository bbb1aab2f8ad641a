// Witness: the witness side of C2SP tlog-witness add-checkpoint. It trusts a fixed set of log
// keys, remembers per log (origin) the size and root of the latest checkpoint it cosigned, and
// cosigns a new checkpoint only if it is signed by the log and provably extends that one (an
// RFC 6962 consistency proof), so it never cosigns two views of one log: a split view or a
// rollback needs the witness to lie. Its cosignatures are Ed25519 cosignature/v1
// (cosignature.h), made by a key that lives in a key provider.
//
// State: one KvStore key per origin, "witness/v1/latest/<origin>" -> u64 size (big-endian) ||
// 32-byte root || the cosigned checkpoint (the log's text and verified signatures followed by
// this witness's cosignature). It is written (durably) before the cosignature is returned.
//
// Thread safety: every method may be called concurrently; checking a request against the
// stored state and storing the new state happen under one lock, so two requests can never both
// pass against the same old state (the race the spec warns of).
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "store/kv_store.h"
#include "tlog/add_checkpoint.h"
#include "tlog/cosignature.h"
#include "tlog/note.h"
#include "util/bytes.h"
#include "util/clock.h"

namespace domicile::tlog {

// The store key prefix of a witness's state.
inline constexpr std::string_view kWitnessStatePrefix = "witness/v1/latest/";

class Witness {
 public:
  // The witness `name` (its cosigner key name) with the 32-byte Ed25519 `public_key` whose
  // private half signs through `sign`. It cosigns checkpoints of the logs whose verifier keys
  // are in `logs` (a log's origin is its key's name; a log may have several keys). `store` and
  // `clock` are not owned and outlive the Witness; `store` may be shared with other users, which
  // must keep off kWitnessStatePrefix. InvalidArgument for a bad name or key, no logs, no sign
  // function, store or clock.
  static absl::StatusOr<std::unique_ptr<Witness>> Create(std::string name, ByteView public_key,
                                                         NoteSignFn sign,
                                                         std::vector<NoteVerifier> logs,
                                                         store::KvStore* store, const Clock* clock);

  // Handles one add-checkpoint request body and answers as the spec requires (see
  // AddCheckpointResponse for each status). The checks, in order: the body's format (400), the
  // checkpoint's note and text (400), its origin (404), its signatures by the origin's trusted
  // keys (403: none present, or one that fails), old size <= size (400), old size == the size
  // last cosigned (409), a size-zero checkpoint has the empty root (422), no proof with old
  // size 0 (422), the proof (422; at equal sizes: equal roots). On success the new state is
  // durable before the 200 with the cosignature line is returned; a store or signing failure
  // gives 503 (store unavailable) or 500, and cosigns nothing.
  AddCheckpointResponse AddCheckpoint(std::string_view request_body);

  // The latest checkpoint cosigned for `origin`: the log's note text and signatures followed by
  // this witness's cosignature, as tlog-witness serves to monitors. NotFound if none; the
  // store's errors.
  absl::StatusOr<std::string> LatestCheckpoint(std::string_view origin) const;

  // The origins of the logs this witness cosigns, each once, in the order given.
  std::vector<std::string> Origins() const;

  // This witness's verifier: what readers of its cosignatures configure.
  const CosignerVerifier& verifier() const { return verifier_; }

 private:
  struct Latest {
    uint64_t size = 0;
    Hash root{};
    std::string note;
  };

  Witness(CosignerVerifier verifier, NoteSignFn sign, std::vector<NoteVerifier> logs,
          store::KvStore* store, const Clock* clock);

  // The state of `origin`: size 0 and the empty root if it never cosigned one.
  absl::StatusOr<Latest> ReadLatest(std::string_view origin) const;

  const CosignerVerifier verifier_;
  const NoteSignFn sign_;
  const std::vector<NoteVerifier> logs_;
  store::KvStore* const store_;
  const Clock* const clock_;
  std::mutex mu_;  // held from reading the old state to storing the new one
};

}  // namespace domicile::tlog
