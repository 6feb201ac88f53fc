#pragma once

#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "chainflow/v1/events.pb.h"
#include "engine/core/address.h"
#include "engine/core/u256.h"

namespace chainflow::projections::testing {

// Builders of <prefix>.settlements and <prefix>.accruals records for tests.

// A 20-byte address ending in `n` (upper-case hex digits in the input: the
// views must lowercase).
inline core::Address SettleAddr(uint8_t n) {
  std::array<uint8_t, 20> b{};
  b[0] = 0xCD;
  b[19] = n;
  return core::Address(b);
}

inline std::string Word(uint64_t v) { return core::U256ToBigEndianString(core::U256(v)); }

struct Total {
  std::string chain;
  uint8_t token;
  uint64_t amount;
  uint64_t intents;
};

inline v1::EpochSettled EpochSettledMessage(uint64_t epoch, const std::vector<Total>& totals,
                                            uint8_t digest_byte = 0xAB) {
  v1::EpochSettled m;
  m.set_epoch(epoch);
  m.set_start(epoch * 604800);
  m.set_end((epoch + 1) * 604800);
  m.set_settled(3);
  m.set_rejected(1);
  m.set_digest(std::string(32, static_cast<char>(digest_byte)));
  for (const Total& t : totals) {
    v1::TokenTotal* total = m.add_totals();
    total->set_chain(t.chain);
    total->set_token(SettleAddr(t.token).ToBytes());
    total->set_amount(Word(t.amount));
    total->set_intents(t.intents);
  }
  return m;
}

inline v1::AccountSettled AccountSettledMessage(uint64_t epoch, uint8_t account, uint64_t debited,
                                                uint64_t credited, uint8_t token = 9) {
  v1::AccountSettled m;
  m.set_epoch(epoch);
  m.set_end((epoch + 1) * 604800);
  m.set_chain("anvil");
  m.set_token(SettleAddr(token).ToBytes());
  m.set_account(SettleAddr(account).ToBytes());
  // Like the intents processor: a direction the account did not have stays
  // empty (0).
  if (debited > 0) m.set_debited(Word(debited));
  if (credited > 0) m.set_credited(Word(credited));
  m.set_paid(debited > 0 ? 1 : 0);
  m.set_received(credited > 0 ? 1 : 0);
  return m;
}

inline v1::AccrualRecorded AccrualMessage(uint64_t day, uint8_t account, uint64_t balance,
                                          uint8_t token = 9) {
  v1::AccrualRecorded m;
  m.set_day(day);
  m.set_end((day + 1) * 86400);
  m.set_chain("anvil");
  m.set_token(SettleAddr(token).ToBytes());
  m.set_account(SettleAddr(account).ToBytes());
  m.set_balance(Word(balance));
  m.set_rate_bps(25);
  m.set_accrued(Word(balance * 25 / 10000));
  m.set_carry(static_cast<uint32_t>(balance * 25 % 10000));
  m.set_total_accrued(Word(balance * 25 / 10000 * (day + 1)));
  return m;
}

// `m` as the payload of an Envelope, serialized.
template <typename M>
std::string Serialize(const M& m) {
  v1::Envelope env;
  env.set_id("test");
  if constexpr (std::is_same_v<M, v1::EpochSettled>) {
    *env.mutable_epoch_settled() = m;
  } else if constexpr (std::is_same_v<M, v1::AccountSettled>) {
    *env.mutable_account_settled() = m;
  } else {
    static_assert(std::is_same_v<M, v1::AccrualRecorded>);
    *env.mutable_accrual_recorded() = m;
  }
  return env.SerializeAsString();
}

}  // namespace chainflow::projections::testing
