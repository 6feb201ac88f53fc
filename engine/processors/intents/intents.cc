#include "engine/processors/intents/intents.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include <fmt/format.h>

#include "engine/processors/common/event_fields.h"

namespace chainflow::engine::processors::intents {
namespace {

using core::Address;
using core::Result;
using core::Status;
using core::U256;

constexpr char kStatusChangedType[] = "chainflow.intents.IntentStatusChanged";
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

Result<std::vector<QueuedIntent>> LoadList(state::StateView& state, const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  if (!stored) return std::vector<QueuedIntent>{};
  return DecodeQueue(*stored);
}

// Adds `entry` to the sorted list under `key`.
Status AddToList(state::StateView& state, const std::string& key, const QueuedIntent& entry) {
  ASSIGN_OR_RETURN(std::vector<QueuedIntent> list, LoadList(state, key));
  list.insert(std::upper_bound(list.begin(), list.end(), entry), entry);
  state.Put(key, EncodeQueue(list));
  return Status::Ok();
}

const char* StatusName(v1::IntentStatus status) {
  switch (status) {
    case v1::INTENT_STATUS_SUBMITTED: return "submitted";
    case v1::INTENT_STATUS_APPROVED: return "approved";
    case v1::INTENT_STATUS_REJECTED: return "rejected";
    case v1::INTENT_STATUS_EXPIRED: return "expired";
    case v1::INTENT_STATUS_SETTLED: return "settled";
    default: return "unspecified";
  }
}

bool IsIntentId(const std::string& id) {
  return id.size() == 32 && std::all_of(id.begin(), id.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

Result<uint64_t> ReadWatermark(state::StateView& state) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(WatermarkKey()));
  if (!stored) return uint64_t{0};
  return runtime::DecodeTime(*stored);
}

Result<AccountRecord> LoadAccount(state::StateView& state, const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  if (!stored) return AccountRecord{};
  return DecodeAccountRecord(*stored);
}

Result<std::vector<TimedAmount>> LoadFuture(state::StateView& state, const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  if (!stored) return std::vector<TimedAmount>{};
  return DecodeFutureDeltas(*stored);
}

void StoreFuture(state::StateView& state, const std::string& key,
                 const std::vector<TimedAmount>& future) {
  if (future.empty()) {
    state.Delete(key);
  } else {
    state.Put(key, EncodeFutureDeltas(future));
  }
}

// "<chain>/<upstream partition>", the key the splitter gives forwarded markers.
Result<int32_t> UpstreamOf(const std::string& key, const std::string& chain) {
  int32_t upstream = -1;
  const std::string prefix = chain + "/";
  if (key.compare(0, prefix.size(), prefix) == 0) {
    const char* begin = key.data() + prefix.size();
    const char* end = key.data() + key.size();
    auto [ptr, ec] = std::from_chars(begin, end, upstream);
    if (ec == std::errc() && ptr == end && begin != end) return upstream;
  }
  return core::InvalidArgumentError(fmt::format(
      "block_end key \"{}\" is not \"{}/<upstream partition>\" (token_splitter's)", key, chain));
}

}  // namespace

std::string IntentsTopic(const std::string& topic_prefix) { return topic_prefix + ".intents"; }

IntentsProcessor::IntentsProcessor(IntentsOptions options, core::MetricsRegistry& metrics)
    : options_(std::move(options)),
      output_topic_(IntentsTopic(options_.topic_prefix)),
      deltas_topic_(options_.topic_prefix + ".token.deltas"),
      clock_(ClockPrefix(), Sources(options_)),
      input_clock_(ClockPrefix(), InputSources(options_)),
      approvals_(TimerKey(), options_.epoch_genesis, options_.approval_interval_s),
      epochs_("", options_.epoch_genesis, options_.epoch_length_s),
      metrics_(metrics) {}

bool IntentsProcessor::Enabled(const std::string& chain) const {
  return std::find(options_.chains.begin(), options_.chains.end(), chain) !=
         options_.chains.end();
}

Status IntentsProcessor::Apply(const runtime::InputEvent& event, state::StateView& state,
                               runtime::Emitter& out) {
  const v1::Envelope& envelope = event.envelope;
  Status status;
  switch (envelope.payload_case()) {
    case v1::Envelope::kBalanceDelta:
      status = ApplyDelta(envelope.balance_delta(), state);
      break;
    case v1::Envelope::kBlockEnd:
      status = ApplyChainClock(event, state, out);
      break;
    case v1::Envelope::kIntentSubmitted:
      status = ApplyIntent(envelope.intent_submitted(), state, out);
      break;
    case v1::Envelope::kUserClock:
      status = ApplyUserClock(envelope.user_clock(), state, out);
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
    case v1::Envelope::kMintRequested:   // settlement's (a later change)
    case v1::Envelope::kBurnRequested:
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
    status = Promise(static_cast<uint32_t>(event.record.partition.value()), state, out);
  }
  if (status.ok()) return status;
  return status.WithContext(fmt::format("intents: envelope \"{}\"", envelope.id()));
}

// A delta counts in the account's total at once; one stamped at or after
// the watermark is also remembered, so an approval at an earlier deadline
// can leave it out (README.md "Balances as of a deadline").
Status IntentsProcessor::ApplyDelta(const v1::BalanceDelta& delta, state::StateView& state) {
  if (!delta.has_log()) return core::InvalidArgumentError("balance_delta without log");
  const v1::LogRef& log = delta.log();
  ASSIGN_OR_RETURN(Address contract, ParseLog(log));
  if (!Enabled(log.chain())) return Status::Ok();
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
  const std::string key = AccountKey(log.chain(), token, account);
  ASSIGN_OR_RETURN(AccountRecord record, LoadAccount(state, key));
  ASSIGN_OR_RETURN(record.total, Add(record.total, signed_amount));
  state.Put(key, EncodeAccountRecord(record));

  ASSIGN_OR_RETURN(uint64_t watermark, ReadWatermark(state));
  if (log.block_timestamp() < watermark) return Status::Ok();
  const std::string future_key = FutureKey(log.chain(), token, account);
  ASSIGN_OR_RETURN(std::vector<TimedAmount> future, LoadFuture(state, future_key));
  // Entries below the watermark are past every deadline still to fire (all
  // deadlines <= watermark have fired): the total already holds them.
  std::erase_if(future, [watermark](const TimedAmount& d) { return d.time < watermark; });
  future.push_back({log.block_timestamp(), signed_amount});
  StoreFuture(state, future_key, future);
  return Status::Ok();
}

Status IntentsProcessor::ApplyChainClock(const runtime::InputEvent& event,
                                         state::StateView& state, runtime::Emitter& out) {
  const v1::BlockEnd& end = event.envelope.block_end();
  RETURN_IF_ERROR(ValidateChain(end.chain()).WithContext("block_end.chain"));
  if (!Enabled(end.chain())) return Status::Ok();
  ASSIGN_OR_RETURN(int32_t upstream, UpstreamOf(event.record.key, end.chain()));
  if (upstream >= options_.upstream_partitions) {
    return core::InvalidArgumentError(
        fmt::format("block_end from upstream partition {} of {}, which has {} partitions",
                    upstream, end.chain(), options_.upstream_partitions));
  }
  ASSIGN_OR_RETURN(uint64_t watermark,
                   clock_.Advance(ChainSource(end.chain(), upstream), end.timestamp(), state));
  return AdvanceTo(watermark, state, out);
}

Status IntentsProcessor::ApplyUserClock(const v1::UserClock& clock, state::StateView& state,
                                        runtime::Emitter& out) {
  ASSIGN_OR_RETURN(uint64_t watermark, clock_.Advance(kUserSource, clock.time(), state));
  return AdvanceTo(watermark, state, out);
}

Status IntentsProcessor::ApplyIntent(const v1::IntentSubmitted& intent, state::StateView& state,
                                     runtime::Emitter& out) {
  if (!IsIntentId(intent.intent_id())) {
    return core::InvalidArgumentError(fmt::format(
        "intent_submitted.intent_id \"{}\" is not 32 lowercase hex digits", intent.intent_id()));
  }
  RETURN_IF_ERROR(ValidateChain(intent.chain()).WithContext("intent_submitted.chain"));
  ASSIGN_OR_RETURN(Address token, ParseAddress(intent.token(), "intent_submitted.token"));
  ASSIGN_OR_RETURN(Address payer, ParseAddress(intent.payer(), "intent_submitted.payer"));
  ASSIGN_OR_RETURN(Address payee, ParseAddress(intent.payee(), "intent_submitted.payee"));
  ASSIGN_OR_RETURN(U256 amount, ParseUint256(intent.amount(), "intent_submitted.amount"));
  if (amount == 0) return core::InvalidArgumentError("intent_submitted.amount is 0");
  if (intent.kind() != v1::INTENT_KIND_CLAP && intent.kind() != v1::INTENT_KIND_GIFT) {
    return core::InvalidArgumentError("intent_submitted.kind is not clap or gift");
  }
  const std::string key = IntentKey(intent.intent_id());
  ASSIGN_OR_RETURN(std::optional<std::string> existing, state.Get(key));
  if (existing) return Status::Ok();  // appended twice (a retried POST): same id, same intent

  // Late rule: an intent stamped before the user clock already promised
  // (README.md "Event time") is taken at the clock's time.
  ASSIGN_OR_RETURN(uint64_t user_time, clock_.SourceTime(kUserSource, state));
  const uint64_t at = std::max<uint64_t>(intent.received_at(), user_time);
  if (at > intent.received_at()) {
    metrics_
        .GetCounter("chainflow_intents_late_total",
                    "Intents stamped before the user clock had passed; taken at the clock's time",
                    {{"chain", intent.chain()}})
        .Inc();
  }

  v1::IntentStatusChanged change;
  change.set_intent_id(intent.intent_id());
  change.set_kind(intent.kind());
  change.set_chain(intent.chain());
  change.set_token(token.ToBytes());
  change.set_payer(payer.ToBytes());
  change.set_payee(payee.ToBytes());
  change.set_amount(core::U256ToBigEndianString(amount));
  change.set_memo(intent.memo());
  change.set_submitted_at(at);
  change.set_decided_at(at);
  uint64_t expires_at = at + options_.ttl_s;
  if (intent.has_delegation() && intent.delegation().expires_at() != 0) {
    expires_at = std::min<uint64_t>(expires_at, intent.delegation().expires_at());
  }
  change.set_expires_at(expires_at);
  change.set_epoch(epochs_.IndexOf(at));

  if (!Enabled(intent.chain()) || payer == payee) {
    change.set_status(v1::INTENT_STATUS_REJECTED);
    change.set_reason(payer == payee
                          ? "payer and payee are the same account"
                          : fmt::format("chain \"{}\" is not in intents.chains", intent.chain()));
  } else {
    change.set_status(v1::INTENT_STATUS_SUBMITTED);
    const uint64_t deadline = approvals_.DeadlineAfter(at);
    RETURN_IF_ERROR(AddToList(state, QueueKey(deadline), {at, intent.intent_id()}));
    RETURN_IF_ERROR(approvals_.Arm(deadline, state));
  }
  state.Put(key, change.SerializeAsString());
  Publish(change, out);
  ASSIGN_OR_RETURN(uint64_t watermark, clock_.Advance(kUserSource, at, state));
  return AdvanceTo(watermark, state, out);
}

Status IntentsProcessor::AdvanceTo(uint64_t watermark, state::StateView& state,
                                   runtime::Emitter& out) {
  ASSIGN_OR_RETURN(uint64_t previous, ReadWatermark(state));
  if (watermark <= previous) return Status::Ok();
  state.Put(WatermarkKey(), runtime::EncodeTime(watermark));
  return approvals_.FireUpTo(watermark, state, [&](uint64_t deadline) {
    RETURN_IF_ERROR(Approve(deadline, state, out));
    return Settle(deadline, state, out);  // after the epoch's last approvals
  });
}

Status IntentsProcessor::Approve(uint64_t deadline, state::StateView& state,
                                 runtime::Emitter& out) {
  const std::string queue_key = QueueKey(deadline);
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(queue_key));
  if (!stored) return Status::Ok();
  state.Delete(queue_key);
  ASSIGN_OR_RETURN(std::vector<QueuedIntent> queue, DecodeQueue(*stored));
  for (const QueuedIntent& queued : queue) {
    RETURN_IF_ERROR(Decide(queued, deadline, state, out));
  }
  return Status::Ok();
}

