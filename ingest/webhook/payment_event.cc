#include "ingest/webhook/payment_event.h"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "engine/core/check.h"
#include "engine/log/cloud_events.h"
#include "engine/wire/event_types.h"
#include "engine/wire/keys.h"

namespace chainflow::ingest::webhook {
namespace {

namespace core = engine::core;
namespace json = boost::json;

core::Status FieldError(std::string_view field, std::string_view why) {
  return core::InvalidArgumentError(fmt::format("{}: {}", field, why));
}

core::Result<std::string> StringField(const json::object& obj, std::string_view field,
                                      std::string_view path) {
  const json::value* v = obj.if_contains(field);
  if (v == nullptr) return FieldError(path, "is required");
  if (!v->is_string()) return FieldError(path, "must be a string");
  return std::string(v->as_string());
}

bool ValidEventId(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' &&
        c != ':') {
      return false;
    }
  }
  return true;
}

core::Status ParseData(const json::object& data, const core::Config& config, PaymentEvent* out) {
  ASSIGN_OR_RETURN(std::string account, StringField(data, "account", "data.account"));
  auto account_address = core::Address::FromHex(account);
  if (!account_address) return FieldError("data.account", "expected 0x + 40 hex digits");
  out->account = account_address.value();
  ASSIGN_OR_RETURN(out->chain, StringField(data, "chain", "data.chain"));
  if (config.FindChain(out->chain) == nullptr) {
    return FieldError("data.chain", fmt::format("unknown chain \"{}\"", out->chain));
  }
  ASSIGN_OR_RETURN(std::string token, StringField(data, "token", "data.token"));
  auto token_address = core::Address::FromHex(token);
  if (!token_address) return FieldError("data.token", "expected 0x + 40 hex digits");
  out->token = token_address.value();
  bool chain_lists_tokens = false;
  bool known = false;
  for (const auto* contract : config.ContractsOf(out->chain)) {
    if (contract->standard != "erc20") continue;
    chain_lists_tokens = true;
    known = known || contract->address == out->token;
  }
  if (chain_lists_tokens && !known) {
    return FieldError("data.token", "not a configured erc20 token of the chain");
  }
  ASSIGN_OR_RETURN(std::string amount, StringField(data, "amount", "data.amount"));
  auto value = core::U256FromDecimal(amount);
  if (!value) {
    return FieldError("data.amount", "expected decimal digits of a uint256 (no sign, < 2^256)");
  }
  if (value.value() == 0) return FieldError("data.amount", "must be greater than 0");
  out->amount = value.value();
  return core::Status::Ok();
}

}  // namespace

core::Result<PaymentEvent> ParsePaymentEvent(std::string_view body, const core::Config& config) {
  json::error_code ec;
  json::value root = json::parse(body, ec);
  if (ec) return FieldError("body", fmt::format("malformed JSON: {}", ec.message()));
  if (!root.is_object()) return FieldError("body", "must be a JSON object");
  const json::object& obj = root.as_object();
  PaymentEvent event;
  ASSIGN_OR_RETURN(event.id, StringField(obj, "id", "id"));
  if (!ValidEventId(event.id)) return FieldError("id", "expected 1-128 of [A-Za-z0-9_.:-]");
  ASSIGN_OR_RETURN(event.type, StringField(obj, "type", "type"));
  if (event.type == "payment.succeeded") {
    event.kind = PaymentKind::kMint;
  } else if (event.type == "withdrawal.succeeded") {
    event.kind = PaymentKind::kBurn;
  } else {
    return event;  // acknowledged, not acted on
  }
  if (const json::value* created = obj.if_contains("created")) {
    if (!created->is_int64() || created->as_int64() < 0) {
      return FieldError("created", "must be unix seconds");
    }
    event.created = created->as_int64();
  }
  const json::value* data = obj.if_contains("data");
  if (data == nullptr) return FieldError("data", "is required");
  if (!data->is_object()) return FieldError("data", "must be an object");
  RETURN_IF_ERROR(ParseData(data->as_object(), config, &event));
  return event;
}

std::string PaymentRecordId(std::string_view provider, std::string_view event_id) {
  return fmt::format("webhook/{}/{}", provider, event_id);
}

engine::log::OutRecord PaymentRecord(const std::string& topic, int32_t partitions,
                                     std::string_view provider, const PaymentEvent& event,
                                     int64_t received_at) {
  CF_CHECK(event.kind != PaymentKind::kIgnored, "no record for an ignored webhook event");
  chainflow::v1::Envelope envelope;
  envelope.set_id(PaymentRecordId(provider, event.id));
  auto fill = [&](auto* payload) {
    payload->set_provider(std::string(provider));
    payload->set_provider_event_id(event.id);
    payload->set_account(event.account.ToBytes());
    payload->set_chain(event.chain);
    payload->set_token(event.token.ToBytes());
    payload->set_amount(core::U256ToBigEndianString(event.amount));
    payload->set_received_at(static_cast<uint64_t>(received_at));
    payload->set_provider_created_at(static_cast<uint64_t>(event.created));
  };
  bool mint = event.kind == PaymentKind::kMint;
  if (mint) {
    fill(envelope.mutable_mint_requested());
  } else {
    fill(envelope.mutable_burn_requested());
  }
  engine::log::OutRecord record;
  record.topic = topic;
  record.key = engine::wire::AccountKey(event.chain, event.token, event.account);
  record.partition = engine::log::PartitionForKey(record.key, partitions);
  record.value = envelope.SerializeAsString();
  record.headers = engine::log::CloudEventHeaders(
      {envelope.id(), fmt::format("chainflow/ingest/webhook/{}", provider),
       mint ? engine::wire::kMintRequestedType : engine::wire::kBurnRequestedType, received_at});
  record.timestamp_ms = received_at * 1000;
  return record;
}

}  // namespace chainflow::ingest::webhook
