#include "projections/pg/internal/errors.h"

#include <exception>
#include <string>

#include <fmt/format.h>
#include <pqxx/pqxx>

namespace chainflow::projections::pg::internal {

core::StatusCode CodeForSqlState(std::string_view sqlstate) {
  using core::StatusCode;
  auto cls = sqlstate.substr(0, 2);
  if (cls == "08") return StatusCode::kUnavailable;        // connection exception
  if (sqlstate.substr(0, 3) == "57P") return StatusCode::kUnavailable;  // shutdown
  if (cls == "40") return StatusCode::kAborted;            // serialization, deadlock
  if (sqlstate == "55P03") return StatusCode::kAborted;    // lock not available
  if (cls == "53") return StatusCode::kResourceExhausted;  // disk full, out of memory
  if (cls == "22") return StatusCode::kInvalidArgument;    // data exception
  return StatusCode::kInternal;                             // 23 constraints, 42 syntax...
}

core::Status CurrentExceptionToStatus(std::string_view context) noexcept {
  try {
    try {
      throw;
    } catch (const pqxx::broken_connection& e) {
      return core::UnavailableError(fmt::format("{}: connection lost: {}", context, e.what()));
    } catch (const pqxx::in_doubt_error& e) {
      // The commit may or may not have happened; redoing the batch is safe
      // because the offsets are written in the same transaction.
      return core::UnavailableError(fmt::format("{}: commit in doubt: {}", context, e.what()));
    } catch (const pqxx::transaction_rollback& e) {
      return core::AbortedError(fmt::format("{}: {}", context, e.what()));
    } catch (const pqxx::sql_error& e) {
      return core::Status(CodeForSqlState(e.sqlstate()),
                          fmt::format("{}: SQLSTATE {}: {}", context, e.sqlstate(), e.what()));
    } catch (const std::exception& e) {
      return core::InternalError(fmt::format("{}: {}", context, e.what()));
    } catch (...) {
      return core::InternalError(fmt::format("{}: unknown exception", context));
    }
  } catch (...) {
    // Building the message itself threw (out of memory).
    return core::Status(core::StatusCode::kInternal, "exception while converting an exception");
  }
}

}  // namespace chainflow::projections::pg::internal
