#include "engine/runtime/runner.h"

#include <pthread.h>

#include <algorithm>
#include <filesystem>
#include <iterator>
#include <map>
#include <set>
#include <thread>

#include <fmt/format.h>

#include "engine/core/crash_point.h"
#include "engine/core/logging.h"
#include "engine/core/metrics.h"

namespace chainflow::engine::runtime {
namespace {

// Adds the time since the previous call (or construction) to the
// processor's counter for the named loop stage.
class StageClock {
 public:
  explicit StageClock(const std::string& processor) : processor_(processor) {}
  void Mark(const char* stage) {
    const auto now = std::chrono::steady_clock::now();
    core::MetricsRegistry::Global()
        .GetCounter(
            "chainflow_processor_stage_microseconds_total",
            "Time spent per loop stage (poll, apply, changelog, offsets, transaction, store)",
            {{"processor", processor_}, {"stage", stage}})
        .Inc(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - last_).count()));
    last_ = now;
  }

 private:
  const std::string& processor_;
  std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

}  // namespace

ProcessorRunner::ProcessorRunner(const ProcessorSpec& spec, RunnerOptions options,
                                 std::unique_ptr<log::RecordSource> source,
                                 log::RecordSink& sink, log::TransactionalSink* transactions)
    : name_(spec.name), spec_(spec), options_(std::move(options)), source_(std::move(source)),
      sink_(&sink), transactions_(transactions) {}

ProcessorRunner::~ProcessorRunner() {
  Stop();
  // The source first: closing a group member revokes its partitions, which
  // closes their tasks while they still exist.
  source_.reset();
}

core::Result<std::unique_ptr<ProcessorRunner>> ProcessorRunner::Open(
    const ProcessorSpec& spec, RunnerOptions options,
    const std::vector<log::TopicPartition>& inputs, std::unique_ptr<log::RecordSource> source,
    log::RecordSink& sink) {
  return OpenWith(spec, std::move(options), inputs, std::move(source), sink, nullptr);
}

core::Result<std::unique_ptr<ProcessorRunner>> ProcessorRunner::OpenTransactional(
    const ProcessorSpec& spec, RunnerOptions options,
    const std::vector<log::TopicPartition>& inputs, std::unique_ptr<log::RecordSource> source,
    log::TransactionalSink& sink) {
  if (!options.read_changelog) {
    return core::InvalidArgumentError(
        fmt::format("{}: an exactly-once runner needs a changelog reader", spec.name));
  }
  return OpenWith(spec, std::move(options), inputs, std::move(source), sink, &sink);
}

core::Result<std::unique_ptr<ProcessorRunner>> ProcessorRunner::OpenInGroup(
    const ProcessorSpec& spec, RunnerOptions options, std::unique_ptr<log::RecordSource> source,
    log::TransactionalSink& sink) {
  if (!options.read_changelog) {
    return core::InvalidArgumentError(
        fmt::format("{}: an exactly-once runner needs a changelog reader", spec.name));
  }
  if (options.group_id.empty()) {
    return core::InvalidArgumentError(
        fmt::format("{}: a group member needs a group_id", spec.name));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<ProcessorRunner> runner,
                   OpenWith(spec, std::move(options), {}, std::move(source), sink, &sink));
  runner->in_group_ = true;
  RETURN_IF_ERROR(runner->SubscribeToGroup());
  return runner;
}

core::Status ProcessorRunner::SubscribeToGroup() {
  return source_->Subscribe(
      spec_.input_topics,
      log::RebalanceListener{
          .assigned = [this](const std::vector<log::TopicPartition>& given) {
            return OnAssigned(given);
          },
          .revoked = [this](const std::vector<log::TopicPartition>& taken,
                            bool lost) { OnRevoked(taken, lost); }});
}

