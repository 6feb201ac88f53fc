#include "engine/processors/intents/options.h"

#include <algorithm>

namespace chainflow::engine::processors::intents {

bool IntentsOptions::Approves(const std::string& chain) const {
  return std::find(chains.begin(), chains.end(), chain) != chains.end();
}

bool IntentsOptions::Accrues(const std::string& chain, const core::Address& token) const {
  return accrual_rate_bps != 0 &&
         std::any_of(accrual_tokens.begin(), accrual_tokens.end(),
                     [&](const AccrualToken& t) { return t.chain == chain && t.token == token; });
}

}  // namespace chainflow::engine::processors::intents
