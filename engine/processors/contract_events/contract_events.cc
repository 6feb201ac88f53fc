#include "engine/processors/contract_events/contract_events.h"

#include <algorithm>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "engine/abi/contract_record.h"
#include "engine/processors/common/event_fields.h"
#include "engine/processors/common/retained_events.h"
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
  if (contract == nullptr || contract->decoder.Find(event.signature()) == nullptr) {
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
  std::unique_ptr<abi::ContractRecordWriter>& writer = writers_[&contract];
  if (!writer) writer = std::make_unique<abi::ContractRecordWriter>(topic_prefix_, contract);
  abi::ContractRecord made;
  RETURN_IF_ERROR(writer->Write(event, &made));
  runtime::OutputEvent record;
  record.topic = std::move(made.topic);
  record.key = std::move(made.key);
  record.id = std::move(made.id);
  record.ce_type = std::move(made.ce_type);
  record.event_time = made.event_time;
  if (made.json) {
    record.json = std::move(made.value);
  } else {
    record.serialized = std::move(made.value);
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
  // Every record on a contract's topic carries the position of what it comes
  // from (an event's, or for a retraction the BlockReverted marker's): ingest
  // resumes its direct writes of final history from the topic's last one.
  spec.forward_headers = {"cf_pos"};
  spec.make = [topic_prefix, catalog] {
    return std::make_unique<ContractEventsProcessor>(topic_prefix, catalog);
  };
  return spec;
}

}  // namespace chainflow::engine::processors::contract_events