// The payer's balance as of `deadline`: its total less the deltas stamped at
// or after it (those stamped before are dropped from the future list).
Result<NetAmount> IntentsProcessor::BalanceAsOf(const std::string& chain, const Address& token,
                                                const Address& account, uint64_t deadline,
                                                const AccountRecord& record,
                                                state::StateView& state) const {
  const std::string future_key = FutureKey(chain, token, account);
  ASSIGN_OR_RETURN(std::vector<TimedAmount> future, LoadFuture(state, future_key));
  NetAmount as_of = record.total;
  std::vector<TimedAmount> later;
  for (const TimedAmount& d : future) {
    if (d.time < deadline) continue;
    ASSIGN_OR_RETURN(as_of, Subtract(as_of, d.amount));
    later.push_back(d);
  }
  if (later.size() != future.size()) StoreFuture(state, future_key, later);
  return as_of;
}

// Settles the intents approved in the epoch ending at `epoch_end`, in
// (submitted_at, intent_id) order: each moves its amount from payer to payee
// as two BalanceDeltas stamped `epoch_end` on the deltas topic (counted here
// and in token_balances when they come back), or is rejected when the
// payer's balance no longer covers it. Either way its reservation ends.
Status IntentsProcessor::Settle(uint64_t epoch_end, state::StateView& state,
                                runtime::Emitter& out) {
  const std::string list_key = SettlementKey(epoch_end);
  ASSIGN_OR_RETURN(std::vector<QueuedIntent> list, LoadList(state, list_key));
  if (list.empty()) return Status::Ok();
  state.Delete(list_key);
  std::map<std::string, U256> moved;  // per account key: settled this round, not yet back
  for (const QueuedIntent& queued : list) {
    const std::string key = IntentKey(queued.intent_id);
    ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
    v1::IntentStatusChanged change;
    if (!stored || !change.ParseFromString(*stored) ||
        change.status() != v1::INTENT_STATUS_APPROVED) {
      return core::DataLossError(
          fmt::format("intent {} to settle is not an approved intent", queued.intent_id));
    }
    ASSIGN_OR_RETURN(Address token, Address::FromBytes(change.token()));
    ASSIGN_OR_RETURN(Address payer, Address::FromBytes(change.payer()));
    ASSIGN_OR_RETURN(Address payee, Address::FromBytes(change.payee()));
    ASSIGN_OR_RETURN(U256 amount, core::U256FromBigEndian(change.amount()));
    const std::string account_key = AccountKey(change.chain(), token, payer);
    ASSIGN_OR_RETURN(AccountRecord account, LoadAccount(state, account_key));
    ASSIGN_OR_RETURN(NetAmount as_of,
                     BalanceAsOf(change.chain(), token, payer, epoch_end, account, state));
    U256& already = moved[account_key];
    const U256 held = as_of.Clamped() > already ? as_of.Clamped() - already : U256(0);
    account.reserved = account.reserved > amount ? account.reserved - amount : U256(0);
    state.Put(account_key, EncodeAccountRecord(account));
    change.set_previous_status(change.status());
    change.set_decided_at(epoch_end);
    change.set_available(core::U256ToBigEndianString(held));
    if (held >= amount) {
      already += amount;
      change.set_status(v1::INTENT_STATUS_SETTLED);
      EmitSettlementDelta(change, payer, amount, v1::BalanceDelta::DIRECTION_DEBIT, out);
      EmitSettlementDelta(change, payee, amount, v1::BalanceDelta::DIRECTION_CREDIT, out);
    } else {
      change.set_status(v1::INTENT_STATUS_REJECTED);
      change.set_reason(fmt::format("balance fell below the reservation: {} held < {} amount "
                                    "at the epoch's end",
                                    core::U256ToDecimal(held), core::U256ToDecimal(amount)));
    }
    state.Put(key, change.SerializeAsString());
    Publish(change, out);
  }
  return Status::Ok();
}

