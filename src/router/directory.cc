#include "router/directory.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <mutex>

#include "fmt/format.h"
#include "router/router_config.h"
#include "util/bytes.h"
#include "util/file.h"

namespace domicile::router {
namespace {

constexpr std::string_view kHeader = "domicile-router-directory 1";
constexpr std::string_view kJournalName = "directory.journal";

absl::Status Errno(std::string_view what, const std::filesystem::path& path) {
  return absl::UnavailableError(
      fmt::format("{} {}: {}", what, path.string(), std::strerror(errno)));
}

// Parses one journal line "S <id> <J>" or "G <id> <J>".
bool ParseLine(std::string_view line, char& kind, std::string_view& id, std::string_view& j) {
  if (line.size() < 4 || (line[0] != 'S' && line[0] != 'G') || line[1] != ' ') return false;
  kind = line[0];
  line.remove_prefix(2);
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return false;
  id = line.substr(0, space);
  j = line.substr(space + 1);
  return (kind == 'S' ? IsSubjectId(id) : IsGrantId(id)) && IsJurisdictionCode(j);
}

bool WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

bool IsSubjectId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

bool IsGrantId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

absl::StatusOr<std::unique_ptr<Directory>> Directory::Open(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return absl::UnavailableError(
        fmt::format("cannot create directory {}: {}", dir.string(), ec.message()));
  }
  const std::filesystem::path journal = dir / kJournalName;
  std::string text;
  if (std::filesystem::exists(journal, ec)) {
    absl::StatusOr<std::string> read = ReadFileToString(journal);
    if (!read.ok()) return absl::UnavailableError(std::string(read.status().message()));
    text = std::move(*read);
  }
  // Read every complete line; a last line without its newline was torn by a crash.
  Map subjects, grants;
  std::string_view rest = text;
  bool rewrite = text.empty();
  int line_number = 0;
  while (!rest.empty()) {
    const size_t newline = rest.find('\n');
    if (newline == std::string_view::npos) {
      rewrite = true;
      break;
    }
    const std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline + 1);
    if (++line_number == 1) {
      if (line != kHeader) {
        return absl::DataLossError(
            fmt::format("{} is not a router directory journal", journal.string()));
      }
      continue;
    }
    char kind;
    std::string_view id, j;
    if (!ParseLine(line, kind, id, j)) {
      return absl::DataLossError(
          fmt::format("{}:{}: malformed directory entry", journal.string(), line_number));
    }
    (kind == 'S' ? subjects : grants).insert_or_assign(std::string(id), std::string(j));
  }
  if (rewrite) {
    std::string clean = fmt::format("{}\n", kHeader);
    for (const auto& [id, j] : subjects) clean += fmt::format("S {} {}\n", id, j);
    for (const auto& [id, j] : grants) clean += fmt::format("G {} {}\n", id, j);
    absl::Status s = WriteFileAtomically(journal, AsBytes(clean));
    if (!s.ok()) return absl::UnavailableError(std::string(s.message()));
  }
  const int fd = ::open(journal.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", journal);
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    ::close(fd);
    return absl::FailedPreconditionError(
        fmt::format("{} is in use by another router", journal.string()));
  }
  std::unique_ptr<Directory> out(new Directory(journal, fd));
  out->subjects_ = std::move(subjects);
  out->grants_ = std::move(grants);
  return out;
}

Directory::~Directory() { ::close(fd_); }

std::optional<std::string> Directory::SubjectJurisdiction(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = subjects_.find(std::string(id));
  if (it == subjects_.end()) return std::nullopt;
  return it->second;
}

std::optional<std::string> Directory::GrantJurisdiction(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = grants_.find(std::string(id));
  if (it == grants_.end()) return std::nullopt;
  return it->second;
}

Directory::Recorded Directory::RecordSubject(std::string_view id, std::string_view jurisdiction) {
  if (!IsSubjectId(id)) return Recorded::kInvalid;
  return Record(subjects_, 'S', id, jurisdiction);
}

Directory::Recorded Directory::RecordGrant(std::string_view id, std::string_view jurisdiction) {
  if (!IsGrantId(id)) return Recorded::kInvalid;
  return Record(grants_, 'G', id, jurisdiction);
}

Directory::Recorded Directory::Record(Map& map, char kind, std::string_view id,
                                      std::string_view jurisdiction) {
  if (!IsJurisdictionCode(jurisdiction)) return Recorded::kInvalid;
  {
    std::shared_lock lock(mu_);
    auto it = map.find(std::string(id));
    if (it != map.end()) return it->second == jurisdiction ? Recorded::kKnown : Recorded::kConflict;
  }
  std::unique_lock lock(mu_);
  auto [it, inserted] = map.try_emplace(std::string(id), std::string(jurisdiction));
  if (!inserted) return it->second == jurisdiction ? Recorded::kKnown : Recorded::kConflict;
  // Appended without fsync: the page cache survives a crash of the router; after a crash of
  // the machine the entries are pulled from the nodes again (docs/router.md).
  // After a failed (maybe partial) append nothing more is appended, so the journal never holds
  // a torn line before a good one.
  if (journal_broken_ || !WriteAll(fd_, fmt::format("{} {} {}\n", kind, id, jurisdiction))) {
    journal_broken_ = true;
    ++journal_errors_;
  }
  return Recorded::kNew;
}

size_t Directory::subjects() const {
  std::shared_lock lock(mu_);
  return subjects_.size();
}

size_t Directory::grants() const {
  std::shared_lock lock(mu_);
  return grants_.size();
}

uint64_t Directory::journal_errors() const {
  std::shared_lock lock(mu_);
  return journal_errors_;
}

}  // namespace domicile::router
