#include "engine/runtime/runner.h"

#include <pthread.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "engine/core/crash_point.h"
#include "engine/core/logging.h"
#include "engine/core/metrics.h"

namespace chainflow::engine::runtime {
namespace {

// A task's state directory: "<topic>-<n>", or "p-<n>" for the one task of
// partition n of every input of a co-partitioned processor.
std::string TaskDir(const std::string& root, const log::TopicPartition& tp, bool co_partitioned) {
  if (co_partitioned) return fmt::format("{}/p-{}", root, tp.partition.value());
  return fmt::format("{}/{}-{}", root, tp.topic, tp.partition.value());
}

}  // namespace

ProcessorRunner::ProcessorRunner(std::string name, RunnerOptions options,
                                 std::unique_ptr<log::RecordSource> source,
                                 log::RecordSink& sink)
    : name_(std::move(name)), options_(std::move(options)), source_(std::move(source)),
      sink_(sink) {}

ProcessorRunner::~ProcessorRunner() { Stop(); }

core::Result<std::unique_ptr<ProcessorRunner>> ProcessorRunner::Open(
    const ProcessorSpec& spec, RunnerOptions options,
    const std::vector<log::TopicPartition>& inputs, std::unique_ptr<log::RecordSource> source,
    log::RecordSink& sink) {
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec) {
    return core::UnavailableError(
        fmt::format("cannot create state dir {}: {}", options.state_dir, ec.message()));
  }
  if (options.routing.ce_source.empty()) options.routing.ce_source = "chainflow/" + spec.name;
  std::unique_ptr<ProcessorRunner> runner(
      new ProcessorRunner(spec.name, std::move(options), std::move(source), sink));
  // Which inputs share a task: all partitions numbered n when co-partitioned.
  std::map<std::string, std::vector<log::TopicPartition>> groups;
  for (const auto& tp : inputs) {
    groups[TaskDir(runner->options_.state_dir, tp, spec.co_partitioned)].push_back(tp);
  }
  for (auto& [dir, tps] : groups) {
    ASSIGN_OR_RETURN(auto task, Task::Open(tps, dir, spec.make(), runner->options_.routing));
    for (const auto& tp : tps) {
      runner->positions_[tp] = task->next_offset(tp);
      runner->by_input_[tp] = task.get();
    }
    runner->tasks_.push_back(std::move(task));
  }
  RETURN_IF_ERROR(runner->AssignAll());
  return runner;
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
    RETURN_IF_ERROR(Task::SeedPosition(tp, TaskDir(state_dir, tp, co_partitioned), next));
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

void ProcessorRunner::DiscardAll() {
  for (auto& task : tasks_) task->Discard();
}

core::Result<size_t> ProcessorRunner::RunOnce() {
  auto& metrics = core::MetricsRegistry::Global();
  auto stage_clock = std::chrono::steady_clock::now();
  // Seconds spent per stage of the loop, for finding the bottleneck.
  auto stage = [&](const char* name) {
    auto now = std::chrono::steady_clock::now();
    metrics
        .GetCounter("chainflow_processor_stage_microseconds_total",
                    "Time spent per loop stage (poll, apply, flush, commit)",
                    {{"processor", name_}, {"stage", name}})
        .Inc(static_cast<uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(now - stage_clock).count()));
    stage_clock = now;
  };
  ASSIGN_OR_RETURN(std::vector<log::Record> records,
                   source_->Poll(options_.batch_size, options_.batch_wait));
  stage("poll");
  if (records.empty()) return size_t{0};
  auto started = std::chrono::steady_clock::now();

  std::map<log::TopicPartition, std::vector<const log::Record*>> by_task;
  for (const auto& r : records) by_task[{r.topic, r.partition}].push_back(&r);

  BatchStats total;
  std::vector<Task*> applied;  // each task once, in first-applied order
  for (auto& [tp, recs] : by_task) {
    auto it = by_input_.find(tp);
    if (it == by_input_.end()) {
      return core::InternalError(
          fmt::format("record from unassigned partition {}/{}", tp.topic, tp.partition.value()));
    }
    if (std::find(applied.begin(), applied.end(), it->second) == applied.end()) {
      applied.push_back(it->second);
    }
    ASSIGN_OR_RETURN(BatchStats stats, it->second->Apply(recs, sink_));
    total.records += stats.records;
    total.outputs += stats.outputs;
    total.dead_lettered += stats.dead_lettered;
  }
  stage("apply");
  // Outputs must be durable before the offsets that produced them are.
  RETURN_IF_ERROR(sink_.Flush(options_.flush_timeout));
  stage("flush");
  core::CrashPoint("runtime.after_flush");
  Positions committed;
  for (Task* task : applied) {
    RETURN_IF_ERROR(task->Commit());
    for (const auto& tp : task->inputs()) committed[tp] = task->next_offset(tp);
    core::CrashPoint("runtime.after_task_commit");
  }
  stage("commit");
  {
    std::lock_guard lock(mu_);
    for (const auto& [tp, off] : committed) positions_[tp] = off;
  }
  if (on_commit_) on_commit_(GetPositions());

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

void ProcessorRunner::Run() {
  auto logger = core::Logger("engine.runtime");
  std::chrono::milliseconds backoff{100};
  while (!stop_.load()) {
    core::Result<size_t> r = RunOnce();
    if (r.has_value()) {
      backoff = std::chrono::milliseconds{100};
      continue;
    }
    const core::Status& st = r.error();
    if (core::IsRetryable(st) || st.code() == core::StatusCode::kAborted) {
      logger->warn("[{}] retrying after {} ms: {}", name_, backoff.count(), st.ToString());
      core::MetricsRegistry::Global()
          .GetCounter("chainflow_processor_retries_total", "Batches redone after errors",
                      {{"processor", name_}})
          .Inc();
      DiscardAll();
      std::this_thread::sleep_for(backoff);
      backoff = std::min(backoff * 2, std::chrono::milliseconds{5000});
      core::Status assigned = AssignAll();
      if (!assigned.ok()) logger->warn("[{}] re-assign failed: {}", name_, assigned.ToString());
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
  running_.store(false);
}

void ProcessorRunner::Start() {
  if (running_.exchange(true)) return;
  stop_.store(false);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cf-process");
    Run();
  });
}

void ProcessorRunner::Stop() {
  stop_.store(true);
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
