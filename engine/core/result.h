#pragma once

#include <boost/outcome/basic_result.hpp>
#include <boost/outcome/policy/terminate.hpp>

#include "engine/core/check.h"
#include "engine/core/status.h"

namespace chainflow::engine::core {

// Result<T> holds a T or a non-ok Status (Boost.Outcome). Accessing the
// value of an errored Result terminates: check has_value() / operator bool
// first, or propagate with ASSIGN_OR_RETURN.
template <typename T>
using Result = boost::outcome_v2::basic_result<T, Status, boost::outcome_v2::policy::terminate>;

}  // namespace chainflow::engine::core

#define CF_INTERNAL_CONCAT2(a, b) a##b
#define CF_INTERNAL_CONCAT(a, b) CF_INTERNAL_CONCAT2(a, b)

// Returns the Status from the enclosing function if `expr` is not ok.
#define RETURN_IF_ERROR(expr)                                 \
  do {                                                        \
    ::chainflow::engine::core::Status cf_status_ = (expr);    \
    if (!cf_status_.ok()) return cf_status_;                  \
  } while (0)

// `lhs = value of expr`, or returns its error from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  CF_INTERNAL_ASSIGN_OR_RETURN(CF_INTERNAL_CONCAT(cf_result_, __LINE__), lhs, expr)

#define CF_INTERNAL_ASSIGN_OR_RETURN(tmp, lhs, expr) \
  auto tmp = (expr);                                 \
  if (!tmp.has_value()) return std::move(tmp).error(); \
  lhs = std::move(tmp).value()
