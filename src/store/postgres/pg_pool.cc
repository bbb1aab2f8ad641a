#include "store/postgres/pg_pool.h"

#include <utility>

#include "fmt/format.h"
#include "util/errors.h"

namespace domicile::store::postgres {

PgPool::Lease::Lease(PgPool* pool, std::unique_ptr<PgConnection> connection, bool fresh)
    : pool_(pool), connection_(std::move(connection)), fresh_(fresh) {}

PgPool::Lease::Lease(Lease&& other) noexcept
    : pool_(other.pool_), connection_(std::move(other.connection_)), fresh_(other.fresh_) {}

PgPool::Lease::~Lease() {
  if (connection_ != nullptr) pool_->Release(std::move(connection_));
}

PgPool::PgPool(Conninfo conninfo, const Options& options)
    : conninfo_(std::move(conninfo)), options_(options) {}

PgPool::~PgPool() = default;

absl::Status PgPool::ExhaustedError() const {
  return absl::ResourceExhaustedError(ToAbsl(
      fmt::format("postgres {}: all {} connections of the store's pool stayed in use for {} ms",
                  conninfo_.description(), options_.size, options_.acquire_timeout.count())));
}

absl::StatusOr<PgPool::Lease> PgPool::Acquire() {
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  std::unique_lock lock(mu_);
  while (true) {
    while (!idle_.empty()) {
      std::unique_ptr<PgConnection> connection = std::move(idle_.back());
      idle_.pop_back();
      lock.unlock();
      // A server that restarted or terminated this backend while it sat idle has told it so.
      if (connection->CheckIdle()) return Lease(this, std::move(connection), /*fresh=*/false);
      connection.reset();
      lock.lock();
      --open_;
    }
    if (open_ < options_.size) return Open(lock);
    if (released_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.size) {
      return ExhaustedError();
    }
  }
}

absl::StatusOr<PgPool::Lease> PgPool::AcquireFresh() {
  const auto deadline = std::chrono::steady_clock::now() + options_.acquire_timeout;
  std::unique_lock lock(mu_);
  while (true) {
    if (open_ >= options_.size && !idle_.empty()) {  // make room: an idle one may be as stale
      std::unique_ptr<PgConnection> stale = std::move(idle_.back());
      idle_.pop_back();
      --open_;
      lock.unlock();
      stale.reset();
      lock.lock();
      continue;
    }
    if (open_ < options_.size) return Open(lock);
    if (released_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
        open_ >= options_.size) {
      return ExhaustedError();
    }
  }
}

absl::StatusOr<PgPool::Lease> PgPool::Open(std::unique_lock<std::mutex>& lock) {
  ++open_;
  lock.unlock();
  absl::StatusOr<std::unique_ptr<PgConnection>> connection =
      PgConnection::Connect(conninfo_, options_.connection);
  if (!connection.ok()) {
    lock.lock();
    --open_;
    released_.notify_one();
    return connection.status();
  }
  return Lease(this, *std::move(connection), /*fresh=*/true);
}

void PgPool::Release(std::unique_ptr<PgConnection> connection) {
  // A lease may end inside a transaction (a scan stopped early, an error mid-transaction).
  const bool reusable =
      connection->ok() && connection->RollbackIfInTransaction().ok() && connection->ok();
  if (!reusable) connection.reset();  // closed outside the lock
  std::lock_guard lock(mu_);
  if (reusable) {
    idle_.push_back(std::move(connection));
  } else {
    --open_;
  }
  released_.notify_one();
}

}  // namespace domicile::store::postgres
