#include "engine/processors/intents/intents.h"

#include <algorithm>
#include <charconv>
#include <map>
#include <optional>

#include <boost/multiprecision/cpp_int.hpp>
#include <fmt/format.h>

#include "engine/core/crypto.h"
#include "engine/processors/common/event_fields.h"
#include "engine/processors/intents/future_deltas.h"
#include "engine/wire/event_types.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"

namespace chainflow::engine::processors::intents {
namespace {

using core::Address;
using core::Result;
using core::Status;
using core::U256;

using wire::kAccountSettledType;
using wire::kBalanceDeltaType;
using wire::kEpochPartType;
using wire::kSupplyDeltaType;
constexpr const char* kStatusChangedType = wire::kIntentStatusChangedType;
constexpr const char* kAccrualType = wire::kAccrualRecordedType;
constexpr uint32_t kBasisPoints = 10'000;
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

// Adds `entry` to the queue under `prefix` (QueuePrefix, SettlementPrefix):
// one key, whatever the queue's length.
void AddToList(state::StateView& state, const std::string& prefix, const QueuedIntent& entry) {
  state.Put(QueueEntryKey(prefix, entry), "");
}

// The queue under `prefix` in (submitted_at, intent_id) order, deleted.
Result<std::vector<QueuedIntent>> TakeList(state::StateView& state, const std::string& prefix) {
  std::vector<QueuedIntent> list;
  Status failed;
  RETURN_IF_ERROR(state.Scan(prefix, [&](std::string_view key, std::string_view) {
    Result<QueuedIntent> entry = DecodeQueueEntry(key.substr(prefix.size()));
    if (!entry) {
      failed = entry.error();
      return false;
    }
    list.push_back(std::move(entry).value());
    state.Delete(key);
    return true;
  }));
  RETURN_IF_ERROR(failed);
  return list;
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

// "<chain>/<upstream partition>", the key the splitter gives forwarded markers.
Result<int32_t> UpstreamOf(const std::string& key, const std::string& chain) {
  if (std::optional<int32_t> upstream = wire::ForwardedMarkerPartition(key, chain)) {
    return *upstream;
  }
  return core::InvalidArgumentError(fmt::format(
      "block_end key \"{}\" is not \"{}/<upstream partition>\" (token_splitter's)", key, chain));
}

// An entry of the sorted epoch-end list under `key`.
Status AddTime(state::StateView& state, const std::string& key, uint64_t t) {
  std::vector<uint64_t> times;
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  if (stored) {
    ASSIGN_OR_RETURN(times, DecodeTimes(*stored));
  }
  auto at = std::lower_bound(times.begin(), times.end(), t);
  if (at != times.end() && *at == t) return Status::Ok();
  times.insert(at, t);
  state.Put(key, EncodeTimes(times));
  return Status::Ok();
}

void AddAmount(std::string* field, const U256& amount) {
  U256 total = field->empty() ? U256(0) : core::U256FromBigEndian(*field).value();
  *field = core::U256ToBigEndianString(total + amount);  // a sum of uint256 deltas: fits
}

}  // namespace


U256 SettlementHash(const v1::IntentStatusChanged& decided) {
  std::string bytes = decided.intent_id();
  bytes.push_back(static_cast<char>(decided.status()));
  bytes += decided.chain();
  bytes.push_back('\0');
  bytes += decided.token();
  bytes += decided.payer();
  bytes += decided.payee();
  bytes += decided.amount();
  bytes += runtime::EncodeTime(decided.decided_at());
  return core::U256FromBigEndian(core::Sha256(bytes)).value();
}

IntentsProcessor::IntentsProcessor(IntentsOptions options, core::MetricsRegistry& metrics)
    : options_(std::move(options)),
      output_topic_(wire::IntentsTopic(options_.topic_prefix)),
      deltas_topic_(wire::TokenDeltasTopic(options_.topic_prefix)),
      parts_topic_(wire::SettlementPartsTopic(options_.topic_prefix)),
      settlements_topic_(wire::SettlementsTopic(options_.topic_prefix)),
      accruals_topic_(wire::AccrualsTopic(options_.topic_prefix)),
      clock_(ClockPrefix(), Sources(options_)),
      input_clock_(ClockPrefix(), InputSources(options_)),
      approvals_(TimerKey(), options_.epoch_genesis, options_.approval_interval_s),
      epochs_("", options_.epoch_genesis, options_.epoch_length_s),
      days_("", options_.epoch_genesis, options_.accrual_period_s),
      metrics_(metrics) {}

bool IntentsProcessor::Accrues(const std::string& chain, const Address& token) const {
  return std::any_of(options_.accrual_tokens.begin(), options_.accrual_tokens.end(),
                     [&](const IntentsOptions::AccrualToken& t) {
                       return t.chain == chain && t.token == token;
                     });
}

bool IntentsProcessor::Enabled(const std::string& chain) const {
  return std::find(options_.chains.begin(), options_.chains.end(), chain) !=
         options_.chains.end();
}

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
    case v1::Envelope::kMintRequested:
      status = ApplyMint(envelope.mint_requested(), state, out);
      break;
    case v1::Envelope::kBurnRequested:
      status = ApplyBurn(envelope.burn_requested(), state, out);
      break;
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
  // Accruals and payments are booked by the account's own task when made
  // (this task): their copies are token_balances'.
  if (delta.origin() == v1::BalanceDelta::ORIGIN_ACCRUAL ||
      delta.origin() == v1::BalanceDelta::ORIGIN_MINT_REQUEST ||
      delta.origin() == v1::BalanceDelta::ORIGIN_BURN_REQUEST) {
    return Status::Ok();
  }
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
  if (!delta.intent_id().empty()) {
    RETURN_IF_ERROR(NoteSettled(delta, token, account, amount, state));
  }
  RETURN_IF_ERROR(
      Book(log.chain(), token, account, signed_amount, log.block_timestamp(), true, state));
  return ArmAccruals(log.chain(), token, log.block_timestamp(), state);
}

// Counts `amount` in the account's total; when `future` and stamped at or
// after the watermark, also remembers it, so an approval at an earlier
// deadline can leave it out.
Status IntentsProcessor::Book(const std::string& chain, const Address& token,
                              const Address& account, const NetAmount& amount, uint64_t at,
                              bool future, state::StateView& state) {
  const std::string key = AccountKey(chain, token, account);
  ASSIGN_OR_RETURN(AccountRecord record, LoadAccount(state, key));
  ASSIGN_OR_RETURN(record.total, Add(record.total, amount));
  state.Put(key, EncodeAccountRecord(record));
  if (!future) return Status::Ok();

  ASSIGN_OR_RETURN(uint64_t watermark, ReadWatermark(state));
  if (at < watermark) return Status::Ok();
  // Entries below the watermark are past every deadline still to fire (all
  // deadlines <= watermark have fired): the total already holds them.
  return FutureDeltas(chain, token, account).Add(at, amount, watermark, state);
}

// An account of an accrual token makes the timer fire from the first
// deadline after it on, so every day end from then accrues.
Status IntentsProcessor::ArmAccruals(const std::string& chain, const Address& token, uint64_t at,
                                     state::StateView& state) const {
  if (options_.accrual_rate_bps == 0 || !Accrues(chain, token)) return Status::Ok();
  ASSIGN_OR_RETURN(uint64_t next, approvals_.Next(state));
  if (next != 0) return Status::Ok();  // armed once: it fires every deadline after
  ASSIGN_OR_RETURN(uint64_t watermark, ReadWatermark(state));
  return approvals_.Arm(approvals_.DeadlineAfter(std::max(watermark, at)), state);
}

// A settlement delta reached its account: added to the account's
// AccountSettled of that epoch, sent once the epoch is closed everywhere.
Status IntentsProcessor::NoteSettled(const v1::BalanceDelta& delta, const Address& token,
                                     const Address& account, const U256& amount,
                                     state::StateView& state) const {
  const v1::LogRef& log = delta.log();
  const uint64_t end = log.block_timestamp();
  const std::string key = AccountSettledKey(end, log.chain(), token, account);
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  v1::AccountSettled settled;
  if (stored) {
    if (!settled.ParseFromString(*stored)) {
      return core::DataLossError("intents: unreadable pending AccountSettled");
    }
  } else {
    settled.set_epoch(epochs_.IndexOf(end - 1));
    settled.set_end(end);
    settled.set_chain(log.chain());
    settled.set_token(token.ToBytes());
    settled.set_account(account.ToBytes());
    RETURN_IF_ERROR(AddTime(state, PendingSettledKey(), end));
  }
  if (delta.direction() == v1::BalanceDelta::DIRECTION_DEBIT) {
    AddAmount(settled.mutable_debited(), amount);
    settled.set_paid(settled.paid() + 1);
  } else {
    AddAmount(settled.mutable_credited(), amount);
    settled.set_received(settled.received() + 1);
  }
  state.Put(key, settled.SerializeAsString());
  return Status::Ok();
}

// Sends the AccountSettled of every epoch ending before `watermark`: every
// task has promised past its end, so all its settlement deltas are in.
Status IntentsProcessor::SendSettled(uint64_t watermark, state::StateView& state,
                                     runtime::Emitter& out) const {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(PendingSettledKey()));
  if (!stored) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<uint64_t> ends, DecodeTimes(*stored));
  size_t closed = 0;
  while (closed < ends.size() && ends[closed] < watermark) {
    const uint64_t end = ends[closed++];
    Status parsed;
    RETURN_IF_ERROR(state.Scan(
        AccountSettledPrefix() + runtime::EncodeTime(end),
        [&](std::string_view key, std::string_view value) {
          runtime::OutputEvent event;
          v1::AccountSettled* settled = event.envelope.mutable_account_settled();
          if (!settled->ParseFromArray(value.data(), static_cast<int>(value.size()))) {
            parsed = core::DataLossError("intents: unreadable pending AccountSettled");
            return false;
          }
          state.Delete(key);
          auto token = Address::FromBytes(settled->token()).value();
          auto account = Address::FromBytes(settled->account()).value();
          event.topic = settlements_topic_;
          event.key = wire::AccountKey(settled->chain(), token, account);
          event.id = fmt::format("settled/{}/{}", settled->epoch(), event.key);
          event.ce_type = kAccountSettledType;
          event.event_time = static_cast<int64_t>(end);
          out.Emit(std::move(event));
          return true;
        }));
    RETURN_IF_ERROR(parsed);
  }
  if (closed == 0) return Status::Ok();
  ends.erase(ends.begin(), ends.begin() + static_cast<ptrdiff_t>(closed));
  if (ends.empty()) {
    state.Delete(PendingSettledKey());
  } else {
    state.Put(PendingSettledKey(), EncodeTimes(ends));
  }
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
  // The upstream partition's chain time is that of its finalized block
  // (README.md "Reorgs"): a deadline passes only once every block before it
  // is final, so the deltas and retractions of reverted blocks are in.
  const uint64_t finalized_time =
      end.finalized() >= end.number() ? end.timestamp() : end.finalized_timestamp();
  ASSIGN_OR_RETURN(uint64_t watermark,
                   clock_.Advance(ChainSource(end.chain(), upstream), finalized_time, state));
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
    AddToList(state, QueuePrefix(deadline), {at, intent.intent_id()});
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
  RETURN_IF_ERROR(approvals_.FireUpTo(watermark, state, [&](uint64_t deadline) {
    // README.md "Deadlines": approvals, burns, settlement, accruals.
    RETURN_IF_ERROR(Approve(deadline, state, out));
    RETURN_IF_ERROR(DecideBurns(deadline, state, out));
    RETURN_IF_ERROR(Settle(deadline, state, out));  // after the epoch's last approvals
    if (options_.accrual_rate_bps != 0 && !options_.accrual_tokens.empty() &&
        (deadline - days_.origin()) % days_.interval() == 0) {
      RETURN_IF_ERROR(Accrue(deadline, state, out));
    }
    return Status::Ok();
  }));
  return SendSettled(watermark, state, out);
}

