#include "ops/sites.h"

#include <algorithm>

#include "crypto/sha256.h"
#include "fmt/format.h"
#include "fmt/ranges.h"
#include "util/encoding.h"
#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::ops {

absl::StatusOr<vault::SiteStore*> SiteNamed(vault::Vault& vault, std::string_view id) {
  vault::SiteStore* site = vault.FindSite(id);
  if (site == nullptr) return absl::InvalidArgumentError(fmt::format("unknown site '{}'", id));
  return site;
}

absl::Status MayHoldLiveData(const vault::Vault& vault, const vault::Site& site,
                             std::string_view jurisdiction) {
  switch (site.role) {
    case vault::SiteRole::kLegacy:
      if (std::find(site.legacy_of.begin(), site.legacy_of.end(), jurisdiction) !=
          site.legacy_of.end()) {
        return absl::OkStatus();
      }
      return ResidencyViolationError(
          fmt::format("legacy site '{}' holds data of {} (legacy_of), not of {}", site.id,
                      site.legacy_of.empty() ? "no jurisdiction"
                                             : fmt::format("{}", fmt::join(site.legacy_of, ", ")),
                      jurisdiction));
    case vault::SiteRole::kBackup:
      return ResidencyViolationError(
          fmt::format("site '{}' is a backup site and holds only backups", site.id));
    case vault::SiteRole::kPrimary:
      if (vault.rules().MayHoldPrimary(site.id, jurisdiction)) return absl::OkStatus();
      return ResidencyViolationError(
          fmt::format("site '{}' ({}) may not hold data of jurisdiction {}", site.id,
                      site.jurisdiction, jurisdiction));
  }
  return absl::InternalError("unknown site role");
}

std::vector<std::string> JurisdictionsOf(const vault::Vault& vault, const vault::Site& site) {
  if (site.role == vault::SiteRole::kLegacy) return site.legacy_of;
  std::vector<std::string> out;
  for (const std::string& j : vault.rules().Jurisdictions()) {
    if (vault.rules().MayHoldPrimary(site.id, j) || vault.rules().MayHoldBackup(site.id, j)) {
      out.push_back(j);
    }
  }
  return out;
}

vault::Resource SiteResource(const vault::Site& site, std::string_view jurisdiction,
                             std::string_view peer) {
  vault::Resource r(vault::Resource::Kind::kSite, "", "", jurisdiction,
                    vault::Classification::kProtected, site.id);
  r.site_info = &site;
  r.peer = peer;
  return r;
}

absl::Status ForEachEncodedRecordOf(vault::Vault& vault, const vault::SiteStore& site,
                                    std::string_view jurisdiction, std::string_view start,
                                    const SiteEncodedRecordFn& fn) {
  absl::Status stopped;
  std::string last_subject, last_home;  // the registry caches too; this skips even the lookup
  absl::Status scanned =
      site.kv().ScanOnce("r/", start, [&](std::string_view store_key, std::string_view value) {
        std::string_view subject, key;
        if (!vault::ParseRecordStoreKey(store_key, subject, key)) {
          stopped = absl::DataLossError(
              fmt::format("site '{}' holds a malformed record key", site.site().id));
          return false;
        }
        if (subject != last_subject) {
          absl::StatusOr<std::string> home = vault.SubjectJurisdiction(subject);
          if (!home.ok() && !absl::IsNotFound(home.status())) {
            stopped = home.status();
            return false;
          }
          last_subject = std::string(subject);
          last_home = home.ok() ? *home : std::string();
        }
        if (last_home != jurisdiction) return true;
        stopped = fn(store_key, subject, key, value);
        return stopped.ok();
      });
  RETURN_IF_ERROR(scanned);
  return stopped;
}

