#include "projections/contracts/record.h"

#include <limits>

#include <fmt/format.h>

#include "chainflow/v1/events.pb.h"
#include "engine/abi/proto_value.h"
#include "engine/core/address.h"
#include "engine/core/hex.h"

namespace chainflow::projections::contracts {
namespace {

namespace abi = engine::abi;

core::Result<int64_t> Bigint(uint64_t v, std::string_view field) {
  if (v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return core::InvalidArgumentError(fmt::format("{}: {} exceeds bigint", field, v));
  }
  return static_cast<int64_t>(v);
}

core::Result<int32_t> Integer(uint64_t v, std::string_view field) {
  if (v > static_cast<uint64_t>(std::numeric_limits<int32_t>::max())) {
    return core::InvalidArgumentError(fmt::format("{}: {} exceeds integer", field, v));
  }
  return static_cast<int32_t>(v);
}

core::Result<std::string> HashHex(const std::string& bytes, std::string_view field,
                                  bool may_be_empty) {
  if (may_be_empty && bytes.empty()) return std::string();
  if (bytes.size() != 32) {
    return core::InvalidArgumentError(
        fmt::format("{}: {} bytes (want 32)", field, bytes.size()));
  }
  return core::ToHex(std::string_view(bytes));
}

core::Status FillLog(const v1::LogRef& log, ContractRecord& r) {
  if (log.chain().empty()) return core::InvalidArgumentError("log.chain: empty");
  r.chain = log.chain();
  auto address = core::Address::FromBytes(log.contract());
  if (!address) return address.error().WithContext("log.contract");
  r.address = address.value().ToHex();
  ASSIGN_OR_RETURN(r.block_number, Bigint(log.block_number(), "log.block_number"));
  ASSIGN_OR_RETURN(r.block_hash, HashHex(log.block_hash(), "log.block_hash", true));
  ASSIGN_OR_RETURN(r.block_timestamp, Bigint(log.block_timestamp(), "log.block_timestamp"));
  ASSIGN_OR_RETURN(r.tx_hash, HashHex(log.tx_hash(), "log.tx_hash", false));
  ASSIGN_OR_RETURN(r.tx_index, Integer(log.tx_index(), "log.tx_index"));
  ASSIGN_OR_RETURN(r.log_index, Integer(log.log_index(), "log.log_index"));
  return core::Status::Ok();
}

core::Status FillValues(const v1::ContractEvent& m, ContractRecord& r) {
  if (r.definition == nullptr) return core::Status::Ok();
  const auto& inputs = r.definition->inputs;
  if (m.values_size() == 0 && r.retracted) return core::Status::Ok();
  if (static_cast<size_t>(m.values_size()) != inputs.size()) {
    return core::InvalidArgumentError(fmt::format(
        "values: {} for the {} inputs of {}", m.values_size(), inputs.size(), r.signature));
  }
  r.values.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto v = abi::FromProto(m.values(static_cast<int>(i)), inputs[i].type);
    if (!v) return v.error().WithContext(fmt::format("values[{}] ({})", i, inputs[i].name));
    r.values.push_back(std::move(v).value());
  }
  return core::Status::Ok();
}

}  // namespace

core::Result<ContractRecord> DecodeProtobufRecord(std::string_view value,
                                                  std::string_view contract,
                                                  const abi::EventDecoder& events) {
  v1::Envelope envelope;
  if (!envelope.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
    return core::InvalidArgumentError("not a chainflow.v1.Envelope");
  }
  if (!envelope.has_contract_event()) {
    return core::InvalidArgumentError("the envelope holds no contract_event");
  }
  // The envelope is ours: its strings move into the record.
  v1::ContractEvent& m = *envelope.mutable_contract_event();
  if (m.contract() != contract) {
    return core::InvalidArgumentError(
        fmt::format("contract: \"{}\" on the topic of \"{}\"", m.contract(), contract));
  }
  ContractRecord r;
  RETURN_IF_ERROR(FillLog(m.log(), r));
  r.contract = std::move(*m.mutable_contract());
  r.event = std::move(*m.mutable_event());
  r.signature = std::move(*m.mutable_signature());
  r.retracted = m.retracted();
  r.definition = events.Find(r.signature);
  RETURN_IF_ERROR(FillValues(m, r));
  return r;
}

core::Result<ContractRecord> DecodeContractRecord(std::string_view value,
                                                  std::string_view contract,
                                                  const abi::EventDecoder& events) {
  if (!value.empty() && value.front() == '{') return DecodeJsonRecord(value, contract, events);
  return DecodeProtobufRecord(value, contract, events);
}

}  // namespace chainflow::projections::contracts
