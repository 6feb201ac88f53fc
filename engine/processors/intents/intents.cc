#include "engine/processors/intents/intents.h"

#include <algorithm>
#include <charconv>
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

std::vector<std::string> Sources(const IntentsOptions& options) {
  std::vector<std::string> sources;
  for (const std::string& chain : options.chains) {
    for (int32_t u = 0; u < options.upstream_partitions; ++u) {
      sources.push_back(ChainSource(chain, u));
    }
  }
  sources.push_back(kUserSource);
  return sources;
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
      clock_(ClockPrefix(), Sources(options_)),
      approvals_(TimerKey(), options_.epoch_genesis, options_.approval_interval_s),
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
  const runtime::IntervalTimer epochs("", options_.epoch_genesis, options_.epoch_length_s);
  change.set_epoch(epochs.IndexOf(at));

  if (!Enabled(intent.chain()) || payer == payee) {
    change.set_status(v1::INTENT_STATUS_REJECTED);
    change.set_reason(payer == payee
                          ? "payer and payee are the same account"
                          : fmt::format("chain \"{}\" is not in intents.chains", intent.chain()));
  } else {
    change.set_status(v1::INTENT_STATUS_SUBMITTED);
    const uint64_t deadline = approvals_.DeadlineAfter(at);
    const std::string queue_key = QueueKey(deadline);
    ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(queue_key));
    std::vector<QueuedIntent> queue;
    if (stored) {
      ASSIGN_OR_RETURN(queue, DecodeQueue(*stored));
    }
    QueuedIntent entry{at, intent.intent_id()};
    queue.insert(std::upper_bound(queue.begin(), queue.end(), entry), entry);
    state.Put(queue_key, EncodeQueue(queue));
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
    return Approve(deadline, state, out);
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
  const std::string future_key = FutureKey(change.chain(), token, payer);
  ASSIGN_OR_RETURN(std::vector<TimedAmount> future, LoadFuture(state, future_key));
  NetAmount as_of = account.total;
  std::vector<TimedAmount> later;
  for (const TimedAmount& d : future) {
    if (d.time < deadline) continue;
    ASSIGN_OR_RETURN(as_of, Subtract(as_of, d.amount));
    later.push_back(d);
  }
  if (later.size() != future.size()) StoreFuture(state, future_key, later);
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
  spec.output_topics = {IntentsTopic(options.topic_prefix)};
  spec.co_partitioned = true;
  spec.make = [options] { return std::make_unique<IntentsProcessor>(options); };
  return spec;
}

}  // namespace chainflow::engine::processors::intents