Status IntentsProcessor::Approve(uint64_t deadline, state::StateView& state,
                                 runtime::Emitter& out) {
  ASSIGN_OR_RETURN(std::vector<QueuedIntent> queue, TakeList(state, QueuePrefix(deadline)));
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
  ASSIGN_OR_RETURN(NetAmount later, FutureDeltas(chain, token, account).SumFrom(deadline, state));
  return Subtract(record.total, later);
}

// Settles the intents approved in the epoch ending at `epoch_end`, in
// (submitted_at, intent_id) order: each moves its amount from payer to payee
// as two BalanceDeltas stamped `epoch_end` on the deltas topic (counted here
// and in token_balances when they come back), or is rejected when the
// payer's balance no longer covers it. Either way its reservation ends.
Status IntentsProcessor::Settle(uint64_t epoch_end, state::StateView& state,
                                runtime::Emitter& out) {
  // Approved intents queue for epoch ends only (epochs_.DeadlineAfter).
  if ((epoch_end - epochs_.origin()) % epochs_.interval() != 0) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<QueuedIntent> list, TakeList(state, SettlementPrefix(epoch_end)));
  if (list.empty()) return Status::Ok();
  std::map<std::string, U256> moved;  // per account key: settled this round, not yet back
  v1::EpochPart part;
  part.set_epoch(epochs_.IndexOf(epoch_end - 1));
  part.set_end(epoch_end);
  part.set_start(epoch_end - options_.epoch_length_s);
  part.set_partition(partition_);
  std::map<std::pair<std::string, std::string>, v1::TokenTotal> totals;  // (chain, token)
  U256 digest = 0;
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
      part.set_settled(part.settled() + 1);
      v1::TokenTotal& total = totals[{change.chain(), change.token()}];
      total.set_chain(change.chain());
      total.set_token(change.token());
      AddAmount(total.mutable_amount(), amount);
      total.set_intents(total.intents() + 1);
    } else {
      part.set_rejected(part.rejected() + 1);
      change.set_status(v1::INTENT_STATUS_REJECTED);
      change.set_reason(fmt::format("balance fell below the reservation: {} held < {} amount "
                                    "at the epoch's end",
                                    core::U256ToDecimal(held), core::U256ToDecimal(amount)));
    }
    digest += SettlementHash(change);  // wraps mod 2^256 (README.md "Epoch digest")
    state.Put(key, change.SerializeAsString());
    Publish(change, out);
  }
  for (auto& [token, total] : totals) *part.add_totals() = std::move(total);
  part.set_digest(core::U256ToBigEndianString(digest));
  runtime::OutputEvent event;
  event.topic = parts_topic_;
  event.key = fmt::format("epoch/{}", part.epoch());
  event.id = fmt::format("part/{}/{}", part.epoch(), partition_);
  event.ce_type = kEpochPartType;
  event.event_time = static_cast<int64_t>(epoch_end);
  *event.envelope.mutable_epoch_part() = std::move(part);
  out.Emit(std::move(event));
  return Status::Ok();
}

