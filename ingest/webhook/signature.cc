#include "ingest/webhook/signature.h"

#include <charconv>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "engine/core/crypto.h"

namespace chainflow::ingest::webhook {
namespace {

namespace core = engine::core;

struct ParsedHeader {
  std::optional<int64_t> t;
  std::vector<std::string_view> v1;
};

core::Status ParseHeader(std::string_view header, ParsedHeader* out) {
  while (!header.empty()) {
    size_t comma = header.find(',');
    std::string_view item = header.substr(0, comma);
    header = comma == std::string_view::npos ? std::string_view() : header.substr(comma + 1);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      return core::UnauthenticatedError("Webhook-Signature: expected t=...,v1=...");
    }
    std::string_view name = item.substr(0, eq);
    std::string_view value = item.substr(eq + 1);
    if (name == "t") {
      int64_t t = 0;
      auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), t);
      if (out->t || value.empty() || value.front() == '-' || ec != std::errc() ||
          ptr != value.data() + value.size()) {
        return core::UnauthenticatedError("Webhook-Signature: t= must appear once, in seconds");
      }
      out->t = t;
    } else if (name == "v1") {
      out->v1.push_back(value);
    }
  }
  if (!out->t || out->v1.empty()) {
    return core::UnauthenticatedError("Webhook-Signature: t= and v1= are required");
  }
  return core::Status::Ok();
}

std::string Mac(std::string_view secret, int64_t t, std::string_view body) {
  std::string message = fmt::format("{}.", t);
  message.append(body);
  return core::LowerHex(core::HmacSha256(secret, message));
}

}  // namespace

std::string SignWebhook(std::string_view secret, int64_t t, std::string_view body) {
  return fmt::format("t={},v1={}", t, Mac(secret, t, body));
}

core::Status VerifyWebhookSignature(std::string_view secret, std::string_view header,
                                    std::string_view body, int64_t now, uint64_t tolerance_s) {
  ParsedHeader parsed;
  RETURN_IF_ERROR(ParseHeader(header, &parsed));
  int64_t t = *parsed.t;
  uint64_t age = t > now ? static_cast<uint64_t>(t - now) : static_cast<uint64_t>(now - t);
  if (age > tolerance_s) {
    return core::UnauthenticatedError(fmt::format(
        "Webhook-Signature: t={} is more than {} s from the server's clock", t, tolerance_s));
  }
  std::string expected = Mac(secret, t, body);
  bool match = false;
  // Every candidate is compared, so the time taken does not say which matched.
  for (std::string_view candidate : parsed.v1) {
    match = core::ConstantTimeEquals(expected, candidate) || match;
  }
  if (!match) return core::UnauthenticatedError("Webhook-Signature does not match the body");
  return core::Status::Ok();
}

}  // namespace chainflow::ingest::webhook