void IntentsProcessor::EmitSettlementDelta(const v1::IntentStatusChanged& change,
                                           const Address& account, const U256& amount,
                                           v1::BalanceDelta::Direction direction,
                                           runtime::Emitter& out) const {
  runtime::OutputEvent event;
  event.topic = deltas_topic_;
  auto token = Address::FromBytes(change.token()).value();
  event.key = fmt::format("{}:{}:{}", change.chain(), token.ToHex(), account.ToHex());
  event.id = fmt::format("settle/{}/{}", change.intent_id(),
                         direction == v1::BalanceDelta::DIRECTION_DEBIT ? "debit" : "credit");
  event.ce_type = "chainflow.token.BalanceDelta";
  event.event_time = static_cast<int64_t>(change.decided_at());
  v1::BalanceDelta* delta = event.envelope.mutable_balance_delta();
  v1::LogRef* log = delta->mutable_log();
  log->set_chain(change.chain());
  log->set_block_timestamp(change.decided_at());
  log->set_contract(change.token());
  log->set_finalized(true);
  delta->set_token(change.token());
  delta->set_account(account.ToBytes());
  delta->set_amount(core::U256ToBigEndianString(amount));
  delta->set_direction(direction);
  delta->set_intent_id(change.intent_id());
  out.Emit(std::move(event));
}

