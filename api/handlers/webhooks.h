#pragma once

#include <map>
#include <string>

#include "api/handlers/intents.h"
#include "api/handlers/user_event_writer.h"
#include "api/http/message.h"
#include "engine/core/config.h"

namespace chainflow::api::handlers {

// POST /v1/webhooks/{provider} (ingest/README.md, "Webhooks"): verifies the
// Webhook-Signature with the provider's secret (401 when missing, stale or
// wrong; 404 for an unconfigured provider), parses the event (400 naming the
// field) and appends MintRequested/BurnRequested through the writer, keyed
// by the provider's event id. Answers 200 with {"status": ...}: "accepted"
// (appended), "duplicate" (this event id was appended before: nothing
// appended, acknowledged so the provider stops retrying), "ignored" (a type
// we do not act on); 409 when the event id comes back with another body.
// `now` is the wall clock for the signature's tolerance; received_at is
// `output.stamp()` (the user event clock), or `now` when that is empty.
// Thread-safe; `config` and `writer` must outlive it.
class WebhookHandlers {
 public:
  WebhookHandlers(const engine::core::Config& config, UserEventWriter& writer,
                  UserEventsOutput output, NowFn now);

  http::Response Receive(const http::Request& request) const;

 private:
  const engine::core::Config& config_;
  UserEventWriter& writer_;
  const UserEventsOutput output_;
  const NowFn now_;
  std::map<std::string, const engine::core::WebhookConfig*> providers_;
};

}  // namespace chainflow::api::handlers
