#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/record.h"
#include "projections/pg/keyed_projection.h"
#include "projections/pg/offsets.h"

namespace chainflow::projections::token {

// A row of chainflow.token_balances, as the text PostgreSQL receives.
struct BalanceRow {
  std::string chain;
  std::string token;    // lowercase 0x hex
  std::string account;  // lowercase 0x hex
  std::string balance;  // decimal, absolute
  int64_t block_number = 0;
  // A `removed` retraction: no delta touches the balance any more, the row
  // goes (the other fields are empty).
  bool removed = false;
};

// A row of chainflow.token_supply.
struct SupplyRow {
  std::string chain;
  std::string token;
  std::string total_supply;  // decimal
  int64_t block_number = 0;
  bool removed = false;  // as BalanceRow::removed
};

// A record that could not be decoded (InvalidArgument naming the problem).
struct Rejected {
  const engine::log::Record* record;  // points into the staged batch
  core::Status why;
};

// What a batch of token.balances records does to the views.
struct StagedBatch {
  std::vector<BalanceRow> balances;  // unique by (chain, token, account)
  std::vector<SupplyRow> supplies;   // unique by (chain, token)
  std::vector<Rejected> rejected;
  pg::OffsetMap next_offsets;  // one past the highest offset staged, per partition
  size_t records = 0;          // staged records (rows, rejected and ignored)
  size_t skipped = 0;          // below `applied`: already in the views
  size_t ignored = 0;          // other payloads
};

// Decodes `batch` (each partition's records in offset order), leaving out
// records below `applied`. TokenBalanceChanged sets the absolute balance and
// TotalSupplyChanged the supply (retractions carry the restored values in
// the same fields); the later record of a key wins, which is offset order
// since a key lives in one partition. A zero balance keeps its row; a
// `removed` retraction stages the row's deletion. Pure.
// `batch` must outlive the result.
StagedBatch StageBatch(const std::vector<engine::log::Record>& batch,
                       const pg::OffsetMap& applied);

// The view as the shared keyed runner (pg::KeyedProjection) applies it:
// name kProjectionName, tables token_balances (0) and token_supply (1),
// each record decoded as StageBatch does (a `removed` retraction is a
// removal of its key, TableRow::remove; other payloads make no rows). A
// function-local static.
const pg::KeyedView& View();

}  // namespace chainflow::projections::token