core::Result<std::unique_ptr<ProcessorRunner>> ProcessorRunner::OpenWith(
    const ProcessorSpec& spec, RunnerOptions options,
    const std::vector<log::TopicPartition>& inputs, std::unique_ptr<log::RecordSource> source,
    log::RecordSink& sink, log::TransactionalSink* transactions) {
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec) {
    return core::UnavailableError(
        fmt::format("cannot create state dir {}: {}", options.state_dir, ec.message()));
  }
  if (options.routing.ce_source.empty()) options.routing.ce_source = "chainflow/" + spec.name;
  if (options.routing.forward_headers.empty()) {
    options.routing.forward_headers = spec.forward_headers;
  }
  std::unique_ptr<ProcessorRunner> runner(
      new ProcessorRunner(spec, std::move(options), std::move(source), sink, transactions));
  RETURN_IF_ERROR(runner->OpenTasks(inputs));
  if (!inputs.empty()) RETURN_IF_ERROR(runner->AssignAll());
  return runner;
}

core::Status ProcessorRunner::OpenTasks(const std::vector<log::TopicPartition>& inputs) {
  // Which inputs share a task: all partitions numbered n when co-partitioned.
  std::map<std::string, std::vector<log::TopicPartition>> groups;
  for (const auto& tp : inputs) {
    groups[TaskStateDir(options_.state_dir, tp, spec_.co_partitioned)].push_back(tp);
  }
  struct Opened {
    std::vector<log::TopicPartition> inputs;
    std::unique_ptr<state::Store> store;
    std::optional<log::TopicPartition> changelog;
  };
  std::vector<Opened> opened;
  std::vector<std::pair<log::TopicPartition, state::Store*>> to_restore;
  // Stores claimed from a standby copy (RunnerOptions::claim_store) are
  // released again if the open fails: all or none.
  std::vector<std::string> claimed;
  struct ReleaseOnFailure {
    const RunnerOptions& options;
    std::vector<std::string>& claimed;
    bool done = false;
    ~ReleaseOnFailure() {
      if (done || !options.release_store) return;
      for (const std::string& dir : claimed) options.release_store(dir);
    }
  } release_on_failure{options_, claimed};
  for (auto& [dir, tps] : groups) {
    Opened o{std::move(tps), nullptr, std::nullopt};
    if (options_.claim_store) {
      options_.claim_store(dir);
      claimed.push_back(dir);
    }
    ASSIGN_OR_RETURN(o.store, state::Store::Open(dir));
    if (transactions_ != nullptr) {
      const log::TopicPartition& first = o.inputs.front();
      auto it = options_.changelog_topics.find(first.topic);
      if (it == options_.changelog_topics.end()) {
        return core::InvalidArgumentError(
            fmt::format("{}: no changelog topic for input {}", name_, first.topic));
      }
      o.changelog = log::TopicPartition{it->second, first.partition};
      to_restore.emplace_back(*o.changelog, o.store.get());
    }
    opened.push_back(std::move(o));
  }
  RETURN_IF_ERROR(RestoreStores(to_restore));
  std::vector<std::unique_ptr<Task>> tasks;
  for (Opened& o : opened) {
    ASSIGN_OR_RETURN(auto task, Task::Open(o.inputs, std::move(o.store), spec_.make(),
                                           options_.routing, o.changelog,
                                           UndoOptions{.enabled = spec_.per_block_undo}));
    tasks.push_back(std::move(task));
  }
  release_on_failure.done = true;
  std::lock_guard lock(mu_);
  for (auto& task : tasks) {
    for (const auto& tp : task->inputs()) {
      positions_[tp] = task->next_offset(tp);
      by_input_[tp] = task.get();
    }
    tasks_.push_back(std::move(task));
  }
  return core::Status::Ok();
}

