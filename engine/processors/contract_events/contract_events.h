#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/abi/catalog.h"
#include "engine/abi/contract_record.h"
#include "engine/core/metrics.h"
#include "engine/runtime/processor.h"

namespace chainflow::engine::processors::contract_events {

// The contract_events processor (README.md): sends each contract indexed by
// ABI its decoded events, on <prefix>.contract.<name> keyed
// "<chain>:<name>", in protobuf (an Envelope with `contract_event`)
// or JSON (the contract's `format`), and takes back with an explicit
// retraction (`retracted = true`) every event of a reverted block. Keeps the
// instances of factory-made contracts: an address the factory's event
// announces is an instance from that log on, and forgotten when the
// announcing block is reverted (the runtime's per-block undo).
//
// Input: ContractEvents of the chains' events topics (ingest keys them by
// contract family, so a factory's announcements and its instances' events
// reach one task in chain order). One instance per task; not thread-safe.
class ContractEventsProcessor : public runtime::Processor {
 public:
  static constexpr char kName[] = "contract_events";

  // `catalog` and `metrics` must outlive the processor.
  ContractEventsProcessor(std::string topic_prefix,
                          std::shared_ptr<const abi::Catalog> catalog,
                          core::MetricsRegistry& metrics = core::MetricsRegistry::Global());

  std::string Name() const override { return kName; }
  core::Status Apply(const runtime::InputEvent& event, state::StateView& state,
                     runtime::Emitter& out) override;
  bool Ignores(v1::Envelope::PayloadCase payload) const override {
    return payload != v1::Envelope::kContractEvent;
  }
  core::Status Retract(const runtime::RevertedWrite& write, const v1::BlockReverted& marker,
                       state::StateView& state, runtime::Emitter& out) override;

 private:
  core::Status ApplyEvent(const v1::ContractEvent& event, state::StateView& state,
                          runtime::Emitter& out);
  // True when `event` (of a factory-made contract) comes from an instance
  // the factory has announced, or from one of the contract's own addresses.
  core::Result<bool> IsInstanceEvent(const abi::CatalogContract& contract,
                                     const v1::ContractEvent& event,
                                     state::StateView& state) const;
  // Records the instances `event` announces, for every contract its
  // contract is the factory of.
  core::Status NoteAnnouncements(const v1::ContractEvent& event, state::StateView& state) const;
  // The record of `event` on its contract's topic.
  core::Status Emit(const abi::CatalogContract& contract, const v1::ContractEvent& event,
                    runtime::Emitter& out);

  std::string topic_prefix_;
  std::shared_ptr<const abi::Catalog> catalog_;
  core::MetricsRegistry& metrics_;
  std::map<std::string, core::Counter*> emitted_;  // per contract
  std::map<const abi::CatalogContract*, std::unique_ptr<abi::ContractRecordWriter>> writers_;
};

// The processor's runtime description: the events topics of the chains with
// contracts by ABI in, every such contract's topic out.
runtime::ProcessorSpec MakeSpec(const std::string& topic_prefix,
                                std::shared_ptr<const abi::Catalog> catalog);

}  // namespace chainflow::engine::processors::contract_events