void IntentsProcessor::EmitSettlementDelta(const v1::IntentStatusChanged& change,
                                           const Address& account, const U256& amount,
                                           v1::BalanceDelta::Direction direction,
                                           runtime::Emitter& out) const {
  runtime::OutputEvent event;
  event.topic = deltas_topic_;
  auto token = Address::FromBytes(change.token()).value();
  event.key = wire::AccountKey(change.chain(), token, account);
  event.id = fmt::format("settle/{}/{}", change.intent_id(),
                         direction == v1::BalanceDelta::DIRECTION_DEBIT ? "debit" : "credit");
  event.ce_type = kBalanceDeltaType;
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
  delta->set_origin(v1::BalanceDelta::ORIGIN_SETTLEMENT);
  out.Emit(std::move(event));
}

void IntentsProcessor::EmitOwnDelta(const std::string& chain, const Address& token,
                                    const Address& account, const U256& amount, bool credit,
                                    v1::BalanceDelta::Origin origin,
                                    const std::string& request_id, uint64_t at,
                                    runtime::Emitter& out) const {
  v1::LogRef log;
  log.set_chain(chain);
  log.set_block_timestamp(at);
  log.set_contract(token.ToBytes());
  log.set_finalized(true);
  const std::string bytes = core::U256ToBigEndianString(amount);

  runtime::OutputEvent balance;
  balance.topic = deltas_topic_;
  balance.key = wire::AccountKey(chain, token, account);
  balance.id = fmt::format("{}/{}", request_id, balance.key);
  balance.ce_type = kBalanceDeltaType;
  balance.event_time = static_cast<int64_t>(at);
  v1::BalanceDelta* delta = balance.envelope.mutable_balance_delta();
  *delta->mutable_log() = log;
  delta->set_token(token.ToBytes());
  delta->set_account(account.ToBytes());
  delta->set_amount(bytes);
  delta->set_direction(credit ? v1::BalanceDelta::DIRECTION_CREDIT
                              : v1::BalanceDelta::DIRECTION_DEBIT);
  delta->set_origin(origin);
  delta->set_request_id(request_id);
  out.Emit(std::move(balance));

  runtime::OutputEvent supply;
  supply.topic = deltas_topic_;
  supply.key = wire::SupplyKey(chain, token);
  supply.id = fmt::format("{}/{}/supply", request_id, balance.key);
  supply.ce_type = kSupplyDeltaType;
  supply.event_time = static_cast<int64_t>(at);
  v1::SupplyDelta* minted = supply.envelope.mutable_supply_delta();
  *minted->mutable_log() = log;
  minted->set_token(token.ToBytes());
  minted->set_amount(bytes);
  minted->set_direction(credit ? v1::SupplyDelta::DIRECTION_MINT : v1::SupplyDelta::DIRECTION_BURN);
  out.Emit(std::move(supply));
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
  event.ce_type = wire::kSettlementMarkType;
  event.event_time = static_cast<int64_t>(through);
  event.all_partitions = true;
  event.envelope.mutable_settlement_mark()->set_partition(partition);
  event.envelope.mutable_settlement_mark()->set_through(through);
  runtime::OutputEvent parts_copy = event;  // the epochs processor's barrier
  parts_copy.topic = parts_topic_;
  out.Emit(std::move(event));
  out.Emit(std::move(parts_copy));
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
    AddToList(state, SettlementPrefix(epoch_end), {change.submitted_at(), change.intent_id()});
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

// A payment: the amount is the account's at once, from `at` on (the late
// rule of intents), and token_balances gets it as a mint (README.md
// "Payments").
Status IntentsProcessor::ApplyMint(const v1::MintRequested& mint, state::StateView& state,
                                   runtime::Emitter& out) {
  RETURN_IF_ERROR(ValidateChain(mint.chain()).WithContext("mint_requested.chain"));
  ASSIGN_OR_RETURN(Address token, ParseAddress(mint.token(), "mint_requested.token"));
  ASSIGN_OR_RETURN(Address account, ParseAddress(mint.account(), "mint_requested.account"));
  ASSIGN_OR_RETURN(U256 amount, ParseUint256(mint.amount(), "mint_requested.amount"));
  if (amount == 0) return core::InvalidArgumentError("mint_requested.amount is 0");
  if (account.IsZero()) return core::InvalidArgumentError("mint_requested.account is zero");
  if (mint.provider().empty() || mint.provider_event_id().empty()) {
    return core::InvalidArgumentError("mint_requested without provider and provider_event_id");
  }
  ASSIGN_OR_RETURN(uint64_t user_time, clock_.SourceTime(kUserSource, state));
  const uint64_t at = std::max<uint64_t>(mint.received_at(), user_time);
  if (Enabled(mint.chain())) {
    const std::string dedup = PaymentKey(mint.provider(), mint.provider_event_id());
    ASSIGN_OR_RETURN(std::optional<std::string> seen, state.Get(dedup));
    if (!seen) {
      state.Put(dedup, "");
      RETURN_IF_ERROR(Book(mint.chain(), token, account, NetAmount{false, amount}, at, true, state));
      RETURN_IF_ERROR(ArmAccruals(mint.chain(), token, at, state));
      EmitOwnDelta(mint.chain(), token, account, amount, true,
                   v1::BalanceDelta::ORIGIN_MINT_REQUEST,
                   fmt::format("mint/{}/{}", mint.provider(), mint.provider_event_id()), at, out);
    }
  }
  ASSIGN_OR_RETURN(uint64_t watermark, clock_.Advance(kUserSource, at, state));
  return AdvanceTo(watermark, state, out);
}

// A withdrawal waits for the next deadline, like an intent: whether the
// account can cover it depends on every delta stamped before then.
Status IntentsProcessor::ApplyBurn(const v1::BurnRequested& burn, state::StateView& state,
                                   runtime::Emitter& out) {
  RETURN_IF_ERROR(ValidateChain(burn.chain()).WithContext("burn_requested.chain"));
  ASSIGN_OR_RETURN(Address token, ParseAddress(burn.token(), "burn_requested.token"));
  ASSIGN_OR_RETURN(Address account, ParseAddress(burn.account(), "burn_requested.account"));
  ASSIGN_OR_RETURN(U256 amount, ParseUint256(burn.amount(), "burn_requested.amount"));
  if (amount == 0) return core::InvalidArgumentError("burn_requested.amount is 0");
  if (account.IsZero() || token.IsZero()) {
    return core::InvalidArgumentError("burn_requested.account or .token is the zero address");
  }
  if (burn.provider().empty() || burn.provider_event_id().empty()) {
    return core::InvalidArgumentError("burn_requested without provider and provider_event_id");
  }
  ASSIGN_OR_RETURN(uint64_t user_time, clock_.SourceTime(kUserSource, state));
  const uint64_t at = std::max<uint64_t>(burn.received_at(), user_time);
  if (Enabled(burn.chain())) {
    const std::string dedup = PaymentKey(burn.provider(), burn.provider_event_id());
    ASSIGN_OR_RETURN(std::optional<std::string> seen, state.Get(dedup));
    if (!seen) {
      state.Put(dedup, "");
      const uint64_t deadline = approvals_.DeadlineAfter(at);
      // One key per burn, after the deadline's earlier ones (arrival order).
      uint64_t sequence = 0;
      ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(BurnSequenceKey()));
      if (stored) {
        ASSIGN_OR_RETURN(sequence, runtime::DecodeTime(*stored));
      }
      state.Put(BurnSequenceKey(), runtime::EncodeTime(sequence + 1));
      v1::BurnRequested queued = burn;
      queued.set_received_at(at);
      state.Put(BurnQueueKey(deadline, sequence), queued.SerializeAsString());
      RETURN_IF_ERROR(approvals_.Arm(deadline, state));
    }
  }
  ASSIGN_OR_RETURN(uint64_t watermark, clock_.Advance(kUserSource, at, state));
  return AdvanceTo(watermark, state, out);
}