std::vector<log::TopicPartitionOffset> ProcessorRunner::OnAssigned(
    const std::vector<log::TopicPartition>& given) {
  auto logger = core::Logger("engine.runtime");
  // Called within a poll; restoring the tasks can take long.
  Enter("open tasks");
  struct BackToPoll {
    ProcessorRunner* runner;
    ~BackToPoll() { runner->Enter("poll"); }
  } back_to_poll{this};
  rebalanced_.insert(given.begin(), given.end());
  std::vector<log::TopicPartition> to_open;
  for (const auto& tp : given) {
    if (by_input_.count(tp) > 0) continue;  // already ours (a task of a co-partitioned input)
    if (spec_.co_partitioned) {
      // The task of partition n reads partition n of every input: opened
      // whole, whichever of them the group gave (its range assignor gives
      // them together).
      for (const std::string& topic : spec_.input_topics) {
        log::TopicPartition whole{topic, tp.partition};
        if (std::find(to_open.begin(), to_open.end(), whole) == to_open.end()) {
          to_open.push_back(whole);
        }
      }
    } else {
      to_open.push_back(tp);
    }
  }
  // Restores need the broker: retried until they work or the runner stops
  // (the member stays in the group meanwhile, its heartbeats go on).
  std::chrono::milliseconds backoff{100};
  while (!to_open.empty() && !stop_.stop_requested()) {
    core::Status st = OpenTasks(to_open);
    if (st.ok()) break;
    if (!core::IsRetryable(st) || stop_.stop_requested()) {
      if (!stop_.stop_requested()) {
        logger->error("[{}] cannot open the tasks the group gave: {}", name_, st.ToString());
        assign_failure_ = st;
      }
      to_open.clear();
      break;
    }
    logger->warn("[{}] opening assigned tasks, retrying after {} ms: {}", name_, backoff.count(),
                  st.ToString());
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds{5000});
  }
  std::vector<log::TopicPartitionOffset> from;
  for (const auto& tp : given) {
    auto it = by_input_.find(tp);
    if (it == by_input_.end()) continue;  // not opened: not read
    from.push_back({tp.topic, tp.partition, it->second->next_offset(tp)});
  }
  if (!given.empty()) {
    logger->info("[{}] the group gave {} partition(s); {} task(s) now", name_, given.size(),
                 tasks_.size());
  }
  PublishTaskCount();
  return from;
}

void ProcessorRunner::PublishTaskCount() const {
  core::MetricsRegistry::Global()
      .GetGauge("chainflow_processor_tasks", "Tasks this instance runs", {{"processor", name_}})
      .Set(static_cast<double>(tasks_.size()));
}

void ProcessorRunner::OnRevoked(const std::vector<log::TopicPartition>& taken, bool lost) {
  rebalanced_.insert(taken.begin(), taken.end());
  // Called inside a poll: the previous cycle committed (or Recover dropped
  // it), so closing a task loses nothing; its store stays on disk as the
  // local checkpoint of a later assignment.
  std::vector<Task*> closing;
  for (const auto& tp : taken) {
    auto it = by_input_.find(tp);
    if (it != by_input_.end() &&
        std::find(closing.begin(), closing.end(), it->second) == closing.end()) {
      closing.push_back(it->second);
    }
  }
  {
    std::lock_guard lock(mu_);
    for (Task* task : closing) {
      for (const auto& tp : task->inputs()) {
        by_input_.erase(tp);
        positions_.erase(tp);
      }
    }
  }
  std::vector<std::string> closed;
  for (Task* task : closing) closed.push_back(task->store().path());
  std::erase_if(tasks_, [&](const std::unique_ptr<Task>& t) {
    return std::find(closing.begin(), closing.end(), t.get()) != closing.end();
  });
  // The stores are closed: a standby copy in this process may take them up.
  if (options_.release_store) {
    for (const std::string& path : closed) options_.release_store(path);
  }
  core::Logger("engine.runtime")
      ->info("[{}] the group {} {} partition(s); {} task(s) left", name_,
             lost ? "lost" : "took", taken.size(), tasks_.size());
  PublishTaskCount();
}

core::Status ProcessorRunner::RestoreStores(
    const std::vector<std::pair<log::TopicPartition, state::Store*>>& stores) {
  if (stores.empty()) return core::Status::Ok();
  const auto started = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(size_t restored,
                   Task::Restore(stores, options_.read_changelog, stop_.get_token()));
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  core::Labels labels{{"processor", name_}};
  auto& metrics = core::MetricsRegistry::Global();
  metrics.GetCounter("chainflow_state_restored_records_total",
                     "Changelog records applied to local stores on restore", labels)
      .Inc(restored);
  metrics.GetHistogram("chainflow_state_restore_seconds", "Time to bring stores up to date",
                       labels)
      .Observe(seconds);
  if (restored > 0) {
    core::Logger("engine.runtime")
        ->info("[{}] restored {} changelog records into {} store(s) in {:.2f} s", name_, restored,
               stores.size(), seconds);
  }
  return core::Status::Ok();
}

