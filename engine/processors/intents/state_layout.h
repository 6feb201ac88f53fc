#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/address.h"
#include "engine/core/result.h"
#include "engine/core/u256.h"
#include "engine/processors/common/net_amount.h"

namespace chainflow::engine::processors::intents {

// The intents processor's RocksDB state (README.md "State layout" is the
// spec). Entity keys (the intent, the account) are the same whatever the
// partitioning and are what the state digest covers; the task-local keys
// (under "\0t/": event time, the timer, the approval queues, the balances'
// pending future deltas) depend on how a task's sources interleave and are
// left out of the digest like every runtime key.

// "i/" + intent_id -> IntentStatusChanged (the intent as it now stands)
std::string IntentKey(std::string_view intent_id);
// "b/<chain>/" + token(20) + account(20) -> AccountRecord
std::string AccountKey(std::string_view chain, const core::Address& token,
                       const core::Address& account);

// "\0t/w/" + source -> the source's time (runtime::EventClock's prefix)
std::string ClockPrefix();
// "\0t/wm" -> the watermark after the last record (8 BE)
std::string WatermarkKey();
// "\0t/next" -> the approval timer's next deadline (IntervalTimer)
std::string TimerKey();
// "\0t/q/" + deadline (8 BE) -> Queue: the intents the deadline approves
std::string QueueKey(uint64_t deadline);
// "\0t/e/" + epoch end (8 BE) -> Queue: the approved intents it settles
std::string SettlementKey(uint64_t epoch_end);
// "\0t/mark" -> the settlement promise this task last sent (8 BE)
std::string MarkKey();
// "\0t/f/<chain>/" + token + account -> FutureDeltas of the account
std::string FutureKey(std::string_view chain, const core::Address& token,
                      const core::Address& account);

// "\0t/a/" + epoch end (8 BE) + "<chain>/" + token + account ->
// v1.AccountSettled: the settlement deltas of that epoch that reached the
// account so far, sent once the epoch is closed everywhere.
std::string AccountSettledPrefix();
std::string AccountSettledKey(uint64_t epoch_end, std::string_view chain,
                              const core::Address& token, const core::Address& account);
// "\0t/ap" -> the epoch ends that have AccountSettled pending (8 BE each, sorted)
std::string PendingSettledKey();
// "r/<chain>/" + token + account -> AccrualState (accrual tokens only)
std::string AccrualKey(std::string_view chain, const core::Address& token,
                       const core::Address& account);
// "p/<provider>/<provider event id>" -> "" : a payment request applied (dedup)
std::string PaymentKey(std::string_view provider, std::string_view event_id);
// "\0t/bq/" + deadline (8 BE) -> the burn requests the deadline decides
// (serialized v1.Envelope each, length-prefixed)
std::string BurnQueueKey(uint64_t deadline);

// Every delta of the account seen so far (a signed net, order-independent)
// and the amount approved intents hold.
struct AccountRecord {
  NetAmount total;
  core::U256 reserved = 0;
  bool operator==(const AccountRecord&) const = default;
};
inline constexpr uint8_t kAccountRecordVersion = 1;
inline constexpr size_t kAccountRecordSize = 66;  // version, sign, total (32), reserved (32)
std::string EncodeAccountRecord(const AccountRecord& record);
core::Result<AccountRecord> DecodeAccountRecord(std::string_view value);  // DataLoss if bad

// What an account has accrued: the remainder carried to its next day (in
// ten-thousandths of a unit, < 10000) and the sum of its accruals.
struct AccrualState {
  uint32_t carry = 0;
  core::U256 total = 0;
  bool operator==(const AccrualState&) const = default;
};
inline constexpr uint8_t kAccrualStateVersion = 1;
std::string EncodeAccrualState(const AccrualState& state);  // 37 bytes
core::Result<AccrualState> DecodeAccrualState(std::string_view value);

// Burn requests waiting for a deadline, in arrival order.
std::string EncodeBurnQueue(const std::vector<std::string>& envelopes);
core::Result<std::vector<std::string>> DecodeBurnQueue(std::string_view value);
// Epoch ends, sorted.
std::string EncodeTimes(const std::vector<uint64_t>& times);
core::Result<std::vector<uint64_t>> DecodeTimes(std::string_view value);

// Deltas of an account stamped at or after the watermark when they came:
// an approval at deadline D sees total minus those stamped >= D.
struct TimedAmount {
  uint64_t time = 0;
  NetAmount amount;
  bool operator==(const TimedAmount&) const = default;
};
std::string EncodeFutureDeltas(const std::vector<TimedAmount>& deltas);  // 41 bytes each
core::Result<std::vector<TimedAmount>> DecodeFutureDeltas(std::string_view value);

// An approval queue entry; queues are kept sorted by (submitted_at, id).
struct QueuedIntent {
  uint64_t submitted_at = 0;
  std::string intent_id;  // 32 lowercase hex digits
  auto operator<=>(const QueuedIntent&) const = default;
};
std::string EncodeQueue(const std::vector<QueuedIntent>& queue);  // 40 bytes each
core::Result<std::vector<QueuedIntent>> DecodeQueue(std::string_view value);

}  // namespace chainflow::engine::processors::intents
