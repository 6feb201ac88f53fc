#include "api/handlers/intents.h"

#include <chrono>

#include <boost/json/object.hpp>
#include <fmt/format.h>

#include "engine/core/logging.h"

namespace chainflow::api::handlers {

int64_t SystemNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

IntentHandlers::IntentHandlers(const core::Config& config, const auth::Authenticator& auth,
                               UserEventWriter& writer, UserEventsOutput output, NowFn now)
    : config_(config),
      auth_(auth),
      writer_(writer),
      output_(std::move(output)),
      now_(std::move(now)),
      limits_{static_cast<size_t>(config.intents.max_memo_bytes)} {}

http::Response IntentHandlers::Submit(const http::Request& request) const {
  const int64_t now = now_();
  auto principal = auth_.Authenticate(request, now, auth::kScopeIntentsWrite);
  if (!principal) return http::ErrorResponse(principal.error());
  auto idempotency_key = request.Header("idempotency-key");
  if (!idempotency_key) {
    return http::ErrorResponse(
        core::InvalidArgumentError("Idempotency-Key: header is required"));
  }
  if (auto st = ValidateIdempotencyKey(*idempotency_key); !st.ok()) {
    return http::ErrorResponse(st);
  }
  auto parsed = ParseIntentRequest(request.body, config_, limits_);
  if (!parsed) return http::ErrorResponse(parsed.error());
  const IntentRequest& intent = parsed.value();
  const std::string& key_id = principal.value().key_id;
  std::string intent_id = IntentId(key_id, *idempotency_key);

  // Credentials were checked against the wall clock; the record's event
  // time comes from the user event clock, which also follows chain time.
  const int64_t stamp = output_.stamp ? output_.stamp() : now;
  auto outcome = writer_.Write(
      "intent/" + intent_id, IntentDigest(intent), intent_id, stamp, [&](int64_t received_at) {
        return IntentRecord(output_.topic, output_.partitions, intent, intent_id, key_id,
                            *idempotency_key, received_at);
      });
  if (!outcome) {
    if (outcome.error().code() == core::StatusCode::kAborted) {
      return http::ErrorResponse(409, "idempotency_key_in_use", outcome.error().message());
    }
    core::Logger("api.intents")->warn("intent {} not appended: {}", intent_id,
                                      outcome.error().ToString());
    return http::ErrorResponse(outcome.error());
  }
  if (outcome.value().result == WriteResult::kConflict) {
    return http::ErrorResponse(
        422, "idempotency_key_reused",
        "Idempotency-Key: already used with a different request body");
  }
  boost::json::object body;
  body["intent_id"] = intent_id;
  body["status"] = "submitted";
  body["received_at"] = outcome.value().received_at;
  bool replayed = outcome.value().result == WriteResult::kDuplicate;
  http::Response response = http::JsonResponse(replayed ? 200 : 201, body);
  if (replayed) response.headers.emplace_back("Idempotent-Replayed", "true");
  return response;
}

}  // namespace chainflow::api::handlers