bool ProcessorRunner::SourceFailed(const core::Status& why) const {
  return why.code() == core::StatusCode::kFailedPrecondition && !source_->FatalError().ok();
}

bool ProcessorRunner::Recoverable(const core::Status& why) const {
  if (core::IsRetryable(why) || why.code() == core::StatusCode::kAborted) return true;
  if (why.code() != core::StatusCode::kFailedPrecondition) return false;
  if (reopens_in_a_row_ >= options_.max_client_reopens) return false;
  if (SourceFailed(why)) return static_cast<bool>(options_.reopen_source);
  return transactions_ != nullptr && static_cast<bool>(options_.reopen_sink);
}

core::Status ProcessorRunner::ReopenSource() {
  core::Logger("engine.runtime")
      ->warn("[{}] the record source failed ({}); opening a new one", name_,
             source_->FatalError().ToString());
  ASSIGN_OR_RETURN(std::unique_ptr<log::RecordSource> fresh, options_.reopen_source());
  ++reopens_in_a_row_;
  if (in_group_) {
    // The new member joins as a stranger: the group gives it partitions
    // through its listener. Until then this runner owns none; the closed
    // tasks' stores stay on disk as their local checkpoints.
    std::vector<log::TopicPartition> owned;
    for (const auto& [tp, task] : by_input_) owned.push_back(tp);
    if (!owned.empty()) OnRevoked(owned, /*lost=*/true);
  }
  source_ = std::move(fresh);  // closes the failed one
  if (in_group_) RETURN_IF_ERROR(SubscribeToGroup());
  return core::Status::Ok();
}

core::Status ProcessorRunner::Recover(const core::Status& why) {
  if (SourceFailed(why)) {
    if (!options_.reopen_source || reopens_in_a_row_ >= options_.max_client_reopens) return why;
    RETURN_IF_ERROR(ReopenSource());
  } else if (why.code() == core::StatusCode::kFailedPrecondition && transactions_ != nullptr &&
             options_.reopen_sink) {
    if (reopens_in_a_row_ >= options_.max_client_reopens) return why;
    core::Logger("engine.runtime")
        ->warn("[{}] the transactional producer failed ({}); opening a new one", name_,
               why.ToString());
    // The new producer's init_transactions aborts whatever the old one left
    // open; the old one is dropped only after it, so nothing of it can land
    // later.
    ASSIGN_OR_RETURN(std::unique_ptr<log::TransactionalSink> fresh, options_.reopen_sink());
    ++reopens_in_a_row_;
    reopened_ = std::move(fresh);
    sink_ = reopened_.get();
    transactions_ = reopened_.get();
    in_transaction_ = false;
  }
  if (transactions_ != nullptr && in_transaction_) {
    core::Status aborted = transactions_->AbortTransaction(options_.abort_timeout);
    if (aborted.code() == core::StatusCode::kFailedPrecondition) return aborted;  // fenced
    // Not answered within abort_timeout (the broker is away): the transaction
    // stays open and the next recovery resumes the abort, so a stop between
    // two attempts is seen.
    if (aborted.code() == core::StatusCode::kDeadlineExceeded) return aborted;
    if (!aborted.ok()) {
      core::Logger("engine.runtime")
          ->warn("[{}] abort_transaction: {} (the changelog decides what landed)", name_,
                 aborted.ToString());
    }
    in_transaction_ = false;
  }
  for (auto& task : tasks_) task->Discard();
  if (transactions_ != nullptr) {
    // A commit that returned an error may have landed all the same: the
    // changelogs say what did.
    std::vector<std::pair<log::TopicPartition, state::Store*>> stores;
    for (auto& task : tasks_) stores.emplace_back(*task->changelog(), &task->store());
    RETURN_IF_ERROR(RestoreStores(stores));
    for (auto& task : tasks_) RETURN_IF_ERROR(task->Reload());
    std::lock_guard lock(mu_);
    for (auto& task : tasks_) {
      for (const auto& tp : task->inputs()) positions_[tp] = task->next_offset(tp);
    }
  }
  return Rewind();
}

