#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace chainflow::ingest::webhook {

// The signature header of a webhook delivery, Stripe-style:
//   Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256>[,v1=<hex>...]
// The MAC is over "<t>.<raw body>" with the provider's secret. Several v1
// entries let a provider sign with an old and a new secret while rotating;
// other schemes (v0=...) are ignored.
inline constexpr std::string_view kSignatureHeader = "webhook-signature";

// The header value a provider sends for `body` at time `t`.
std::string SignWebhook(std::string_view secret, int64_t t, std::string_view body);

// Checks `header` (the Webhook-Signature value) for `body` at time `now`:
// it must parse, its t= be within `tolerance_s` of now (either direction),
// and some v1= equal the expected MAC (constant-time comparison).
// Unauthenticated with a reason otherwise. Pure; thread-safe.
engine::core::Status VerifyWebhookSignature(std::string_view secret, std::string_view header,
                                            std::string_view body, int64_t now,
                                            uint64_t tolerance_s);

}  // namespace chainflow::ingest::webhook
