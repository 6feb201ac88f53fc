#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
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
  std::chrono::milliseconds flush_timeout{60'000};
  OutputRouting routing;  // output partition counts, dead-letter topic
};

using Positions = std::map<log::TopicPartition, core::Offset>;

// Runs one processor over a fixed set of input partitions: one Task per
// partition (per partition number for a co-partitioned processor), a single loop that polls a batch, applies it task by task,
// flushes the sink and only then commits each task's state + offset.
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
  ~ProcessorRunner();

  // One poll-apply-flush-commit cycle; returns the records applied.
  core::Result<size_t> RunOnce();

  void Start();
  void Stop();  // idempotent; joins the thread

  // Committed next offsets of every task.
  Positions GetPositions() const;
  // True once every partition in `ends` has been consumed up to its offset.
  bool CaughtUp(const Positions& ends) const;
  // Non-ok once the loop has stopped on an error it does not retry.
  core::Status failure() const;
  bool running() const { return running_.load(); }

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
  ProcessorRunner(std::string name, RunnerOptions options,
                  std::unique_ptr<log::RecordSource> source, log::RecordSink& sink);
  core::Status AssignAll();
  void DiscardAll();
  void Run();

  std::string name_;
  RunnerOptions options_;
  std::unique_ptr<log::RecordSource> source_;
  log::RecordSink& sink_;
  std::vector<std::unique_ptr<Task>> tasks_;
  std::map<log::TopicPartition, Task*> by_input_;  // every input -> its task in tasks_
  std::function<void(const Positions&)> on_commit_;

  mutable std::mutex mu_;
  Positions positions_;      // guarded by mu_
  core::Status failure_;     // guarded by mu_

  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace chainflow::engine::runtime