core::Status ProcessorRunner::Rewind() {
  if (!in_group_) return AssignAll();
  // A group member keeps its assignment (the group's); only the read
  // positions go back to the tasks'.
  std::vector<log::TopicPartitionOffset> positions;
  for (const auto& [tp, task] : by_input_) {
    positions.push_back({tp.topic, tp.partition, task->next_offset(tp)});
  }
  return source_->Seek(positions);
}

core::Status ProcessorRunner::SeedPositions(const std::string& state_dir,
                                            const Positions& positions, bool co_partitioned) {
  std::error_code ec;
  std::filesystem::create_directories(state_dir, ec);
  if (ec) {
    return core::UnavailableError(
        fmt::format("cannot create state dir {}: {}", state_dir, ec.message()));
  }
  for (const auto& [tp, next] : positions) {
    RETURN_IF_ERROR(Task::SeedPosition(tp, TaskStateDir(state_dir, tp, co_partitioned), next));
  }
  return core::Status::Ok();
}

core::Status ProcessorRunner::AssignAll() {
  std::vector<log::TopicPartitionOffset> assignment;
  for (const auto& [tp, task] : by_input_) {
    assignment.push_back({tp.topic, tp.partition, task->next_offset(tp)});
  }
  return source_->Assign(assignment);
}

core::Result<size_t> ProcessorRunner::RunOnce() {
  auto& metrics = core::MetricsRegistry::Global();
  StageClock clock(name_);
  Enter("poll");
  ASSIGN_OR_RETURN(std::vector<log::Record> records,
                   source_->Poll(options_.batch_size, options_.batch_wait));
  if (!records.empty()) RETURN_IF_ERROR(PollOn(records));
  clock.Mark("poll");
  if (!assign_failure_.ok()) return assign_failure_;
  if (records.empty()) {
    Enter("markers");
    RETURN_IF_ERROR(StepOverMarkers());
    return size_t{0};
  }
  Enter("apply");
  auto started = std::chrono::steady_clock::now();
  if (transactions_ != nullptr) {
    RETURN_IF_ERROR(transactions_->BeginTransaction());
    in_transaction_ = true;
  }

  std::map<log::TopicPartition, std::vector<const log::Record*>> by_task;
  for (const auto& r : records) by_task[{r.topic, r.partition}].push_back(&r);

  BatchStats total;
  std::vector<Task*> applied;  // each task once, in first-applied order
  for (auto& [tp, recs] : by_task) {
    auto it = by_input_.find(tp);
    if (it == by_input_.end() && in_group_) continue;  // no longer ours (revoked meanwhile)
    if (it == by_input_.end()) {
      return core::InternalError(
          fmt::format("record from unassigned partition {}/{}", tp.topic, tp.partition.value()));
    }
    if (std::find(applied.begin(), applied.end(), it->second) == applied.end()) {
      applied.push_back(it->second);
    }
    ASSIGN_OR_RETURN(BatchStats stats, it->second->Apply(recs, *sink_));
    total.records += stats.records;
    total.outputs += stats.outputs;
    total.dead_lettered += stats.dead_lettered;
  }
  clock.Mark("apply");
  if (transactions_ != nullptr) {
    const bool effects = total.outputs + total.dead_lettered > 0 ||
                         std::any_of(applied.begin(), applied.end(),
                                     [](Task* t) { return t->ChangedMoreThanPositions(); });
    RETURN_IF_ERROR(CommitTransactional(applied, effects));
  } else {
    RETURN_IF_ERROR(CommitFlushed(applied));
    clock.Mark("store");
  }
  PublishPositions(applied);
  if (total.records > 0) reopens_in_a_row_ = 0;

  core::Labels labels{{"processor", name_}};
  metrics.GetCounter("chainflow_processor_records_total", "Input records applied", labels)
      .Inc(total.records);
  metrics.GetCounter("chainflow_processor_outputs_total", "Output records produced", labels)
      .Inc(total.outputs);
  metrics.GetCounter("chainflow_processor_batches_total", "Batches committed", labels).Inc();
  metrics.GetHistogram("chainflow_processor_batch_seconds", "Apply+flush+commit time", labels)
      .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  return total.records;
}

