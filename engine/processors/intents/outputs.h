#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "engine/core/address.h"
#include "engine/core/metrics.h"
#include "engine/core/u256.h"
#include "engine/runtime/processor.h"
#include "chainflow/v1/events.pb.h"

namespace chainflow::engine::processors::intents {

// The topics the intents processor writes (README.md, top), from the
// configured prefix.
struct IntentsTopics {
  explicit IntentsTopics(std::string_view prefix);
  std::string intents;      // IntentStatusChanged
  std::string deltas;       // its own deltas, SettlementMarks (its own input)
  std::string parts;        // EpochPart, SettlementMark copies (the epochs processor's)
  std::string settlements;  // AccountSettled
  std::string accruals;     // AccrualRecorded
};

// Builds the records that more than one of the processor's collaborators
// sends, so their keys, ids and CloudEvents types are spelled once. Holds no
// state; const methods only, called from the task's thread.
class IntentsOutputs {
 public:
  // `metrics` must outlive this.
  IntentsOutputs(std::string_view topic_prefix, core::MetricsRegistry& metrics);

  const IntentsTopics& topics() const { return topics_; }

  // An intent's new status on the intents topic, keyed by its payer
  // ("intent/<intent_id>/<status>"), counted per status.
  void Publish(const v1::IntentStatusChanged& change, runtime::Emitter& out) const;
  // One side of a settled intent: a BalanceDelta stamped at its decision
  // ("settle/<intent_id>/debit|credit"), for token_balances and for the
  // account's own task.
  void SettlementDelta(const v1::IntentStatusChanged& change, const core::Address& account,
                       const core::U256& amount, v1::BalanceDelta::Direction direction,
                       runtime::Emitter& out) const;
  // A delta the processor made itself (a payment or an accrual) at `at`:
  // the BalanceDelta and its SupplyDelta, ids "<request_id>/<account key>"
  // and ".../supply".
  void OwnDelta(const std::string& chain, const core::Address& token, const core::Address& account,
                const core::U256& amount, bool credit, v1::BalanceDelta::Origin origin,
                const std::string& request_id, uint64_t at, runtime::Emitter& out) const;

 private:
  IntentsTopics topics_;
  core::MetricsRegistry& metrics_;
};

// "submitted", "approved", ...: the status as ids and metrics spell it.
const char* StatusName(v1::IntentStatus status);

}  // namespace chainflow::engine::processors::intents
