#include "engine/processors/token_balances/splitter.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "engine/processors/common/event_fields.h"
#include "engine/processors/common/retained_events.h"
#include "engine/wire/event_types.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"

namespace chainflow::engine::processors::token_balances {
namespace {

using wire::kBalanceDeltaType;
using wire::kSupplyDeltaType;

// "p/<chain>" -> the highest block (8 bytes BE) this task has emitted deltas
// for that no forwarded BlockEnd has yet covered as finalized. Absent: the
// downstream has nothing of this task's to close or prune.
std::string PendingKey(std::string_view chain) { return fmt::format("p/{}", chain); }

// "\0t/c/<chain>" -> the timestamp (8 BE) of the last BlockEnd forwarded
// for a clock chain. Task-local (which markers a task forwards depends on
// its own deltas), so under '\0' and out of the state digest.
std::string ClockKey(std::string_view chain) {
  return std::string("\0t/c/", 5) + std::string(chain);
}

// The time of the block a BlockEnd says is finalized: what the intents
// processor's chain clock follows (its README.md "Reorgs").
uint64_t FinalizedTime(const v1::BlockEnd& end) {
  return end.finalized() >= end.number() ? end.timestamp() : end.finalized_timestamp();
}

}  // namespace

TokenSplitterProcessor::TokenSplitterProcessor(std::string topic_prefix,
                                               std::vector<std::string> clock_chains,
                                               uint64_t clock_interval_s, uint64_t clock_origin)
    : output_topic_(wire::TokenDeltasTopic(topic_prefix)),
      clock_chains_(std::move(clock_chains)),
      clock_interval_s_(clock_interval_s == 0 ? 1 : clock_interval_s),
      clock_origin_(clock_origin) {}

bool TokenSplitterProcessor::IsClockChain(const std::string& chain) const {
  return std::find(clock_chains_.begin(), clock_chains_.end(), chain) != clock_chains_.end();
}

core::Result<bool> TokenSplitterProcessor::ClockTick(const v1::BlockEnd& end,
                                                     state::StateView& state) const {
  if (!IsClockChain(end.chain())) return false;
  const std::string key = ClockKey(end.chain());
  ASSIGN_OR_RETURN(std::optional<std::string> last, state.Get(key));
  bool tick = !last;
  if (last) {
    ASSIGN_OR_RETURN(uint64_t last_ts, DecodeBlockNumber(*last));
    // Interval k is [origin + k*interval, origin + (k+1)*interval); the
    // first marker of each is forwarded.
    auto interval_of = [this](uint64_t ts) {
      return ts < clock_origin_ ? 0 : (ts - clock_origin_) / clock_interval_s_ + 1;
    };
    tick = interval_of(FinalizedTime(end)) > interval_of(last_ts);
  }
  return tick;
}

core::Status TokenSplitterProcessor::Apply(const runtime::InputEvent& event,
                                           state::StateView& state, runtime::Emitter& out) {
  const v1::Envelope& envelope = event.envelope;
  core::Status status;
  switch (envelope.payload_case()) {
    case v1::Envelope::kErc20Transfer:
      status = ApplyTransfer(envelope.erc20_transfer(),
                             static_cast<uint32_t>(event.record.partition.value()), state, out);
      break;
    case v1::Envelope::kBlockEnd: {
      // Forwarded only after this task emitted deltas, and until a forwarded
      // one has finalized them: each copy goes to every deltas partition, so
      // forwarding every block's marker from every upstream partition cost
      // blocks x upstream x downstream records on histories without ERC-20
      // transfers. Downstream, a marker still follows every delta it covers.
      // A clock chain's markers are also forwarded once per clock interval
      // of block time, so downstream event time moves without deltas.
      const v1::BlockEnd& end = envelope.block_end();
      RETURN_IF_ERROR(ValidateChain(end.chain()).WithContext("block_end.chain"));
      RETURN_IF_ERROR(RetainedEvents::Prune(end.chain(), end.finalized(), state));
      const std::string key = PendingKey(end.chain());
      ASSIGN_OR_RETURN(std::optional<std::string> pending, state.Get(key));
      ASSIGN_OR_RETURN(bool tick, ClockTick(end, state));
      if (!pending && !tick) return core::Status::Ok();
      if (pending) {
        ASSIGN_OR_RETURN(uint64_t block, DecodeBlockNumber(*pending));
        if (end.finalized() >= block) state.Delete(key);
      }
      if (IsClockChain(end.chain())) {
        state.Put(ClockKey(end.chain()), EncodeBlockNumber(FinalizedTime(end)));
      }
      status = ForwardMarker(event, end.chain(), out);
      break;
    }
    case v1::Envelope::kBlockReverted:
      if (envelope.block_reverted().number() == 0) {
        status = core::InvalidArgumentError("block_reverted of block 0");
      } else {
        status = ForwardMarker(event, envelope.block_reverted().chain(), out);
      }
      break;
    case v1::Envelope::kErc721Transfer:
    case v1::Envelope::kErc1155TransferSingle:
    case v1::Envelope::kErc1155TransferBatch:
      return core::Status::Ok();  // NFTs are nft_ownership's
    case v1::Envelope::kContractEvent:
      return core::Status::Ok();  // contracts by ABI are contract_events'
    case v1::Envelope::PAYLOAD_NOT_SET:
      status = core::InvalidArgumentError("envelope has no payload");
      break;
    default: {
      const auto* field = v1::Envelope::descriptor()->FindFieldByNumber(envelope.payload_case());
      status = core::InvalidArgumentError(fmt::format(
          "unexpected payload {} on an events topic", field ? field->name() : "?"));
      break;
    }
  }
  if (status.ok()) return status;
  return status.WithContext(fmt::format("token_splitter: envelope \"{}\"", envelope.id()));
}

bool TokenSplitterProcessor::Ignores(v1::Envelope::PayloadCase payload) const {
  // The cases Apply returns Ok for without touching state or output.
  return payload == v1::Envelope::kErc721Transfer ||
         payload == v1::Envelope::kErc1155TransferSingle ||
         payload == v1::Envelope::kErc1155TransferBatch ||
         payload == v1::Envelope::kContractEvent;
}

core::Status TokenSplitterProcessor::ApplyTransfer(const v1::Erc20Transfer& transfer,
                                                   uint32_t source_partition,
                                                   state::StateView& state,
                                                   runtime::Emitter& out) {
  if (!transfer.has_log()) return core::InvalidArgumentError("erc20_transfer without log");
  const v1::LogRef& log = transfer.log();
  ASSIGN_OR_RETURN(Sides sides, ParseSides(transfer));
  const std::string pending_key = PendingKey(log.chain());
  ASSIGN_OR_RETURN(std::optional<std::string> pending, state.Get(pending_key));
  uint64_t pending_block = 0;
  if (pending) {
    ASSIGN_OR_RETURN(pending_block, DecodeBlockNumber(*pending));
  }
  if (!pending || pending_block < log.block_number()) {
    state.Put(pending_key, EncodeBlockNumber(log.block_number()));
  }
  if (!log.finalized()) {
    // Kept for a revert (README.md "Reorgs"). The runtime's undo log deletes
    // the key when the block is reverted and hands its value to Retract.
    std::string retained = EncodeBlockNumber(source_partition).substr(4);
    retained += transfer.SerializeAsString();
    RETURN_IF_ERROR(RetainedEvents::Keep(log, "", std::move(retained), state));
  }
  EmitSides(log, sides, source_partition, /*retracted=*/false, out);
  return core::Status::Ok();
}

core::Result<TokenSplitterProcessor::Sides> TokenSplitterProcessor::ParseSides(
    const v1::Erc20Transfer& transfer) {
  Sides sides;
  ASSIGN_OR_RETURN(sides.token, ParseLog(transfer.log()));
  ASSIGN_OR_RETURN(sides.from, ParseAddress(transfer.from(), "erc20_transfer.from"));
  ASSIGN_OR_RETURN(sides.to, ParseAddress(transfer.to(), "erc20_transfer.to"));
  ASSIGN_OR_RETURN(core::U256 value, ParseUint256(transfer.value(), "erc20_transfer.value"));
  sides.amount = core::U256ToBigEndianString(value);
  return sides;
}

// The `from` side (a debit, or a mint when `from` is zero) then the `to`
// side (a credit, or a burn). A retraction undoes them: the `to` side first,
// each direction inverted, `retracted` set.
void TokenSplitterProcessor::EmitSides(const v1::LogRef& log, const Sides& sides,
                                       uint32_t source_partition, bool retracted,
                                       runtime::Emitter& out) const {
  const int64_t event_time = static_cast<int64_t>(log.block_timestamp());
  auto supply = [&](bool mint) {
    runtime::OutputEvent event;
    event.topic = output_topic_;
    event.key = wire::SupplyKey(log.chain(), sides.token);
    event.ce_type = kSupplyDeltaType;
    event.event_time = event_time;
    v1::SupplyDelta* delta = event.envelope.mutable_supply_delta();
    *delta->mutable_log() = log;
    delta->set_token(sides.token.ToBytes());
    delta->set_amount(sides.amount);
    delta->set_direction(mint != retracted ? v1::SupplyDelta::DIRECTION_MINT
                                           : v1::SupplyDelta::DIRECTION_BURN);
    delta->set_retracted(retracted);
    delta->set_source_partition(source_partition);
    out.Emit(std::move(event));
  };
  auto balance = [&](const core::Address& account, bool credit) {
    runtime::OutputEvent event;
    event.topic = output_topic_;
    event.key = wire::AccountKey(log.chain(), sides.token, account);
    event.ce_type = kBalanceDeltaType;
    event.event_time = event_time;
    v1::BalanceDelta* delta = event.envelope.mutable_balance_delta();
    *delta->mutable_log() = log;
    delta->set_token(sides.token.ToBytes());
    delta->set_account(account.ToBytes());
    delta->set_amount(sides.amount);
    delta->set_direction(credit != retracted ? v1::BalanceDelta::DIRECTION_CREDIT
                                             : v1::BalanceDelta::DIRECTION_DEBIT);
    delta->set_retracted(retracted);
    delta->set_source_partition(source_partition);
    out.Emit(std::move(event));
  };
  auto from_side = [&] {
    if (sides.from.IsZero()) {
      supply(/*mint=*/true);
    } else {
      balance(sides.from, /*credit=*/false);
    }
  };
  auto to_side = [&] {
    if (sides.to.IsZero()) {
      supply(/*mint=*/false);
    } else {
      balance(sides.to, /*credit=*/true);
    }
  };
  if (retracted) {
    to_side();
    from_side();
  } else {
    from_side();
    to_side();
  }
}

core::Status TokenSplitterProcessor::Retract(const runtime::RevertedWrite& write,
                                             const v1::BlockReverted& marker,
                                             state::StateView& state, runtime::Emitter& out) {
  (void)marker;
  (void)state;
  if (!RetainedEvents::IsRetainedKey(write.key) || !write.reverted) return core::Status::Ok();
  const std::string& retained = *write.reverted;
  v1::Erc20Transfer transfer;
  if (retained.size() < 4 || !transfer.ParseFromArray(retained.data() + 4,
                                                       static_cast<int>(retained.size() - 4))) {
    return core::DataLossError("token_splitter: unreadable retained transfer");
  }
  uint32_t source_partition = 0;
  for (int i = 0; i < 4; ++i) {
    source_partition = (source_partition << 8) | static_cast<uint8_t>(retained[i]);
  }
  ASSIGN_OR_RETURN(Sides sides, ParseSides(transfer));
  EmitSides(transfer.log(), sides, source_partition, /*retracted=*/true, out);
  return core::Status::Ok();
}


core::Status TokenSplitterProcessor::ForwardMarker(const runtime::InputEvent& event,
                                                   const std::string& chain,
                                                   runtime::Emitter& out) {
  RETURN_IF_ERROR(ValidateChain(chain).WithContext("marker chain"));
  runtime::OutputEvent marker;
  marker.topic = output_topic_;
  // Not used for placement; names the upstream partition the copy came
  // through, for consumers that track event time per upstream partition.
  marker.key = wire::ForwardedMarkerKey(chain, event.record.partition.value());
  marker.all_partitions = true;
  marker.envelope = event.envelope;
  marker.envelope.clear_id();  // the runtime sets the deterministic id
  if (event.envelope.has_block_end()) {
    marker.ce_type = wire::kBlockEndType;
    marker.event_time = static_cast<int64_t>(event.envelope.block_end().timestamp());
  } else {
    marker.ce_type = wire::kBlockRevertedType;
  }
  out.Emit(std::move(marker));
  return core::Status::Ok();
}

runtime::ProcessorSpec MakeSplitterSpec(const std::string& topic_prefix,
                                        const std::vector<std::string>& chain_names,
                                        const std::vector<std::string>& clock_chains,
                                        uint64_t clock_interval_s, uint64_t clock_origin) {
  runtime::ProcessorSpec spec;
  spec.name = TokenSplitterProcessor::kName;
  for (const std::string& chain : chain_names) {
    spec.input_topics.push_back(wire::ChainEventsTopic(topic_prefix, chain));
  }
  spec.output_topics.push_back(wire::TokenDeltasTopic(topic_prefix));
  spec.make = [topic_prefix, clock_chains, clock_interval_s, clock_origin] {
    return std::make_unique<TokenSplitterProcessor>(topic_prefix, clock_chains,
                                                    clock_interval_s, clock_origin);
  };
  return spec;
}

}  // namespace chainflow::engine::processors::token_balances
