// PostgresStore: the KvStore backend for node groups, on a PostgreSQL database that several
// domicile nodes of one jurisdiction may share. Each store keeps its data in a table of its own
// (kv_<name>), created and migrated from src/store/postgres/schema/ when the store opens, and
// reaches the server through a pool of libpq connections. Only the .cc files of
// src/store/postgres know libpq; callers see a KvStore. docs/postgres.md describes the tables,
// the migrations, isolation, conditional writes, errors and durability.
//
// Durability: a write returns OK once its transaction has committed, which is durable as the
// server's synchronous_commit makes it (on, the default: flushed to the server's WAL, and to a
// synchronous standby if one is configured).
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "store/kv_store.h"

namespace domicile::store {

struct PostgresOptions {
  // Connections the store may hold open at once (opened on demand). Each running operation
  // uses one; so does each live Snapshot and each Scan for as long as it runs (longer than one
  // page), so a Scan's callback that uses the store needs a second one.
  size_t pool_size = 8;
  // How long an operation waits for a connection when all pool_size are in use, before
  // failing with ResourceExhausted.
  std::chrono::milliseconds acquire_timeout{30'000};
  // libpq's connect_timeout, unless the connection string sets one.
  std::chrono::seconds connect_timeout{10};
  // The server's statement_timeout for every statement of the store (each page of a scan is
  // one); 0 leaves the server's own setting. A statement over it fails with DeadlineExceeded.
  std::chrono::milliseconds statement_timeout{60'000};
  // A batch larger than this (keys and values) is written by several statements inside one
  // transaction rather than one (a bytea[] parameter is capped at 1 GiB).
  size_t max_statement_bytes = 64 << 20;
};

// Opens store `name` in the database that `conninfo` names: a libpq connection URL
// ("postgres://user@host:port/db?sslmode=...") or key=value string. A password, if any, comes
// from the URL, PGPASSWORD or ~/.pgpass; it never appears in an error. Creates the store's table
// (and the database's own tables) if absent, migrating both to this binary's schema. Opening
// the same name again, from this or another process, opens the same data.
//
// Errors:
//   InvalidArgument    `name` is not [a-z0-9_]{1,48}, or `conninfo` is malformed.
//   Unavailable        the server cannot be reached or refuses the connection.
//   FailedPrecondition the database's schema is newer than this binary's.
//   Internal           any other server error (its SQLSTATE in the message), e.g. the user may
//                      not create tables (docs/postgres.md lists the privileges needed).
// Thread safety: may be called concurrently, also for the same name.
absl::StatusOr<std::unique_ptr<KvStore>> OpenPostgresStore(std::string_view conninfo,
                                                           std::string_view name,
                                                           const PostgresOptions& options = {});

// Removes store `name` from the database: its table with all its data and its records (for
// tests, benchmarks, and a site taken out of service). Every store open on it must be closed
// first: their statements would then fail. OK when there is no such store.
// Errors: as OpenPostgresStore's.
absl::Status DropPostgresStore(std::string_view conninfo, std::string_view name);

// True when `name` may name a PostgreSQL store: 1 to 48 of [a-z0-9_].
bool IsValidPostgresStoreName(std::string_view name);

// A store name for `id` (a site's id, say), the same on every node and every run: `id` itself
// when it is a valid name, else `id` lowercased with every other character turned into '_',
// cut to fit, followed by '_' and 8 hex digits of a hash of `id` (so "US-1" and "us_1" differ).
std::string PostgresStoreNameFor(std::string_view id);

}  // namespace domicile::store
