#pragma once

// The ERC-1155 side of a history file (gen_history's ERC-1155 logs, or any
// TransferSingle / TransferBatch logs): what the nft_ownership processor and
// the nft_balances view must make of it, computed without the product's
// code, and the view's check against it.
#include <cstddef>
#include <map>
#include <string>
#include <tuple>

#include "tests/integration/pipeline_fixture.h"

namespace chainflow::testing {

// (contract, token id decimal, holder): addresses lowercase 0x hex.
using Erc1155Key = std::tuple<std::string, std::string, std::string>;

// Every TransferSingle and TransferBatch (4 topics) of a history file, parsed
// with Boost.JSON, the ABI words of their data read by hand and summed with
// cpp_int: per holder and id, credits minus debits.
struct Erc1155Expectation {
  std::map<Erc1155Key, std::string> balances;  // decimal, never 0 (no row or a 0 row)
  size_t singles = 0;        // TransferSingle logs
  size_t batches = 0;        // TransferBatch logs
  size_t largest_batch = 0;  // the most ids in one TransferBatch
  size_t transfers = 0;      // one per TransferSingle, one per id of a TransferBatch
  // Erc1155BalanceChanged records on the ownership topic: one per side of a
  // transfer that is not the zero address (nft_ownership's README).
  size_t records = 0;
  size_t token_ids = 0;  // distinct (contract, id)
  // Why the file cannot be the expectation (a malformed log, a debit larger
  // than the balance, which the processor clamps), empty when it can.
  std::string error;
};
Erc1155Expectation ExpectedErc1155FromFile(const std::string& path);

// chainflow.nft_balances of `chain`, balances decimal.
std::map<Erc1155Key, std::string> ViewNftBalances(const PipelineEnv& env,
                                                  const std::string& chain);

// nft_balances of chain "mainnet" holds every expected balance, and every
// other row holds 0 (the view keeps the row of a holder who sent all it had);
// gtest expectations with a compact diff.
void ExpectNftBalances(const PipelineEnv& env, const Erc1155Expectation& expected);

}  // namespace chainflow::testing
