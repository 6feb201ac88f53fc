#pragma once

// Checks shared by the tests that replay CyberKongz followed by a generated
// ERC-20 history (ERC-1155 logs mixed in, for some) and then interrupt it
// (processes SIGKILLed, the broker restarted): what the views and the output
// topics must hold afterwards.
// Compiled into each test binary that uses it (GEN_HISTORY_BINARY is the
// binary's own definition).
#include <cstddef>
#include <string>

#include "tests/integration/pipeline_fixture.h"

namespace chainflow::testing {

// CyberKongz's ERC-721 contract (every log of its history file).
inline constexpr char kKongzContract[] = "0x57a204aa1042f6e66dd7730813f4024114d74f37";
// The ERC-1155 contract of gen_history's ERC-1155 logs.
inline constexpr char kGeneratedErc1155Contract[] = "0x000000000000000000000000000000e1155c0ffe";

// CyberKongz's 15,188 transfers, then `transfers` generated ERC-20 ones
// (gen_history --standard erc20: every account of every token minted to
// first, `burns` of the rest to the zero address; blocks from 18,000,000)
// with `erc1155_logs` ERC-1155 TransferSingle and TransferBatch logs of
// kGeneratedErc1155Contract spread among them in the same blocks
// (--erc1155-logs, the generator's defaults: 40 ids, 30 % batches of 2 to
// 6 ids, 5 % burns), into `path`. Returns what went wrong, empty when
// nothing.
std::string WriteKongzThenErc20History(const std::string& path, int transfers, int tokens,
                                      int accounts, const std::string& burns,
                                      int erc1155_logs = 0);

// [[contracts]] entries (TOML) for that history on chain "mainnet": CyberKongz as erc721,
// kGeneratedErc1155Contract as erc1155 and the `tokens` generated tokens as erc20. A
// chain with contracts listed indexes only those, so a history's every contract must be.
std::string KongzThenErc20Contracts(int tokens);

// Every ERC-20 balance and total supply in the views equals `expected`, and
// supply is the sum of balances per token (gtest expectations; a compact
// diff on failure).
void ExpectBalancesAndSupply(const PipelineEnv& env, const Erc20Expectation& expected);

// `<prefix>.token.balances` and `<prefix>.nft.ownership`, read read_committed
// with kcat, hold each output event (`ce_id`) once, with CloudEvents headers,
// and as many records as events: two per ERC-20 transfer, `owner_changes`
// OwnerChanged and `erc1155_changes` Erc1155BalanceChanged on the ownership
// topic.
void ExpectEachOutputEventOnce(const PipelineEnv& env, const Erc20Expectation& expected,
                               size_t owner_changes, size_t erc1155_changes = 0);

// `<prefix>.dlq` holds nothing (every record of the history was accepted).
void ExpectNothingDeadLettered(const PipelineEnv& env);

}  // namespace chainflow::testing
