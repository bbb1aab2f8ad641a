// Small helpers for absl::Status that this abseil lacks: early return on error and
// unwrapping a StatusOr into a local. Used across every module boundary.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define DOMICILE_CONCAT_INNER_(a, b) a##b
#define DOMICILE_CONCAT_(a, b) DOMICILE_CONCAT_INNER_(a, b)

// RETURN_IF_ERROR(expr): evaluates expr (a Status); returns it from the caller if not ok.
#define RETURN_IF_ERROR(expr)                     \
  do {                                            \
    if (::absl::Status _st = (expr); !_st.ok()) { \
      return _st;                                 \
    }                                             \
  } while (0)

// ASSIGN_OR_RETURN(lhs, expr): evaluates expr (a StatusOr<T>); on error returns its status,
// otherwise moves the value into lhs (which may be a declaration: `auto x`).
#define ASSIGN_OR_RETURN(lhs, expr) \
  DOMICILE_ASSIGN_OR_RETURN_IMPL_(DOMICILE_CONCAT_(_status_or_, __LINE__), lhs, expr)

#define DOMICILE_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) {                                      \
    return std::move(tmp).status();                     \
  }                                                     \
  lhs = std::move(tmp).value()
