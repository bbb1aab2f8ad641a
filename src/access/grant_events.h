// The log events of grants (kind "grant", docs/events.md): one per step of a grant's life —
// request, approval accepted or refused (and why), activation, review of a break-glass grant,
// expiry, revocation. Use of a grant is recorded in the access event of the read it allowed
// (its "grant" field).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "access/grant.h"
#include "vault/events.h"
#include "vault/principal.h"

namespace domicile::access {

// step: "request", "approval", "approval_refused", "activate", "review", "expire", "revoke".
// `actor` may be null (expiry). `detail` is the refusal's reason or empty.
std::string GrantEvent(const vault::EventSource& source, std::chrono::system_clock::time_point time,
                       std::string_view step, const Grant& grant, const vault::Principal* actor,
                       std::string_view detail = {});

}  // namespace domicile::access