// Each burn queued for `deadline`, in arrival order, takes its amount from
// the account's available balance then, or is refused (and counted).
Status IntentsProcessor::DecideBurns(uint64_t deadline, state::StateView& state,
                                     runtime::Emitter& out) {
  ASSIGN_OR_RETURN(std::optional<std::string> any_burns, state.Get(BurnSequenceKey()));
  if (!any_burns) return Status::Ok();  // none was ever queued: no scan at every deadline
  std::vector<std::string> queue;
  RETURN_IF_ERROR(state.Scan(BurnQueuePrefix(deadline),
                             [&](std::string_view key, std::string_view value) {
                               queue.emplace_back(value);
                               state.Delete(key);
                               return true;
                             }));
  for (const std::string& bytes : queue) {
    v1::BurnRequested burn;
    if (!burn.ParseFromString(bytes)) return core::DataLossError("intents: unreadable queued burn");
    ASSIGN_OR_RETURN(Address token, Address::FromBytes(burn.token()));
    ASSIGN_OR_RETURN(Address account, Address::FromBytes(burn.account()));
    ASSIGN_OR_RETURN(U256 amount, core::U256FromBigEndian(burn.amount()));
    const std::string account_key = AccountKey(burn.chain(), token, account);
    ASSIGN_OR_RETURN(AccountRecord record, LoadAccount(state, account_key));
    ASSIGN_OR_RETURN(NetAmount as_of,
                     BalanceAsOf(burn.chain(), token, account, deadline, record, state));
    const U256 held = as_of.Clamped();
    const U256 available = held > record.reserved ? held - record.reserved : U256(0);
    if (available < amount) {
      metrics_
          .GetCounter("chainflow_burns_refused_total",
                      "Burn requests the account's available balance did not cover",
                      {{"chain", burn.chain()}})
          .Inc();
      continue;
    }
    RETURN_IF_ERROR(Book(burn.chain(), token, account, NetAmount{true, amount}, deadline, false,
                         state));
    EmitOwnDelta(burn.chain(), token, account, amount, false,
                 v1::BalanceDelta::ORIGIN_BURN_REQUEST,
                 fmt::format("burn/{}/{}", burn.provider(), burn.provider_event_id()), deadline,
                 out);
  }
  return Status::Ok();
}

