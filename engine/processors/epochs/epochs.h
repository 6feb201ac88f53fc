#pragma once

#include <cstdint>
#include <string>

#include "engine/core/status.h"
#include "engine/runtime/event_clock.h"
#include "engine/runtime/processor.h"

namespace chainflow::engine::processors::epochs {

// What the processor needs of the configuration.
struct EpochsOptions {
  std::string topic_prefix = "cf";
  // Tasks of the intents processor (partitions of its inputs): one
  // settlement promise each, all of which an epoch waits for.
  int32_t intents_partitions = 1;
};

// The epochs processor (README.md): input `<prefix>.settlement.parts`
// (EpochPart keyed "epoch/<n>", and every intents task's SettlementMark on
// every partition), output one EpochSettled per epoch on
// `<prefix>.settlements`, key "epoch/<n>", id "epoch/<n>", once every
// intents task has promised past the epoch's end. The record adds up the
// parts (counts, per-token totals, digests mod 2^256), so it is the same
// for any partitioning of the intents. One instance per task.
class EpochsProcessor : public runtime::Processor {
 public:
  static constexpr char kName[] = "epochs";

  explicit EpochsProcessor(EpochsOptions options);

  std::string Name() const override { return kName; }
  core::Status Apply(const runtime::InputEvent& event, state::StateView& state,
                     runtime::Emitter& out) override;

 private:
  core::Status AddPart(const v1::EpochPart& part, state::StateView& state) const;
  core::Status Close(uint64_t watermark, state::StateView& state, runtime::Emitter& out) const;

  EpochsOptions options_;
  std::string output_topic_;
  runtime::EventClock clock_;  // the intents tasks' promises
};

// "e/" + epoch (8 BE) -> EpochSettled: the epochs sent (the digest covers these)
std::string EpochKey(uint64_t epoch);

runtime::ProcessorSpec MakeEpochsSpec(const EpochsOptions& options);

}  // namespace chainflow::engine::processors::epochs
