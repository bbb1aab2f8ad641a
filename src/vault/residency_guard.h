// ResidencyGuard: the built-in Decider. Its rules, in order:
//   - protected records: read, write, delete and list only by principals whose location is
//     the subject's jurisdiction (and writes and deletes need the "writer" role);
//   - public records: read by any authenticated principal; writes and deletes need "writer";
//   - registering a subject needs the "writer" role;
//   - listing a subject's keys counts as reading protected data (keys can themselves reveal).
// No role grants more: in particular there is no administrator that bypasses these rules.
#pragma once

#include "vault/decider.h"

namespace domicile::vault {

class ResidencyGuard final : public Decider {
 public:
  Decision Decide(const Principal& principal, Action action, const Resource& resource,
                  const RequestContext& context) const override;
};

}  // namespace domicile::vault
