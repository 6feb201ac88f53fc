#include "engine/processors/intents/intents.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "engine/processors/common/event_fields.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"

namespace chainflow::engine::processors::intents {
namespace {

using core::Address;
using core::Result;
using core::Status;
using core::U256;

constexpr char kUserSource[] = "user";

std::string ChainSource(std::string_view chain, int32_t upstream) {
  return fmt::format("c/{}/{}", chain, upstream);
}

std::string SettlementSource(uint32_t partition) { return fmt::format("s/{}", partition); }

// The chain and user sources: what the task's settlement promise follows.
std::vector<std::string> InputSources(const IntentsOptions& options) {
  std::vector<std::string> sources;
  for (const std::string& chain : options.chains) {
    for (int32_t u = 0; u < options.upstream_partitions; ++u) {
      sources.push_back(ChainSource(chain, u));
    }
  }
  sources.push_back(kUserSource);
  return sources;
}

// ... and every task's settlement promise: the task's event time.
std::vector<std::string> Sources(const IntentsOptions& options) {
  std::vector<std::string> sources = InputSources(options);
  for (int32_t q = 0; q < options.partitions; ++q) {
    sources.push_back(SettlementSource(static_cast<uint32_t>(q)));
  }
  return sources;
}

// "<chain>/<upstream partition>", the key the splitter gives forwarded markers.
Result<int32_t> UpstreamOf(const std::string& key, const std::string& chain) {
  if (std::optional<int32_t> upstream = wire::ForwardedMarkerPartition(key, chain)) {
    return *upstream;
  }
  return core::InvalidArgumentError(fmt::format(
      "block_end key \"{}\" is not \"{}/<upstream partition>\" (token_splitter's)", key, chain));
}

}  // namespace

IntentsProcessor::IntentsProcessor(IntentsOptions options, core::MetricsRegistry& metrics)
    : options_(std::move(options)),
      metrics_(metrics),
      clock_(ClockPrefix(), Sources(options_)),
      input_clock_(ClockPrefix(), InputSources(options_)),
      approvals_(TimerKey(), options_.epoch_genesis, options_.approval_interval_s),
      epochs_("", options_.epoch_genesis, options_.epoch_length_s),
      days_("", options_.epoch_genesis, options_.accrual_period_s),
      outputs_(options_.topic_prefix, metrics),
      settlement_(options_, ledger_, outputs_, epochs_),
      lifecycle_(options_, ledger_, settlement_, outputs_, approvals_, epochs_, metrics),
      accruals_(options_, ledger_, outputs_, approvals_, days_),
      payments_(options_, ledger_, accruals_, outputs_, approvals_, metrics),
      barrier_(outputs_, epochs_) {}

Status IntentsProcessor::Apply(const runtime::InputEvent& event, state::StateView& state,
                               runtime::Emitter& out) {
  const v1::Envelope& envelope = event.envelope;
  partition_ = static_cast<uint32_t>(event.record.partition.value());
  Status status;
  switch (envelope.payload_case()) {
    case v1::Envelope::kBalanceDelta:
      status = ApplyDelta(envelope.balance_delta(), state);
      break;
    case v1::Envelope::kBlockEnd:
      status = ApplyChainClock(event, state, out);
      break;
    case v1::Envelope::kIntentSubmitted:
    case v1::Envelope::kMintRequested:
    case v1::Envelope::kBurnRequested:
      status = ApplyUserRequest(envelope, state, out);
      break;
    case v1::Envelope::kUserClock:
      status = AdvanceUser(envelope.user_clock().time(), state, out);
      break;
    case v1::Envelope::kSettlementMark: {
      const v1::SettlementMark& mark = envelope.settlement_mark();
      auto watermark = clock_.Advance(SettlementSource(mark.partition()), mark.through(), state);
      status = watermark.has_value() ? AdvanceTo(watermark.value(), state, out)
                                     : watermark.error();
      break;
    }
    case v1::Envelope::kSupplyDelta:     // supply is token_balances'
    case v1::Envelope::kBlockReverted:   // README.md "Reorgs"
      return Status::Ok();
    case v1::Envelope::PAYLOAD_NOT_SET:
      status = core::InvalidArgumentError("envelope has no payload");
      break;
    default: {
      const auto* field = v1::Envelope::descriptor()->FindFieldByNumber(envelope.payload_case());
      status = core::InvalidArgumentError(
          fmt::format("unexpected payload {} for intents", field ? field->name() : "?"));
      break;
    }
  }
  // Deltas move neither the input clock nor the timer: no new promise.
  if (status.ok() && envelope.payload_case() != v1::Envelope::kBalanceDelta) {
    status = Promise(state, out);
  }
  if (status.ok()) return status;
  return status.WithContext(fmt::format("intents: envelope \"{}\"", envelope.id()));
}

// A delta counts in the account's total at once; one stamped at or after
// the watermark is also remembered, so an approval at an earlier deadline
// can leave it out (README.md "Balances as of a deadline").
Status IntentsProcessor::ApplyDelta(const v1::BalanceDelta& delta, state::StateView& state) {
  if (!delta.has_log()) return core::InvalidArgumentError("balance_delta without log");
  // Accruals and payments are booked by the account's own task when made
  // (this task): their copies are token_balances'.
  if (delta.origin() == v1::BalanceDelta::ORIGIN_ACCRUAL ||
      delta.origin() == v1::BalanceDelta::ORIGIN_MINT_REQUEST ||
      delta.origin() == v1::BalanceDelta::ORIGIN_BURN_REQUEST) {
    return Status::Ok();
  }
  const v1::LogRef& log = delta.log();
  ASSIGN_OR_RETURN(Address contract, ParseLog(log));
  if (!options_.Approves(log.chain())) return Status::Ok();
  ASSIGN_OR_RETURN(Address token, ParseAddress(delta.token(), "balance_delta.token"));
  if (token != contract) {
    return core::InvalidArgumentError("balance_delta.token is not log.contract");
  }
  ASSIGN_OR_RETURN(Address account, ParseAddress(delta.account(), "balance_delta.account"));
  ASSIGN_OR_RETURN(U256 amount, ParseUint256(delta.amount(), "balance_delta.amount"));
  NetAmount signed_amount{false, amount};
  if (delta.direction() == v1::BalanceDelta::DIRECTION_DEBIT) {
    signed_amount.negative = amount != 0;
  } else if (delta.direction() != v1::BalanceDelta::DIRECTION_CREDIT) {
    return core::InvalidArgumentError("balance_delta.direction is not set");
  }
  if (!delta.intent_id().empty()) {
    RETURN_IF_ERROR(settlement_.NoteSettled(delta, token, account, amount, state));
  }
  RETURN_IF_ERROR(
      ledger_.Book({log.chain(), token, account}, signed_amount, log.block_timestamp(), state));
  return accruals_.Arm(log.chain(), token, log.block_timestamp(), state);
}

Status IntentsProcessor::ApplyChainClock(const runtime::InputEvent& event,
                                         state::StateView& state, runtime::Emitter& out) {
  const v1::BlockEnd& end = event.envelope.block_end();
  RETURN_IF_ERROR(ValidateChain(end.chain()).WithContext("block_end.chain"));
  if (!options_.Approves(end.chain())) return Status::Ok();
  ASSIGN_OR_RETURN(int32_t upstream, UpstreamOf(event.record.key, end.chain()));
  if (upstream >= options_.upstream_partitions) {
    return core::InvalidArgumentError(
        fmt::format("block_end from upstream partition {} of {}, which has {} partitions",
                    upstream, end.chain(), options_.upstream_partitions));
  }
  // The upstream partition's chain time is that of its finalized block
  // (README.md "Reorgs"): a deadline passes only once every block before it
  // is final, so the deltas and retractions of reverted blocks are in.
  const bool final = end.finalized() >= end.number();
  const uint64_t finalized_time = final ? end.timestamp() : end.finalized_timestamp();
  NoteFinalized(end.chain(), upstream, final ? end.number() : end.finalized());
  ASSIGN_OR_RETURN(uint64_t watermark,
                   clock_.Advance(ChainSource(end.chain(), upstream), finalized_time, state));
  return AdvanceTo(watermark, state, out);
}

// An intent, a mint or a burn: taken at the later of its time and the user
// source's (the late rule, README.md "Event time"), which the user source
// then advances to.
Status IntentsProcessor::ApplyUserRequest(const v1::Envelope& envelope, state::StateView& state,
                                          runtime::Emitter& out) {
  ASSIGN_OR_RETURN(uint64_t user_time, clock_.SourceTime(kUserSource, state));
  uint64_t at = 0;
  if (envelope.has_intent_submitted()) {
    ASSIGN_OR_RETURN(at, lifecycle_.Submit(envelope.intent_submitted(), user_time, state, out));
  } else if (envelope.has_mint_requested()) {
    ASSIGN_OR_RETURN(at, payments_.Mint(envelope.mint_requested(), user_time, state, out));
  } else {
    ASSIGN_OR_RETURN(at, payments_.Burn(envelope.burn_requested(), user_time, state));
  }
  return AdvanceUser(at, state, out);
}

Status IntentsProcessor::AdvanceUser(uint64_t at, state::StateView& state,
                                     runtime::Emitter& out) {
  ASSIGN_OR_RETURN(uint64_t watermark, clock_.Advance(kUserSource, at, state));
  return AdvanceTo(watermark, state, out);
}

Status IntentsProcessor::Promise(state::StateView& state, runtime::Emitter& out) {
  ASSIGN_OR_RETURN(uint64_t input_time, input_clock_.Watermark(state));
  ASSIGN_OR_RETURN(uint64_t next, approvals_.Next(state));
  return barrier_.Promise(partition_, input_time, next, state, out);
}

Status IntentsProcessor::AdvanceTo(uint64_t watermark, state::StateView& state,
                                   runtime::Emitter& out) {
  ASSIGN_OR_RETURN(uint64_t previous, ReadWatermark(state));
  if (watermark <= previous) return Status::Ok();
  state.Put(WatermarkKey(), runtime::EncodeTime(watermark));
  metrics_
      .GetGauge("chainflow_intents_decided_through_seconds",
                "Event time up to which this intents task has run every approval deadline",
                {{"task", std::to_string(partition_)}})
      .Set(static_cast<double>(watermark));
  RETURN_IF_ERROR(approvals_.FireUpTo(
      watermark, state, [&](uint64_t deadline) { return Fire(deadline, state, out); }));
  return settlement_.SendSettled(watermark, state, out);
}

void IntentsProcessor::NoteFinalized(const std::string& chain, int32_t upstream,
                                     uint64_t block) {
  std::vector<uint64_t>& blocks = finalized_[chain];
  blocks.resize(static_cast<size_t>(options_.upstream_partitions), 0);
  uint64_t& seen = blocks[static_cast<size_t>(upstream)];
  if (block <= seen) return;
  seen = block;
  const uint64_t reached = *std::min_element(blocks.begin(), blocks.end());
  if (reached == 0) return;  // an upstream partition has not reported yet
  metrics_
      .GetGauge("chainflow_intents_finalized_block",
                "The finalized block of the chain that this intents task's decisions have "
                "reached: every block at or below it is in, none above it counts",
                {{"chain", chain}, {"task", std::to_string(partition_)}})
      .Set(static_cast<double>(reached));
}

Status IntentsProcessor::Fire(uint64_t deadline, state::StateView& state, runtime::Emitter& out) {
  RETURN_IF_ERROR(lifecycle_.Approve(deadline, state, out));
  RETURN_IF_ERROR(payments_.DecideBurns(deadline, state, out));
  // After the epoch's last approvals; only epoch ends settle.
  RETURN_IF_ERROR(settlement_.Settle(deadline, partition_, state, out));
  return accruals_.Accrue(deadline, state, out);  // only day ends accrue
}

runtime::ProcessorSpec MakeIntentsSpec(const IntentsOptions& options) {
  runtime::ProcessorSpec spec;
  spec.name = IntentsProcessor::kName;
  spec.input_topics = {wire::TokenDeltasTopic(options.topic_prefix),
                       wire::UserEventsTopic(options.topic_prefix)};
  // Settlement deltas and marks go to the deltas topic: its own input.
  const IntentsTopics topics(options.topic_prefix);
  spec.output_topics = {topics.intents, topics.deltas, topics.parts, topics.settlements,
                        topics.accruals};
  spec.co_partitioned = true;
  // Deltas and markers of every events partition interleave on the deltas
  // topic: reverted blocks come back as retracted deltas (README.md "Reorgs").
  spec.per_block_undo = false;
  spec.make = [options] { return std::make_unique<IntentsProcessor>(options); };
  return spec;
}

}  // namespace chainflow::engine::processors::intents
