// SourceFile: a policy file's name and text, mapping byte offsets to line and column and
// formatting a parse error the way the project reports them:
//
//   FILE:LINE:COL: message
//   <the source line>
//   <spaces>^
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace domicile::policy {

class SourceFile {
 public:
  SourceFile(std::string_view name, std::string_view text);

  struct Position {
    int line = 1;    // 1-based
    int column = 1;  // 1-based, counted in characters (UTF-8 code points)
  };
  Position PositionOf(size_t offset) const;

  std::string FormatError(size_t offset, std::string_view message) const;

  std::string_view name() const { return name_; }
  std::string_view text() const { return text_; }

 private:
  std::string_view LineAt(size_t line_index) const;

  std::string_view name_;
  std::string_view text_;
  std::vector<size_t> line_starts_;
};

}  // namespace domicile::policy
