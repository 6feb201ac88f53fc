#include "engine/processors/token_balances/balances.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "engine/core/logging.h"
#include "engine/processors/token_balances/state_layout.h"
#include "engine/processors/token_balances/topics.h"
#include "engine/processors/common/event_fields.h"

namespace chainflow::engine::processors::token_balances {
namespace {

using core::Address;
using core::Result;
using core::Status;
using core::U256;

constexpr char kBalanceChangedType[] = "chainflow.token.TokenBalanceChanged";
constexpr char kSupplyChangedType[] = "chainflow.token.TotalSupplyChanged";
constexpr char kBalanceUnderflowMetric[] = "chainflow_token_balance_underflow_total";
constexpr char kSupplyUnderflowMetric[] = "chainflow_token_supply_underflow_total";

// The stored record of `key`, a zero record when absent.
Result<AmountRecord> Load(state::StateView& state, const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  if (!stored) return AmountRecord{};
  return DecodeAmountRecord(*stored);
}

// Applies +amount (credit) or -amount to `key`'s record and stores it. The
// record stays even at a net of zero: its block number is part of the view,
// and deleting it would make the kept block depend on arrival order.
Result<std::pair<AmountRecord, AmountRecord>> Update(state::StateView& state,
                                                     const std::string& key, bool credit,
                                                     const U256& amount, uint64_t block) {
  ASSIGN_OR_RETURN(AmountRecord previous, Load(state, key));
  AmountRecord next;
  ASSIGN_OR_RETURN(next.net,
                   credit ? Credit(previous.net, amount) : Debit(previous.net, amount));
  next.block_number = std::max(previous.block_number, block);
  state.Put(key, EncodeAmountRecord(next));
  return std::make_pair(previous, next);
}

// The token field must name the log's contract: the key depends on it.
Result<Address> ParseToken(const v1::LogRef& log, const std::string& token_bytes,
                           std::string_view field) {
  ASSIGN_OR_RETURN(Address contract, ParseLog(log));
  ASSIGN_OR_RETURN(Address token, ParseAddress(token_bytes, field));
  if (token != contract) {
    return core::InvalidArgumentError(
        fmt::format("{} {} is not log.contract {}", field, token.ToHex(), contract.ToHex()));
  }
  return token;
}

std::shared_ptr<spdlog::logger> Log() { return core::Logger("engine.processors.token_balances"); }

}  // namespace

TokenBalancesProcessor::TokenBalancesProcessor(std::string topic_prefix,
                                               core::MetricsRegistry& metrics)
    : output_topic_(BalancesTopic(topic_prefix)), metrics_(metrics) {}

Status TokenBalancesProcessor::Apply(const runtime::InputEvent& event, state::StateView& state,
                                     runtime::Emitter& out) {
  const v1::Envelope& envelope = event.envelope;
  Status status;
  switch (envelope.payload_case()) {
    case v1::Envelope::kBalanceDelta:
      status = ApplyBalanceDelta(envelope.balance_delta(), state, out);
      break;
    case v1::Envelope::kSupplyDelta:
      status = ApplySupplyDelta(envelope.supply_delta(), state, out);
      break;
    case v1::Envelope::kBlockEnd:
      status = ApplyBlockEnd(envelope.block_end(), state);
      break;
    case v1::Envelope::kBlockReverted:
      status = ApplyBlockReverted(envelope.block_reverted(), state);
      break;
    case v1::Envelope::kSettlementMark:  // the intents processor's event time
      return Status::Ok();
    case v1::Envelope::PAYLOAD_NOT_SET:
      status = core::InvalidArgumentError("envelope has no payload");
      break;
    default: {
      const auto* field = v1::Envelope::descriptor()->FindFieldByNumber(envelope.payload_case());
      status = core::InvalidArgumentError(fmt::format(
          "unexpected payload {} on the token deltas topic", field ? field->name() : "?"));
      break;
    }
  }
  if (status.ok()) return status;
  return status.WithContext(fmt::format("token_balances: envelope \"{}\"", envelope.id()));
}

Status TokenBalancesProcessor::ApplyBalanceDelta(const v1::BalanceDelta& delta,
                                                 state::StateView& state,
                                                 runtime::Emitter& out) {
  if (!delta.has_log()) return core::InvalidArgumentError("balance_delta without log");
  const v1::LogRef& log = delta.log();
  ASSIGN_OR_RETURN(Address token, ParseToken(log, delta.token(), "balance_delta.token"));
  ASSIGN_OR_RETURN(Address account, ParseAddress(delta.account(), "balance_delta.account"));
  if (account.IsZero()) {
    return core::InvalidArgumentError("balance_delta.account is the zero address");
  }
  ASSIGN_OR_RETURN(U256 amount, ParseUint256(delta.amount(), "balance_delta.amount"));
  bool credit;
  switch (delta.direction()) {
    case v1::BalanceDelta::DIRECTION_CREDIT: credit = true; break;
    case v1::BalanceDelta::DIRECTION_DEBIT: credit = false; break;
    default: return core::InvalidArgumentError("balance_delta.direction unspecified");
  }
  const std::string key = BalanceKey(log.chain(), token, account);
  auto updated = Update(state, key, credit, amount, log.block_number());
  if (!updated) return updated.error().WithContext(fmt::format("balance of {}", account.ToHex()));
  const auto& [previous, next] = updated.value();
  if (next.net.negative) {
    metrics_
        .GetCounter(kBalanceUnderflowMetric,
                    "Token balance changes leaving a negative net (shown as 0)",
                    {{"chain", log.chain()}})
        .Inc();
    Log()->debug("balance underflow {}:{}:{}: net -{}", log.chain(), token.ToHex(),
                 account.ToHex(), core::U256ToDecimal(next.net.magnitude));
  }

  runtime::OutputEvent event;
  event.topic = output_topic_;
  event.key = AccountKey(log.chain(), token, account);
  event.ce_type = kBalanceChangedType;
  event.event_time = static_cast<int64_t>(log.block_timestamp());
  v1::TokenBalanceChanged* changed = event.envelope.mutable_token_balance_changed();
  *changed->mutable_log() = log;
  changed->set_token(token.ToBytes());
  changed->set_account(account.ToBytes());
  changed->set_balance(core::U256ToBigEndianString(next.net.Clamped()));
  changed->set_previous_balance(core::U256ToBigEndianString(previous.net.Clamped()));
  changed->set_block_number(next.block_number);
  out.Emit(std::move(event));
  return Status::Ok();
}

Status TokenBalancesProcessor::ApplySupplyDelta(const v1::SupplyDelta& delta,
                                                state::StateView& state, runtime::Emitter& out) {
  if (!delta.has_log()) return core::InvalidArgumentError("supply_delta without log");
  const v1::LogRef& log = delta.log();
  ASSIGN_OR_RETURN(Address token, ParseToken(log, delta.token(), "supply_delta.token"));
  ASSIGN_OR_RETURN(U256 amount, ParseUint256(delta.amount(), "supply_delta.amount"));
  bool mint;
  switch (delta.direction()) {
    case v1::SupplyDelta::DIRECTION_MINT: mint = true; break;
    case v1::SupplyDelta::DIRECTION_BURN: mint = false; break;
    default: return core::InvalidArgumentError("supply_delta.direction unspecified");
  }
  auto updated = Update(state, SupplyKey(log.chain(), token), mint, amount, log.block_number());
  if (!updated) return updated.error().WithContext(fmt::format("supply of {}", token.ToHex()));
  const auto& [previous, next] = updated.value();
  if (next.net.negative) {
    metrics_
        .GetCounter(kSupplyUnderflowMetric,
                    "Token supply changes leaving a negative net (shown as 0)",
                    {{"chain", log.chain()}})
        .Inc();
  }

  runtime::OutputEvent event;
  event.topic = output_topic_;
  event.key = SupplyRecordKey(log.chain(), token);
  event.ce_type = kSupplyChangedType;
  event.event_time = static_cast<int64_t>(log.block_timestamp());
  v1::TotalSupplyChanged* changed = event.envelope.mutable_total_supply_changed();
  *changed->mutable_log() = log;
  changed->set_token(token.ToBytes());
  changed->set_total_supply(core::U256ToBigEndianString(next.net.Clamped()));
  changed->set_previous_total_supply(core::U256ToBigEndianString(previous.net.Clamped()));
  changed->set_block_number(next.block_number);
  out.Emit(std::move(event));
  return Status::Ok();
}

Status TokenBalancesProcessor::ApplyBlockEnd(const v1::BlockEnd& marker,
                                             state::StateView& state) {
  RETURN_IF_ERROR(ValidateChain(marker.chain()).WithContext("block_end.chain"));
  // One copy arrives per upstream partition, interleaved: keep the highest.
  const std::string key = HeadKey(marker.chain());
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  if (stored) {
    ASSIGN_OR_RETURN(uint64_t head, DecodeBlockNumber(*stored));
    if (head >= marker.number()) return Status::Ok();
  }
  state.Put(key, EncodeBlockNumber(marker.number()));
  return Status::Ok();
}

Status TokenBalancesProcessor::ApplyBlockReverted(const v1::BlockReverted& marker,
                                                  state::StateView& state) {
  RETURN_IF_ERROR(ValidateChain(marker.chain()).WithContext("block_reverted.chain"));
  if (marker.number() == 0) return core::InvalidArgumentError("block_reverted of block 0");
  // TODO(reorgs): undo comes from the runtime's generic per-block undo and
  // the Retract hook (see balances.h); here only the head moves.
  const std::string key = HeadKey(marker.chain());
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  if (stored) {
    ASSIGN_OR_RETURN(uint64_t head, DecodeBlockNumber(*stored));
    if (head < marker.number()) return Status::Ok();
  }
  state.Put(key, EncodeBlockNumber(marker.number() - 1));
  return Status::Ok();
}

runtime::ProcessorSpec MakeBalancesSpec(const std::string& topic_prefix) {
  runtime::ProcessorSpec spec;
  spec.name = TokenBalancesProcessor::kName;
  spec.input_topics.push_back(DeltasTopic(topic_prefix));
  spec.output_topics.push_back(BalancesTopic(topic_prefix));
  spec.make = [topic_prefix] { return std::make_unique<TokenBalancesProcessor>(topic_prefix); };
  return spec;
}

}  // namespace chainflow::engine::processors::token_balances
