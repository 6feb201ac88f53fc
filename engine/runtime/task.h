#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/record.h"
#include "engine/log/sink.h"
#include "engine/runtime/processor.h"
#include "engine/runtime/undo_log.h"
#include "engine/state/store.h"

namespace chainflow::engine::runtime {

// Where a task's outputs go and how they are placed.
struct OutputRouting {
  // Partition count of every output topic (and of the dead-letter topic).
  std::map<std::string, int32_t> partitions;
  std::string dlq_topic;
  std::string ce_source;  // "chainflow/<processor>"
};

// Counts of one applied batch.
struct BatchStats {
  size_t records = 0;
  size_t outputs = 0;
  size_t dead_lettered = 0;
  size_t retractions = 0;  // outputs emitted by Processor::Retract
};

// One input partition of one processor: its RocksDB state, its processor
// instance and its position. The task's consumed offset is written into the
// same WriteBatch as the state the batch produced (DESIGN.md §1.3), so after
// a crash state and position agree. Chain events of blocks that are not
// final go through an UndoLog, whose records commit in the same batch, so
// a BlockReverted marker restores the block's writes and asks the
// processor for retractions (README.md "Reorgs"). Owned and used by one
// runner thread.
class Task {
 public:
  // Opens (or creates) the state at `state_path`.
  static core::Result<std::unique_ptr<Task>> Open(log::TopicPartition input,
                                                   const std::string& state_path,
                                                   std::unique_ptr<Processor> processor,
                                                   const OutputRouting& routing,
                                                   UndoOptions undo = {});

  // The next input offset to read (kOffsetBeginning for a new task).
  core::Offset next_offset() const { return next_offset_; }
  const log::TopicPartition& input() const { return input_; }
  state::Store& store() { return *store_; }
  const UndoLog& undo() const { return *undo_; }

  // Applies `records` (all of this task's partition, in offset order) and
  // sends their outputs and dead letters to `sink`. Nothing is committed:
  // call Commit() once the sink has flushed, or Discard() to drop the batch.
  core::Result<BatchStats> Apply(const std::vector<const log::Record*>& records,
                                 log::RecordSink& sink);
  // Commits the applied batch's state and position atomically.
  core::Status Commit();
  // Drops an applied, uncommitted batch (position returns to the last commit).
  void Discard();

  // The key under which the consumed offset is stored. Runtime keys start
  // with '\0' so they never collide with processor keys; the state digest
  // leaves them out.
  static std::string OffsetKey(const log::TopicPartition& tp);

  // Stores `next` as the position of `input` in the (new or existing) store
  // at `state_path`, so the task opened there starts at `next` instead of
  // the log's beginning. For rebuilds: a processor whose input topic still
  // holds what a rebuilt upstream is about to append again must skip it.
  static core::Status SeedPosition(const log::TopicPartition& input,
                                   const std::string& state_path, core::Offset next);

 private:
  Task(log::TopicPartition input, std::unique_ptr<state::Store> store,
       std::unique_ptr<Processor> processor, std::unique_ptr<UndoLog> undo,
       const OutputRouting& routing, core::Offset next);
  core::Status SendOutputs(const log::Record& in, std::vector<OutputEvent>& outputs,
                           log::RecordSink& sink);
  core::Status DeadLetter(const log::Record& in, const core::Status& why, log::RecordSink& sink);

  log::TopicPartition input_;
  std::unique_ptr<state::Store> store_;
  std::unique_ptr<Processor> processor_;
  std::unique_ptr<UndoLog> undo_;
  bool undo_stale_ = false;  // a batch was discarded: reload before the next
  const OutputRouting& routing_;
  core::Offset next_offset_;
  core::Offset committed_offset_;
  std::unique_ptr<state::Batch> batch_;
};

}  // namespace chainflow::engine::runtime
