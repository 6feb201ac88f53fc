#pragma once

#include <string>
#include <vector>

#include "engine/core/metrics.h"
#include "engine/core/status.h"
#include "engine/runtime/processor.h"

namespace chainflow::engine::processors::nft_ownership {

// Maintains ERC-721 owners and ERC-1155 balances from a chain's normalized
// events and emits their changes (README.md is the full spec).
//
// Input: Envelopes from `<prefix>.<chain>.events`.
//   Erc721Transfer              -> owner record; emits OwnerChanged
//   Erc1155TransferSingle/Batch -> balances; emits Erc1155BalanceChanged for
//                                  `from` (if not zero), then `to` (if not zero)
//   Erc20Transfer               -> ignored (another processor's)
//   BlockEnd / BlockReverted    -> "h/<chain>" head only, no output
//   anything else / no payload  -> InvalidArgument (poison)
// Output: `<prefix>.nft.ownership`, keyed "<chain>:<0x contract>:<token decimal>".
//
// Inconsistent chain data (a transfer from someone other than the known
// owner, an ERC-1155 balance that would go negative) is applied as the chain
// says and counted (chainflow_nft_owner_mismatch_total,
// chainflow_nft_balance_underflow_total); it never fails the record.
//
// Reorgs: the runtime keeps undo records and, on BlockReverted, restores
// the reverted block's writes; Retract turns each restored key into a
// retraction (OwnerChanged / Erc1155BalanceChanged with retracted = true).
// Apply then moves the head below the reverted block.
//
// Deterministic: no clock, randomness or unordered iteration. One instance
// per task; not thread-safe (the runtime calls it from the task's thread).
class NftOwnershipProcessor : public runtime::Processor {
 public:
  static constexpr char kName[] = "nft_ownership";

  // `metrics` must outlive the processor (tests pass their own registry).
  explicit NftOwnershipProcessor(
      std::string topic_prefix,
      core::MetricsRegistry& metrics = core::MetricsRegistry::Global());

  std::string Name() const override { return kName; }
  core::Status Apply(const runtime::InputEvent& event, state::StateView& state,
                     runtime::Emitter& out) override;
  // ERC-20 transfers and contracts by ABI are other processors': skipped
  // unparsed.
  bool Ignores(v1::Envelope::PayloadCase payload) const override {
    return payload == v1::Envelope::kErc20Transfer || payload == v1::Envelope::kContractEvent;
  }
  // Owner key -> OwnerChanged retraction (previous_owner = the restored
  // owner, empty when the token did not exist); balance key ->
  // Erc1155BalanceChanged retraction; head key -> nothing.
  core::Status Retract(const runtime::RevertedWrite& write, const v1::BlockReverted& marker,
                       state::StateView& state, runtime::Emitter& out) override;

 private:
  core::Status ApplyErc721(const v1::Erc721Transfer& transfer, state::StateView& state,
                           runtime::Emitter& out);
  core::Status ApplyErc1155(const v1::LogRef& log, const std::string& from,
                            const std::string& to, const std::string& token_id,
                            const std::string& value, state::StateView& state,
                            runtime::Emitter& out);
  core::Status ApplyBlockEnd(const v1::BlockEnd& marker, state::StateView& state);
  core::Status ApplyBlockReverted(const v1::BlockReverted& marker, state::StateView& state);

  std::string output_topic_;
  core::MetricsRegistry& metrics_;
};

// The processor's runtime description: one input topic per chain (in the
// given order), one output topic; `make` builds processors that report to
// the global metrics registry.
runtime::ProcessorSpec MakeSpec(const std::string& topic_prefix,
                                const std::vector<std::string>& chain_names);

}  // namespace chainflow::engine::processors::nft_ownership
