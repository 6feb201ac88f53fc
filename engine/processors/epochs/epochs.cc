#include "engine/processors/epochs/epochs.h"

#include <algorithm>
#include <map>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "engine/core/u256.h"
#include "engine/processors/common/time_list.h"
#include "engine/wire/event_types.h"
#include "engine/wire/topics.h"

namespace chainflow::engine::processors::epochs {
namespace {

using core::Result;
using core::Status;
using core::U256;


// Task-local keys (README.md "State"), left out of the state digest.
std::string ClockPrefix() { return std::string("\0t/w/", 5); }
std::string OpenKey() { return std::string("\0t/open", 7); }
std::string PartialKey(uint64_t end) {
  return std::string("\0t/p/", 5) + runtime::EncodeTime(end);
}

std::string Source(uint32_t partition) { return fmt::format("s/{}", partition); }

std::vector<std::string> Sources(const EpochsOptions& options) {
  std::vector<std::string> sources;
  for (int32_t q = 0; q < options.intents_partitions; ++q) {
    sources.push_back(Source(static_cast<uint32_t>(q)));
  }
  return sources;
}

Result<U256> Amount(const std::string& bytes, std::string_view field) {
  if (bytes.empty()) return U256(0);
  auto value = core::U256FromBigEndian(bytes);
  if (!value) return core::InvalidArgumentError(fmt::format("{} is not a uint256", field));
  return value.value();
}

}  // namespace

std::string EpochKey(uint64_t epoch) { return "e/" + runtime::EncodeTime(epoch); }

EpochsProcessor::EpochsProcessor(EpochsOptions options)
    : options_(std::move(options)),
      output_topic_(wire::SettlementsTopic(options_.topic_prefix)),
      clock_(ClockPrefix(), Sources(options_)) {}

Status EpochsProcessor::Apply(const runtime::InputEvent& event, state::StateView& state,
                              runtime::Emitter& out) {
  const v1::Envelope& envelope = event.envelope;
  Status status;
  switch (envelope.payload_case()) {
    case v1::Envelope::kEpochPart:
      status = AddPart(envelope.epoch_part(), state);
      break;
    case v1::Envelope::kSettlementMark: {
      const v1::SettlementMark& mark = envelope.settlement_mark();
      if (mark.partition() >= static_cast<uint32_t>(options_.intents_partitions)) {
        status = core::InvalidArgumentError(
            fmt::format("settlement_mark from intents task {}, but intents has {} partitions",
                        mark.partition(), options_.intents_partitions));
        break;
      }
      auto watermark = clock_.Advance(Source(mark.partition()), mark.through(), state);
      status = watermark ? Close(watermark.value(), state, out) : watermark.error();
      break;
    }
    default:
      status = core::InvalidArgumentError("epochs reads only epoch_part and settlement_mark");
      break;
  }
  if (status.ok()) return status;
  return status.WithContext(fmt::format("epochs: envelope \"{}\"", envelope.id()));
}

// Adds a task's part to its epoch's open record.
Status EpochsProcessor::AddPart(const v1::EpochPart& part, state::StateView& state) const {
  if (part.end() <= part.start()) {
    return core::InvalidArgumentError(fmt::format(
        "epoch_part of epoch {}: end {} is not after start {}", part.epoch(), part.end(),
        part.start()));
  }
  ASSIGN_OR_RETURN(std::optional<std::string> sent, state.Get(EpochKey(part.epoch())));
  if (sent) {
    return core::InvalidArgumentError(fmt::format(
        "epoch_part of epoch {} from task {} after the epoch was closed (its settlement "
        "promise was broken)",
        part.epoch(), part.partition()));
  }
  ASSIGN_OR_RETURN(U256 digest, Amount(part.digest(), "epoch_part.digest"));
  const std::string key = PartialKey(part.end());
  v1::EpochSettled epoch;
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  if (stored) {
    if (!epoch.ParseFromString(*stored)) {
      return core::DataLossError("epochs: unreadable open epoch");
    }
    if (epoch.epoch() != part.epoch() || epoch.start() != part.start()) {
      return core::InvalidArgumentError(fmt::format(
          "epoch_part says epoch {} from {} ends at {}, but epoch {} from {} does",
          part.epoch(), part.start(), part.end(), epoch.epoch(), epoch.start()));
    }
  } else {
    epoch.set_epoch(part.epoch());
    epoch.set_start(part.start());
    epoch.set_end(part.end());
    std::vector<uint64_t> open;
    ASSIGN_OR_RETURN(std::optional<std::string> listed, state.Get(OpenKey()));
    if (listed) {
      ASSIGN_OR_RETURN(open, DecodeTimes(*listed));
    }
    open.insert(std::upper_bound(open.begin(), open.end(), part.end()), part.end());
    state.Put(OpenKey(), EncodeTimes(open));
  }
  epoch.set_settled(epoch.settled() + part.settled());
  epoch.set_rejected(epoch.rejected() + part.rejected());
  ASSIGN_OR_RETURN(U256 sum, Amount(epoch.digest(), "digest"));
  epoch.set_digest(core::U256ToBigEndianString(sum + digest));  // mod 2^256

  std::map<std::pair<std::string, std::string>, v1::TokenTotal> totals;
  for (const v1::TokenTotal& t : epoch.totals()) totals[{t.chain(), t.token()}] = t;
  for (const v1::TokenTotal& t : part.totals()) {
    v1::TokenTotal& total = totals[{t.chain(), t.token()}];
    ASSIGN_OR_RETURN(U256 before, Amount(total.amount(), "total"));
    ASSIGN_OR_RETURN(U256 added, Amount(t.amount(), "epoch_part.totals.amount"));
    ASSIGN_OR_RETURN(U256 after, core::CheckedAdd(before, added));
    total.set_chain(t.chain());
    total.set_token(t.token());
    total.set_amount(core::U256ToBigEndianString(after));
    total.set_intents(total.intents() + t.intents());
  }
  epoch.clear_totals();
  for (auto& [token, total] : totals) *epoch.add_totals() = std::move(total);
  state.Put(key, epoch.SerializeAsString());
  return Status::Ok();
}

// Sends every open epoch that ended before `watermark`: each intents task
// has promised to settle nothing more before a later time, so every part of
// it is in (they precede the promise on each partition).
Status EpochsProcessor::Close(uint64_t watermark, state::StateView& state,
                              runtime::Emitter& out) const {
  ASSIGN_OR_RETURN(std::optional<std::string> listed, state.Get(OpenKey()));
  if (!listed) return Status::Ok();
  ASSIGN_OR_RETURN(std::vector<uint64_t> open, DecodeTimes(*listed));
  size_t closed = 0;
  for (; closed < open.size() && open[closed] < watermark; ++closed) {
    const std::string key = PartialKey(open[closed]);
    ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
    if (!stored) return core::DataLossError("epochs: an open epoch has no record");
    runtime::OutputEvent event;
    v1::EpochSettled* epoch = event.envelope.mutable_epoch_settled();
    if (!epoch->ParseFromString(*stored)) return core::DataLossError("epochs: unreadable epoch");
    state.Delete(key);
    state.Put(EpochKey(epoch->epoch()), *stored);
    event.topic = output_topic_;
    event.key = fmt::format("epoch/{}", epoch->epoch());
    event.id = event.key;
    event.ce_type = wire::kEpochSettledType;
    event.event_time = static_cast<int64_t>(epoch->end());
    out.Emit(std::move(event));
  }
  if (closed == 0) return Status::Ok();
  open.erase(open.begin(), open.begin() + static_cast<ptrdiff_t>(closed));
  if (open.empty()) {
    state.Delete(OpenKey());
  } else {
    state.Put(OpenKey(), EncodeTimes(open));
  }
  return Status::Ok();
}

runtime::ProcessorSpec MakeEpochsSpec(const EpochsOptions& options) {
  runtime::ProcessorSpec spec;
  spec.name = EpochsProcessor::kName;
  spec.input_topics = {wire::SettlementPartsTopic(options.topic_prefix)};
  spec.output_topics = {wire::SettlementsTopic(options.topic_prefix)};
  spec.make = [options] { return std::make_unique<EpochsProcessor>(options); };
  return spec;
}

}  // namespace chainflow::engine::processors::epochs
