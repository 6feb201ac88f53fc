#pragma once

#include <cstdint>
#include <functional>

#include "api/auth/authenticator.h"
#include "api/handlers/intent_request.h"
#include "api/handlers/user_event_writer.h"
#include "api/http/message.h"
#include "engine/core/config.h"

namespace chainflow::api::handlers {

// Unix seconds; handlers take it so tests control time.
using NowFn = std::function<int64_t()>;
int64_t SystemNow();

// POST /v1/intents (api/README.md). In order: authenticate (401/403), check
// the Idempotency-Key header (400), validate the body (400 naming the
// field), then append through the writer: 201 for a new intent, 200 with
// `Idempotent-Replayed: true` for a retry of an appended one, 422 when the
// key was used with another body, 409 while the same key is in flight, 503
// when Kafka does not acknowledge. The body is
// {"intent_id": "...", "status": "submitted", "received_at": <unix seconds>}.
// `now` is the wall clock for authentication; received_at is
// `output.stamp()` (the user event clock), or `now` when that is empty.
// Thread-safe; `config`, `auth`, `writer` must outlive it.
class IntentHandlers {
 public:
  IntentHandlers(const engine::core::Config& config, const auth::Authenticator& auth,
                 UserEventWriter& writer, UserEventsOutput output, NowFn now);

  http::Response Submit(const http::Request& request) const;

 private:
  const engine::core::Config& config_;
  const auth::Authenticator& auth_;
  UserEventWriter& writer_;
  const UserEventsOutput output_;
  const NowFn now_;
  const IntentLimits limits_;
};

}  // namespace chainflow::api::handlers