// This task's promise to the others (README.md "Settlement"): it settles only
// at epoch ends, never before the one after its input clock (new intents are
// stamped at or above it) nor before the one at or after its next deadline.
Status IntentsProcessor::Promise(uint32_t partition, state::StateView& state,
                                 runtime::Emitter& out) {
  ASSIGN_OR_RETURN(uint64_t input_time, input_clock_.Watermark(state));
  if (input_time == 0) return Status::Ok();
  uint64_t through = epochs_.DeadlineAfter(input_time);
  ASSIGN_OR_RETURN(uint64_t next, approvals_.Next(state));
  if (next != 0) through = std::min(through, epochs_.DeadlineAfter(next - 1));
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(MarkKey()));
  if (stored) {
    ASSIGN_OR_RETURN(uint64_t promised, runtime::DecodeTime(*stored));
    if (through <= promised) return Status::Ok();
  }
  state.Put(MarkKey(), runtime::EncodeTime(through));
  runtime::OutputEvent event;
  event.topic = deltas_topic_;
  event.key = fmt::format("intents/{}", partition);
  event.id = fmt::format("mark/{}/{}", partition, through);
  event.ce_type = "chainflow.intents.SettlementMark";
  event.event_time = static_cast<int64_t>(through);
  event.all_partitions = true;
  event.envelope.mutable_settlement_mark()->set_partition(partition);
  event.envelope.mutable_settlement_mark()->set_through(through);
  out.Emit(std::move(event));
  return Status::Ok();
}

