#include "projections/token/rows.h"

#include "projections/token/token_projection.h"

#include <map>
#include <tuple>

#include <fmt/format.h>

#include "chainflow/v1/events.pb.h"
#include "engine/core/address.h"
#include "engine/core/u256.h"

namespace chainflow::projections::token {
namespace {

using core::Result;

Result<std::string> Hex20(const std::string& bytes, std::string_view field) {
  auto a = core::Address::FromBytes(bytes);
  if (!a) return a.error().WithContext(field);
  return a.value().ToHex();
}

Result<std::string> Decimal(const std::string& bytes, std::string_view field) {
  if (bytes.size() != 32) {
    return core::InvalidArgumentError(fmt::format("{} of {} bytes (want 32)", field, bytes.size()));
  }
  return core::U256ToDecimal(core::U256FromBigEndian(bytes).value());
}

Result<int64_t> Block(uint64_t block) {
  if (block > static_cast<uint64_t>(INT64_MAX)) {
    return core::InvalidArgumentError("block_number exceeds bigint");
  }
  return static_cast<int64_t>(block);
}

Result<BalanceRow> ToRow(const v1::TokenBalanceChanged& m) {
  BalanceRow row;
  row.chain = m.log().chain();
  if (row.chain.empty()) return core::InvalidArgumentError("log.chain is empty");
  ASSIGN_OR_RETURN(row.token, Hex20(m.token(), "token"));
  ASSIGN_OR_RETURN(row.account, Hex20(m.account(), "account"));
  if (m.removed()) {
    row.removed = true;
    return row;
  }
  ASSIGN_OR_RETURN(row.balance, Decimal(m.balance(), "balance"));
  ASSIGN_OR_RETURN(row.block_number, Block(m.block_number()));
  return row;
}

Result<SupplyRow> ToRow(const v1::TotalSupplyChanged& m) {
  SupplyRow row;
  row.chain = m.log().chain();
  if (row.chain.empty()) return core::InvalidArgumentError("log.chain is empty");
  ASSIGN_OR_RETURN(row.token, Hex20(m.token(), "token"));
  if (m.removed()) {
    row.removed = true;
    return row;
  }
  ASSIGN_OR_RETURN(row.total_supply, Decimal(m.total_supply(), "total_supply"));
  ASSIGN_OR_RETURN(row.block_number, Block(m.block_number()));
  return row;
}

std::vector<pg::TableRow> TableRows(const BalanceRow& r) {
  if (r.removed) return {pg::TableRow{0, {r.chain, r.token, r.account, "", ""}, true}};
  return {pg::TableRow{0, {r.chain, r.token, r.account, r.balance,
                           std::to_string(r.block_number)}}};
}

std::vector<pg::TableRow> TableRows(const SupplyRow& r) {
  if (r.removed) return {pg::TableRow{1, {r.chain, r.token, "", ""}, true}};
  return {pg::TableRow{1, {r.chain, r.token, r.total_supply, std::to_string(r.block_number)}}};
}

Result<std::vector<pg::TableRow>> DecodeRecord(const engine::log::Record& record) {
  v1::Envelope env;
  if (!env.ParseFromString(record.value)) {
    return core::InvalidArgumentError("not a chainflow.v1.Envelope");
  }
  if (env.has_token_balance_changed()) {
    ASSIGN_OR_RETURN(BalanceRow row, ToRow(env.token_balance_changed()));
    return TableRows(row);
  }
  if (env.has_total_supply_changed()) {
    ASSIGN_OR_RETURN(SupplyRow row, ToRow(env.total_supply_changed()));
    return TableRows(row);
  }
  return std::vector<pg::TableRow>{};
}

}  // namespace

const pg::KeyedView& View() {
  static const pg::KeyedView view{
      std::string(kProjectionName),
      {pg::UpsertSpec{"chainflow.token_balances",
                      {"chain", "token", "account", "balance", "block_number"},
                      {"chain", "token", "account"}},
       pg::UpsertSpec{"chainflow.token_supply",
                      {"chain", "token", "total_supply", "block_number"},
                      {"chain", "token"}}},
      DecodeRecord};
  return view;
}

StagedBatch StageBatch(const std::vector<engine::log::Record>& batch,
                       const pg::OffsetMap& applied) {
  StagedBatch out;
  // Position in the output vectors by key, so a later record replaces.
  std::map<std::tuple<std::string, std::string, std::string>, size_t> balance_at;
  std::map<std::pair<std::string, std::string>, size_t> supply_at;
  pg::BatchOffsets offsets(applied);
  v1::Envelope env;
  for (const engine::log::Record& r : batch) {
    if (!offsets.Take(r)) continue;
    if (!env.ParseFromString(r.value)) {
      out.rejected.push_back({&r, core::InvalidArgumentError("not a chainflow.v1.Envelope")});
      continue;
    }
    if (env.has_token_balance_changed()) {
      auto row = ToRow(env.token_balance_changed());
      if (!row) {
        out.rejected.push_back({&r, row.error()});
        continue;
      }
      auto key = std::make_tuple(row.value().chain, row.value().token, row.value().account);
      auto [it, inserted] = balance_at.emplace(key, out.balances.size());
      if (inserted) {
        out.balances.push_back(std::move(row).value());
      } else {
        out.balances[it->second] = std::move(row).value();
      }
    } else if (env.has_total_supply_changed()) {
      auto row = ToRow(env.total_supply_changed());
      if (!row) {
        out.rejected.push_back({&r, row.error()});
        continue;
      }
      auto key = std::make_pair(row.value().chain, row.value().token);
      auto [it, inserted] = supply_at.emplace(key, out.supplies.size());
      if (inserted) {
        out.supplies.push_back(std::move(row).value());
      } else {
        out.supplies[it->second] = std::move(row).value();
      }
    } else {
      ++out.ignored;
    }
  }
  out.next_offsets = offsets.next_offsets();
  out.records = offsets.records();
  out.skipped = offsets.skipped();
  return out;
}

}  // namespace chainflow::projections::token
