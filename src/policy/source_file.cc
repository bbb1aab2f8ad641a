#include "policy/source_file.h"

#include <algorithm>

#include "fmt/format.h"

namespace domicile::policy {

SourceFile::SourceFile(std::string_view name, std::string_view text) : name_(name), text_(text) {
  line_starts_.push_back(0);
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') line_starts_.push_back(i + 1);
  }
}

SourceFile::Position SourceFile::PositionOf(size_t offset) const {
  offset = std::min(offset, text_.size());
  size_t line =
      std::upper_bound(line_starts_.begin(), line_starts_.end(), offset) - line_starts_.begin() - 1;
  int column = 1;
  for (size_t i = line_starts_[line]; i < offset; ++i) {
    if ((static_cast<unsigned char>(text_[i]) & 0xC0) != 0x80) ++column;
  }
  return {static_cast<int>(line) + 1, column};
}

std::string_view SourceFile::LineAt(size_t line_index) const {
  size_t start = line_starts_[line_index];
  size_t end = text_.find('\n', start);
  std::string_view line = text_.substr(start, end == std::string_view::npos ? end : end - start);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

std::string SourceFile::FormatError(size_t offset, std::string_view message) const {
  offset = std::min(offset, text_.size());
  Position pos = PositionOf(offset);
  std::string_view line = LineAt(pos.line - 1);
  // The caret line repeats the tabs of the source line so the caret lines up in a terminal.
  std::string caret;
  size_t start = line_starts_[pos.line - 1];
  for (size_t i = start; i < offset && i - start < line.size(); ++i) {
    char c = text_[i];
    if ((static_cast<unsigned char>(c) & 0xC0) == 0x80) continue;
    caret += c == '\t' ? '\t' : ' ';
  }
  caret += '^';
  return fmt::format("{}:{}:{}: {}\n{}\n{}", name_, pos.line, pos.column, message, line, caret);
}

}  // namespace domicile::policy