// Approves, rejects or expires one queued intent at `deadline`. The payer's
// balance as of the deadline is its total less the deltas stamped at or
// after it; those stamped before are dropped from the future list here.
Status IntentsProcessor::Decide(const QueuedIntent& queued, uint64_t deadline,
                                state::StateView& state, runtime::Emitter& out) {
  const std::string key = IntentKey(queued.intent_id);
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  v1::IntentStatusChanged change;
  if (!stored || !change.ParseFromString(*stored)) {
    return core::DataLossError(fmt::format("queued intent {} has no record", queued.intent_id));
  }
  if (change.status() != v1::INTENT_STATUS_SUBMITTED) return Status::Ok();
  ASSIGN_OR_RETURN(Address token, Address::FromBytes(change.token()));
  ASSIGN_OR_RETURN(Address payer, Address::FromBytes(change.payer()));
  ASSIGN_OR_RETURN(U256 amount, core::U256FromBigEndian(change.amount()));

  const std::string account_key = AccountKey(change.chain(), token, payer);
  ASSIGN_OR_RETURN(AccountRecord account, LoadAccount(state, account_key));
  ASSIGN_OR_RETURN(NetAmount as_of,
                   BalanceAsOf(change.chain(), token, payer, deadline, account, state));
  const U256 held = as_of.Clamped();
  const U256 available = held > account.reserved ? held - account.reserved : U256(0);

  change.set_previous_status(change.status());
  change.set_decided_at(deadline);
  change.set_available(core::U256ToBigEndianString(available));
  if (change.expires_at() < deadline) {
    change.set_status(v1::INTENT_STATUS_EXPIRED);
    change.set_reason(fmt::format("expired at {}, before the approval at {}",
                                  change.expires_at(), deadline));
  } else if (available >= amount) {
    change.set_status(v1::INTENT_STATUS_APPROVED);
    account.reserved += amount;  // <= held <= 2^256-1: cannot wrap
    state.Put(account_key, EncodeAccountRecord(account));
    // Settled at its epoch's end, itself an approval deadline.
    const uint64_t epoch_end = epochs_.DeadlineAfter(change.submitted_at());
    RETURN_IF_ERROR(AddToList(state, SettlementKey(epoch_end),
                              {change.submitted_at(), change.intent_id()}));
    // The epoch's end fires after this deadline (or is this one: then its
    // settlement follows these approvals in the same firing).
    if (epoch_end != deadline) RETURN_IF_ERROR(approvals_.Arm(epoch_end, state));
  } else {
    change.set_status(v1::INTENT_STATUS_REJECTED);
    change.set_reason(fmt::format("insufficient available balance: {} available < {} amount",
                                  core::U256ToDecimal(available), core::U256ToDecimal(amount)));
  }
  state.Put(key, change.SerializeAsString());
  Publish(change, out);
  return Status::Ok();
}