namespace {

// Where the records of one cycle leave their partitions, for PollOn: a
// topic that carries BlockEnds (ingest appends one to every partition of a
// chain topic after each block's records; processors forward them) is read
// block by block, so a partition whose last record so far is not a BlockEnd
// is mid-block, and a partition that gave no BlockEnd yet this cycle may
// still be on its way (the broker appends a block's partitions one after
// another). Other topics (user events) have no blocks: nothing to wait for.
class BlockBoundaries {
 public:
  explicit BlockBoundaries(std::set<std::string>& block_topics) : block_topics_(block_topics) {}

  void Add(std::vector<log::Record>::const_iterator from,
           std::vector<log::Record>::const_iterator to) {
    for (auto it = from; it != to; ++it) {
      const bool end = PeekPayload(it->value) == v1::Envelope::kBlockEnd;
      const log::TopicPartition tp{it->topic, it->partition};
      at_end_[tp] = end;
      if (end) {
        ended_topics_.insert(it->topic);
        block_topics_.insert(it->topic);
      }
    }
  }

  void Reset() {
    at_end_.clear();
    ended_topics_.clear();
  }

  // Whether every polled partition of a block topic ends at a BlockEnd and
  // every assigned partition of such a topic gave one this cycle.
  template <typename Assigned>
  bool Reached(const Assigned& assigned) const {
    for (const auto& [tp, end] : at_end_) {
      if (!end && block_topics_.count(tp.topic) > 0) return false;
    }
    for (const auto& [tp, task] : assigned) {
      (void)task;
      // Not polled this cycle: waited for only if its topic's block ended
      // elsewhere in this batch (its BlockEnd is then due too).
      if (at_end_.count(tp) == 0 && ended_topics_.count(tp.topic) > 0) return false;
    }
    return true;
  }

 private:
  std::set<std::string>& block_topics_;  // topics seen carrying BlockEnds (the runner's)
  std::map<log::TopicPartition, bool> at_end_;  // polled partition -> its last record is a BlockEnd
  std::set<std::string> ended_topics_;          // topics that gave a BlockEnd this cycle
};

}  // namespace

core::Status ProcessorRunner::PollOn(std::vector<log::Record>& records) {
  if (options_.batch_linger.count() <= 0) return core::Status::Ok();
  const auto deadline = std::chrono::steady_clock::now() + options_.batch_wait;
  BlockBoundaries boundaries(block_topics_);
  boundaries.Add(records.begin(), records.end());
  while (records.size() < options_.batch_size && !boundaries.Reached(by_input_)) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    rebalanced_.clear();
    ASSIGN_OR_RETURN(std::vector<log::Record> more,
                     source_->Poll(options_.batch_size - records.size(),
                                   std::min(left, options_.batch_linger)));
    if (!rebalanced_.empty()) {
      std::erase_if(records, [this](const log::Record& r) {
        return rebalanced_.count({r.topic, r.partition}) > 0;
      });
      boundaries.Reset();
      boundaries.Add(records.begin(), records.end());
    }
    if (more.empty()) break;
    const size_t before = records.size();
    records.insert(records.end(), std::make_move_iterator(more.begin()),
                   std::make_move_iterator(more.end()));
    boundaries.Add(records.begin() + static_cast<std::ptrdiff_t>(before), records.end());
  }
  return core::Status::Ok();
}

