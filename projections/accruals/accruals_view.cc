#include "projections/accruals/accruals_view.h"

#include <fmt/format.h>

#include "chainflow/v1/events.pb.h"
#include "projections/pg/fields.h"

namespace chainflow::projections::accruals {
namespace {

using core::Result;

// The carry is ten-thousandths of a unit (events.proto): 10000 would be a
// whole unit the processor failed to pay.
constexpr uint32_t kCarryLimit = 10'000;

Result<std::vector<pg::TableRow>> AccrualRows(const v1::AccrualRecorded& m) {
  ASSIGN_OR_RETURN(int64_t day, pg::Bigint(m.day(), "day"));
  ASSIGN_OR_RETURN(std::string chain, pg::Text(m.chain(), "chain", /*non_empty=*/true));
  ASSIGN_OR_RETURN(std::string token, pg::AddressText(m.token(), "token"));
  ASSIGN_OR_RETURN(std::string account, pg::AddressText(m.account(), "account"));
  ASSIGN_OR_RETURN(int64_t end, pg::Bigint(m.end(), "end"));
  ASSIGN_OR_RETURN(std::string balance, pg::Uint256Text(m.balance(), "balance"));
  ASSIGN_OR_RETURN(std::string accrued, pg::Uint256Text(m.accrued(), "accrued"));
  ASSIGN_OR_RETURN(std::string total, pg::Uint256Text(m.total_accrued(), "total_accrued"));
  if (m.carry() >= kCarryLimit) {
    return core::InvalidArgumentError(fmt::format("carry {} is not below {}", m.carry(),
                                                  kCarryLimit));
  }
  return std::vector<pg::TableRow>{
      {0,
       {std::to_string(day), std::move(chain), std::move(token), std::move(account),
        std::to_string(end), std::move(balance), std::to_string(m.rate_bps()),
        std::move(accrued), std::to_string(m.carry()), std::move(total)}}};
}

}  // namespace

Result<std::vector<pg::TableRow>> DecodeRecord(const engine::log::Record& record) {
  v1::Envelope env;
  if (!env.ParseFromString(record.value)) {
    return core::InvalidArgumentError("not a chainflow.v1.Envelope");
  }
  if (env.has_accrual_recorded()) return AccrualRows(env.accrual_recorded());
  return std::vector<pg::TableRow>{};
}

const pg::KeyedView& View() {
  static const pg::KeyedView view{
      std::string(kProjectionName),
      {{"chainflow.accruals",
        {"day", "chain", "token", "account", "end_at", "balance", "rate_bps", "accrued", "carry",
         "total_accrued"},
        {"day", "chain", "token", "account"}}},
      DecodeRecord};
  return view;
}

}  // namespace chainflow::projections::accruals
