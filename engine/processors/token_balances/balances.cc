#include "engine/processors/token_balances/balances.h"

#include <algorithm>
#include <tuple>
#include <optional>

#include <fmt/format.h>

#include "engine/core/logging.h"
#include "engine/processors/common/event_fields.h"
#include "engine/processors/token_balances/state_layout.h"
#include "engine/wire/event_types.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"

namespace chainflow::engine::processors::token_balances {
namespace {

using core::Address;
using core::Result;
using core::Status;
using core::U256;

constexpr const char* kBalanceChangedType = wire::kTokenBalanceChangedType;
constexpr const char* kSupplyChangedType = wire::kTotalSupplyChangedType;
constexpr char kBalanceUnderflowMetric[] = "chainflow_token_balance_underflow_total";
constexpr char kSupplyUnderflowMetric[] = "chainflow_token_supply_underflow_total";
// The runtime counts the Retract hooks of other processors under this name.
constexpr char kRetractionsMetric[] = "chainflow_retractions_total";

// A delta applied to one amount record.
struct Change {
  AmountRecord previous;
  AmountRecord next;
  bool removed = false;  // a retraction left no delta: the record is gone
};

// Where a delta comes from, for the finality bookkeeping (README.md "Reorgs").
struct DeltaSource {
  const v1::LogRef& log;
  uint32_t source_partition = 0;
  bool retracted = false;
};

// Adds `ref` to the records holding unfinalized deltas of (block, source
// partition): the finality index (README.md "Reorgs").
Status Index(state::StateView& state, const std::string& chain, uint32_t partition,
             uint64_t block, const std::string& ref) {
  const std::string key = UnfinalKey(chain, partition, block);
  ASSIGN_OR_RETURN(std::optional<std::string> refs, state.Get(key));
  if (!refs) {
    const std::string blocks_key = UnfinalBlocksKey(chain, partition);
    ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(blocks_key));
    std::vector<uint64_t> blocks;
    if (stored) {
      ASSIGN_OR_RETURN(blocks, DecodeBlocks(*stored));
    }
    blocks.insert(std::upper_bound(blocks.begin(), blocks.end(), block), block);
    state.Put(blocks_key, EncodeBlocks(blocks));
  }
  state.Put(key, refs.value_or("") + ref);
  return Status::Ok();
}

// Takes `ref` out of the finality index of (block, source partition).
Status Unindex(state::StateView& state, const std::string& chain, uint32_t partition,
               uint64_t block, const std::string& ref) {
  const std::string key = UnfinalKey(chain, partition, block);
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  std::optional<std::vector<std::string>> refs = SplitRefs(stored.value_or(""));
  if (!refs) return core::DataLossError("token_balances: malformed finality index");
  std::string kept;
  for (const std::string& r : *refs) {
    if (r != ref) kept += r;
  }
  if (!kept.empty()) {
    state.Put(key, kept);
    return Status::Ok();
  }
  state.Delete(key);
  const std::string blocks_key = UnfinalBlocksKey(chain, partition);
  ASSIGN_OR_RETURN(std::optional<std::string> blocks_value, state.Get(blocks_key));
  ASSIGN_OR_RETURN(std::vector<uint64_t> blocks, DecodeBlocks(blocks_value.value_or("")));
  std::erase(blocks, block);
  if (blocks.empty()) {
    state.Delete(blocks_key);
  } else {
    state.Put(blocks_key, EncodeBlocks(blocks));
  }
  return Status::Ok();
}

// Applies +amount (credit) or -amount to `key`'s record and stores it with
// the block of the newest delta still counted. Deltas of unfinalized blocks
// are also counted per (block, source partition) in the record's pending
// record and indexed until that partition's markers finalize them; a
// retraction takes one back. The record stays even at a net of zero while a
// delta still counts (its block number is part of the view, and deleting it
// would make the kept block depend on arrival order); it goes when a
// retraction leaves no delta at all.
Result<Change> Update(state::StateView& state, const std::string& key, bool credit,
                      const U256& amount, const DeltaSource& source) {
  const std::string& chain = source.log.chain();
  const uint64_t block = source.log.block_number();
  Change change;
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  if (stored) {
    ASSIGN_OR_RETURN(change.previous, DecodeAmountRecord(*stored));
  }
  AmountRecord& next = change.next = change.previous;
  ASSIGN_OR_RETURN(next.net, credit ? Credit(next.net, amount) : Debit(next.net, amount));

  const std::string ref = RecordRef(chain, key);
  const std::string pending_key = PendingKey(chain, ref);
  ASSIGN_OR_RETURN(std::optional<std::string> pending_value, state.Get(pending_key));
  const bool final = source.log.finalized() && !source.retracted;
  if (!pending_value && final) {
    // No delta of the record can be retracted: the plain path of history.
    next.block_number = std::max(next.block_number, block);
    state.Put(key, EncodeAmountRecord(next));
    return change;
  }
  PendingRecord pending;
  if (pending_value) {
    ASSIGN_OR_RETURN(pending, DecodePendingRecord(*pending_value));
  } else {
    // Every delta so far is final (or there is none).
    pending.final_block = change.previous.block_number;
    pending.final_delta = stored.has_value();
  }
  auto entry = std::find_if(pending.deltas.begin(), pending.deltas.end(),
                            [&](const PendingDeltas& d) {
                              return d.block == block &&
                                     d.source_partition == source.source_partition;
                            });
  if (final) {
    pending.final_block = std::max(pending.final_block, block);
    pending.final_delta = true;
  } else if (source.retracted) {
    if (entry == pending.deltas.end()) {
      // Only unfinalized chain deltas are retracted, and the marker that
      // finalizes them follows the retraction on its partition.
      return core::DataLossError(fmt::format(
          "retraction of {} block {} (source partition {}) that the record does not count",
          chain, block, source.source_partition));
    }
    if (--entry->count == 0) {
      pending.deltas.erase(entry);
      RETURN_IF_ERROR(Unindex(state, chain, source.source_partition, block, ref));
    }
  } else if (entry != pending.deltas.end()) {
    ++entry->count;
  } else {
    PendingDeltas added{block, source.source_partition, 1};
    pending.deltas.insert(
        std::upper_bound(pending.deltas.begin(), pending.deltas.end(), added,
                         [](const PendingDeltas& a, const PendingDeltas& b) {
                           return std::tie(a.block, a.source_partition) <
                                  std::tie(b.block, b.source_partition);
                         }),
        added);
    RETURN_IF_ERROR(Index(state, chain, source.source_partition, block, ref));
  }
  next.block_number = pending.ViewBlock();
  change.removed = !pending.final_delta && pending.deltas.empty() && next.net == NetAmount{};
  if (pending.deltas.empty()) {
    state.Delete(pending_key);
  } else {
    state.Put(pending_key, EncodePendingRecord(pending));
  }
  if (change.removed) {
    state.Delete(key);
  } else {
    state.Put(key, EncodeAmountRecord(next));
  }
  return change;
}

// Makes `changed` (a TokenBalanceChanged or TotalSupplyChanged) the
// retraction of the reverted delta of `log`.
template <typename Changed>
void MarkRetraction(Changed& changed, const v1::LogRef& log, bool removed) {
  changed.set_retracted(true);
  changed.set_reverted_block(log.block_number());
  changed.set_reverted_block_hash(log.block_hash());
  changed.set_removed(removed);
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
    : output_topic_(wire::TokenBalancesTopic(topic_prefix)), metrics_(metrics) {}

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
      status = ApplyBlockEnd(event, state);
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
  auto updated = Update(state, key, credit, amount,
                        DeltaSource{log, delta.source_partition(), delta.retracted()});
  if (!updated) return updated.error().WithContext(fmt::format("balance of {}", account.ToHex()));
  const Change& change = updated.value();
  if (change.next.net.negative) {
    metrics_
        .GetCounter(kBalanceUnderflowMetric,
                    "Token balance changes leaving a negative net (shown as 0)",
                    {{"chain", log.chain()}})
        .Inc();
    Log()->debug("balance underflow {}:{}:{}: net -{}", log.chain(), token.ToHex(),
                 account.ToHex(), core::U256ToDecimal(change.next.net.magnitude));
  }

  runtime::OutputEvent event;
  event.topic = output_topic_;
  event.key = wire::AccountKey(log.chain(), token, account);
  event.ce_type = kBalanceChangedType;
  event.event_time = static_cast<int64_t>(log.block_timestamp());
  v1::TokenBalanceChanged* changed = event.envelope.mutable_token_balance_changed();
  *changed->mutable_log() = log;
  changed->set_token(token.ToBytes());
  changed->set_account(account.ToBytes());
  changed->set_balance(core::U256ToBigEndianString(change.next.net.Clamped()));
  changed->set_previous_balance(core::U256ToBigEndianString(change.previous.net.Clamped()));
  changed->set_block_number(change.removed ? 0 : change.next.block_number);
  if (delta.retracted()) {
    MarkRetraction(*changed, log, change.removed);
    CountRetraction();
  }
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
  auto updated = Update(state, SupplyKey(log.chain(), token), mint, amount,
                        DeltaSource{log, delta.source_partition(), delta.retracted()});
  if (!updated) return updated.error().WithContext(fmt::format("supply of {}", token.ToHex()));
  const Change& change = updated.value();
  if (change.next.net.negative) {
    metrics_
        .GetCounter(kSupplyUnderflowMetric,
                    "Token supply changes leaving a negative net (shown as 0)",
                    {{"chain", log.chain()}})
        .Inc();
  }

  runtime::OutputEvent event;
  event.topic = output_topic_;
  event.key = wire::SupplyKey(log.chain(), token);
  event.ce_type = kSupplyChangedType;
  event.event_time = static_cast<int64_t>(log.block_timestamp());
  v1::TotalSupplyChanged* changed = event.envelope.mutable_total_supply_changed();
  *changed->mutable_log() = log;
  changed->set_token(token.ToBytes());
  changed->set_total_supply(core::U256ToBigEndianString(change.next.net.Clamped()));
  changed->set_previous_total_supply(core::U256ToBigEndianString(change.previous.net.Clamped()));
  changed->set_block_number(change.removed ? 0 : change.next.block_number);
  if (delta.retracted()) {
    MarkRetraction(*changed, log, change.removed);
    CountRetraction();
  }
  out.Emit(std::move(event));
  return Status::Ok();
}

void TokenBalancesProcessor::CountRetraction() {
  metrics_
      .GetCounter(kRetractionsMetric, "Retraction events emitted on reorgs",
                  {{"processor", kName}})
      .Inc();
}

Status TokenBalancesProcessor::ApplyBlockEnd(const runtime::InputEvent& event,
                                             state::StateView& state) {
  const v1::BlockEnd& marker = event.envelope.block_end();
  RETURN_IF_ERROR(ValidateChain(marker.chain()).WithContext("block_end.chain"));
  // The copy of one source partition finalizes that partition's deltas.
  if (std::optional<int32_t> source =
          wire::ForwardedMarkerPartition(event.record.key, marker.chain())) {
    RETURN_IF_ERROR(
        Finalize(marker.chain(), static_cast<uint32_t>(*source), marker.finalized(), state));
  }
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

// A source partition's deltas of blocks <= `finalized` can no longer be
// retracted: each record folds their blocks into its final block (the view
// does not change) and the index entries go.
Status TokenBalancesProcessor::Finalize(const std::string& chain, uint32_t source_partition,
                                        uint64_t finalized, state::StateView& state) {
  const std::string blocks_key = UnfinalBlocksKey(chain, source_partition);
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(blocks_key));
  if (!stored) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<uint64_t> blocks, DecodeBlocks(*stored));
  auto due_end = std::upper_bound(blocks.begin(), blocks.end(), finalized);
  if (due_end == blocks.begin()) return Status::Ok();
  for (auto block = blocks.begin(); block != due_end; ++block) {
    const std::string index_key = UnfinalKey(chain, source_partition, *block);
    ASSIGN_OR_RETURN(std::optional<std::string> refs_value, state.Get(index_key));
    std::optional<std::vector<std::string>> refs = SplitRefs(refs_value.value_or(""));
    if (!refs) return core::DataLossError("token_balances: malformed finality index");
    for (const std::string& ref : *refs) {
      const std::string pending_key = PendingKey(chain, ref);
      ASSIGN_OR_RETURN(std::optional<std::string> value, state.Get(pending_key));
      if (!value) continue;
      ASSIGN_OR_RETURN(PendingRecord pending, DecodePendingRecord(*value));
      std::erase_if(pending.deltas, [&](const PendingDeltas& p) {
        return p.block == *block && p.source_partition == source_partition;
      });
      pending.final_block = std::max(pending.final_block, *block);
      pending.final_delta = true;
      // The record's view (net, highest block still counted) is unchanged.
      if (pending.deltas.empty()) {
        state.Delete(pending_key);
      } else {
        state.Put(pending_key, EncodePendingRecord(pending));
      }
    }
    state.Delete(index_key);
  }
  blocks.erase(blocks.begin(), due_end);
  if (blocks.empty()) {
    state.Delete(blocks_key);
  } else {
    state.Put(blocks_key, EncodeBlocks(blocks));
  }
  return Status::Ok();
}

Status TokenBalancesProcessor::ApplyBlockReverted(const v1::BlockReverted& marker,
                                                  state::StateView& state) {
  RETURN_IF_ERROR(ValidateChain(marker.chain()).WithContext("block_reverted.chain"));
  if (marker.number() == 0) return core::InvalidArgumentError("block_reverted of block 0");
  // The deltas of the reverted block come back as retractions from the
  // splitter (README.md "Reorgs"); the marker only moves the head.
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
  spec.input_topics.push_back(wire::TokenDeltasTopic(topic_prefix));
  spec.output_topics.push_back(wire::TokenBalancesTopic(topic_prefix));
  // The deltas topic interleaves every events partition: reorgs come as the
  // splitter's retractions (README.md "Reorgs"), not as per-block undo.
  spec.per_block_undo = false;
  spec.make = [topic_prefix] { return std::make_unique<TokenBalancesProcessor>(topic_prefix); };
  return spec;
}

}  // namespace chainflow::engine::processors::token_balances
