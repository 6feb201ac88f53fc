#include "api/handlers/intent_request.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "engine/core/crypto.h"
#include "engine/core/hex.h"
#include "engine/log/cloud_events.h"
#include "engine/wire/event_types.h"
#include "engine/wire/keys.h"

namespace chainflow::api::handlers {
namespace {

namespace core = engine::core;
namespace json = boost::json;

core::Status FieldError(std::string_view field, std::string_view why) {
  return core::InvalidArgumentError(fmt::format("{}: {}", field, why));
}

core::Result<std::string> RequiredString(const json::object& obj, std::string_view field,
                                         std::string_view path) {
  const json::value* v = obj.if_contains(field);
  if (v == nullptr || v->is_null()) return FieldError(path, "is required");
  if (!v->is_string()) return FieldError(path, "must be a string");
  return std::string(v->as_string());
}

core::Result<core::Address> AddressField(const json::object& obj, std::string_view field,
                                         std::string_view path) {
  ASSIGN_OR_RETURN(std::string text, RequiredString(obj, field, path));
  auto address = core::Address::FromHex(text);
  if (!address || text.size() != 42) return FieldError(path, "expected 0x + 40 hex digits");
  return address.value();
}

core::Status RejectUnknown(const json::object& obj, std::initializer_list<std::string_view> known,
                           std::string_view prefix) {
  for (const auto& [key, value] : obj) {
    if (std::find(known.begin(), known.end(), std::string_view(key)) == known.end()) {
      return FieldError(fmt::format("{}{}", prefix, std::string_view(key)), "unknown field");
    }
  }
  return core::Status::Ok();
}

core::Result<core::U256> ParseAmount(const json::object& obj) {
  const json::value* v = obj.if_contains("amount");
  if (v == nullptr || v->is_null()) return FieldError("amount", "is required");
  if (!v->is_string()) {
    return FieldError("amount", "must be a decimal string (uint256 values are not JSON numbers)");
  }
  std::string_view text = v->as_string();
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    return FieldError("amount", "must be unsigned decimal digits");
  }
  auto value = core::U256FromDecimal(text);
  if (!value) {
    bool digits = !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
      return c >= '0' && c <= '9';
    });
    return FieldError("amount", digits ? "exceeds 2^256-1" : "must be unsigned decimal digits");
  }
  if (value.value() == 0) return FieldError("amount", "must be greater than 0");
  return value.value();
}

core::Result<chainflow::v1::IntentKind> ParseKind(const json::object& obj) {
  const json::value* v = obj.if_contains("kind");
  if (v == nullptr || v->is_null()) return FieldError("kind", "is required");
  if (v->is_string() && v->as_string() == "clap") return chainflow::v1::INTENT_KIND_CLAP;
  if (v->is_string() && v->as_string() == "gift") return chainflow::v1::INTENT_KIND_GIFT;
  return FieldError("kind", "must be \"clap\" or \"gift\"");
}

core::Status CheckChainAndToken(const core::Config& config, const IntentRequest& request) {
  if (config.FindChain(request.chain) == nullptr) {
    return FieldError("chain", fmt::format("unknown chain \"{}\"", request.chain));
  }
  bool lists_tokens = false;
  bool known = false;
  for (const auto* contract : config.ContractsOf(request.chain)) {
    if (contract->standard != "erc20") continue;
    lists_tokens = true;
    known = known || contract->address == request.token;
  }
  if (lists_tokens && !known) {
    return FieldError("token", fmt::format("not a configured erc20 token of chain \"{}\"",
                                           request.chain));
  }
  return core::Status::Ok();
}

core::Result<IntentDelegation> ParseDelegation(const json::value& v) {
  if (!v.is_object()) return FieldError("delegation", "must be an object");
  const json::object& obj = v.as_object();
  RETURN_IF_ERROR(RejectUnknown(obj, {"delegate", "signature", "expires_at"}, "delegation."));
  IntentDelegation out;
  ASSIGN_OR_RETURN(out.delegate, AddressField(obj, "delegate", "delegation.delegate"));
  ASSIGN_OR_RETURN(std::string signature,
                   RequiredString(obj, "signature", "delegation.signature"));
  auto bytes = core::FromHex(signature);
  if (!bytes || signature.rfind("0x", 0) != 0 || bytes.value().empty() ||
      bytes.value().size() > 1024) {
    return FieldError("delegation.signature", "expected 0x + hex of 1-1024 bytes");
  }
  out.signature.assign(bytes.value().begin(), bytes.value().end());
  if (const json::value* expires = obj.if_contains("expires_at")) {
    if (expires->is_uint64()) {
      out.expires_at = expires->as_uint64();
    } else if (expires->is_int64() && expires->as_int64() >= 0) {
      out.expires_at = static_cast<uint64_t>(expires->as_int64());
    } else {
      return FieldError("delegation.expires_at", "must be unix seconds (a non-negative integer)");
    }
  }
  return out;
}

