#include "engine/processors/intents/state_layout.h"

#include <optional>

#include <fmt/format.h>

#include "engine/runtime/event_clock.h"

namespace chainflow::engine::processors::intents {
namespace {

constexpr size_t kIdSize = 32;
constexpr size_t kQueuedSize = 8 + kIdSize;
constexpr size_t kFutureSummarySize = kSignedSize + 4 * 8;

void AppendAddress(std::string& out, const core::Address& a) {
  out.append(reinterpret_cast<const char*>(a.bytes().data()), a.bytes().size());
}

void AppendSigned(std::string& out, const NetAmount& n) {
  out.push_back(n.negative ? '\x01' : '\x00');
  out += core::U256ToBigEndianString(n.magnitude);
}

core::Result<NetAmount> ReadSigned(std::string_view bytes) {
  NetAmount n;
  if (bytes[0] != 0 && bytes[0] != 1) {
    return core::DataLossError(fmt::format("bad sign byte {}", static_cast<int>(bytes[0])));
  }
  n.negative = bytes[0] == 1;
  ASSIGN_OR_RETURN(n.magnitude, core::U256FromBigEndian(bytes.substr(1, 32)));
  if (n.negative && n.magnitude == 0) return core::DataLossError("negative zero amount");
  return n;
}

std::string AccountSuffixKey(std::string_view prefix, std::string_view chain,
                             const core::Address& token, const core::Address& account) {
  std::string key(prefix);
  key += chain;
  key += '/';
  AppendAddress(key, token);
  AppendAddress(key, account);
  return key;
}

}  // namespace

std::string IntentKey(std::string_view intent_id) { return "i/" + std::string(intent_id); }

std::string AccountKey(std::string_view chain, const core::Address& token,
                       const core::Address& account) {
  return AccountSuffixKey("b/", chain, token, account);
}

std::string ClockPrefix() { return std::string("\0t/w/", 5); }
std::string WatermarkKey() { return std::string("\0t/wm", 5); }
core::Result<uint64_t> ReadWatermark(state::StateView& state) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(WatermarkKey()));
  if (!stored) return uint64_t{0};
  return runtime::DecodeTime(*stored);
}

std::string TimerKey() { return std::string("\0t/next", 7); }

std::string QueuePrefix(uint64_t deadline) {
  return std::string("\0t/q/", 5) + runtime::EncodeTime(deadline);
}

std::string SettlementPrefix(uint64_t epoch_end) {
  return std::string("\0t/e/", 5) + runtime::EncodeTime(epoch_end);
}

std::string MarkKey() { return std::string("\0t/mark", 7); }

std::string FuturePrefix(std::string_view chain, const core::Address& token,
                         const core::Address& account) {
  return AccountSuffixKey(std::string_view("\0t/f/", 5), chain, token, account);
}

std::string FutureKey(std::string_view prefix, uint64_t time, uint64_t sequence) {
  std::string key(prefix);
  key += runtime::EncodeTime(time);
  key += runtime::EncodeTime(sequence);
  return key;
}

std::string FutureSummaryKey(std::string_view chain, const core::Address& token,
                             const core::Address& account) {
  return AccountSuffixKey(std::string_view("\0t/fs/", 6), chain, token, account);
}

std::string AccountSettledPrefix() { return std::string("\0t/a/", 5); }

std::string AccountSettledKey(uint64_t epoch_end, std::string_view chain,
                              const core::Address& token, const core::Address& account) {
  return AccountSuffixKey(AccountSettledPrefix() + runtime::EncodeTime(epoch_end), chain, token,
                          account);
}

std::string PendingSettledKey() { return std::string("\0t/ap", 5); }

std::string AccrualKey(std::string_view chain, const core::Address& token,
                       const core::Address& account) {
  return AccountSuffixKey("r/", chain, token, account);
}

std::string PaymentKey(std::string_view provider, std::string_view event_id) {
  return fmt::format("p/{}/{}", provider, event_id);
}

std::string BurnQueuePrefix(uint64_t deadline) {
  return std::string("\0t/bq/", 6) + runtime::EncodeTime(deadline);
}

std::string BurnQueueKey(uint64_t deadline, uint64_t sequence) {
  return BurnQueuePrefix(deadline) + runtime::EncodeTime(sequence);
}

