#include "engine/processors/intents/future_deltas.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "engine/processors/intents/state_layout.h"
#include "engine/runtime/event_clock.h"

namespace chainflow::engine::processors::intents {

struct FutureDeltas::Loaded {
  bool any = false;  // entries exist (the summary key is present)
  FutureSummary summary;
};

FutureDeltas::FutureDeltas(std::string_view chain, const core::Address& token,
                           const core::Address& account)
    : prefix_(FuturePrefix(chain, token, account)),
      summary_key_(FutureSummaryKey(chain, token, account)) {}

core::Result<FutureDeltas::Loaded> FutureDeltas::Load(state::StateView& state) const {
  Loaded loaded;
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(summary_key_));
  if (!stored) return loaded;
  loaded.any = true;
  ASSIGN_OR_RETURN(loaded.summary, DecodeFutureSummary(*stored));
  return loaded;
}

void FutureDeltas::Store(const Loaded& loaded, state::StateView& state) const {
  if (loaded.any) {
    state.Put(summary_key_, EncodeFutureSummary(loaded.summary));
  } else {
    state.Delete(summary_key_);
  }
}

// The entries are in time order and none is before `earliest`: a lone
// entry is deleted by its key; otherwise the scan starts at the earliest
// (past the tombstones of earlier drops) and stops at the first entry it
// keeps, which becomes the earliest.
core::Status FutureDeltas::DropBefore(uint64_t time, Loaded& loaded,
                                      state::StateView& state) const {
  FutureSummary& summary = loaded.summary;
  if (!loaded.any || summary.earliest >= time) return core::Status::Ok();
  if (summary.count == 1) {
    state.Delete(FutureKey(prefix_, summary.earliest, summary.earliest_sequence));
    loaded = Loaded{};
    return core::Status::Ok();
  }
  core::Status failed;
  bool kept = false;
  RETURN_IF_ERROR(state.ScanFrom(
      prefix_, FutureKey(prefix_, summary.earliest, summary.earliest_sequence),
      [&](std::string_view key, std::string_view value) {
        core::Result<uint64_t> at = key.size() == prefix_.size() + 16
                                        ? runtime::DecodeTime(key.substr(prefix_.size(), 8))
                                        : core::DataLossError("future delta key of a bad size");
        if (!at) {
          failed = at.error();
          return false;
        }
        if (at.value() >= time) {
          summary.earliest = at.value();
          summary.earliest_sequence = runtime::DecodeTime(key.substr(prefix_.size() + 8)).value();
          kept = true;
          return false;
        }
        core::Result<NetAmount> amount = DecodeSigned(value);
        if (amount) amount = processors::Subtract(summary.sum, amount.value());
        if (!amount) {
          failed = amount.error();
          return false;
        }
        summary.sum = amount.value();
        --summary.count;
        state.Delete(key);
        return true;
      }));
  if (!failed.ok()) return failed.WithContext("intents future deltas");
  // No entry left: the sum is 0 (unless a reverted block's undo restored
  // the summary under entries of other sources: README.md "Reorgs").
  if (!kept || summary.count == 0) loaded = Loaded{};
  return core::Status::Ok();
}

core::Status FutureDeltas::Add(uint64_t time, const NetAmount& amount, uint64_t watermark,
                               state::StateView& state) const {
  ASSIGN_OR_RETURN(Loaded loaded, Load(state));
  RETURN_IF_ERROR(DropBefore(watermark, loaded, state));
  FutureSummary& summary = loaded.summary;
  const uint64_t sequence = summary.next_sequence++;
  if (!loaded.any || time < summary.earliest) {
    summary.earliest = time;
    summary.earliest_sequence = sequence;
  }
  loaded.any = true;
  ++summary.count;
  ASSIGN_OR_RETURN(summary.sum, processors::Add(summary.sum, amount));
  state.Put(FutureKey(prefix_, time, sequence), EncodeSigned(amount));
  Store(loaded, state);
  return core::Status::Ok();
}

core::Result<NetAmount> FutureDeltas::SumFrom(uint64_t deadline, state::StateView& state) const {
  ASSIGN_OR_RETURN(Loaded loaded, Load(state));
  if (!loaded.any || loaded.summary.earliest >= deadline) return loaded.summary.sum;
  RETURN_IF_ERROR(DropBefore(deadline, loaded, state));
  Store(loaded, state);
  return loaded.summary.sum;
}

}  // namespace chainflow::engine::processors::intents
