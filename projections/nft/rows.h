#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/record.h"
#include "projections/pg/keyed_projection.h"
#include "projections/pg/offsets.h"

namespace chainflow::projections::nft {

// A row of chainflow.nft_owners, as the text PostgreSQL receives.
struct OwnerRow {
  std::string chain;
  std::string contract;  // lowercase 0x hex
  std::string token_id;  // decimal
  std::string owner;     // lowercase 0x hex; the zero address once burned
  int64_t block_number = 0;
  uint32_t log_index = 0;
  std::string tx_hash;   // 0x hex
  // A retraction of a token that did not exist before the reverted block:
  // the row is deleted (only chain, contract, token_id are meaningful).
  bool deleted = false;
};

// A row of chainflow.nft_balances (ERC-1155).
struct BalanceRow {
  std::string chain;
  std::string contract;
  std::string token_id;  // decimal
  std::string owner;
  std::string balance;   // decimal, absolute; 0 keeps the row
};

// A record that could not be decoded (InvalidArgument naming the problem).
struct Rejected {
  const engine::log::Record* record;  // points into the staged batch
  core::Status why;
};

// What a batch of nft.ownership records does to the views.
struct StagedBatch {
  std::vector<OwnerRow> owners;      // unique by (chain, contract, token_id), none deleted
  std::vector<OwnerRow> owner_deletes;  // deleted rows; keys unique and not in `owners`
  std::vector<BalanceRow> balances;  // unique by (chain, contract, token_id, owner)
  std::vector<Rejected> rejected;
  // One past the highest offset staged, per partition: where the projection
  // resumes once this batch is committed (rejected and ignored records count).
  pg::OffsetMap next_offsets;
  size_t records = 0;   // staged records (rows, rejected and ignored)
  size_t skipped = 0;   // below `applied`: already in the views
  size_t ignored = 0;   // payloads this projection does not use (markers, ...)
};

// Decodes `batch` (records of one partition in offset order, as a
// RecordSource returns them), leaving out records below `applied` (the
// stored next offsets). Deduplicates by key: the later record in batch
// order wins, which is offset order since a key lives in one partition.
//
// Rules: OwnerChanged sets owner (burn: the zero address; the row stays);
// a retracted OwnerChanged restores previous_owner with the block, log
// index and tx hash of its `log` (the transfer that made that owner), and
// one with an empty previous_owner (the token did not exist before the
// reverted block) deletes the row. Erc1155BalanceChanged sets the absolute
// balance (retracted: previous_balance); a zero balance keeps its row with
// balance 0, so that applying a record twice is harmless (readers filter
// balance > 0). The last change of a key in the batch wins, deletes
// included.
// Pure: no I/O. `batch` must outlive the result (Rejected points into it).
StagedBatch StageBatch(const std::vector<engine::log::Record>& batch,
                       const pg::OffsetMap& applied);

// The view as the shared keyed runner (pg::KeyedProjection) applies it:
// name kProjectionName, tables nft_owners (0) and nft_balances (1), each
// record decoded by the same rules as StageBatch (a retraction to nothing is
// a removal of its key, TableRow::remove; other payloads make no rows). A
// function-local static.
const pg::KeyedView& View();

}  // namespace chainflow::projections::nft
