// Comparison of secrets (MACs, tokens, tags) whose running time does not depend on where the
// inputs differ, so an attacker cannot learn a secret byte by byte from response times.
#pragma once

#include "util/bytes.h"

namespace domicile::crypto {

// True iff `a` and `b` have the same size and contents. Time depends only on the sizes (which
// are not secret), never on the contents. Two empty inputs are equal.
bool ConstantTimeEquals(ByteView a, ByteView b);

}  // namespace domicile::crypto
