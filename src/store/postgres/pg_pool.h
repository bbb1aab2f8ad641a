// PgPool: the connections of one store, at most `size` of them, opened on demand and reused.
// A caller leases a connection for one operation (or for a snapshot's life) and the lease
// gives it back; a connection found broken is closed instead of being reused, and the next
// lease opens a new one, so the store recovers by itself once the server is back.
//
// Thread safety: Acquire may be called from any thread; a lease is used by one thread at a time.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <vector>

#include "absl/status/statusor.h"
#include "store/postgres/pg_connection.h"
#include "store/postgres/pg_conninfo.h"

namespace domicile::store::postgres {

class PgPool {
 public:
  struct Options {
    size_t size = 8;
    // How long Acquire waits for a connection when all `size` are leased.
    std::chrono::milliseconds acquire_timeout{30'000};
    PgConnection::Options connection;
  };

  PgPool(Conninfo conninfo, const Options& options);
  ~PgPool();  // REQUIRES: no lease outstanding
  PgPool(const PgPool&) = delete;
  PgPool& operator=(const PgPool&) = delete;

  // A connection on loan; returns it to the pool (or closes it, if broken or left inside a
  // transaction that cannot be rolled back) when destroyed.
  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    ~Lease();
    PgConnection* operator->() const { return connection_.get(); }
    PgConnection& operator*() const { return *connection_; }
    // True when the connection was opened for this lease rather than taken idle from the pool:
    // an error on it is not the leftover of an earlier server outage.
    bool fresh() const { return fresh_; }

   private:
    friend class PgPool;
    Lease(PgPool* pool, std::unique_ptr<PgConnection> connection, bool fresh);
    PgPool* pool_;
    std::unique_ptr<PgConnection> connection_;
    bool fresh_;
  };

  // An idle connection that is still alive, else a new one if fewer than `size` exist, else
  // waits up to acquire_timeout. Unavailable when a new connection cannot be opened;
  // ResourceExhausted when every connection stayed leased for acquire_timeout.
  absl::StatusOr<Lease> Acquire();

  // A new connection, even if an idle one exists (for a retry after a connection error).
  absl::StatusOr<Lease> AcquireFresh();

  const Conninfo& conninfo() const { return conninfo_; }

 private:
  void Release(std::unique_ptr<PgConnection> connection);
  absl::Status ExhaustedError() const;
  absl::StatusOr<Lease> Open(std::unique_lock<std::mutex>& lock);

  const Conninfo conninfo_;
  const Options options_;
  std::mutex mu_;
  std::condition_variable released_;
  std::vector<std::unique_ptr<PgConnection>> idle_;  // guarded by mu_
  size_t open_ = 0;                                  // leased + idle + being opened; mu_
};

}  // namespace domicile::store::postgres
