#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "chainflow/v1/events.pb.h"
#include "engine/core/address.h"
#include "engine/core/config.h"
#include "engine/core/result.h"
#include "engine/core/u256.h"
#include "engine/log/record.h"

namespace chainflow::api::handlers {

// The body of POST /v1/intents (api/README.md):
//   {"kind": "clap" | "gift", "payer": "0x..", "payee": "0x..",
//    "chain": "anvil", "token": "0x..", "amount": "<decimal uint256 > 0>",
//    "memo": "...",                                   optional
//    "delegation": {"delegate": "0x..", "signature": "0x..", "expires_at": 0}}
// Unknown fields are rejected: on a write path a misspelt optional field
// must not be silently dropped.
struct IntentDelegation {
  engine::core::Address delegate;
  std::string signature;    // raw bytes, at most 1024
  uint64_t expires_at = 0;  // unix seconds; 0: none
};

struct IntentRequest {
  chainflow::v1::IntentKind kind = chainflow::v1::INTENT_KIND_UNSPECIFIED;
  engine::core::Address payer;
  engine::core::Address payee;
  std::string chain;
  engine::core::Address token;
  engine::core::U256 amount;
  std::string memo;
  std::optional<IntentDelegation> delegation;
};

struct IntentLimits {
  size_t max_memo_bytes = 280;
};

// Parses and validates a request body against the configured chains and
// tokens. InvalidArgument whose message starts with the field's name
// ("amount: ...", "delegation.delegate: ...", "body: ..." for malformed
// JSON). A chain's known tokens are its [[contracts]] with standard erc20;
// a chain that lists none accepts any token address.
engine::core::Result<IntentRequest> ParseIntentRequest(std::string_view body,
                                                       const engine::core::Config& config,
                                                       const IntentLimits& limits);

// Hex SHA-256 over the request's fields in a fixed order (not the raw
// bytes): a retry that formats the same request differently is the same.
std::string IntentDigest(const IntentRequest& request);

// 32 lowercase hex digits derived from (api key id, idempotency key) only.
std::string IntentId(std::string_view api_key_id, std::string_view idempotency_key);

// Checks an Idempotency-Key header value: 1-128 visible ASCII characters.
engine::core::Status ValidateIdempotencyKey(std::string_view key);

// The IntentSubmitted record: Envelope id "intent/<intent_id>", key
// "<chain>:<token>:<payer>", CloudEvents headers (ce_source "chainflow/api",
// ce_type "chainflow.user.IntentSubmitted", ce_time = received_at).
engine::log::OutRecord IntentRecord(const std::string& topic, int32_t partitions,
                                    const IntentRequest& request, std::string_view intent_id,
                                    std::string_view api_key_id,
                                    std::string_view idempotency_key, int64_t received_at);

}  // namespace chainflow::api::handlers
