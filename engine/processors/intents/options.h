#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/address.h"

namespace chainflow::engine::processors::intents {

// What the processor needs of the configuration ([intents], [kafka]).
struct IntentsOptions {
  std::string topic_prefix = "cf";
  // Chains whose intents are approved; the event time waits for every
  // upstream partition of each (README.md "Event time").
  std::vector<std::string> chains;
  int32_t upstream_partitions = 1;  // partitions of each chain's events topic
  int32_t partitions = 1;           // of its own inputs: one settlement promise per task
  uint64_t approval_interval_s = 3600;
  uint64_t ttl_s = 86'400;
  uint64_t epoch_genesis = 0;
  uint64_t epoch_length_s = 604'800;
  // Daily accruals (README.md "Accruals"): every account's balance of these
  // tokens earns `accrual_rate_bps` basis points per `accrual_period_s` (a
  // multiple of approval_interval_s), counted from epoch_genesis.
  struct AccrualToken {
    std::string chain;
    core::Address token;
  };
  std::vector<AccrualToken> accrual_tokens;
  uint32_t accrual_rate_bps = 0;
  uint64_t accrual_period_s = 86'400;

  // True when intents, payments and accruals of `chain` are decided here.
  bool Approves(const std::string& chain) const;
  // True when `token` of `chain` earns accruals (and the rate is not 0).
  bool Accrues(const std::string& chain, const core::Address& token) const;
};

}  // namespace chainflow::engine::processors::intents