absl::Status ForEachRecordOf(vault::Vault& vault, const vault::SiteStore& site,
                             std::string_view jurisdiction, std::string_view start,
                             const SiteRecordFn& fn) {
  return ForEachEncodedRecordOf(
      vault, site, jurisdiction, start,
      [&](std::string_view store_key, std::string_view subject, std::string_view key,
          std::string_view encoded) -> absl::Status {
        absl::StatusOr<vault::StoredRecord> record = vault::DecodeStoredRecord(encoded);
        if (!record.ok()) {
          return absl::DataLossError(fmt::format("site '{}': record '{}' of '{}' is malformed",
                                                 site.site().id, key, subject));
        }
        return fn(store_key, subject, key, std::move(*record));
      });
}

absl::StatusOr<std::optional<std::string_view>> RecordLookahead::Find(std::string_view subject,
                                                                      std::string_view store_key) {
  const bool covered = loaded_ && subject == subject_ && store_key >= from_ &&
                       (next_ == 0 || records_[next_ - 1].first < store_key) &&
                       (complete_ || (!records_.empty() && store_key <= records_.back().first));
  if (!covered) RETURN_IF_ERROR(Read(subject, store_key));
  while (next_ < records_.size() && records_[next_].first < store_key) ++next_;
  if (next_ < records_.size() && records_[next_].first == store_key) {
    return std::string_view(records_[next_].second);
  }
  return std::nullopt;
}

absl::Status RecordLookahead::Read(std::string_view subject, std::string_view from) {
  records_.clear();
  next_ = 0;
  loaded_ = false;
  subject_ = std::string(subject);
  from_ = std::string(from);
  complete_ = true;
  RETURN_IF_ERROR(kv_.ScanFrom(vault::RecordStoreKey(subject, ""), from,
                               [&](std::string_view key, std::string_view value) {
                                 if (records_.size() == chunk_) {
                                   complete_ = false;
                                   return false;
                                 }
                                 records_.emplace_back(key, values_ ? value : std::string_view());
                                 return true;
                               }));
  loaded_ = true;
  return absl::OkStatus();
}

void RecordLookahead::Reset() {
  loaded_ = false;
  records_.clear();
  next_ = 0;
}

absl::Status LogRefusal(vault::Vault& vault, const vault::Caller& caller, vault::Action action,
                        const vault::Resource& resource, const vault::Decision& allowed,
                        absl::Status refusal, std::string determining) {
  vault::Decision refused = allowed;
  refused.allow = false;
  refused.reason = std::string(refusal.message());
  refused.determining = {std::move(determining)};
  absl::StatusOr<uint64_t> logged = vault.LogDecision(caller, action, resource, refused);
  std::optional<uint64_t> index = vault::LogIndexOf(logged.status());
  if (!index.has_value()) return logged.status();  // the log is unavailable
  return vault::WithLogIndex(std::move(refusal), *index);
}

namespace {

void AppendRecordLeaf(Bytes& out, std::string_view subject, std::string_view key, uint64_t version,
                      const crypto::Sha256Digest& digest) {
  for (std::string_view part : {subject, key}) {
    out.push_back(static_cast<uint8_t>(part.size() >> 8));
    out.push_back(static_cast<uint8_t>(part.size()));
    out.insert(out.end(), part.begin(), part.end());
  }
  AppendU64(out, version);
  out.insert(out.end(), digest.begin(), digest.end());
}

}  // namespace

Bytes RecordLeaf(std::string_view subject, std::string_view key, uint64_t version,
                 ByteView plaintext) {
  Bytes out;
  out.reserve(4 + subject.size() + key.size() + 8 + 32);
  AppendRecordLeaf(out, subject, key, version, crypto::Sha256(plaintext));
  return out;
}

tlog::Hash RecordLeafHash(std::string_view subject, std::string_view key, uint64_t version,
                          const crypto::Sha256Digest& digest) {
  thread_local Bytes leaf;
  leaf.clear();
  AppendRecordLeaf(leaf, subject, key, version, digest);
  return tlog::LeafHash(leaf);
}

}  // namespace domicile::ops
