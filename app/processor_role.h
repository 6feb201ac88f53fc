#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "engine/abi/catalog.h"
#include "engine/core/config.h"
#include "engine/log/admin.h"
#include "engine/log/producer.h"
#include "engine/runtime/runner.h"
#include "engine/runtime/standby_tasks.h"

namespace chainflow::app {

// A processor and its level (0 reads the chain topics, each later level what
// an earlier one writes).
struct LeveledSpec {
  engine::runtime::ProcessorSpec spec;
  int level = 0;
};

// This instance's name in its processors' groups ([engine] instance_id, or
// the host name and a hash of the absolute state dir).
std::string InstanceId(const engine::core::Config& config);
// The consumer group of a processor's tasks: `chainflow.<prefix>.<processor>`.
std::string ProcessorGroupId(const engine::core::Config& config, const std::string& processor);

// The `process` role: every processor, each with its own consumer group
// (ProcessorGroupId) and state under `<state.dir>/<name>`. A processor runs
// as `[engine] processor_threads` units, each a runner thread with its own
// consumer and producer. Under exactly_once each unit is a member of the
// group, which spreads the tasks over every member of every instance of the
// deployment and moves them when members come and go (static membership
// under InstanceId; co-partitioned processors with the range assignor,
// others round-robin; both eager, see MakeUnit). Under at_least_once a unit owns the
// partitions numbered p with p % threads == its index. Processors form
// levels: level 0 reads the chain events topics (nft_ownership,
// token_splitter), level 1 reads what level 0 writes (token_balances reads
// `<prefix>.token.deltas`); catching up goes level by level. With `[engine]
// num_standby_replicas` > 0 (exactly_once only) each processor also keeps
// standby copies of tasks other instances own (engine::runtime::StandbyTasks,
// one thread per processor, placed from the group's description), and its
// units claim a copy's store before opening the task.
class ProcessorRole {
 public:
  // `catalog` as ConfiguredProcessors takes it.
  static engine::core::Result<std::unique_ptr<ProcessorRole>> Open(
      const engine::core::Config& config, engine::log::Admin& admin,
      std::shared_ptr<const engine::abi::Catalog> catalog = nullptr);
  ~ProcessorRole();

  void Start();
  void Stop();  // idempotent
  // Level 0's input topics (every chain's events topic).
  const std::vector<std::string>& inputs() const { return inputs_; }

  int levels() const;
  // The input topics of the processors at `level` (deduplicated, in order).
  std::vector<std::string> LevelInputs(int level) const;
  // True once every processor at `level` has consumed `ends`.
  bool CaughtUp(int level, const std::map<engine::log::TopicPartition,
                                          engine::core::Offset>& ends) const;
  // Committed positions of every processor at `level`, merged (the minimum
  // per partition: progress is as far as the slowest processor).
  engine::runtime::Positions LevelPositions(int level) const;
  // The first processor failure (a stopped runner, or a loop thread stuck
  // in a call into a broker that answers: Watch), OK while all run.
  engine::core::Status failure() const;

  // Whether the watchdog gives up on a loop thread that has been in `step`
  // for `in_step`: a call into the broker (offsets, transaction, changelog,
  // abort) lasting `limit` or more (0: never). The broker's answering is
  // checked after, only for such a thread.
  static bool StepOverLimit(const char* step, std::chrono::steady_clock::duration in_step,
                            std::chrono::milliseconds limit);

