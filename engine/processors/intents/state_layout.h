#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/address.h"
#include "engine/core/result.h"
#include "engine/core/u256.h"
#include "engine/processors/common/net_amount.h"
#include "engine/state/state_view.h"

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
// The watermark stored under WatermarkKey; 0 before the first record.
core::Result<uint64_t> ReadWatermark(state::StateView& state);
// "\0t/next" -> the approval timer's next deadline (IntervalTimer)
std::string TimerKey();
// "\0t/q/" + deadline (8 BE): the intents the deadline approves, one key
// each (QueueEntryKey), in (submitted_at, intent_id) order.
std::string QueuePrefix(uint64_t deadline);
// "\0t/e/" + epoch end (8 BE): the approved intents it settles, likewise.
std::string SettlementPrefix(uint64_t epoch_end);
// "\0t/mark" -> the settlement promise this task last sent (8 BE)
std::string MarkKey();
// "\0t/f/<chain>/" + token + account: the prefix of the account's future
// deltas, one key each: prefix + time (8 BE) + sequence (8 BE) -> signed
// amount (EncodeSigned), in time order.
std::string FuturePrefix(std::string_view chain, const core::Address& token,
                         const core::Address& account);
std::string FutureKey(std::string_view prefix, uint64_t time, uint64_t sequence);
// "\0t/fs/<chain>/" + token + account -> FutureSummary (absent: no entries)
std::string FutureSummaryKey(std::string_view chain, const core::Address& token,
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
// "\0t/bq/" + deadline (8 BE): the burn requests the deadline decides, one
// key each: prefix + sequence (8 BE, BurnSequenceKey's) -> serialized
// v1.BurnRequested, in arrival order.
std::string BurnQueuePrefix(uint64_t deadline);
std::string BurnQueueKey(uint64_t deadline, uint64_t sequence);
// "\0t/bn" -> the sequence of the next queued burn (8 BE)
std::string BurnSequenceKey();

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

// A signed amount as the account record and the future deltas keep it:
// sign (0x00 / 0x01) + magnitude (32 BE).
inline constexpr size_t kSignedSize = 33;
std::string EncodeSigned(const NetAmount& amount);
core::Result<NetAmount> DecodeSigned(std::string_view value);  // DataLoss if bad

// What an account's future deltas add up to, how many there are, the
// earliest entry's key (time, sequence) and the sequence of the next entry
// (unique within the account while it has entries). Kept beside the entries
// so that an append is a write, an approval at D reads no entry when
// `earliest` >= D, a lone entry is dropped without a scan, and the others
// are read once, from `earliest` on.
struct FutureSummary {
  NetAmount sum;
  uint64_t count = 0;
  uint64_t earliest = 0;
  uint64_t earliest_sequence = 0;
  uint64_t next_sequence = 0;
  bool operator==(const FutureSummary&) const = default;
};
std::string EncodeFutureSummary(const FutureSummary& summary);  // 65 bytes
core::Result<FutureSummary> DecodeFutureSummary(std::string_view value);

// An approval or settlement queue entry, in (submitted_at, id) order.
struct QueuedIntent {
  uint64_t submitted_at = 0;
  std::string intent_id;  // 32 lowercase hex digits
  auto operator<=>(const QueuedIntent&) const = default;
};
// prefix (QueuePrefix, SettlementPrefix) + submitted_at (8 BE) + intent_id
// -> "": the key order is the queue's order.
std::string QueueEntryKey(std::string_view prefix, const QueuedIntent& entry);
// From a key's part after its 13-byte prefix.
core::Result<QueuedIntent> DecodeQueueEntry(std::string_view suffix);

}  // namespace chainflow::engine::processors::intents
