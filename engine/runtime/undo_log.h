#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "chainflow/v1/events.pb.h"
#include "engine/core/metrics.h"
#include "engine/core/result.h"
#include "engine/runtime/processor.h"
#include "engine/state/state_view.h"
#include "engine/state/store.h"

namespace chainflow::engine::runtime {

struct UndoOptions {
  // false: the task keeps no undo record and checks no marker order: its
  // inputs interleave upstream partitions (a repartition topic), so a
  // BlockReverted copy may come after another partition's BlockEnd that
  // finalized past it, and "the value before the block" is not a value the
  // task had. Markers then reach Processor::Apply as they come, and the
  // processor undoes reverted blocks itself (ProcessorSpec::per_block_undo).
  bool enabled = true;
  // Undo records are kept for at most this many blocks below the newest
  // block a chain event was tracked at, even when no BlockEnd ever reports
  // finality (history files before ingest marks them final). Blocks that
  // fall out of the window count as final: a BlockReverted of one fails the
  // task loudly, like a reorg deeper than the finality window.
  uint64_t max_unfinalized_blocks = 1024;
};

// Per-block undo records of one task (DESIGN.md §1.4), processor-agnostic.
//
// While a chain event of a block that is not final is applied, the view
// returned by Track() records, for each key the block writes for the first
// time, the value it had before (or its absence). Revert() puts those values
// back (newest first) and lets the processor emit retractions; Finalize()
// drops the records of blocks at or below the chain's finalized block.
//
// Records live in memory (the unfinalized window) and in the task's store
// under runtime keys (spec: README.md "Undo records"), written by Flush()
// into the same batch as the state and offset, so they commit atomically.
// Changes are per record: EndRecord(false) forgets what the record did (the
// runtime rolled its writes back). After a discarded batch, Reload().
// Not thread-safe: the task's thread only.
class UndoLog {
 public:
  // An empty log; Reload() fills it from a store. `processor` labels metrics.
  explicit UndoLog(std::string processor, UndoOptions options = {});
  static core::Result<std::unique_ptr<UndoLog>> Open(const state::Store& store,
                                                     std::string processor,
                                                     UndoOptions options = {});
  ~UndoLog();
  UndoLog(const UndoLog&) = delete;
  UndoLog& operator=(const UndoLog&) = delete;

  // Rebuilds the in-memory records from the committed store.
  core::Status Reload(const state::Store& store);

  // The view to apply a chain event with LogRef `log` through: `inner`
  // itself when the event is final (log.finalized, or at/below the chain's
  // finalized block), else a recording wrapper valid until EndRecord.
  state::StateView& Track(state::StateView& inner, const v1::LogRef& log);
  // An error the wrapper met reading a prior value (infrastructure).
  core::Status TrackStatus() const { return track_status_; }

  // Restores every key block `marker.number` wrote to its prior value in
  // `state`, newest write first, calling processor.Retract for each key whose
  // value changes. DataLoss when the block is at or below the chain's
  // finalized block, or when a newer block still has records (markers out
  // of order). Nothing to undo is fine. The records go at EndRecord(true).
  core::Status Revert(const v1::BlockReverted& marker, state::StateView& state,
                      Processor& processor, Emitter& out);
  // Blocks <= marker.finalized become final (at EndRecord(true)).
  void Finalize(const v1::BlockEnd& marker);
  // Ends the record being applied: keep (applied) or drop (rolled back)
  // what Track/Revert/Finalize staged.
  void EndRecord(bool keep);

  // Writes the records added and deletes those dropped since the last
  // Flush, and changed finalized blocks, into `batch`.
  void Flush(state::StateView& batch);

  bool enabled() const { return options_.enabled; }
  // Records kept (memory and store after commit).
  size_t size() const { return size_; }
  // Highest block of `chain` that can no longer be reverted; 0 if unknown.
  uint64_t finalized(const std::string& chain) const;
  // Blocks of `chain` holding records, ascending (tests).
  std::vector<uint64_t> blocks(const std::string& chain) const;

  // Runtime keys ('\0' first: outside the state digest).
  static std::string RecordKey(const std::string& chain, uint64_t block, uint32_t seq);
  static std::string FinalizedKey(const std::string& chain);

 private:
  class TrackingView;
  struct Entry {
    std::string key;
    std::optional<std::string> prior;
    bool stored = false;  // written to the store (by a Flush)
  };
  struct Block {
    uint64_t timestamp = 0;
    std::vector<Entry> entries;  // write order; seq = index
    std::unordered_set<std::string> keys;
  };
  struct Chain {
    std::map<uint64_t, Block> blocks;
    uint64_t finalized = 0;
    bool finalized_dirty = false;
  };

  // Staged by the tracking view for the record being applied.
  void NoteWrite(state::StateView& inner, std::string_view key);
  void DropBlock(const std::string& chain, Chain& c, std::map<uint64_t, Block>::iterator it);
  void RaiseFinalized(const std::string& chain, Chain& c, uint64_t finalized);

  std::string processor_;
  UndoOptions options_;
  std::map<std::string, Chain> chains_;
  size_t size_ = 0;
  std::vector<std::string> doomed_;                   // stored record keys to delete
  std::set<std::pair<std::string, uint64_t>> dirty_;  // blocks with unstored entries

  // The record being applied.
  std::unique_ptr<TrackingView> view_;
  std::string track_chain_;
  uint64_t track_block_ = 0;
  uint64_t track_timestamp_ = 0;
  std::vector<Entry> staged_;
  core::Status track_status_;
  std::optional<std::pair<std::string, uint64_t>> pending_revert_;
  std::optional<std::pair<std::string, uint64_t>> pending_finalize_;

  core::Gauge& records_gauge_;
  core::Counter& reverted_counter_;
  core::Counter& window_counter_;
};

// Applies one decoded record to `state` the way a Task does: BlockReverted
// first undoes the block (Revert, Retract per key) then reaches Apply;
// BlockEnd reaches Apply then finalizes; a chain event is applied through
// undo.Track. `retractions` counts what Retract emitted. The caller rolls
// `state` back on error and always calls undo.EndRecord(status.ok()).
core::Status ApplyWithUndo(const InputEvent& event, state::StateView& state,
                           Processor& processor, UndoLog& undo, Emitter& out,
                           size_t& retractions);

}  // namespace chainflow::engine::runtime
