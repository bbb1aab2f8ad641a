// ConfigProblem: one problem found in a configuration file, at its place.
#pragma once

#include <string>

namespace domicile {

struct ConfigProblem {
  std::string file;
  int line = 0;    // 1-based; 0 when the problem has no single place
  int column = 0;  // 1-based; 0 when unknown
  std::string message;
  std::string ToString() const;  // "file:line:column: message", or "file: message"
};

}  // namespace domicile
