#include "http/request.h"

#include <fmt/format.h>

#include <algorithm>

#include "util/errors.h"
#include "util/status_macros.h"

namespace domicile::http {
namespace {

char AsciiLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Shared by PercentDecode and ParseQuery; `plus_is_space` selects form decoding.
absl::StatusOr<std::string> Decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '+' && plus_is_space) {
      out.push_back(' ');
      continue;
    }
    if (c != '%') {
      out.push_back(c);
      continue;
    }
    int hi = i + 1 < s.size() ? HexValue(s[i + 1]) : -1;
    int lo = i + 2 < s.size() ? HexValue(s[i + 2]) : -1;
    if (hi < 0 || lo < 0) {
      return absl::InvalidArgumentError(ToAbsl(fmt::format("bad percent escape at offset {}", i)));
    }
    char decoded = static_cast<char>(hi * 16 + lo);
    if (decoded == '\0') return absl::InvalidArgumentError("percent escape decodes to NUL");
    out.push_back(decoded);
    i += 2;
  }
  return out;
}

}  // namespace

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (AsciiLower(a[i]) != AsciiLower(b[i])) return false;
  }
  return true;
}

std::optional<std::string_view> FindHeader(const std::vector<Header>& headers,
                                           std::string_view name) {
  for (const Header& h : headers) {
    if (EqualsIgnoreCase(h.name, name)) return std::string_view(h.value);
  }
  return std::nullopt;
}

std::optional<std::string_view> Request::GetHeader(std::string_view name) const {
  return FindHeader(headers, name);
}

absl::StatusOr<std::string> PercentDecode(std::string_view s) {
  return Decode(s, /*plus_is_space=*/false);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> ParseQuery(std::string_view raw) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!raw.empty()) {
    size_t amp = raw.find('&');
    std::string_view field = raw.substr(0, amp);
    raw = amp == std::string_view::npos ? std::string_view() : raw.substr(amp + 1);
    if (field.empty()) continue;
    size_t eq = field.find('=');
    std::string_view name = field.substr(0, eq);
    std::string_view value =
        eq == std::string_view::npos ? std::string_view() : field.substr(eq + 1);
    if (name.empty()) return absl::InvalidArgumentError("query field with an empty name");
    absl::StatusOr<std::string> decoded_name = Decode(name, /*plus_is_space=*/true);
    if (!decoded_name.ok()) return decoded_name.status();
    absl::StatusOr<std::string> decoded_value = Decode(value, /*plus_is_space=*/true);
    if (!decoded_value.ok()) return decoded_value.status();
    out.emplace_back(*std::move(decoded_name), *std::move(decoded_value));
  }
  return out;
}

absl::StatusOr<std::map<std::string, std::string>> ParseQueryParams(
    const Request& request, std::initializer_list<std::string_view> allowed) {
  ASSIGN_OR_RETURN(auto pairs, ParseQuery(request.query));
  std::map<std::string, std::string> out;
  for (auto& [name, value] : pairs) {
    if (std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return absl::InvalidArgumentError(fmt::format("unknown query parameter '{}'", name));
    }
    if (!out.emplace(name, value).second) {
      return absl::InvalidArgumentError(fmt::format("query parameter '{}' given twice", name));
    }
  }
  return out;
}

absl::Status MethodNotAllowedError(const Request& request) {
  return WithErrorCode(absl::InvalidArgumentError(fmt::format("method {} is not allowed on {}",
                                                              request.method, request.path)),
                       error_code::kMethodNotAllowed);
}

}  // namespace domicile::http
