// OpsRoutes: the lifecycle operations' routes (docs/api.md, docs/operations.md).
//   POST   /v1/import?site=S&jurisdiction=J&import=ID&first_line=N[&on_error=skip]
//                                     one batch of a JSON-lines dump -> 200 with counts
//   GET    /v1/import/{id}?site=S     the import's progress: the next line it expects
//   POST   /v1/migrations             {"from","to"[,"jurisdiction"]} -> 202 operation
//   POST   /v1/shreds                 {"site"[,"jurisdiction"][,"force"]} -> 202 operation
//   POST   /v1/backups                {"site","to"} -> 202 operation (its result names the id)
//   POST   /v1/restores               {"from","backup","site"} -> 202 operation
//   GET    /v1/operations/{id}        an operation's state and progress
//   DELETE /v1/operations/{id}        asks it to stop (it resumes when run again)
// A refusal (policy, residency, no verified migration) is the answer to the POST itself.
#pragma once

#include <string>
#include <vector>

#include "http/request.h"
#include "http/response.h"
#include "ops/backups.h"
#include "ops/operations.h"
#include "vault/vault.h"

namespace domicile::http {

class OpsRoutes {
 public:
  // `backups` may be null: then /v1/backups and /v1/restores are not served.
  OpsRoutes(vault::Vault* vault, ops::Operations* operations,
            const ops::BackupDestinations* backups, ops::CheckpointFn checkpoint)
      : vault_(vault),
        operations_(operations),
        backups_(backups),
        checkpoint_(std::move(checkpoint)) {}

  static bool Matches(const std::vector<std::string>& seg);

  // Handles an authenticated request. Blocks while an import batch is written or an operation
  // starts.
  Response Handle(const Request& request, const std::vector<std::string>& seg,
                  const vault::Caller& caller) const;

 private:
  Response Import(const Request& request, const vault::Caller& caller) const;
  // Starts `kind` with the JSON body's fields.
  Response StartOperation(const Request& request, const std::string& kind,
                          const vault::Caller& caller) const;

  vault::Vault* const vault_;
  ops::Operations* const operations_;
  const ops::BackupDestinations* const backups_;
  const ops::CheckpointFn checkpoint_;
};

}  // namespace domicile::http