void IntentsProcessor::Publish(const v1::IntentStatusChanged& change,
                               runtime::Emitter& out) const {
  runtime::OutputEvent event;
  event.topic = output_topic_;
  auto token = Address::FromBytes(change.token());
  auto payer = Address::FromBytes(change.payer());
  event.key = fmt::format("{}:{}:{}", change.chain(), token ? token.value().ToHex() : "",
                          payer ? payer.value().ToHex() : "");
  event.id = fmt::format("intent/{}/{}", change.intent_id(), StatusName(change.status()));
  event.ce_type = kStatusChangedType;
  event.event_time = static_cast<int64_t>(change.decided_at());
  *event.envelope.mutable_intent_status_changed() = change;
  metrics_
      .GetCounter("chainflow_intents_transitions_total", "Intent status changes published",
                  {{"status", StatusName(change.status())}})
      .Inc();
  out.Emit(std::move(event));
}

runtime::ProcessorSpec MakeIntentsSpec(const IntentsOptions& options) {
  runtime::ProcessorSpec spec;
  spec.name = IntentsProcessor::kName;
  spec.input_topics = {options.topic_prefix + ".token.deltas",
                       options.topic_prefix + ".user.events"};
  // Settlement deltas and marks go to the deltas topic: its own input.
  spec.output_topics = {IntentsTopic(options.topic_prefix), options.topic_prefix + ".token.deltas"};
  spec.co_partitioned = true;
  spec.make = [options] { return std::make_unique<IntentsProcessor>(options); };
  return spec;
}

}  // namespace chainflow::engine::processors::intents
