#pragma once

// Checks shared by the tests that replay CyberKongz followed by a generated
// ERC-20 history and then interrupt it (processes SIGKILLed, the broker
// restarted): what the views and the output topics must hold afterwards.
// Compiled into each test binary that uses it (GEN_HISTORY_BINARY is the
// binary's own definition).
#include <cstddef>
#include <string>

#include "tests/integration/pipeline_fixture.h"

namespace chainflow::testing {

// CyberKongz's 15,188 transfers, then `transfers` generated ERC-20 ones
// (gen_history --standard erc20: every account of every token minted to
// first, `burns` of the rest to the zero address; blocks from 18,000,000),
// into `path`. Returns what went wrong, empty when nothing.
std::string WriteKongzThenErc20History(const std::string& path, int transfers, int tokens,
                                      int accounts, const std::string& burns);

// Every ERC-20 balance and total supply in the views equals `expected`, and
// supply is the sum of balances per token (gtest expectations; a compact
// diff on failure).
void ExpectBalancesAndSupply(const PipelineEnv& env, const Erc20Expectation& expected);

// `<prefix>.token.balances` and `<prefix>.nft.ownership`, read read_committed
// with kcat, hold each output event (`ce_id`) once, with CloudEvents headers,
// and as many records as events: two per ERC-20 transfer, `nft_records` on
// the ownership topic.
void ExpectEachOutputEventOnce(const PipelineEnv& env, const Erc20Expectation& expected,
                               size_t nft_records);

}  // namespace chainflow::testing
