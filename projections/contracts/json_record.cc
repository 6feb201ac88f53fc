// DecodeJsonRecord (record.h): the "json" format of <prefix>.contract.<name>.
#include <limits>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <fmt/format.h>

#include "engine/core/address.h"
#include "engine/core/hex.h"
#include "projections/contracts/json_values.h"
#include "projections/contracts/record.h"

namespace chainflow::projections::contracts {
namespace {

namespace abi = engine::abi;
namespace json = boost::json;

core::Result<const json::value*> Field(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  if (v == nullptr) return core::InvalidArgumentError(fmt::format("{}: missing", name));
  return v;
}

core::Result<std::string> StringField(const json::object& o, std::string_view name) {
  ASSIGN_OR_RETURN(const json::value* v, Field(o, name));
  if (!v->is_string()) return core::InvalidArgumentError(fmt::format("{}: not a string", name));
  return std::string(v->get_string());
}

// A non-negative JSON integer no larger than `max`.
core::Result<int64_t> IntField(const json::object& o, std::string_view name, int64_t max) {
  ASSIGN_OR_RETURN(const json::value* v, Field(o, name));
  if (v->is_int64() && v->get_int64() >= 0 && v->get_int64() <= max) return v->get_int64();
  if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(max)) {
    return static_cast<int64_t>(v->get_uint64());
  }
  return core::InvalidArgumentError(
      fmt::format("{}: not an integer from 0 to {}", name, max));
}

// "0x" + 64 hex digits, lowercased.
core::Result<std::string> HashField(const json::object& o, std::string_view name,
                                    bool nullable) {
  ASSIGN_OR_RETURN(const json::value* v, Field(o, name));
  if (nullable && v->is_null()) return std::string();
  if (!v->is_string()) return core::InvalidArgumentError(fmt::format("{}: not a string", name));
  auto bytes = core::FromHex(std::string(v->get_string()));
  if (!bytes || bytes.value().size() != 32 || v->get_string().size() != 66) {
    return core::InvalidArgumentError(fmt::format("{}: not 0x + 64 hex digits", name));
  }
  return core::ToHex(std::span<const uint8_t>(bytes.value()));
}

core::Status FillLog(const json::object& o, ContractRecord& r) {
  constexpr int64_t kBigint = std::numeric_limits<int64_t>::max();
  constexpr int64_t kInteger = std::numeric_limits<int32_t>::max();
  ASSIGN_OR_RETURN(r.chain, StringField(o, "chain"));
  if (r.chain.empty()) return core::InvalidArgumentError("chain: empty");
  ASSIGN_OR_RETURN(std::string address, StringField(o, "address"));
  auto parsed = core::Address::FromHex(address);
  if (!parsed) return parsed.error().WithContext("address");
  r.address = parsed.value().ToHex();
  ASSIGN_OR_RETURN(r.block_number, IntField(o, "block_number", kBigint));
  ASSIGN_OR_RETURN(r.block_hash, HashField(o, "block_hash", true));
  ASSIGN_OR_RETURN(r.block_timestamp, IntField(o, "block_timestamp", kBigint));
  ASSIGN_OR_RETURN(r.tx_hash, HashField(o, "tx_hash", false));
  ASSIGN_OR_RETURN(int64_t tx_index, IntField(o, "tx_index", kInteger));
  ASSIGN_OR_RETURN(int64_t log_index, IntField(o, "log_index", kInteger));
  r.tx_index = static_cast<int32_t>(tx_index);
  r.log_index = static_cast<int32_t>(log_index);
  return core::Status::Ok();
}

core::Status FillParams(const json::object& o, ContractRecord& r) {
  if (r.definition == nullptr) return core::Status::Ok();
  const json::value* params = o.if_contains("params");
  if ((params == nullptr || params->is_null()) && r.retracted) return core::Status::Ok();
  if (params == nullptr || !params->is_object()) {
    return core::InvalidArgumentError("params: missing or not an object");
  }
  for (const abi::EventParam& p : r.definition->inputs) {
    const json::value* v = params->get_object().if_contains(p.name);
    if (v == nullptr) {
      return core::InvalidArgumentError(fmt::format("params.{}: missing", p.name));
    }
    auto value = ValueFromJson(*v, p.type, p.indexed);
    if (!value) return value.error().WithContext(fmt::format("params.{}", p.name));
    r.values.push_back(std::move(value).value());
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<ContractRecord> DecodeJsonRecord(std::string_view value, std::string_view contract,
                                              const abi::EventDecoder& events) {
  boost::system::error_code ec;
  json::value parsed = json::parse(json::string_view(value.data(), value.size()), ec);
  if (ec || !parsed.is_object()) {
    return core::InvalidArgumentError("not a JSON object");
  }
  const json::object& o = parsed.get_object();
  ContractRecord r;
  ASSIGN_OR_RETURN(r.contract, StringField(o, "contract"));
  if (r.contract != contract) {
    return core::InvalidArgumentError(
        fmt::format("contract: \"{}\" on the topic of \"{}\"", r.contract, contract));
  }
  RETURN_IF_ERROR(FillLog(o, r));
  ASSIGN_OR_RETURN(r.event, StringField(o, "event"));
  ASSIGN_OR_RETURN(r.signature, StringField(o, "signature"));
  ASSIGN_OR_RETURN(const json::value* retracted, Field(o, "retracted"));
  if (!retracted->is_bool()) return core::InvalidArgumentError("retracted: not a boolean");
  r.retracted = retracted->get_bool();
  r.definition = events.Find(r.signature);
  RETURN_IF_ERROR(FillParams(o, r));
  return r;
}

}  // namespace chainflow::projections::contracts
