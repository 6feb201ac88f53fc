#include "projections/settlements/settlements_view.h"

#include <fmt/format.h>

#include "chainflow/v1/events.pb.h"
#include "projections/pg/fields.h"

namespace chainflow::projections::settlements {
namespace {

using core::Result;

Result<std::vector<pg::TableRow>> EpochRows(const v1::EpochSettled& m) {
  ASSIGN_OR_RETURN(int64_t epoch, pg::Bigint(m.epoch(), "epoch"));
  ASSIGN_OR_RETURN(int64_t start, pg::Bigint(m.start(), "start"));
  ASSIGN_OR_RETURN(int64_t end, pg::Bigint(m.end(), "end"));
  ASSIGN_OR_RETURN(int64_t settled, pg::Bigint(m.settled(), "settled"));
  ASSIGN_OR_RETURN(int64_t rejected, pg::Bigint(m.rejected(), "rejected"));
  ASSIGN_OR_RETURN(std::string digest, pg::FixedHexText(m.digest(), 32, "digest"));
  const std::string epoch_text = std::to_string(epoch);
  std::vector<pg::TableRow> rows;
  rows.push_back({kEpochs,
                  {epoch_text, std::to_string(start), std::to_string(end),
                   std::to_string(settled), std::to_string(rejected), std::move(digest)}});
  for (const v1::TokenTotal& t : m.totals()) {
    ASSIGN_OR_RETURN(std::string chain, pg::Text(t.chain(), "totals.chain", /*non_empty=*/true));
    ASSIGN_OR_RETURN(std::string token, pg::AddressText(t.token(), "totals.token"));
    ASSIGN_OR_RETURN(std::string amount, pg::Uint256Text(t.amount(), "totals.amount"));
    ASSIGN_OR_RETURN(int64_t intents, pg::Bigint(t.intents(), "totals.intents"));
    rows.push_back({kEpochTotals,
                    {epoch_text, std::move(chain), std::move(token), std::move(amount),
                     std::to_string(intents)}});
  }
  return rows;
}

Result<std::vector<pg::TableRow>> AccountRows(const v1::AccountSettled& m) {
  ASSIGN_OR_RETURN(int64_t epoch, pg::Bigint(m.epoch(), "epoch"));
  ASSIGN_OR_RETURN(std::string chain, pg::Text(m.chain(), "chain", /*non_empty=*/true));
  ASSIGN_OR_RETURN(std::string token, pg::AddressText(m.token(), "token"));
  ASSIGN_OR_RETURN(std::string account, pg::AddressText(m.account(), "account"));
  // The intents processor adds up only the directions an account had: the
  // other one stays empty, which is 0.
  ASSIGN_OR_RETURN(std::string debited,
                   pg::Uint256Text(m.debited(), "debited", /*empty_is_zero=*/true));
  ASSIGN_OR_RETURN(std::string credited,
                   pg::Uint256Text(m.credited(), "credited", /*empty_is_zero=*/true));
  ASSIGN_OR_RETURN(int64_t paid, pg::Bigint(m.paid(), "paid"));
  ASSIGN_OR_RETURN(int64_t received, pg::Bigint(m.received(), "received"));
  return std::vector<pg::TableRow>{
      {kSettlements,
       {std::to_string(epoch), std::move(chain), std::move(token), std::move(account),
        std::move(debited), std::move(credited), std::to_string(paid),
        std::to_string(received)}}};
}

}  // namespace

Result<std::vector<pg::TableRow>> DecodeRecord(const engine::log::Record& record) {
  v1::Envelope env;
  if (!env.ParseFromString(record.value)) {
    return core::InvalidArgumentError("not a chainflow.v1.Envelope");
  }
  if (env.has_epoch_settled()) return EpochRows(env.epoch_settled());
  if (env.has_account_settled()) return AccountRows(env.account_settled());
  return std::vector<pg::TableRow>{};
}

const pg::KeyedView& View() {
  static const pg::KeyedView view{
      std::string(kProjectionName),
      {
          {"chainflow.epochs",
           {"epoch", "start_at", "end_at", "settled", "rejected", "digest"},
           {"epoch"}},
          {"chainflow.epoch_totals",
           {"epoch", "chain", "token", "amount", "intents"},
           {"epoch", "chain", "token"}},
          {"chainflow.settlements",
           {"epoch", "chain", "token", "account", "debited", "credited", "paid", "received"},
           {"epoch", "chain", "token", "account"}},
      },
      DecodeRecord};
  return view;
}

}  // namespace chainflow::projections::settlements