core::Status ProcessorRunner::CommitTransactional(const std::vector<Task*>& applied,
                                                  bool effects) {
  StageClock clock(name_);
  if (!effects) {
    // Only positions moved (records the processor ignores): nothing to log.
    // The empty transaction ends without a broker round trip, and the stores
    // commit their positions locally. A store that is restored from its
    // changelog later starts before these records and skips them again
    // with the same (absent) effects.
    Enter("transaction");
    auto committed = transactions_->CommitTransaction(options_.flush_timeout);
    if (!committed.has_value()) return std::move(committed).error();
    in_transaction_ = false;
    group_offsets_pending_ = !options_.group_id.empty();
    Enter("store");
    for (Task* task : applied) RETURN_IF_ERROR(task->Commit());
    clock.Mark("store");
    return core::Status::Ok();
  }
  Enter("changelog");
  size_t logged = 0;
  for (Task* task : applied) {
    ASSIGN_OR_RETURN(size_t n, task->SendChangelog(*transactions_));
    logged += n;
  }
  core::MetricsRegistry::Global()
      .GetCounter("chainflow_changelog_records_total", "State writes sent to changelogs",
                  {{"processor", name_}})
      .Inc(logged);
  clock.Mark("changelog");
  Enter("offsets");
  bool offsets_sent = false;
  if (!options_.group_id.empty()) {
    // A group member sends them with every transaction that logs anything:
    // its membership is what fences it once the group has moved its tasks.
    if (in_group_ || std::chrono::steady_clock::now() - group_offsets_sent_ >=
                         options_.group_offsets_interval) {
      RETURN_IF_ERROR(SendGroupOffsets(&applied));
      offsets_sent = true;
    }
  }
  clock.Mark("offsets");
  core::CrashPoint("runtime.before_transaction_commit");
  Enter("transaction");
  ASSIGN_OR_RETURN(log::AppendedOffsets appended,
                   transactions_->CommitTransaction(options_.flush_timeout));
  in_transaction_ = false;
  if (offsets_sent) group_offsets_sent_ = std::chrono::steady_clock::now();
  group_offsets_pending_ = !offsets_sent && !options_.group_id.empty();
  clock.Mark("transaction");
  // Outputs, changelogs and offsets are committed; the local stores are
  // behind until the commits below (a crash here is caught up by a restore).
  core::CrashPoint("runtime.after_transaction_commit");
  Enter("store");
  for (Task* task : applied) {
    RETURN_IF_ERROR(task->Commit(&appended));
    core::CrashPoint("runtime.after_task_commit");
  }
  clock.Mark("store");
  return core::Status::Ok();
}

core::Status ProcessorRunner::CommitFlushed(const std::vector<Task*>& applied) {
  // Outputs must be durable before the offsets that produced them are.
  RETURN_IF_ERROR(sink_->Flush(options_.flush_timeout));
  core::CrashPoint("runtime.after_flush");
  for (Task* task : applied) {
    RETURN_IF_ERROR(task->Commit());
    core::CrashPoint("runtime.after_task_commit");
  }
  return core::Status::Ok();
}

core::Status ProcessorRunner::StepOverMarkers() {
  // Everything polled so far is committed, so every record below the
  // reader's position is applied: what lies between the tasks' positions and
  // it are transaction markers of the input topics.
  ASSIGN_OR_RETURN(std::vector<log::TopicPartitionOffset> read, source_->ReadPositions());
  std::vector<log::TopicPartitionOffset> moved;
  {
    std::lock_guard lock(mu_);
    for (const log::TopicPartitionOffset& r : read) {
      auto it = positions_.find({r.topic, r.partition});
      if (it == positions_.end() || r.offset <= it->second) continue;
      it->second = r.offset;
      moved.push_back(r);
    }
  }
  // The group's offsets follow, so its lag (chainflow status, /readyz, any
  // Kafka tool) reaches 0. Informational: restarts read positions from the
  // state, which stays before the markers and skips them again.
  if (transactions_ != nullptr && !options_.group_id.empty() &&
      (group_offsets_pending_ || !moved.empty())) {
    RETURN_IF_ERROR(transactions_->BeginTransaction());
    in_transaction_ = true;
    RETURN_IF_ERROR(SendGroupOffsets(nullptr));
    auto committed = transactions_->CommitTransaction(options_.flush_timeout);
    if (!committed.has_value()) return std::move(committed).error();
    in_transaction_ = false;
    group_offsets_sent_ = std::chrono::steady_clock::now();
    group_offsets_pending_ = false;
  }
  if (!moved.empty() && on_commit_) on_commit_(GetPositions());
  return core::Status::Ok();
}

