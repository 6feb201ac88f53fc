#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "engine/core/address.h"
#include "engine/core/result.h"
#include "engine/core/status.h"
#include "engine/runtime/processor.h"

namespace chainflow::engine::processors::token_balances {

// The first of the two token processors (README.md is the full spec):
// repartitions ERC-20 Transfers by account. Stateless.
//
// Input: Envelopes from `<prefix>.<chain>.events`.
//   Erc20Transfer            -> DEBIT of `from` (or a MINT SupplyDelta when
//                               `from` is zero), then CREDIT of `to` (or a
//                               BURN SupplyDelta when `to` is zero)
//   BlockEnd / BlockReverted -> forwarded verbatim to EVERY partition of the
//                               deltas topic (OutputEvent::all_partitions)
//   a reverted block         -> its transfers' deltas again, inverted and
//                               retracted (Retract, from retained transfers)
//   Erc721 / Erc1155         -> ignored (nft_ownership's)
//   anything else            -> InvalidArgument (poison)
// Output: `<prefix>.token.deltas`; BalanceDelta keyed
// "<chain>:<0x token>:<0x account>", SupplyDelta keyed "<chain>:<0x token>".
//
// Deterministic; one instance per task, called from that task's thread.
class TokenSplitterProcessor : public runtime::Processor {
 public:
  static constexpr char kName[] = "token_splitter";

  // `clock_chains`: chains whose event time a downstream processor follows
  // (the intents processor): their BlockEnd markers are also forwarded at
  // least once per `clock_interval_s` of block time, the first of each
  // interval [origin + k*interval, origin + (k+1)*interval) (README.md
  // "Markers"), so a deadline on that grid is reached without deltas.
  explicit TokenSplitterProcessor(std::string topic_prefix,
                                  std::vector<std::string> clock_chains = {},
                                  uint64_t clock_interval_s = 3600, uint64_t clock_origin = 0);

  std::string Name() const override { return kName; }
  core::Status Apply(const runtime::InputEvent& event, state::StateView& state,
                     runtime::Emitter& out) override;
  // NFT transfers (nft_ownership's): most of a chain topic on NFT-heavy
  // chains, skipped by the runtime without a parse.
  bool Ignores(v1::Envelope::PayloadCase payload) const override;
  // A reverted block's retained transfers (README.md "Reorgs"): their
  // deltas again, inverted and marked retracted, newest first.
  core::Status Retract(const runtime::RevertedWrite& write, const v1::BlockReverted& marker,
                       state::StateView& state, runtime::Emitter& out) override;

 private:
  struct Sides {
    core::Address token;
    core::Address from;
    core::Address to;
    std::string amount;  // 32 bytes BE
  };
  static core::Result<Sides> ParseSides(const v1::Erc20Transfer& transfer);
  void EmitSides(const v1::LogRef& log, const Sides& sides, uint32_t source_partition,
                 bool retracted, runtime::Emitter& out) const;
  core::Status ApplyTransfer(const v1::Erc20Transfer& transfer, uint32_t source_partition,
                             state::StateView& state, runtime::Emitter& out);
  core::Status ForwardMarker(const runtime::InputEvent& event, const std::string& chain,
                             runtime::Emitter& out);

  bool IsClockChain(const std::string& chain) const;
  // True when `end` starts a new clock interval for its chain (and records it).
  core::Result<bool> ClockTick(const v1::BlockEnd& end, state::StateView& state) const;

  std::string output_topic_;
  std::vector<std::string> clock_chains_;
  uint64_t clock_interval_s_;
  uint64_t clock_origin_;
};

// The splitter's runtime description: inputs `<prefix>.<chain>.events` (one
// per chain, in the given order), output `<prefix>.token.deltas`.
runtime::ProcessorSpec MakeSplitterSpec(const std::string& topic_prefix,
                                        const std::vector<std::string>& chain_names,
                                        const std::vector<std::string>& clock_chains = {},
                                        uint64_t clock_interval_s = 3600,
                                        uint64_t clock_origin = 0);

}  // namespace chainflow::engine::processors::token_balances
