#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/sink.h"
#include "engine/log/source.h"
#include "engine/runtime/processor.h"
#include "engine/runtime/task.h"

namespace chainflow::engine::runtime {

struct RunnerOptions {
  std::string state_dir;  // this processor's state root: one subfolder per task
  size_t batch_size = 5000;
  std::chrono::milliseconds batch_wait{50};
  // Inputs read block by block (topics that carry BlockEnds: chain topics,
  // and what processors forward them to): a poll that leaves a partition
  // mid-block, or gave a block's end on some partitions but not yet on the
  // others, is followed by more polls, each waiting up to batch_linger, while
  // they bring more (up to batch_size records, for at most batch_wait in
  // all). A block whose partitions reach the reader in pieces then commits
  // in one transaction instead of several back to back, each of which waits
  // for the previous one's commit markers; a block that arrived whole, and
  // inputs without blocks, commit at once. Zero (the default): every poll
  // commits as it is. It halves nft_ownership's transactions at a chain's
  // head but delays a block whose records sit on one partition (a
  // contract's events) until the other partitions' BlockEnds arrive
  // (benchmarks/README.md, session 14).
  std::chrono::milliseconds batch_linger{0};
  std::chrono::milliseconds flush_timeout{60'000};
  // How long an abort (recovering from a failed cycle, or stopping) waits.
  // With the broker away it cannot land and the runner goes on (retries, or
  // stops) without it: a transaction left open is safe, the broker aborts it
  // after its timeout and a successor's init_transactions at once.
  std::chrono::milliseconds abort_timeout{5'000};
  OutputRouting routing;  // output partition counts, dead-letter topic

  // Exactly-once only (OpenTransactional):
  // input topic -> the changelog topic of its tasks' stores (partition n
  // logs the task of input partition n; every input of a co-partitioned
  // processor names the same topic). Every task must have one.
  std::map<std::string, std::string> changelog_topics;
  // Reads changelog partitions to their end, for restores.
  Task::ReadChangelog read_changelog;
  // The consumer group the input offsets are committed to, inside a
  // transaction (empty: none). The state's own offsets (in the changelog)
  // are what a restart reads; the group's are for lag monitoring and any
  // Kafka tool, so they go into at most one transaction per
  // `group_offsets_interval`, and into a transaction of their own once the
  // input goes quiet. Each costs two round trips to the coordinators.
  // A group member (OpenInGroup) sends them with every transaction that logs
  // anything instead: they carry its membership, which fences it.
  std::string group_id;
  std::chrono::milliseconds group_offsets_interval{1000};
  // Opens a new transactional producer with the same transactional id, for
  // when the current one hit a fatal error: a broker that restarted while a
  // transaction was open times it out and bumps the producer's epoch, which
  // the producer then sees as being fenced. Unset: such errors stop the
  // runner.
  std::function<core::Result<std::unique_ptr<log::TransactionalSink>>()> reopen_sink;
  // Opens a new record source like the current one, for when it hit a fatal
  // error (RecordSource::FatalError): after a broker restart the
  // coordinator can fence a static group member for good (FENCED_INSTANCE_ID,
  // "fenced by other consumer with same group.instance.id"). A group
  // member's tasks close (as if the group lost them) and
  // the new member gets its partitions from the group again. Unset: such
  // errors stop the runner.
  std::function<core::Result<std::unique_ptr<log::RecordSource>>()> reopen_source;
  // Bounds reopens (of either) in a row without a cycle that applied
  // records between them: two live instances with one id fence each other.
  int max_client_reopens = 5;

  // Optional, for standby copies of tasks in the same process
  // (StandbyTasks::Claim / Release): called on the loop thread with a task's
  // store path (TaskStateDir) before the runner opens the store, and after it
  // closed it (or gave up opening it). RocksDB lets one handle at a time
  // open a directory: `claim_store` must return only once no one else in the
  // process has it open, and keep it so until `release_store`.
  std::function<void(const std::string& store_path)> claim_store;
  std::function<void(const std::string& store_path)> release_store;
};

using Positions = std::map<log::TopicPartition, core::Offset>;

// Runs one processor over a fixed set of input partitions: one Task per
// partition (per partition number for a co-partitioned processor) and a
// single loop that polls a batch and applies it task by task.
//
// Exactly-once (OpenTransactional, DESIGN.md §1.3): each cycle is one
// transaction of the sink holding the batch's outputs, every write of the
// tasks' state batches (their changelogs) and the consumed input offsets
// (group_id); only after it commits does each task commit its RocksDB
// batch, with the changelog offset it is complete up to. Local stores are
// caches of the changelogs: at Open, and after any failed cycle, each store
// is brought up to date from its changelog checkpoint, so state, outputs and
// offsets are always one committed cut, whatever was killed when.
//
// At-least-once (Open): the loop flushes the sink and only then commits each
// task's state + offset; a crash in between produces the batch's outputs
// again (same ids and content).
//
// Supervision (STYLE.md error table) lives in Run(): retryable codes and
// Aborted discard the uncommitted batch, seek back and retry with backoff;
// FailedPrecondition stops cleanly; anything else fails the runner loudly.
//
// Threads: Start() runs the loop on an owned thread; RunOnce() may be called
// instead from one caller thread (tests, benchmarks). Positions(), failure()
// and CaughtUp() are safe from any thread.
class ProcessorRunner {
 public:
  static core::Result<std::unique_ptr<ProcessorRunner>> Open(
      const ProcessorSpec& spec, RunnerOptions options,
      const std::vector<log::TopicPartition>& inputs, std::unique_ptr<log::RecordSource> source,
      log::RecordSink& sink);
  // Exactly-once: `sink` must be transactional (its transactional id fenced
  // any earlier writer before this call), and `options` name a changelog
  // topic for every input. Restores every task's store from its changelog.
  static core::Result<std::unique_ptr<ProcessorRunner>> OpenTransactional(
      const ProcessorSpec& spec, RunnerOptions options,
      const std::vector<log::TopicPartition>& inputs, std::unique_ptr<log::RecordSource> source,
      log::TransactionalSink& sink);
  // Exactly-once as a member of the consumer group `options.group_id`
  // (scale-out): `source` subscribes to the spec's input topics and the
  // group decides which partitions this runner owns, and changes it as
  // members come and go. A task is opened (its store restored from its
  // changelog, from the local checkpoint on) when the group gives its
  // partitions and closed when it takes them (the local store stays on
  // disk). Every transaction that logs anything carries the member's group
  // metadata with its offsets, so a member the group has dropped cannot
  // commit (Kafka Streams EOS v2 fencing). No task until the first poll.
  static core::Result<std::unique_ptr<ProcessorRunner>> OpenInGroup(
      const ProcessorSpec& spec, RunnerOptions options, std::unique_ptr<log::RecordSource> source,
      log::TransactionalSink& sink);
  ~ProcessorRunner();

  // One poll-apply-commit cycle; returns the records applied.
  core::Result<size_t> RunOnce();
  // After RunOnce failed with `why`: drops what the cycle applied, and for a
  // transactional runner aborts its transaction (or, when `why` is a fatal
  // producer error and RunnerOptions::reopen_sink is set, replaces the
  // producer; a fatal source is replaced by reopen_source's) and brings
  // every store up to date with its changelog (a
  // commit that returned an error may still have landed). Then RunOnce may
  // be called again. Start()'s loop does this.
  core::Status Recover(const core::Status& why = core::Status::Ok());
  // True when Recover(why) can go on after `why` (retryable, Aborted, or a
  // fatal producer or source error with reopen_sink / reopen_source set and
  // reopens left).
  bool Recoverable(const core::Status& why) const;

  void Start();
  // Asks the thread to stop without waiting for it: restores and retries
  // give up, the open transaction is aborted briefly. For stopping many
  // runners at once; Stop() then joins.
  void RequestStop();
  void Stop();  // idempotent; joins the thread

  // Committed next offsets of every task (in a group: of the tasks it owns
  // now).
  Positions GetPositions() const;
  // True once every partition in `ends` has been consumed up to its offset.
  bool CaughtUp(const Positions& ends) const;
  // Non-ok once the loop has stopped on an error it does not retry.
  core::Status failure() const;
  bool running() const { return running_.load(); }

  // What the loop thread is doing, for stall reports (ProcessorRole's
  // watchdog): the step it is in ("poll", "open tasks", "apply",
  // "changelog", "offsets", "transaction", "store", "markers", "recover",
  // "backoff", "abort") and for how long; `step` is null when the thread is not
  // running. A step that lasts is a wait: on the broker (librdkafka's
  // send_offsets_to_transaction can ignore its timeout, #5456), on a long
  // restore, or out an outage.
  struct Activity {
    const char* step = nullptr;
    std::chrono::steady_clock::duration in_step{};
  };
  Activity activity() const;

  // Called after each commit with the new positions (e.g. to report them
  // to the consumer group for lag monitoring). Set before Start().
  void set_on_commit(std::function<void(const Positions&)> fn) { on_commit_ = std::move(fn); }

  const std::string& name() const { return name_; }

  // Before Open(): makes the tasks of `positions` under `state_dir` start at
  // the given offsets (Task::SeedPosition). Used by `chainflow rebuild`.
  // `co_partitioned` as the processor's ProcessorSpec says.
  static core::Status SeedPositions(const std::string& state_dir, const Positions& positions,
                                    bool co_partitioned = false);

 private:
  ProcessorRunner(const ProcessorSpec& spec, RunnerOptions options,
                  std::unique_ptr<log::RecordSource> source, log::RecordSink& sink,
                  log::TransactionalSink* transactions);
  static core::Result<std::unique_ptr<ProcessorRunner>> OpenWith(
      const ProcessorSpec& spec, RunnerOptions options,
      const std::vector<log::TopicPartition>& inputs, std::unique_ptr<log::RecordSource> source,
      log::RecordSink& sink, log::TransactionalSink* transactions);
  core::Status AssignAll();
  // Joins the group with source_ (OpenInGroup, and after ReopenSource).
  core::Status SubscribeToGroup();
  // The source failed for good: replaces it with reopen_source's.
  core::Status ReopenSource();
  // `why` comes from a source that failed for good.
  bool SourceFailed(const core::Status& why) const;
  // Opens the tasks of `inputs` (grouped by task) with their stores brought
  // up to date from their changelogs; all or none.
  core::Status OpenTasks(const std::vector<log::TopicPartition>& inputs);
  // Group membership (OpenInGroup): the listener's two halves.
  std::vector<log::TopicPartitionOffset> OnAssigned(const std::vector<log::TopicPartition>& given);
  void OnRevoked(const std::vector<log::TopicPartition>& taken, bool lost);
  // Exports how many tasks this runner has (chainflow_processor_tasks).
  void PublishTaskCount() const;
  // Where every owned input is: Assign (static) or Seek (group) after a
  // dropped batch.
  core::Status Rewind();
  core::Status RestoreStores(
      const std::vector<std::pair<log::TopicPartition, state::Store*>>& stores);
  // Commits the applied tasks through one transaction, or flush-then-commit.
  // `effects`: the batch produced outputs, dead letters or state beyond its
  // positions (else nothing is logged and no broker round trip is made).
  core::Status CommitTransactional(const std::vector<Task*>& applied, bool effects);
  core::Status CommitFlushed(const std::vector<Task*>& applied);
  void PublishPositions(const std::vector<Task*>& applied);
  // Polls on while `records` leave block topics short of their blocks' ends
  // (batch_linger). Records of partitions the group moved inside those polls
  // are dropped: their tasks closed, or reopened at their committed positions.
  core::Status PollOn(std::vector<log::Record>& records);
  // Input topics seen carrying BlockEnds (PollOn).
  std::set<std::string> block_topics_;
  // After an empty poll: moves the published positions past transaction
  // markers the reader stepped over (RecordSource::ReadPositions).
  core::Status StepOverMarkers();
  void Run();

  std::string name_;
  ProcessorSpec spec_;
  RunnerOptions options_;
  bool in_group_ = false;  // OpenInGroup: the group assigns the partitions
  // A task the group gave that could not be opened for good (not a
  // retryable error): returned by the next RunOnce, which fails the runner.
  core::Status assign_failure_;
  std::unique_ptr<log::RecordSource> source_;
  log::RecordSink* sink_;                 // never null
  log::TransactionalSink* transactions_;  // == sink_ when exactly-once, else null
  std::unique_ptr<log::TransactionalSink> reopened_;  // a replacement producer, if any
  int reopens_in_a_row_ = 0;
  // Partitions given or taken by the group since PollOn last cleared it.
  std::set<log::TopicPartition> rebalanced_;
  bool in_transaction_ = false;
  // Group offsets: when last sent, and whether positions moved since.
  std::chrono::steady_clock::time_point group_offsets_sent_{};
  bool group_offsets_pending_ = false;
  // Sends every position to the group within the open transaction: the
  // published ones, and those of `applied` (this transaction's batch).
  core::Status SendGroupOffsets(const std::vector<Task*>* applied);
  std::vector<std::unique_ptr<Task>> tasks_;
  std::map<log::TopicPartition, Task*> by_input_;  // every input -> its task in tasks_
  std::function<void(const Positions&)> on_commit_;

  mutable std::mutex mu_;
  Positions positions_;      // guarded by mu_
  core::Status failure_;     // guarded by mu_

  // Enters `step` (a string literal) now.
  void Enter(const char* step);

  std::stop_source stop_;  // Stop() requests it; restores and retries watch it
  std::atomic<bool> running_{false};
  std::atomic<const char*> step_{nullptr};  // activity(): written by the loop thread only
  std::atomic<std::chrono::steady_clock::rep> step_since_{0};
  std::thread thread_;
};

}  // namespace chainflow::engine::runtime
