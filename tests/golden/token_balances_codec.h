#pragma once

#include <map>
#include <string>
#include <vector>

#include "chainflow/v1/events.pb.h"
#include "engine/core/result.h"
#include "engine/runtime/processor.h"

namespace chainflow::tests::golden {

// The token_balances golden dialect (tests/golden/README.md): the two token
// processors run as a pipeline, splitter then balances.

struct TokenGoldenInput {
  // true: goes to the balances processor directly (a `balance_delta` or
  // `supply_delta` line, to test its input checks); false: to the splitter.
  bool deltas_stage = false;
  v1::Envelope envelope;
};

// One input line: the nft_ownership dialect's chain-event kinds (erc20,
// erc721, block_end, block_reverted, no_payload, wrong_payload, ...) plus
// `balance_delta` and `supply_delta`.
core::Result<std::vector<TokenGoldenInput>> ParseTokenInput(const std::string& line);

// One event emitted by either processor. Conventional fields (the stage's
// topic, the payload's ce_type, event time = block time, no id) are left
// out; anything else is appended.
std::string RenderTokenOutput(const engine::runtime::OutputEvent& event,
                              const std::string& topic_prefix);

// The balances processor's state, decoded per
// engine/processors/token_balances/README.md independently of its code.
std::vector<std::string> RenderTokenState(const std::map<std::string, std::string>& state);
// The splitter's state (pending blocks, retained transfers), the same way.
std::vector<std::string> RenderSplitterState(const std::map<std::string, std::string>& state);

}  // namespace chainflow::tests::golden
