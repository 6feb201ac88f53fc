#pragma once

#include <string_view>

#include "engine/core/status.h"

namespace chainflow::projections::pg::internal {

// Converts the exception being handled to a Status. Call only inside a
// catch block (it rethrows and catches the current exception):
//   catch (...) { return internal::CurrentExceptionToStatus("upsert"); }
// broken_connection / SQLSTATE 08, 57P -> Unavailable; 40 -> Aborted;
// 53 -> ResourceExhausted; 22 -> InvalidArgument; anything else -> Internal.
core::Status CurrentExceptionToStatus(std::string_view context) noexcept;

// The code for a SQLSTATE (as above); used by tests.
core::StatusCode CodeForSqlState(std::string_view sqlstate);

}  // namespace chainflow::projections::pg::internal
