#pragma once

#include "engine/core/result.h"
#include "engine/core/u256.h"

namespace chainflow::engine::processors {

// A signed amount with a uint256 magnitude: the exact net of every delta a
// key has seen. Deltas of one account arrive from several upstream
// partitions in an order that depends on partitioning, so a debit can come
// before the credit that funded it. Keeping the signed net makes the final
// value a plain sum (order-independent, hence deterministic for any
// partition count); views show Clamped() (token_balances/README.md
// "Underflow"). The intents processor keeps its as-of balances the same way.
struct NetAmount {
  bool negative = false;  // never true with magnitude 0 (one form per value)
  core::U256 magnitude = 0;

  // The value seen by views: the net, or 0 while it is negative.
  core::U256 Clamped() const { return negative ? core::U256(0) : magnitude; }

  bool operator==(const NetAmount&) const = default;
};

// net + amount / net - amount. OutOfRange when the magnitude would exceed
// 2^256-1 (a token whose events add up to more than uint256 holds: the
// record is poison).
core::Result<NetAmount> Credit(const NetAmount& net, const core::U256& amount);
core::Result<NetAmount> Debit(const NetAmount& net, const core::U256& amount);
// a + b / a - b of two signed amounts, OutOfRange as above.
core::Result<NetAmount> Add(const NetAmount& a, const NetAmount& b);
core::Result<NetAmount> Subtract(const NetAmount& a, const NetAmount& b);

}  // namespace chainflow::engine::processors