core::Status ProcessorRunner::SendGroupOffsets(const std::vector<Task*>* applied) {
  // The published positions, with the batch in this transaction's (not
  // published until it commits).
  Positions positions = GetPositions();
  if (applied != nullptr) {
    for (Task* task : *applied) {
      for (const auto& tp : task->inputs()) positions[tp] = task->next_offset(tp);
    }
  }
  std::vector<log::TopicPartitionOffset> offsets;
  for (const auto& [tp, next] : positions) {
    if (next.value() >= 0) offsets.push_back({tp.topic, tp.partition, next});
  }
  log::GroupMetadata group{.group_id = options_.group_id};
  if (in_group_) {
    ASSIGN_OR_RETURN(group, source_->Membership());
  }
  return transactions_->SendOffsetsToTransaction(offsets, group, options_.flush_timeout);
}

void ProcessorRunner::PublishPositions(const std::vector<Task*>& applied) {
  {
    std::lock_guard lock(mu_);
    for (Task* task : applied) {
      for (const auto& tp : task->inputs()) positions_[tp] = task->next_offset(tp);
    }
  }
  if (on_commit_) on_commit_(GetPositions());
}

void ProcessorRunner::Run() {
  auto logger = core::Logger("engine.runtime");
  std::chrono::milliseconds backoff{100};
  bool recovering = false;  // a cycle failed: recover before the next one
  core::Status failed;      // why
  while (!stop_.stop_requested()) {
    core::Status st;
    if (recovering) {
      Enter("recover");
      st = Recover(failed);
      if (st.ok()) recovering = false;
    }
    if (st.ok()) {
      core::Result<size_t> r = RunOnce();
      if (r.has_value()) {
        backoff = std::chrono::milliseconds{100};
        continue;
      }
      st = r.error();
    }
    // Stopping cuts waits short (a restore is Cancelled): not a failure.
    if (stop_.stop_requested()) break;
    if (Recoverable(st)) {
      failed = st;
      logger->warn("[{}] retrying after {} ms: {}", name_, backoff.count(), st.ToString());
      core::MetricsRegistry::Global()
          .GetCounter("chainflow_processor_retries_total", "Batches redone after errors",
                      {{"processor", name_}})
          .Inc();
      recovering = true;
      Enter("backoff");
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds{5000});
      continue;
    }
    if (st.code() == core::StatusCode::kFailedPrecondition) {
      logger->info("[{}] stopping: {}", name_, st.ToString());
    } else {
      logger->error("[{}] task failed: {}", name_, st.ToString());
    }
    std::lock_guard lock(mu_);
    failure_ = st;
    break;
  }
  // A transaction left open (a failure above, or none at all) is aborted, so
  // read_committed readers need not wait for its timeout (briefly:
  // abort_timeout).
  if (transactions_ != nullptr && in_transaction_) {
    Enter("abort");
    transactions_->AbortTransaction(options_.abort_timeout).IgnoreError();
    in_transaction_ = false;
  }
  step_.store(nullptr);
  running_.store(false);
}

void ProcessorRunner::Enter(const char* step) {
  step_since_.store(std::chrono::steady_clock::now().time_since_epoch().count());
  step_.store(step);
}

ProcessorRunner::Activity ProcessorRunner::activity() const {
  const char* step = step_.load();
  if (step == nullptr) return {};
  const std::chrono::steady_clock::time_point since{
      std::chrono::steady_clock::duration(step_since_.load())};
  return {step, std::chrono::steady_clock::now() - since};
}

void ProcessorRunner::Start() {
  if (running_.exchange(true)) return;
  stop_ = std::stop_source{};
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cf-process");
    Run();
  });
}

void ProcessorRunner::RequestStop() { stop_.request_stop(); }

void ProcessorRunner::Stop() {
  stop_.request_stop();
  if (thread_.joinable()) thread_.join();
  running_.store(false);
}

Positions ProcessorRunner::GetPositions() const {
  std::lock_guard lock(mu_);
  return positions_;
}

bool ProcessorRunner::CaughtUp(const Positions& ends) const {
  std::lock_guard lock(mu_);
  for (const auto& [tp, end] : ends) {
    auto it = positions_.find(tp);
    if (it == positions_.end()) return false;
    if (end.value() <= 0) continue;  // empty partition
    if (it->second.value() < end.value()) return false;
  }
  return true;
}

core::Status ProcessorRunner::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

}  // namespace chainflow::engine::runtime
