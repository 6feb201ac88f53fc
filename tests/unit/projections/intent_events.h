#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "chainflow/v1/events.pb.h"
#include "engine/core/address.h"
#include "engine/core/u256.h"

namespace chainflow::projections::testing {

// Builders of <prefix>.intents records (IntentStatusChanged) for tests.

// A 32-hex-digit intent id ending in `n`'s hex digits.
inline std::string IntentIdFor(uint32_t n) {
  std::string hex = "0123456789abcdef";
  std::string id(32, 'a');
  for (int i = 31; i >= 24; --i, n >>= 4) id[i] = hex[n & 0xf];
  return id;
}

// A 20-byte address 0xab00..00<n>.
inline core::Address IntentAddr(uint8_t n) {
  std::array<uint8_t, 20> b{};
  b[0] = 0xAB;
  b[19] = n;
  return core::Address(b);
}

// The intent `id`: a clap of 1000 from IntentAddr(1) to IntentAddr(2) in
// token IntentAddr(9) on "anvil", submitted at 1700000000, epoch 472222,
// in `status`. Approvals and rejections carry `available`.
inline v1::IntentStatusChanged Intent(const std::string& id, v1::IntentStatus status,
                                      v1::IntentStatus previous = v1::INTENT_STATUS_UNSPECIFIED) {
  v1::IntentStatusChanged m;
  m.set_intent_id(id);
  m.set_kind(v1::INTENT_KIND_CLAP);
  m.set_chain("anvil");
  m.set_token(IntentAddr(9).ToBytes());
  m.set_payer(IntentAddr(1).ToBytes());
  m.set_payee(IntentAddr(2).ToBytes());
  m.set_amount(core::U256ToBigEndianString(1000));
  m.set_memo("thanks");
  m.set_status(status);
  m.set_previous_status(previous);
  m.set_submitted_at(1700000000);
  m.set_expires_at(1700086400);
  m.set_epoch(472222);
  if (status != v1::INTENT_STATUS_SUBMITTED) m.set_decided_at(1700003600);
  if (status == v1::INTENT_STATUS_APPROVED || status == v1::INTENT_STATUS_REJECTED) {
    m.set_available(core::U256ToBigEndianString(5000));
  }
  if (status == v1::INTENT_STATUS_REJECTED) m.set_reason("available 5000 < amount 1000000");
  return m;
}

inline std::string IntentRecord(const v1::IntentStatusChanged& m) {
  v1::Envelope env;
  env.set_id("cf.user.events/0/1/0");
  *env.mutable_intent_status_changed() = m;
  return env.SerializeAsString();
}

inline std::string IntentRecord(const std::string& id, v1::IntentStatus status) {
  return IntentRecord(Intent(id, status));
}

}  // namespace chainflow::projections::testing
