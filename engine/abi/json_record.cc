#include "engine/abi/json_record.h"

#include <fmt/format.h>

#include "engine/abi/json_render.h"
#include "engine/abi/proto_value.h"
#include "engine/core/hex.h"

namespace chainflow::engine::abi {

core::Result<std::string> ContractEventJson(const v1::ContractEvent& record, const Event& event,
                                            std::string_view id) {
  if (static_cast<size_t>(record.values_size()) != event.inputs.size()) {
    return core::InvalidArgumentError(fmt::format("{} has {} inputs, the record {} values",
                                                  event.signature, event.inputs.size(),
                                                  record.values_size()));
  }
  DecodedEvent decoded{&event, {}};
  decoded.values.reserve(event.inputs.size());
  for (size_t i = 0; i < event.inputs.size(); ++i) {
    ASSIGN_OR_RETURN(Value v, FromProto(record.values(static_cast<int>(i)), event.inputs[i].type));
    decoded.values.push_back(std::move(v));
  }
  const v1::LogRef& log = record.log();
  std::string out = "{\"id\":";
  AppendJsonString(id, &out);
  out += ",\"chain\":";
  AppendJsonString(log.chain(), &out);
  out += ",\"contract\":";
  AppendJsonString(record.contract(), &out);
  out += fmt::format(",\"address\":\"{}\",\"event\":", core::ToHex(log.contract()));
  AppendJsonString(record.event(), &out);
  out += ",\"signature\":";
  AppendJsonString(record.signature(), &out);
  out += fmt::format(
      ",\"block_number\":{},\"block_hash\":{},\"block_timestamp\":{},\"tx_hash\":\"{}\","
      "\"tx_index\":{},\"log_index\":{},\"retracted\":{},\"params\":",
      log.block_number(),
      log.block_hash().empty() ? "null" : "\"" + core::ToHex(log.block_hash()) + "\"",
      log.block_timestamp(), core::ToHex(log.tx_hash()), log.tx_index(), log.log_index(),
      record.retracted() ? "true" : "false");
  out += EventToJson(decoded);
  out += '}';
  return out;
}

}  // namespace chainflow::engine::abi
