// The router's directory: the home jurisdiction of every subject and grant it has learnt of.
// The nodes are the authority (a home jurisdiction is fixed at registration and each node
// publishes its subjects at /v1/directory); this is the router's copy, so that it can route a
// request without asking. It survives a restart: every new entry is appended to a journal
// file, <dir>/directory.journal, read back (and compacted) at Open. The format is in
// docs/router.md.
//
// Thread-safe: lookups share a lock, new entries take it exclusively.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "absl/status/statusor.h"

namespace domicile::router {

class Directory {
 public:
  // What Record* did.
  enum class Recorded {
    kNew,       // a new entry, appended to the journal
    kKnown,     // already known with this jurisdiction: nothing changed
    kConflict,  // already known with ANOTHER jurisdiction: the old entry is kept
    kInvalid,   // not a valid id or jurisdiction code: ignored
  };

  // Opens (creating) the directory kept in `dir`. Unavailable if the journal cannot be read or
  // written; DataLoss if it is not a directory journal. A torn last line (a crash while
  // appending) is dropped.
  static absl::StatusOr<std::unique_ptr<Directory>> Open(const std::filesystem::path& dir);
  ~Directory();
  Directory(const Directory&) = delete;
  Directory& operator=(const Directory&) = delete;

  // The home jurisdiction of subject `id`, if known.
  std::optional<std::string> SubjectJurisdiction(std::string_view id) const;
  // The jurisdiction of grant `id`, if known.
  std::optional<std::string> GrantJurisdiction(std::string_view id) const;

  Recorded RecordSubject(std::string_view id, std::string_view jurisdiction);
  Recorded RecordGrant(std::string_view id, std::string_view jurisdiction);

  size_t subjects() const;
  size_t grants() const;
  // Entries that could not be appended to the journal (they are kept in memory; after the
  // first failure nothing more is appended).
  uint64_t journal_errors() const;

 private:
  using Map = std::unordered_map<std::string, std::string>;
  Directory(std::filesystem::path journal, int fd) : journal_(std::move(journal)), fd_(fd) {}
  Recorded Record(Map& map, char kind, std::string_view id, std::string_view jurisdiction);

  const std::filesystem::path journal_;
  const int fd_;  // the journal, opened for appending
  mutable std::shared_mutex mu_;
  Map subjects_;
  Map grants_;
  uint64_t journal_errors_ = 0;
  bool journal_broken_ = false;  // an append failed: later entries stay in memory only
};

// Subject ids: 1..128 of A-Z a-z 0-9 . _ - (as the node's API).
bool IsSubjectId(std::string_view id);
// Grant ids: 1..64 of a-z 0-9 - (as the Domicile-Grant header).
bool IsGrantId(std::string_view id);

}  // namespace domicile::router
