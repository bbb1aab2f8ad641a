// domicile's version, as recorded in node start events and printed by `domicile --version`.
// Kept in step with project(VERSION) in the top CMakeLists.txt.
#pragma once

#include <string_view>

namespace domicile {

inline constexpr std::string_view kDomicileVersion = "0.1.0";

}  // namespace domicile
