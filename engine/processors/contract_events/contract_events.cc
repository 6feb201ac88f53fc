#include "engine/processors/contract_events/contract_events.h"

#include <algorithm>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "engine/abi/json_record.h"
#include "engine/core/hex.h"
#include "engine/processors/common/event_fields.h"
#include "engine/processors/common/retained_events.h"
#include "engine/wire/event_types.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"

namespace chainflow::engine::processors::contract_events {
namespace {

using core::Address;
using core::Status;

// "m/<contract>/<chain>/" + instance (20) -> the announcing block (8 BE):
// an instance of a factory-made contract. An entity key (in the digest).
std::string InstanceKey(std::string_view contract, std::string_view chain,
                        const Address& instance) {
  std::string key = fmt::format("m/{}/{}/", contract, chain);
  key.append(reinterpret_cast<const char*>(instance.bytes().data()), instance.bytes().size());
  return key;
}

// "<chain>/<block>/<log index>/<contract>[/<8 hex of the block hash>]": the
// same log in another branch has another id.
std::string RecordId(const v1::ContractEvent& event) {
  const v1::LogRef& log = event.log();
  std::string id = fmt::format("{}/{}/{}/{}", log.chain(), log.block_number(), log.log_index(),
                               event.contract());
  if (log.block_hash().size() >= 4) {
    id += '/';
    id += core::ToHex(std::string_view(log.block_hash()).substr(0, 4)).substr(2);
  }
  if (event.retracted()) id += "/retracted";
  return id;
}

const abi::Event* FindEvent(const abi::CatalogContract& contract, const std::string& signature) {
  for (const abi::Event& e : contract.decoder.events()) {
    if (e.signature == signature) return &e;
  }
  return nullptr;
}

}  // namespace

ContractEventsProcessor::ContractEventsProcessor(std::string topic_prefix,
                                                 std::shared_ptr<const abi::Catalog> catalog,
                                                 core::MetricsRegistry& metrics)
    : topic_prefix_(std::move(topic_prefix)), catalog_(std::move(catalog)), metrics_(metrics) {}

Status ContractEventsProcessor::Apply(const runtime::InputEvent& event, state::StateView& state,
                                      runtime::Emitter& out) {
  const v1::Envelope& envelope = event.envelope;
  if (envelope.has_block_end()) {
    const v1::BlockEnd& end = envelope.block_end();
    return RetainedEvents::Prune(end.chain(), std::min(end.finalized(), end.number()), state);
  }
  if (!envelope.has_contract_event()) return Status::Ok();  // other payloads, BlockReverted
  Status status = ApplyEvent(envelope.contract_event(), state, out);
  if (status.ok()) return status;
  return status.WithContext(fmt::format("contract_events: envelope \"{}\"", envelope.id()));
}

Status ContractEventsProcessor::ApplyEvent(const v1::ContractEvent& event,
                                           state::StateView& state, runtime::Emitter& out) {
  if (!event.has_log()) return core::InvalidArgumentError("contract_event without log");
  ASSIGN_OR_RETURN(Address emitter, ParseLog(event.log()));
  (void)emitter;  // checked: a 20-byte contract address, a chain name
  const abi::CatalogContract* contract = catalog_->Find(event.contract());
  // A contract no longer configured (or an event no longer selected): the
  // log still holds its events; nothing to send.
  if (contract == nullptr || FindEvent(*contract, event.signature()) == nullptr) {
    return Status::Ok();
  }
  if (contract->config->factory) {
    ASSIGN_OR_RETURN(bool instance, IsInstanceEvent(*contract, event, state));
    if (!instance) return Status::Ok();
  }
  RETURN_IF_ERROR(NoteAnnouncements(event, state));
  if (!event.log().finalized()) {
    // Kept for a revert; dropped when a BlockEnd finalizes the block.
    RETURN_IF_ERROR(
        RetainedEvents::Keep(event.log(), event.contract(), event.SerializeAsString(), state));
  }
  return Emit(*contract, event, out);
}

core::Result<bool> ContractEventsProcessor::IsInstanceEvent(const abi::CatalogContract& contract,
                                                            const v1::ContractEvent& event,
                                                            state::StateView& state) const {
  ASSIGN_OR_RETURN(Address address, Address::FromBytes(event.log().contract()));
  const auto& own = contract.config->addresses;
  if (std::find(own.begin(), own.end(), address) != own.end()) return true;
  ASSIGN_OR_RETURN(std::optional<std::string> announced,
                   state.Get(InstanceKey(contract.name(), event.log().chain(), address)));
  return announced.has_value();
}

Status ContractEventsProcessor::NoteAnnouncements(const v1::ContractEvent& event,
                                                  state::StateView& state) const {
  for (const abi::CatalogContract& made : catalog_->contracts()) {
    if (!made.config->factory || made.config->factory->contract != event.contract() ||
        made.announced_by != event.signature()) {
      continue;
    }
    const int at = static_cast<int>(made.announced_parameter);
    if (at >= event.values_size() || !event.values(at).has_address_value()) {
      return core::InvalidArgumentError(fmt::format(
          "{} announces {} instances in parameter {}, which the record does not hold as an "
          "address",
          event.signature(), made.name(), at));
    }
    ASSIGN_OR_RETURN(Address instance, Address::FromBytes(event.values(at).address_value()));
    const std::string key = InstanceKey(made.name(), event.log().chain(), instance);
    ASSIGN_OR_RETURN(std::optional<std::string> known, state.Get(key));
    if (!known) state.Put(key, EncodeBlockNumber(event.log().block_number()));
  }
  return Status::Ok();
}

Status ContractEventsProcessor::Emit(const abi::CatalogContract& contract,
                                     const v1::ContractEvent& event, runtime::Emitter& out) {
  runtime::OutputEvent record;
  record.topic = wire::ContractTopic(topic_prefix_, contract.name());
  record.key = wire::ContractTopicKey(event.log().chain(), contract.name());
  record.id = RecordId(event);
  record.ce_type = wire::ContractEventType(contract.name(), event.event());
  record.event_time = static_cast<int64_t>(event.log().block_timestamp());
  if (contract.config->format == "json") {
    const abi::Event* abi_event = FindEvent(contract, event.signature());
    ASSIGN_OR_RETURN(record.json, abi::ContractEventJson(event, *abi_event, record.id));
  } else {
    // The event goes out as it came in: lent to the envelope for its
    // serialization rather than copied into it (a copy allocates every
    // value and string again).
    v1::Envelope envelope;
    envelope.set_id(record.id);
    envelope.unsafe_arena_set_allocated_contract_event(const_cast<v1::ContractEvent*>(&event));
    record.serialized = envelope.SerializeAsString();
    envelope.unsafe_arena_release_contract_event();
  }
  core::Counter*& counter = emitted_[contract.name()];
  if (counter == nullptr) {
    counter = &metrics_.GetCounter("chainflow_contract_events_total",
                                   "Contract events sent to their contract's topic (retractions "
                                   "included)",
                                   {{"contract", contract.name()}});
  }
  counter->Inc();
  out.Emit(std::move(record));
  return Status::Ok();
}

Status ContractEventsProcessor::Retract(const runtime::RevertedWrite& write,
                                        const v1::BlockReverted& marker, state::StateView& state,
                                        runtime::Emitter& out) {
  (void)marker;
  (void)state;
  if (!RetainedEvents::IsRetainedKey(write.key) || !write.reverted) return Status::Ok();
  v1::ContractEvent event;
  if (!event.ParseFromString(*write.reverted)) {
    return core::DataLossError("contract_events: unreadable retained event");
  }
  const abi::CatalogContract* contract = catalog_->Find(event.contract());
  if (contract == nullptr) return Status::Ok();
  event.set_retracted(true);
  metrics_
      .GetCounter("chainflow_retractions_total", "Retraction records emitted for reverted blocks",
                  {{"processor", kName}})
      .Inc();
  return Emit(*contract, event, out);
}

runtime::ProcessorSpec MakeSpec(const std::string& topic_prefix,
                                std::shared_ptr<const abi::Catalog> catalog) {
  runtime::ProcessorSpec spec;
  spec.name = ContractEventsProcessor::kName;
  std::set<std::string> chains;
  for (const abi::CatalogContract& c : catalog->contracts()) {
    if (chains.insert(c.config->chain).second) {
      spec.input_topics.push_back(wire::ChainEventsTopic(topic_prefix, c.config->chain));
    }
    spec.output_topics.push_back(wire::ContractTopic(topic_prefix, c.name()));
  }
  spec.make = [topic_prefix, catalog] {
    return std::make_unique<ContractEventsProcessor>(topic_prefix, catalog);
  };
  return spec;
}

}  // namespace chainflow::engine::processors::contract_events
