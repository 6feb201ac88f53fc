#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
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
  // Headers of the input record copied onto each of its outputs
  // (ProcessorSpec::forward_headers).
  std::vector<std::string> forward_headers;
};

// The folder of a task's store under a processor's state root:
// "<topic>-<n>" for the task of input partition n of `topic`, or "p-<n>" for
// the one task of partition n of every input of a co-partitioned processor.
// Active tasks and standby copies (standby_tasks.h) use the same one.
std::string TaskDirName(const log::TopicPartition& input, bool co_partitioned);
inline std::string TaskStateDir(const std::string& root, std::string_view dir_name) {
  std::string path = root;
  path += '/';
  path += dir_name;
  return path;
}
inline std::string TaskStateDir(const std::string& root, const log::TopicPartition& input,
                                bool co_partitioned) {
  return TaskStateDir(root, TaskDirName(input, co_partitioned));
}

// Counts of one applied batch.
struct BatchStats {
  size_t records = 0;
  size_t outputs = 0;
  size_t dead_lettered = 0;
  size_t retractions = 0;  // outputs emitted by Processor::Retract
};

// One input partition of one processor (or, for a co-partitioned processor,
// partition n of each of its input topics): its RocksDB state, its processor
// instance and its positions. The consumed offsets are written into the
// same WriteBatch as the state the batch produced (DESIGN.md §1.3), so after
// a crash state and positions agree. Chain events of blocks that are not
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
  // A task over several input partitions sharing one store (non-empty,
  // distinct). Each keeps its own position.
  static core::Result<std::unique_ptr<Task>> Open(std::vector<log::TopicPartition> inputs,
                                                   const std::string& state_path,
                                                   std::unique_ptr<Processor> processor,
                                                   const OutputRouting& routing,
                                                   UndoOptions undo = {});
  // The same over an already open store (e.g. one just restored from its
  // changelog). `changelog`: where the task's state changes are logged
  // (SendChangelog), or nullopt for none.
  static core::Result<std::unique_ptr<Task>> Open(std::vector<log::TopicPartition> inputs,
                                                   std::unique_ptr<state::Store> store,
                                                   std::unique_ptr<Processor> processor,
                                                   const OutputRouting& routing,
                                                   std::optional<log::TopicPartition> changelog,
                                                   UndoOptions undo = {});

  // The next offset to read of the first (for most tasks the only) input,
  // or of `tp` (kOffsetBeginning for a new task).
  core::Offset next_offset() const { return positions_.front().next; }
  core::Offset next_offset(const log::TopicPartition& tp) const;
  const log::TopicPartition& input() const { return positions_.front().input; }
  std::vector<log::TopicPartition> inputs() const;
  state::Store& store() { return *store_; }
  const UndoLog& undo() const { return *undo_; }

  // Applies `records` (all of ONE of this task's inputs, in offset order)
  // and sends their outputs and dead letters to `sink`. Nothing is
  // committed: call Commit() once the sink has flushed, or Discard() to drop
  // the batch. May be called once per input before one Commit().
  core::Result<BatchStats> Apply(const std::vector<const log::Record*>& records,
                                 log::RecordSink& sink);
  // Sends every write of the applied batch (state, positions, undo records)
  // to the task's changelog partition: key = state key, value = its value,
  // a tombstone for a deletion. Call once per batch, inside the transaction
  // that carries the batch's outputs; returns the records sent.
  core::Result<size_t> SendChangelog(log::RecordSink& sink);
  // Commits the applied batch's state and position atomically. With a
  // changelog, `appended` is what the batch's transaction appended: the
  // store then also records the changelog offset it is complete up to
  // (ChangelogCheckpointKey), from where a restore continues.
  core::Status Commit(const log::AppendedOffsets* appended = nullptr);
  // Drops an applied, uncommitted batch (position returns to the last commit).
  void Discard();
  // Re-reads positions and undo records from the store, after the store was
  // written behind the task's back (a restore from the changelog).
  core::Status Reload();

  const std::optional<log::TopicPartition>& changelog() const { return changelog_; }
  // True when the applied batch writes anything but this task's positions.
  bool ChangedMoreThanPositions() const;

  // The key under which the consumed offset is stored. Runtime keys start
  // with '\0' so they never collide with processor keys; the state digest
  // leaves them out.
  static std::string OffsetKey(const log::TopicPartition& tp);
  // The key under which a store keeps the next changelog offset it has not
  // applied (8 bytes BE); never itself logged.
  static std::string ChangelogCheckpointKey();
  // Brings `store` up to date with its changelog: applies the records of
  // `changelog` from the store's checkpoint (or the beginning) onward, as
  // read by `read` (which calls its callback per record in offset order), and
  // moves the checkpoint. Returns the number of records applied. `read`
  // gives up (Cancelled) once `stop` is requested; the slices committed stay.
  using ReadChangelog = std::function<core::Status(
      const std::vector<log::TopicPartitionOffset>& from,
      const std::function<core::Status(const log::Record&)>& fn, std::stop_token stop)>;
  static core::Result<size_t> Restore(
      const std::vector<std::pair<log::TopicPartition, state::Store*>>& stores,
      const ReadChangelog& read, std::stop_token stop = {});
  // The pieces of Restore, for stores kept up to date by tailing their
  // changelogs (standby copies): the next changelog offset `store` has not
  // applied (kOffsetBeginning for none), one changelog record's write
  // (a put, or a delete for a tombstone) added to `batch`, and the
  // checkpoint `next` added to `batch` (commit it with the writes).
  static core::Result<core::Offset> ChangelogCheckpoint(const state::Store& store);
  static void AddChangelogRecord(const log::Record& record, state::Batch& batch);
  static void SetChangelogCheckpoint(core::Offset next, state::Batch& batch);

  // Stores `next` as the position of `input` in the (new or existing) store
  // at `state_path`, so the task opened there starts at `next` instead of
  // the log's beginning. For rebuilds: a processor whose input topic still
  // holds what a rebuilt upstream is about to append again must skip it.
  static core::Status SeedPosition(const log::TopicPartition& input,
                                   const std::string& state_path, core::Offset next);

 private:
  struct Position {
    log::TopicPartition input;
    core::Offset next;       // next offset to apply
    core::Offset committed;  // next offset as of the last commit
  };
  Task(std::vector<Position> positions, std::unique_ptr<state::Store> store,
       std::unique_ptr<Processor> processor, std::unique_ptr<UndoLog> undo,
       const OutputRouting& routing, std::optional<log::TopicPartition> changelog);
  Position* FindPosition(const log::TopicPartition& tp);
  core::Status SendOutputs(const log::Record& in, std::vector<OutputEvent>& outputs,
                           log::RecordSink& sink);
  core::Status DeadLetter(const log::Record& in, const core::Status& why, log::RecordSink& sink);

  std::vector<Position> positions_;  // one per input, in Open's order
  std::unique_ptr<state::Store> store_;
  std::unique_ptr<Processor> processor_;
  // The processor Ignores() some payload: records are peeked before parsing.
  bool skips_payloads_ = false;
  std::unique_ptr<UndoLog> undo_;
  bool undo_stale_ = false;  // a batch was discarded: reload before the next
  const OutputRouting& routing_;
  std::optional<log::TopicPartition> changelog_;
  std::unique_ptr<state::Batch> batch_;
};

}  // namespace chainflow::engine::runtime