core::Status ParseFields(const json::object& obj, const core::Config& config,
                         const IntentLimits& limits, IntentRequest& out) {
  RETURN_IF_ERROR(RejectUnknown(
      obj, {"kind", "payer", "payee", "chain", "token", "amount", "memo", "delegation"}, ""));
  ASSIGN_OR_RETURN(out.kind, ParseKind(obj));
  ASSIGN_OR_RETURN(out.payer, AddressField(obj, "payer", "payer"));
  ASSIGN_OR_RETURN(out.payee, AddressField(obj, "payee", "payee"));
  if (out.payer == out.payee) return FieldError("payee", "must differ from payer");
  ASSIGN_OR_RETURN(out.chain, RequiredString(obj, "chain", "chain"));
  ASSIGN_OR_RETURN(out.token, AddressField(obj, "token", "token"));
  RETURN_IF_ERROR(CheckChainAndToken(config, out));
  ASSIGN_OR_RETURN(out.amount, ParseAmount(obj));
  if (const json::value* memo = obj.if_contains("memo"); memo != nullptr && !memo->is_null()) {
    if (!memo->is_string()) return FieldError("memo", "must be a string");
    if (memo->as_string().size() > limits.max_memo_bytes) {
      return FieldError("memo", fmt::format("longer than {} bytes", limits.max_memo_bytes));
    }
    out.memo = std::string(memo->as_string());
  }
  if (const json::value* d = obj.if_contains("delegation"); d != nullptr && !d->is_null()) {
    ASSIGN_OR_RETURN(out.delegation, ParseDelegation(*d));
  }
  return core::Status::Ok();
}

void AppendField(std::string& out, std::string_view value) {
  out += fmt::format("{}:", value.size());
  out.append(value);
}

}  // namespace

core::Result<IntentRequest> ParseIntentRequest(std::string_view body, const core::Config& config,
                                               const IntentLimits& limits) {
  json::error_code ec;
  json::parse_options options;
  options.max_depth = 8;
  json::value root = json::parse(body, ec, {}, options);
  if (ec) return FieldError("body", fmt::format("malformed JSON: {}", ec.message()));
  if (!root.is_object()) return FieldError("body", "must be a JSON object");
  IntentRequest request;
  RETURN_IF_ERROR(ParseFields(root.as_object(), config, limits, request));
  return request;
}

std::string IntentDigest(const IntentRequest& request) {
  std::string canonical = "chainflow/intent-request/v1\n";
  AppendField(canonical, std::to_string(static_cast<int>(request.kind)));
  AppendField(canonical, request.payer.ToBytes());
  AppendField(canonical, request.payee.ToBytes());
  AppendField(canonical, request.chain);
  AppendField(canonical, request.token.ToBytes());
  AppendField(canonical, core::U256ToDecimal(request.amount));
  AppendField(canonical, request.memo);
  if (request.delegation) {
    AppendField(canonical, request.delegation->delegate.ToBytes());
    AppendField(canonical, request.delegation->signature);
    AppendField(canonical, std::to_string(request.delegation->expires_at));
  }
  return core::LowerHex(core::Sha256(canonical));
}

std::string IntentId(std::string_view api_key_id, std::string_view idempotency_key) {
  std::string material = "chainflow/intent-id/v1\n";
  AppendField(material, api_key_id);
  AppendField(material, idempotency_key);
  return core::LowerHex(core::Sha256(material)).substr(0, 32);
}

core::Status ValidateIdempotencyKey(std::string_view key) {
  if (key.empty() || key.size() > 128) {
    return FieldError("Idempotency-Key", "must be 1-128 characters");
  }
  for (char c : key) {
    if (c < 0x21 || c > 0x7e) {
      return FieldError("Idempotency-Key", "must be visible ASCII characters");
    }
  }
  return core::Status::Ok();
}

engine::log::OutRecord IntentRecord(const std::string& topic, int32_t partitions,
                                    const IntentRequest& request, std::string_view intent_id,
                                    std::string_view api_key_id,
                                    std::string_view idempotency_key, int64_t received_at) {
  chainflow::v1::Envelope envelope;
  envelope.set_id(fmt::format("intent/{}", intent_id));
  auto* intent = envelope.mutable_intent_submitted();
  intent->set_intent_id(std::string(intent_id));
  intent->set_kind(request.kind);
  intent->set_payer(request.payer.ToBytes());
  intent->set_payee(request.payee.ToBytes());
  intent->set_chain(request.chain);
  intent->set_token(request.token.ToBytes());
  intent->set_amount(core::U256ToBigEndianString(request.amount));
  intent->set_memo(request.memo);
  if (request.delegation) {
    auto* d = intent->mutable_delegation();
    d->set_delegate(request.delegation->delegate.ToBytes());
    d->set_signature(request.delegation->signature);
    d->set_expires_at(request.delegation->expires_at);
  }
  intent->set_idempotency_key(std::string(idempotency_key));
  intent->set_api_key_id(std::string(api_key_id));
  intent->set_received_at(static_cast<uint64_t>(received_at));

  engine::log::OutRecord record;
  record.topic = topic;
  record.key = engine::wire::AccountKey(request.chain, request.token, request.payer);
  record.partition = engine::log::PartitionForKey(record.key, partitions);
  record.value = envelope.SerializeAsString();
  record.headers = engine::log::CloudEventHeaders(
      {envelope.id(), "chainflow/api", engine::wire::kIntentSubmittedType, received_at});
  record.timestamp_ms = received_at * 1000;
  return record;
}

}  // namespace chainflow::api::handlers