 private:
  // One loop thread of a processor: its producer and runner (the runner
  // uses the producer) over `partitions`, some partitions of `inputs`.
  struct Unit {
    int level = 0;
    int shard = 0;  // the processor's loop thread index
    std::vector<std::string> inputs;
    std::vector<engine::log::TopicPartition> partitions;
    std::unique_ptr<engine::log::Producer> producer;
    std::unique_ptr<engine::runtime::ProcessorRunner> runner;
  };
  // One unit to open: a processor's loop thread over `partitions`.
  struct UnitPlan {
    const engine::runtime::ProcessorSpec* spec;  // outlives the plan (Open's list)
    int level = 0;
    int shard = 0;  // the thread index: partitions p with p % threads == shard
    std::vector<engine::log::TopicPartition> partitions;
    // The processor's standby copies (owned by the role, outlive the unit),
    // or null for none.
    engine::runtime::StandbyTasks* standby = nullptr;
  };
  ProcessorRole() = default;
  // Splits `spec`'s input partitions over the loop threads.
  engine::core::Status Plan(const engine::core::Config& config, engine::log::Admin& admin,
                            const engine::runtime::ProcessorSpec& spec, int level,
                            std::vector<UnitPlan>& plans);
  // Opens one unit: its producer (transactional under exactly_once), consumer
  // and runner, which restores its stores. Thread-safe (Admin is).
  static engine::core::Result<Unit> MakeUnit(const engine::core::Config& config,
                                             engine::log::Admin& admin, UnitPlan plan);
  // Creates the compacted changelog topics of every processor's stores.
  static engine::core::Status EnsureChangelogs(const engine::core::Config& config,
                                               engine::log::Admin& admin,
                                               const std::vector<LeveledSpec>& specs);
  // Input topic -> changelog topic of `spec`'s stores.
  static std::map<std::string, std::string> ChangelogsOf(
      const engine::core::Config& config, const engine::runtime::ProcessorSpec& spec);
  // `spec`'s standby copies on this instance (not started). `admin` must
  // outlive them.
  static engine::core::Result<std::unique_ptr<engine::runtime::StandbyTasks>> MakeStandby(
      const engine::core::Config& config, engine::log::Admin& admin,
      const engine::runtime::ProcessorSpec& spec);

  // Every 5 s, while the role runs and until its stop ends: a runner in one
  // step (ProcessorRunner::activity) for kStepWarning is logged, naming the
  // processor, thread and step, again every kStepWarning while it lasts;
  // during a stop every runner still running is, every 5 s. Exports
  // chainflow_processor_step_seconds{processor,thread}. A runner over
  // StepOverLimit while the broker answers a metadata request sets stuck_:
  // nothing can cut a librdkafka call short, so the role fails and the
  // process exits (RunRoles) for a supervisor to restart it.
  void Watch(std::stop_token stop);
  // Whether the brokers answer now (a metadata request on a client of the
  // watchdog's own).
  bool BrokerAnswers();

  std::string brokers_;
  std::chrono::milliseconds stuck_limit_{0};
  std::unique_ptr<engine::log::Admin> probe_;  // the watchdog's (BrokerAnswers)
  mutable std::mutex stuck_mu_;
  engine::core::Status stuck_;  // guarded by stuck_mu_

  std::vector<std::string> inputs_;
  std::jthread watchdog_;
  std::atomic<bool> stopping_{false};
  // Before units_: a unit's runner releases its stores to them as it closes.
  std::vector<std::unique_ptr<engine::runtime::StandbyTasks>> standbys_;
  std::vector<Unit> units_;
};

// Every processor `process` and `run` start under `config`, in level order:
// nft_ownership, token_splitter, token_balances when some chain has standard
// token events (Config::IndexesStandardTokens; the two token ones also with
// intents.chains set), with contracts by ABI contract_events, and with
// intents.chains set intents and epochs. `admin`
// gives the partition counts the intents processor needs. `status` lists
// the same. `catalog`: the contracts by ABI, when the caller has loaded
// them already; else they are loaded here. Fails when a contract's ABI does
// not load (abi::Catalog).
engine::core::Result<std::vector<LeveledSpec>> ConfiguredProcessors(
    const engine::core::Config& config, engine::log::Admin& admin,
    std::shared_ptr<const engine::abi::Catalog> catalog = nullptr);

// Where a processor's task stores live.
std::string ProcessorStateDir(const engine::core::Config& config, const std::string& processor);

// Every processor's name (state directories, consumer groups `chainflow.<name>`).
std::vector<std::string> ProcessorNames();

}  // namespace chainflow::app
