#include "engine/processors/intents/intent_queue.h"

#include <fmt/format.h>

namespace chainflow::engine::processors::intents {

using core::Result;
using core::Status;

Result<std::optional<v1::IntentStatusChanged>> LoadIntent(std::string_view intent_id,
                                                          state::StateView& state) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(IntentKey(intent_id)));
  if (!stored) return std::optional<v1::IntentStatusChanged>();
  v1::IntentStatusChanged change;
  if (!change.ParseFromString(*stored)) {
    return core::DataLossError(fmt::format("intents: unreadable record of intent {}", intent_id));
  }
  return std::optional<v1::IntentStatusChanged>(std::move(change));
}

void StoreIntent(const v1::IntentStatusChanged& change, state::StateView& state) {
  state.Put(IntentKey(change.intent_id()), change.SerializeAsString());
}

void Enqueue(const std::string& prefix, const QueuedIntent& entry, state::StateView& state) {
  state.Put(QueueEntryKey(prefix, entry), "");
}

Result<std::vector<QueuedIntent>> TakeQueue(const std::string& prefix, state::StateView& state) {
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

}  // namespace chainflow::engine::processors::intents
