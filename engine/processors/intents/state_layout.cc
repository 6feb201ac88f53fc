#include "engine/processors/intents/state_layout.h"

#include <fmt/format.h>

#include "engine/runtime/event_clock.h"

namespace chainflow::engine::processors::intents {
namespace {

constexpr size_t kTimedAmountSize = 8 + 1 + 32;
constexpr size_t kIdSize = 32;
constexpr size_t kQueuedSize = 8 + kIdSize;

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

}  // namespace

std::string IntentKey(std::string_view intent_id) { return "i/" + std::string(intent_id); }

std::string AccountKey(std::string_view chain, const core::Address& token,
                       const core::Address& account) {
  std::string key = fmt::format("b/{}/", chain);
  AppendAddress(key, token);
  AppendAddress(key, account);
  return key;
}

std::string ClockPrefix() { return std::string("\0t/w/", 5); }
std::string WatermarkKey() { return std::string("\0t/wm", 5); }
std::string TimerKey() { return std::string("\0t/next", 7); }

std::string QueueKey(uint64_t deadline) {
  return std::string("\0t/q/", 5) + runtime::EncodeTime(deadline);
}

std::string SettlementKey(uint64_t epoch_end) {
  return std::string("\0t/e/", 5) + runtime::EncodeTime(epoch_end);
}

std::string MarkKey() { return std::string("\0t/mark", 7); }

std::string FutureKey(std::string_view chain, const core::Address& token,
                      const core::Address& account) {
  std::string key = std::string("\0t/f/", 5) + std::string(chain) + "/";
  AppendAddress(key, token);
  AppendAddress(key, account);
  return key;
}

std::string AccountSettledPrefix() { return std::string("\0t/a/", 5); }

std::string AccountSettledKey(uint64_t epoch_end, std::string_view chain,
                              const core::Address& token, const core::Address& account) {
  std::string key = AccountSettledPrefix() + runtime::EncodeTime(epoch_end);
  key += chain;
  key += '/';
  AppendAddress(key, token);
  AppendAddress(key, account);
  return key;
}

std::string PendingSettledKey() { return std::string("\0t/ap", 5); }

std::string AccrualKey(std::string_view chain, const core::Address& token,
                       const core::Address& account) {
  std::string key = fmt::format("r/{}/", chain);
  AppendAddress(key, token);
  AppendAddress(key, account);
  return key;
}

std::string PaymentKey(std::string_view provider, std::string_view event_id) {
  return fmt::format("p/{}/{}", provider, event_id);
}

std::string BurnQueueKey(uint64_t deadline) {
  return std::string("\0t/bq/", 6) + runtime::EncodeTime(deadline);
}

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

std::string EncodeBurnQueue(const std::vector<std::string>& envelopes) {
  std::string out;
  for (const std::string& e : envelopes) {
    out += runtime::EncodeTime(e.size());
    out += e;
  }
  return out;
}

core::Result<std::vector<std::string>> DecodeBurnQueue(std::string_view value) {
  std::vector<std::string> out;
  size_t at = 0;
  while (at < value.size()) {
    if (value.size() - at < 8) return core::DataLossError("burn queue: truncated length");
    ASSIGN_OR_RETURN(uint64_t size, runtime::DecodeTime(value.substr(at, 8)));
    at += 8;
    if (value.size() - at < size) return core::DataLossError("burn queue: truncated entry");
    out.emplace_back(value.substr(at, size));
    at += size;
  }
  return out;
}

std::string EncodeTimes(const std::vector<uint64_t>& times) {
  std::string out;
  for (uint64_t t : times) out += runtime::EncodeTime(t);
  return out;
}

core::Result<std::vector<uint64_t>> DecodeTimes(std::string_view value) {
  if (value.size() % 8 != 0) return core::DataLossError(fmt::format("times: {} bytes", value.size()));
  std::vector<uint64_t> out;
  for (size_t at = 0; at < value.size(); at += 8) {
    ASSIGN_OR_RETURN(uint64_t t, runtime::DecodeTime(value.substr(at, 8)));
    out.push_back(t);
  }
  return out;
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

std::string EncodeFutureDeltas(const std::vector<TimedAmount>& deltas) {
  std::string out;
  out.reserve(deltas.size() * kTimedAmountSize);
  for (const TimedAmount& d : deltas) {
    out += runtime::EncodeTime(d.time);
    AppendSigned(out, d.amount);
  }
  return out;
}

core::Result<std::vector<TimedAmount>> DecodeFutureDeltas(std::string_view value) {
  if (value.size() % kTimedAmountSize != 0) {
    return core::DataLossError(fmt::format("future deltas: {} bytes", value.size()));
  }
  std::vector<TimedAmount> out;
  for (size_t at = 0; at < value.size(); at += kTimedAmountSize) {
    TimedAmount d;
    ASSIGN_OR_RETURN(d.time, runtime::DecodeTime(value.substr(at, 8)));
    ASSIGN_OR_RETURN(d.amount, ReadSigned(value.substr(at + 8, 33)));
    out.push_back(d);
  }
  return out;
}

std::string EncodeQueue(const std::vector<QueuedIntent>& queue) {
  std::string out;
  out.reserve(queue.size() * kQueuedSize);
  for (const QueuedIntent& q : queue) {
    out += runtime::EncodeTime(q.submitted_at);
    out += q.intent_id;
  }
  return out;
}

core::Result<std::vector<QueuedIntent>> DecodeQueue(std::string_view value) {
  if (value.size() % kQueuedSize != 0) {
    return core::DataLossError(fmt::format("approval queue: {} bytes", value.size()));
  }
  std::vector<QueuedIntent> out;
  for (size_t at = 0; at < value.size(); at += kQueuedSize) {
    QueuedIntent q;
    ASSIGN_OR_RETURN(q.submitted_at, runtime::DecodeTime(value.substr(at, 8)));
    q.intent_id = std::string(value.substr(at + 8, kIdSize));
    out.push_back(std::move(q));
  }
  return out;
}

}  // namespace chainflow::engine::processors::intents
