#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "chainflow/v1/events.pb.h"
#include "engine/core/address.h"
#include "engine/core/config.h"
#include "engine/core/result.h"
#include "engine/core/u256.h"
#include "engine/log/record.h"

namespace chainflow::ingest::webhook {

// A provider event we act on. The accepted body (ingest/README.md):
//   {"id": "evt_...", "type": "payment.succeeded" | "withdrawal.succeeded",
//    "created": <unix seconds>,
//    "data": {"account": "0x..", "chain": "anvil", "token": "0x..",
//             "amount": "<decimal uint256 > 0>"}}
// Unknown fields are ignored (providers add fields over time); other
// "type"s are acknowledged and dropped.
enum class PaymentKind { kMint, kBurn, kIgnored };

struct PaymentEvent {
  PaymentKind kind = PaymentKind::kIgnored;
  std::string type;  // the provider's "type"
  std::string id;    // the provider's event id: [A-Za-z0-9_.:-], 1..128
  int64_t created = 0;
  engine::core::Address account;
  std::string chain;
  engine::core::Address token;
  engine::core::U256 amount;
};

// Parses and validates `body`. InvalidArgument naming the field ("data.amount:
// ...") for a malformed body, an unknown chain, a token that is not a
// configured erc20 contract of the chain (when the chain lists any), a zero,
// signed or overflowing amount. An ignored type needs only a valid "id".
engine::core::Result<PaymentEvent> ParsePaymentEvent(std::string_view body,
                                                     const engine::core::Config& config);

// The Envelope id, also the dedup key: "webhook/<provider>/<event id>".
std::string PaymentRecordId(std::string_view provider, std::string_view event_id);

// The record for a Mint or Burn event (CHECKs it is not kIgnored): an
// Envelope with MintRequested/BurnRequested, key "<chain>:<token>:<account>",
// CloudEvents headers (ce_source "chainflow/ingest/webhook/<provider>",
// ce_time = received_at).
engine::log::OutRecord PaymentRecord(const std::string& topic, int32_t partitions,
                                     std::string_view provider, const PaymentEvent& event,
                                     int64_t received_at);

}  // namespace chainflow::ingest::webhook