// The day ending at `day_end`: every account of each accrual token with a
// balance as of then earns rate_bps of it, rounded down, the remainder
// carried in ten-thousandths to its next day (README.md "Accruals").
Status IntentsProcessor::Accrue(uint64_t day_end, state::StateView& state,
                                runtime::Emitter& out) {
  using Wide = boost::multiprecision::uint512_t;
  const uint64_t day = days_.IndexOf(day_end - 1);
  for (const IntentsOptions::AccrualToken& t : options_.accrual_tokens) {
    const std::string prefix = AccountKey(t.chain, t.token, Address());
    const std::string token_prefix = prefix.substr(0, prefix.size() - Address().bytes().size());
    std::vector<std::pair<Address, AccountRecord>> accounts;
    Status decoded;
    RETURN_IF_ERROR(state.Scan(token_prefix, [&](std::string_view key, std::string_view value) {
      auto account = Address::FromBytes(key.substr(token_prefix.size()));
      auto record = DecodeAccountRecord(value);
      if (!account || !record) {
        decoded = core::DataLossError("intents: bad account record under accrual scan");
        return false;
      }
      accounts.emplace_back(account.value(), record.value());
      return true;
    }));
    RETURN_IF_ERROR(decoded);
    for (auto& [account, record] : accounts) {
      ASSIGN_OR_RETURN(NetAmount as_of,
                       BalanceAsOf(t.chain, t.token, account, day_end, record, state));
      const U256 balance = as_of.Clamped();
      if (balance == 0) continue;
      const std::string accrual_key = AccrualKey(t.chain, t.token, account);
      AccrualState accrual;
      ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(accrual_key));
      if (stored) {
        ASSIGN_OR_RETURN(accrual, DecodeAccrualState(*stored));
      }
      const Wide scaled = Wide(balance) * options_.accrual_rate_bps + accrual.carry;
      const U256 accrued = static_cast<U256>(scaled / kBasisPoints);  // <= balance
      accrual.carry = static_cast<uint32_t>(scaled % kBasisPoints);
      ASSIGN_OR_RETURN(accrual.total, core::CheckedAdd(accrual.total, accrued));
      state.Put(accrual_key, EncodeAccrualState(accrual));

      runtime::OutputEvent event;
      event.topic = accruals_topic_;
      event.key = wire::AccountKey(t.chain, t.token, account);
      event.id = fmt::format("accrual/{}/{}", day, event.key);
      event.ce_type = kAccrualType;
      event.event_time = static_cast<int64_t>(day_end);
      v1::AccrualRecorded* recorded = event.envelope.mutable_accrual_recorded();
      recorded->set_day(day);
      recorded->set_end(day_end);
      recorded->set_chain(t.chain);
      recorded->set_token(t.token.ToBytes());
      recorded->set_account(account.ToBytes());
      recorded->set_balance(core::U256ToBigEndianString(balance));
      recorded->set_rate_bps(options_.accrual_rate_bps);
      recorded->set_accrued(core::U256ToBigEndianString(accrued));
      recorded->set_carry(accrual.carry);
      recorded->set_total_accrued(core::U256ToBigEndianString(accrual.total));
      out.Emit(std::move(event));
      if (accrued == 0) continue;
      RETURN_IF_ERROR(
          Book(t.chain, t.token, account, NetAmount{false, accrued}, day_end, false, state));
      EmitOwnDelta(t.chain, t.token, account, accrued, true, v1::BalanceDelta::ORIGIN_ACCRUAL,
                   fmt::format("accrual/{}", day), day_end, out);
    }
  }
  return Status::Ok();
}

