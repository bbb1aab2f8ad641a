// How sensitive a record is: public records may be read by any authenticated principal;
// protected records only under policy.
#pragma once

#include <optional>
#include <string_view>

namespace domicile::vault {

enum class Classification { kPublic, kProtected };

std::string_view ClassificationName(Classification c);
std::optional<Classification> ParseClassification(std::string_view name);

}  // namespace domicile::vault