std::string BurnSequenceKey() { return std::string("\0t/bn", 5); }

std::string EncodeAccrualState(const AccrualState& state) {
  std::string out(1, static_cast<char>(kAccrualStateVersion));
  for (int shift = 24; shift >= 0; shift -= 8) {
    out.push_back(static_cast<char>((state.carry >> shift) & 0xff));
  }
  out += core::U256ToBigEndianString(state.total);
  return out;
}

core::Result<AccrualState> DecodeAccrualState(std::string_view value) {
  if (value.size() != 37 || value[0] != kAccrualStateVersion) {
    return core::DataLossError(
        fmt::format("intents accrual state: {} bytes, not a version-1 record", value.size()));
  }
  AccrualState state;
  for (size_t i = 1; i < 5; ++i) {
    state.carry = (state.carry << 8) | static_cast<uint8_t>(value[i]);
  }
  if (state.carry >= 10'000) {
    return core::DataLossError(fmt::format("intents accrual carry {} >= 10000", state.carry));
  }
  ASSIGN_OR_RETURN(state.total, core::U256FromBigEndian(value.substr(5, 32)));
  return state;
}

std::string EncodeAccountRecord(const AccountRecord& record) {
  std::string out(1, static_cast<char>(kAccountRecordVersion));
  AppendSigned(out, record.total);
  out += core::U256ToBigEndianString(record.reserved);
  return out;
}

core::Result<AccountRecord> DecodeAccountRecord(std::string_view value) {
  if (value.size() != kAccountRecordSize || value[0] != kAccountRecordVersion) {
    return core::DataLossError(
        fmt::format("intents account record: {} bytes, not a version-1 record", value.size()));
  }
  AccountRecord record;
  ASSIGN_OR_RETURN(record.total, ReadSigned(value.substr(1, 33)));
  ASSIGN_OR_RETURN(record.reserved, core::U256FromBigEndian(value.substr(34, 32)));
  return record;
}

std::string EncodeSigned(const NetAmount& amount) {
  std::string out;
  out.reserve(kSignedSize);
  AppendSigned(out, amount);
  return out;
}

core::Result<NetAmount> DecodeSigned(std::string_view value) {
  if (value.size() != kSignedSize) {
    return core::DataLossError(fmt::format("signed amount: {} bytes", value.size()));
  }
  return ReadSigned(value);
}

std::string EncodeFutureSummary(const FutureSummary& summary) {
  std::string out;
  out.reserve(kFutureSummarySize);
  AppendSigned(out, summary.sum);
  for (uint64_t n : {summary.count, summary.earliest, summary.earliest_sequence,
                     summary.next_sequence}) {
    out += runtime::EncodeTime(n);
  }
  return out;
}

core::Result<FutureSummary> DecodeFutureSummary(std::string_view value) {
  if (value.size() != kFutureSummarySize) {
    return core::DataLossError(fmt::format("future deltas summary: {} bytes", value.size()));
  }
  FutureSummary summary;
  ASSIGN_OR_RETURN(summary.sum, ReadSigned(value.substr(0, kSignedSize)));
  size_t at = kSignedSize;
  for (uint64_t* n : {&summary.count, &summary.earliest, &summary.earliest_sequence,
                      &summary.next_sequence}) {
    ASSIGN_OR_RETURN(*n, runtime::DecodeTime(value.substr(at, 8)));
    at += 8;
  }
  if (summary.count == 0) return core::DataLossError("future deltas summary of no entry");
  return summary;
}

std::string QueueEntryKey(std::string_view prefix, const QueuedIntent& entry) {
  std::string key(prefix);
  key += runtime::EncodeTime(entry.submitted_at);
  key += entry.intent_id;
  return key;
}

core::Result<QueuedIntent> DecodeQueueEntry(std::string_view suffix) {
  if (suffix.size() != kQueuedSize) {
    return core::DataLossError(fmt::format("queue entry key: {} bytes after the prefix",
                                           suffix.size()));
  }
  QueuedIntent q;
  ASSIGN_OR_RETURN(q.submitted_at, runtime::DecodeTime(suffix.substr(0, 8)));
  q.intent_id = std::string(suffix.substr(8, kIdSize));
  return q;
}

}  // namespace chainflow::engine::processors::intents