void IntentsProcessor::Publish(const v1::IntentStatusChanged& change,
                               runtime::Emitter& out) const {
  runtime::OutputEvent event;
  event.topic = output_topic_;
  auto token = Address::FromBytes(change.token());
  auto payer = Address::FromBytes(change.payer());
  event.key = token && payer
                  ? wire::AccountKey(change.chain(), token.value(), payer.value())
                  : change.chain();
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
  spec.input_topics = {wire::TokenDeltasTopic(options.topic_prefix),
                       options.topic_prefix + ".user.events"};
  // Settlement deltas and marks go to the deltas topic: its own input.
  spec.output_topics = {wire::IntentsTopic(options.topic_prefix),
                        wire::TokenDeltasTopic(options.topic_prefix),
                        wire::SettlementPartsTopic(options.topic_prefix),
                        wire::SettlementsTopic(options.topic_prefix),
                        wire::AccrualsTopic(options.topic_prefix)};
  spec.co_partitioned = true;
  // Deltas and markers of every events partition interleave on the deltas
  // topic: reverted blocks come back as retracted deltas (README.md "Reorgs").
  spec.per_block_undo = false;
  spec.make = [options] { return std::make_unique<IntentsProcessor>(options); };
  return spec;
}

}  // namespace chainflow::engine::processors::intents
