#include "api/handlers/webhooks.h"

#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "engine/core/crypto.h"
#include "engine/core/logging.h"
#include "ingest/webhook/payment_event.h"
#include "ingest/webhook/signature.h"

namespace chainflow::api::handlers {
namespace {

namespace webhook = ingest::webhook;

http::Response Status200(std::string_view status, std::string_view id) {
  boost::json::object body;
  body["status"] = status;
  body["id"] = id;
  return http::JsonResponse(200, body);
}

}  // namespace

WebhookHandlers::WebhookHandlers(const core::Config& config, UserEventWriter& writer,
                                 UserEventsOutput output, NowFn now)
    : config_(config), writer_(writer), output_(std::move(output)), now_(std::move(now)) {
  for (const auto& hook : config.auth.webhooks) providers_[hook.provider] = &hook;
}

http::Response WebhookHandlers::Receive(const http::Request& request) const {
  const int64_t now = now_();
  const std::string& provider = request.PathParam("provider");
  auto it = providers_.find(provider);
  if (it == providers_.end()) {
    return http::ErrorResponse(
        core::NotFoundError(fmt::format("provider: no webhook provider \"{}\"", provider)));
  }
  auto signature = request.Header(webhook::kSignatureHeader);
  if (!signature) {
    return http::ErrorResponse(core::UnauthenticatedError("Webhook-Signature: header is required"));
  }
  core::Status verified = webhook::VerifyWebhookSignature(it->second->secret, *signature,
                                                          request.body, now,
                                                          it->second->tolerance_s);
  if (!verified.ok()) return http::ErrorResponse(verified);
  auto event = webhook::ParsePaymentEvent(request.body, config_);
  if (!event) return http::ErrorResponse(event.error());
  std::string record_id = webhook::PaymentRecordId(provider, event.value().id);
  if (event.value().kind == webhook::PaymentKind::kIgnored) return Status200("ignored", record_id);

  // The signature's tolerance is wall-clock time; received_at is event time.
  const int64_t stamp = output_.stamp ? output_.stamp() : now;
  auto outcome = writer_.Write(
      record_id, core::LowerHex(core::Sha256(request.body)), record_id, stamp,
      [&](int64_t received_at) {
        return webhook::PaymentRecord(output_.topic, output_.partitions, provider, event.value(),
                                      received_at);
      });
  if (!outcome) {
    if (outcome.error().code() == core::StatusCode::kAborted) {
      return http::ErrorResponse(409, "event_in_progress", outcome.error().message());
    }
    core::Logger("api.webhooks")->warn("{} not appended: {}", record_id,
                                       outcome.error().ToString());
    return http::ErrorResponse(outcome.error());
  }
  switch (outcome.value().result) {
    case WriteResult::kConflict:
      return http::ErrorResponse(409, "event_id_reused",
                                 "id: this event id was received before with another body");
    case WriteResult::kDuplicate:
      return Status200("duplicate", record_id);
    case WriteResult::kAppended:
      break;
  }
  return Status200("accepted", record_id);
}

}  // namespace chainflow::api::handlers
