#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "chainflow/v1/events.pb.h"
#include "engine/core/result.h"
#include "engine/processors/intents/state_layout.h"
#include "engine/state/state_view.h"

namespace chainflow::engine::processors::intents {

// The intent records ("i/" + intent_id -> IntentStatusChanged, the intent as
// it now stands) and the queues of intent ids waiting for a deadline
// (QueuePrefix, SettlementPrefix). Shared by the lifecycle, which creates and
// decides intents, and the settlement, which closes them. Called from the
// task's thread.

// The intent's record; nullopt if there is none. DataLoss if unreadable.
core::Result<std::optional<v1::IntentStatusChanged>> LoadIntent(std::string_view intent_id,
                                                                state::StateView& state);
void StoreIntent(const v1::IntentStatusChanged& change, state::StateView& state);

// Adds `entry` to the queue under `prefix`: one key, whatever its length.
void Enqueue(const std::string& prefix, const QueuedIntent& entry, state::StateView& state);
// The queue under `prefix` in (submitted_at, intent_id) order, deleted.
core::Result<std::vector<QueuedIntent>> TakeQueue(const std::string& prefix,
                                                  state::StateView& state);

}  // namespace chainflow::engine::processors::intents
