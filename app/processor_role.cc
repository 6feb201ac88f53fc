#include "app/processor_role.h"

#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <future>
#include <mutex>

#include <fmt/format.h>

#include "app/topics.h"
#include "engine/core/crypto.h"
#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "engine/log/consumer.h"
#include "engine/abi/catalog.h"
#include "engine/processors/contract_events/contract_events.h"
#include "engine/processors/epochs/epochs.h"
#include "engine/processors/intents/intents.h"
#include "engine/processors/nft_ownership/nft_ownership.h"
#include "engine/processors/token_balances/balances.h"
#include "engine/processors/token_balances/splitter.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;
namespace tokens = engine::processors::token_balances;
namespace intents = engine::processors::intents;

std::string ProcessorStateDir(const core::Config& config, const std::string& processor) {
  return config.state.dir + "/" + processor;
}

std::string InstanceId(const core::Config& config) {
  if (!config.engine.instance_id.empty()) return config.engine.instance_id;
  // One state dir per instance (RocksDB locks it), and the same one after a
  // restart: its path names the instance on this host.
  char host[256] = {};
  if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
    std::snprintf(host, sizeof(host), "host");
  }
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(config.state.dir, ec);
  if (ec) dir = config.state.dir;
  std::string name;
  for (const char* c = host; *c != '\0'; ++c) {
    name += std::isalnum(static_cast<unsigned char>(*c)) || *c == '-' ? *c : '_';
  }
  return fmt::format("{}-{}", name,
                     core::LowerHex(core::Sha256(dir.lexically_normal().string())).substr(0, 8));
}

std::string ProcessorGroupId(const core::Config& config, const std::string& processor) {
  return fmt::format("chainflow.{}.{}", config.kafka.topic_prefix, processor);
}

namespace {

intents::IntentsOptions IntentsOptionsFor(const core::Config& config, log::Admin& admin) {
  intents::IntentsOptions options;
  options.topic_prefix = config.kafka.topic_prefix;
  options.chains = config.intents.ChainList();
  options.upstream_partitions = config.kafka.partitions;
  for (const std::string& chain : options.chains) {
    // The splitter forwards markers from each partition of the chain's topic.
    auto n = admin.PartitionCount(ChainEventsTopic(config, chain));
    if (n.has_value()) options.upstream_partitions = n.value();
  }
  auto own = admin.PartitionCount(TokenDeltasTopic(config));
  options.partitions = own.has_value() ? own.value() : config.kafka.partitions;
  options.approval_interval_s = config.intents.approval_interval_s;
  options.ttl_s = config.intents.ttl_s;
  options.epoch_genesis = config.intents.epoch_genesis;
  options.epoch_length_s = config.intents.epoch_length_s;
  for (const auto& [chain, token] : config.intents.AccrualTokenList()) {
    options.accrual_tokens.push_back({chain, core::Address::FromHex(token).value()});  // validated
  }
  options.accrual_rate_bps = static_cast<uint32_t>(config.intents.accrual_rate_bps);
  options.accrual_period_s = config.intents.accrual_period_s;
  return options;
}

}  // namespace

std::vector<std::string> ProcessorNames() {
  return {engine::processors::nft_ownership::NftOwnershipProcessor::kName,
          tokens::TokenSplitterProcessor::kName, tokens::TokenBalancesProcessor::kName,
          intents::IntentsProcessor::kName, engine::processors::epochs::EpochsProcessor::kName,
          engine::processors::contract_events::ContractEventsProcessor::kName};
}

ProcessorRole::~ProcessorRole() { Stop(); }

void ProcessorRole::Start() {
  for (Unit& u : units_) u.runner->Start();
  for (auto& standby : standbys_) standby->Start();
  if (!watchdog_.joinable()) {
    watchdog_ = std::jthread([this](std::stop_token stop) { Watch(stop); });
  }
}

void ProcessorRole::Stop() {
  stopping_.store(true);
  // Every runner is told first: one waiting out a broker outage must not
  // delay the others' stop.
  for (Unit& u : units_) {
    if (u.runner) u.runner->RequestStop();
  }
  for (auto& standby : standbys_) standby->Stop();
  for (Unit& u : units_) {
    if (u.runner) u.runner->Stop();
  }
  if (watchdog_.joinable()) {
    watchdog_.request_stop();
    watchdog_.join();
  }
}

void ProcessorRole::Watch(std::stop_token stop) {
  using Clock = std::chrono::steady_clock;
  constexpr auto kInterval = std::chrono::seconds(5);
  constexpr auto kStepWarning = std::chrono::seconds(60);
  auto logger = core::Logger("app");
  auto& metrics = core::MetricsRegistry::Global();
  std::vector<Clock::time_point> warned(units_.size());
  bool stuck_reported = false;
  std::mutex mu;
  std::condition_variable_any cv;
  while (true) {
    {
      std::unique_lock lock(mu);
      cv.wait_for(lock, stop, kInterval, [&stop] { return stop.stop_requested(); });
    }
    if (stop.stop_requested()) return;
    const bool stopping = stopping_.load();
    const auto now = Clock::now();
    for (size_t i = 0; i < units_.size(); ++i) {
      const Unit& u = units_[i];
      if (!u.runner) continue;
      const engine::runtime::ProcessorRunner::Activity a = u.runner->activity();
      const double seconds = std::chrono::duration<double>(a.in_step).count();
      metrics
          .GetGauge("chainflow_processor_step_seconds",
                    "How long each processor loop thread has been in its current step",
                    {{"processor", u.runner->name()}, {"thread", std::to_string(u.shard)}})
          .Set(a.step != nullptr ? seconds : 0);
      if (a.step == nullptr) continue;
      if (!stopping && !stuck_reported && StepOverLimit(a.step, a.in_step, stuck_limit_) &&
          BrokerAnswers()) {
        stuck_reported = true;
        core::Status stuck = core::DeadlineExceededError(fmt::format(
            "processor {} thread {} has been in {} for {:.0f} s while the broker answers "
            "([engine] stuck_step_timeout_ms = {}): a librdkafka call that does not return; "
            "exiting for a restart, as safe as a crash",
            u.runner->name(), u.shard, a.step, seconds, stuck_limit_.count()));
        logger->error("{}", stuck.message());
        std::lock_guard lock(stuck_mu_);
        stuck_ = std::move(stuck);
      }
      if (stopping) {
        logger->warn("stopping: processor {} thread {} still in {} for {:.0f} s",
                     u.runner->name(), u.shard, a.step, seconds);
      } else if (a.in_step >= kStepWarning && now - warned[i] >= kStepWarning) {
        logger->warn("processor {} thread {} has been in {} for {:.0f} s (waiting on the broker, "
                     "a long restore, or a librdkafka call that ignores its timeout: #5456)",
                     u.runner->name(), u.shard, a.step, seconds);
        warned[i] = now;
      }
    }
  }
}

bool ProcessorRole::StepOverLimit(const char* step, std::chrono::steady_clock::duration in_step,
                                  std::chrono::milliseconds limit) {
  if (step == nullptr || limit.count() <= 0 || in_step < limit) return false;
  // The steps that are one call into librdkafka. Not "poll" (it returns by
  // its timeout), "recover" and "open tasks" (a restore can rightly take
  // long), "backoff" (a wait on purpose), "apply" and "store" (local work).
  static constexpr std::string_view kBrokerCalls[] = {"offsets", "transaction", "changelog",
                                                       "abort"};
  return std::find(std::begin(kBrokerCalls), std::end(kBrokerCalls), std::string_view(step)) !=
         std::end(kBrokerCalls);
}

bool ProcessorRole::BrokerAnswers() {
  if (!probe_) {
    auto opened = log::Admin::Open(brokers_, std::chrono::milliseconds(5000));
    if (!opened.has_value()) return false;
    probe_ = std::move(opened).value();
  }
  return probe_->ListTopics().has_value();
}

int ProcessorRole::levels() const {
  int n = 0;
  for (const Unit& u : units_) n = std::max(n, u.level + 1);
  return n;
}

std::vector<std::string> ProcessorRole::LevelInputs(int level) const {
  std::vector<std::string> out;
  for (const Unit& u : units_) {
    if (u.level != level) continue;
    for (const std::string& t : u.inputs) {
      if (std::find(out.begin(), out.end(), t) == out.end()) out.push_back(t);
    }
  }
  return out;
}

bool ProcessorRole::CaughtUp(int level, const std::map<log::TopicPartition, core::Offset>& ends)
    const {
  // Per processor, over its units: which unit owns a partition is the
  // group's choice and changes.
  std::map<std::string, engine::runtime::Positions> by_processor;
  for (const Unit& u : units_) {
    if (u.level != level) continue;
    engine::runtime::Positions& merged = by_processor[u.runner->name()];
    for (const auto& [tp, offset] : u.runner->GetPositions()) merged[tp] = offset;
  }
  for (const Unit& u : units_) {
    if (u.level != level) continue;
    const engine::runtime::Positions& merged = by_processor[u.runner->name()];
    for (const auto& [tp, end] : ends) {
      if (std::find(u.inputs.begin(), u.inputs.end(), tp.topic) == u.inputs.end()) continue;
      auto it = merged.find(tp);
      if (it == merged.end()) return false;  // not owned (yet)
      if (end.value() > 0 && it->second.value() < end.value()) return false;
    }
  }
  return true;
}

engine::runtime::Positions ProcessorRole::LevelPositions(int level) const {
  engine::runtime::Positions out;
  for (const Unit& u : units_) {
    if (u.level != level) continue;
    for (const auto& [tp, offset] : u.runner->GetPositions()) {
      auto [it, inserted] = out.emplace(tp, offset);
      if (!inserted) it->second = std::min(it->second, offset);
    }
  }
  return out;
}

core::Status ProcessorRole::failure() const {
  {
    std::lock_guard lock(stuck_mu_);
    if (!stuck_.ok()) return stuck_;
  }
  for (const Unit& u : units_) {
    core::Status st = u.runner->failure();
    if (!st.ok()) return st.WithContext(u.runner->name());
  }
  return core::Status::Ok();
}

core::Status ProcessorRole::Plan(const core::Config& config, log::Admin& admin,
                                 const engine::runtime::ProcessorSpec& spec, int level,
                                 std::vector<UnitPlan>& plans) {
  ASSIGN_OR_RETURN(auto inputs, PartitionsOf(admin, spec.input_topics));
  if (spec.co_partitioned) {
    // One task joins partition n of every input: they must be split alike.
    ASSIGN_OR_RETURN(int first, admin.PartitionCount(spec.input_topics.front()));
    for (const auto& t : spec.input_topics) {
      ASSIGN_OR_RETURN(int n, admin.PartitionCount(t));
      if (n != first) {
        return core::FailedPreconditionError(fmt::format(
            "{} joins {} ({} partitions) and {} ({} partitions): they must have the same "
            "partition count",
            spec.name, spec.input_topics.front(), first, t, n));
      }
    }
  }
  const int threads = std::max(1, config.engine.processor_threads);
  if (config.kafka.processing_guarantee == "exactly_once") {
    // Each thread is a member of the processor's group, which spreads the
    // partitions over every member of every instance.
    for (int i = 0; i < threads; ++i) plans.push_back({&spec, level, i, {}});
    return core::Status::Ok();
  }
  // By partition number, so partition n of every input lands in one unit.
  std::vector<std::vector<log::TopicPartition>> shards(static_cast<size_t>(threads));
  for (const auto& tp : inputs) {
    shards[static_cast<size_t>(tp.partition.value() % threads)].push_back(tp);
  }
  for (size_t i = 0; i < shards.size(); ++i) {
    if (shards[i].empty()) continue;
    plans.push_back({&spec, level, static_cast<int>(i), std::move(shards[i])});
  }
  return core::Status::Ok();
}

core::Status ProcessorRole::EnsureChangelogs(const core::Config& config, log::Admin& admin,
                                             const std::vector<LeveledSpec>& specs) {
  std::vector<log::NewTopic> create;
  for (const LeveledSpec& p : specs) {
    for (const auto& [input, changelog] : ChangelogsOf(config, p.spec)) {
      if (std::any_of(create.begin(), create.end(),
                      [&](const log::NewTopic& t) { return t.name == changelog; })) {
        continue;  // a co-partitioned processor's inputs share one
      }
      ASSIGN_OR_RETURN(int partitions, admin.PartitionCount(input));
      // Compacted: the latest value of every key is kept, which is all a
      // restore needs; deletions are tombstones.
      create.push_back({changelog, partitions, config.kafka.replication_factor,
                        {{"cleanup.policy", "compact"}}});
    }
  }
  return admin.CreateTopics(create);
}

std::map<std::string, std::string> ProcessorRole::ChangelogsOf(
    const core::Config& config, const engine::runtime::ProcessorSpec& spec) {
  std::map<std::string, std::string> changelogs;
  for (const std::string& input : spec.input_topics) {
    changelogs[input] = ChangelogTopic(config, spec.name, input, spec.co_partitioned);
  }
  return changelogs;
}

core::Result<std::unique_ptr<engine::runtime::StandbyTasks>> ProcessorRole::MakeStandby(
    const core::Config& config, log::Admin& admin, const engine::runtime::ProcessorSpec& spec) {
  engine::runtime::StandbyOptions options;
  options.processor = spec.name;
  options.state_dir = ProcessorStateDir(config, spec.name);
  options.layout.co_partitioned = spec.co_partitioned;
  options.layout.changelog_topics = ChangelogsOf(config, spec);
  options.instance = InstanceId(config);
  options.replicas = config.engine.num_standby_replicas;
  options.batch_size = static_cast<size_t>(config.engine.batch_size);
  log::ConsumerOptions reader_options;
  reader_options.brokers = config.kafka.brokers;
  reader_options.client_id = fmt::format("chainflow-standby-{}-{}", spec.name, options.instance);
  reader_options.with_headers = false;
  reader_options.read_committed = true;  // a copy holds committed transactions only
  ASSIGN_OR_RETURN(std::unique_ptr<log::Consumer> reader, log::Consumer::Open(reader_options));
  const std::string group = ProcessorGroupId(config, spec.name);
  return engine::runtime::StandbyTasks::Open(
      std::move(options), std::move(reader),
      [&admin, group]() { return admin.DescribeGroup(group); });
}

core::Result<ProcessorRole::Unit> ProcessorRole::MakeUnit(const core::Config& config,
                                                         log::Admin& admin, UnitPlan plan) {
  const engine::runtime::ProcessorSpec& spec = *plan.spec;
  const int shard = plan.shard;
  Unit unit;
  unit.level = plan.level;
  unit.shard = shard;
  std::vector<log::TopicPartition> partitions = std::move(plan.partitions);
  unit.inputs = spec.input_topics;
  unit.partitions = std::move(partitions);

  engine::runtime::RunnerOptions options;
  options.state_dir = ProcessorStateDir(config, spec.name);
  options.batch_size = static_cast<size_t>(config.engine.batch_size);
  options.batch_wait = std::chrono::milliseconds(config.engine.batch_wait_ms);
  options.batch_linger = std::chrono::milliseconds(config.engine.batch_linger_ms);
  options.routing.dlq_topic = DeadLetterTopic(config);
  for (const auto& t : spec.output_topics) {
    ASSIGN_OR_RETURN(int n, admin.PartitionCount(t));
    options.routing.partitions[t] = n;
  }
  options.routing.partitions[options.routing.dlq_topic] = 1;

  const std::string instance = InstanceId(config);
  log::ConsumerOptions consumer_options;
  consumer_options.brokers = config.kafka.brokers;
  consumer_options.group_id = ProcessorGroupId(config, spec.name);
  consumer_options.client_id = fmt::format("chainflow-{}-{}-{}", spec.name, instance, shard);
  consumer_options.with_headers = false;  // processors read only the envelope
  const bool exactly_once = config.kafka.processing_guarantee == "exactly_once";
  if (exactly_once) {
    // Static membership: a restarted instance rejoins under the same name
    // and gets its tasks back without a rebalance; one that is gone longer
    // than the session timeout has its tasks moved to the others.
    consumer_options.properties["group.instance.id"] =
        engine::runtime::MemberInstanceId(instance, shard);
    consumer_options.properties["session.timeout.ms"] =
        std::to_string(config.engine.session_timeout_ms);
    consumer_options.properties["heartbeat.interval.ms"] =
        std::to_string(std::max(100, std::min(3000, config.engine.session_timeout_ms / 4)));
    // A co-partitioned task reads partition n of every input: the range
    // assignor gives partition n of equally split topics to one member.
    // Eager assignors only: librdkafka before 2.3 (Debian 12 ships 2.0.2)
    // can crash closing a cooperative-sticky member during a rebalance
    // (librdkafka issues 4312 and 3323), so every rebalance closes and
    // reopens the member's tasks (a reopened store restores from its local
    // checkpoint: little to read).
    consumer_options.properties["partition.assignment.strategy"] =
        spec.co_partitioned ? "range" : "roundrobin";
  }
  ASSIGN_OR_RETURN(std::unique_ptr<log::Consumer> consumer, log::Consumer::Open(consumer_options));
  log::ProducerOptions producer_options = ProducerOptionsFor(config, "chainflow-" + spec.name);

  if (exactly_once) {
    // Stable per deployment, processor, instance and loop thread: a
    // restarted thread fences its predecessor and aborts its open
    // transaction; other instances' threads have their own.
    producer_options.transactional_id = fmt::format(
        "chainflow.{}.{}.{}.{}", config.kafka.topic_prefix, spec.name, instance, shard);
    // A transaction left open by a killed process blocks read_committed
    // readers of its partitions until the broker aborts it; 10 s (as Kafka
    // Streams under exactly-once) instead of librdkafka's 60 s. A cycle's
    // transaction lasts one batch, far below it.
    producer_options.properties.emplace("transaction.timeout.ms", "10000");
    // A transaction begun right after the previous one committed finds its
    // coordinator still writing that one's markers (CONCURRENT_TRANSACTIONS).
    // librdkafka retries AddPartitionsToTxn after 20 ms but AddOffsetsToTxn,
    // which every group member's transaction sends, after retry.backoff.ms
    // (100 ms by default): a block split over two polls then waits that long
    // for its second half. benchmarks/README.md, "Head-to-view latency and
    // back-to-back transactions", has the measurements still to be made.
    producer_options.properties.emplace("retry.backoff.ms", "10");
    ASSIGN_OR_RETURN(unit.producer, log::Producer::Open(producer_options));
    options.reopen_sink =
        [producer_options]() -> core::Result<std::unique_ptr<log::TransactionalSink>> {
      ASSIGN_OR_RETURN(std::unique_ptr<log::Producer> producer,
                       log::Producer::Open(producer_options));
      return std::unique_ptr<log::TransactionalSink>(std::move(producer));
    };
    // A static member the coordinator fenced (FENCED_INSTANCE_ID: it gave
    // the instance id to a newer join, seen around broker restarts) is dead
    // for librdkafka: a new consumer rejoins under the same id.
    options.reopen_source =
        [consumer_options]() -> core::Result<std::unique_ptr<log::RecordSource>> {
      ASSIGN_OR_RETURN(std::unique_ptr<log::Consumer> consumer,
                       log::Consumer::Open(consumer_options));
      return std::unique_ptr<log::RecordSource>(std::move(consumer));
    };
    options.changelog_topics = ChangelogsOf(config, spec);
    options.group_id = consumer_options.group_id;
    log::ConsumerOptions restore_options;
    restore_options.brokers = config.kafka.brokers;
    restore_options.client_id = "chainflow-restore-" + spec.name;
    restore_options.with_headers = false;
    options.read_changelog = [restore_options](
                                 const std::vector<log::TopicPartitionOffset>& from,
                                 const std::function<core::Status(const log::Record&)>& fn,
                                 std::stop_token stop) {
      return log::Consumer::ReadToEnd(restore_options, from, fn, std::chrono::seconds(60),
                                      std::move(stop));
    };
    if (engine::runtime::StandbyTasks* standby = plan.standby) {
      // A standby copy of a task the group gives this unit is closed before
      // the task opens its store, and may reopen once the task closes it.
      options.claim_store = [standby](const std::string& path) { standby->Claim(path); };
      options.release_store = [standby](const std::string& path) { standby->Release(path); };
    }
    ASSIGN_OR_RETURN(unit.runner, engine::runtime::ProcessorRunner::OpenInGroup(
                                      spec, std::move(options), std::move(consumer),
                                      *unit.producer));
    return unit;
  }

  ASSIGN_OR_RETURN(unit.producer, log::Producer::Open(producer_options));
  log::Consumer* reporter = consumer.get();  // owned by the runner, which outlives the callback
  ASSIGN_OR_RETURN(unit.runner, engine::runtime::ProcessorRunner::Open(
                                    spec, std::move(options), unit.partitions, std::move(consumer),
                                    static_cast<log::RecordSink&>(*unit.producer)));
  // Report positions to the group so `status` and any Kafka tool can see lag.
  unit.runner->set_on_commit([reporter](const engine::runtime::Positions& positions) {
    std::vector<log::TopicPartitionOffset> offsets;
    for (const auto& [tp, off] : positions) {
      if (off.value() >= 0) offsets.push_back({tp.topic, tp.partition, off});
    }
    reporter->CommitAsync(offsets).IgnoreError();  // informational only
  });
  return unit;
}

core::Result<std::vector<LeveledSpec>> ConfiguredProcessors(
    const core::Config& config, log::Admin& admin,
    std::shared_ptr<const engine::abi::Catalog> catalog) {
  std::vector<std::string> chains;
  for (const auto& c : config.chains) chains.push_back(c.name);
  const std::string& prefix = config.kafka.topic_prefix;
  std::vector<LeveledSpec> out;
  // A deployment of contracts by ABI alone appends no token transfers: the
  // nft and token processors would only step over its events and markers
  // (a transaction a few times a block each), taking broker and CPU time
  // from the contracts' own path.
  const bool standard = config.IndexesStandardTokens();
  if (standard) {
    out.push_back({engine::processors::nft_ownership::MakeSpec(prefix, chains), 0});
  }
  // The intents processor reads the balances and the deltas, and its event
  // time follows the intents chains through the splitter's forwarded
  // markers: one per approval interval at least.
  if (standard || !config.intents.ChainList().empty()) {
    out.push_back({tokens::MakeSplitterSpec(prefix, chains, config.intents.ChainList(),
                                            config.intents.approval_interval_s,
                                            config.intents.epoch_genesis),
                   0});
    out.push_back({tokens::MakeBalancesSpec(prefix), 1});
  }
  if (!catalog) {
    ASSIGN_OR_RETURN(catalog, engine::abi::Catalog::Load(config));
  }
  if (!catalog->contracts().empty()) {
    out.push_back({engine::processors::contract_events::MakeSpec(prefix, catalog), 0});
  }
  // Only with intents.chains: otherwise it would read every delta for nothing.
  if (!config.intents.ChainList().empty()) {
    const intents::IntentsOptions options = IntentsOptionsFor(config, admin);
    out.push_back({intents::MakeIntentsSpec(options), 1});
    // The epoch records add up the intents tasks' parts.
    engine::processors::epochs::EpochsOptions epochs;
    epochs.topic_prefix = prefix;
    epochs.intents_partitions = options.partitions;
    out.push_back({engine::processors::epochs::MakeEpochsSpec(epochs), 2});
  }
  return out;
}

core::Result<std::unique_ptr<ProcessorRole>> ProcessorRole::Open(
    const core::Config& config, log::Admin& admin,
    std::shared_ptr<const engine::abi::Catalog> catalog) {
  std::unique_ptr<ProcessorRole> role(new ProcessorRole());
  role->brokers_ = config.kafka.brokers;
  role->stuck_limit_ = std::chrono::milliseconds(config.engine.stuck_step_timeout_ms);
  ASSIGN_OR_RETURN(const std::vector<LeveledSpec> specs,
                   ConfiguredProcessors(config, admin, std::move(catalog)));
  std::vector<UnitPlan> plans;
  const bool standbys = config.kafka.processing_guarantee == "exactly_once" &&
                        config.engine.num_standby_replicas > 0;
  for (const LeveledSpec& p : specs) {
    const size_t first = plans.size();
    RETURN_IF_ERROR(role->Plan(config, admin, p.spec, p.level, plans));
    if (!standbys) continue;
    ASSIGN_OR_RETURN(std::unique_ptr<engine::runtime::StandbyTasks> standby,
                     MakeStandby(config, admin, p.spec));
    for (size_t i = first; i < plans.size(); ++i) plans[i].standby = standby.get();
    role->standbys_.push_back(std::move(standby));
  }
  if (config.kafka.processing_guarantee == "exactly_once") {
    RETURN_IF_ERROR(EnsureChangelogs(config, admin, specs));
  }
  // Opening a unit mostly waits on the broker (init_transactions, a
  // changelog read to its end): all at once, not one after another.
  std::vector<std::future<core::Result<Unit>>> opening;
  for (UnitPlan& plan : plans) {
    opening.push_back(std::async(std::launch::async, [&config, &admin, p = std::move(plan)] {
      return MakeUnit(config, admin, std::move(p));
    }));
  }
  core::Status first_error;
  for (auto& f : opening) {
    core::Result<Unit> unit = f.get();
    if (!unit.has_value()) {
      if (first_error.ok()) first_error = std::move(unit).error();
      continue;
    }
    role->units_.push_back(std::move(unit).value());
  }
  RETURN_IF_ERROR(first_error);
  role->inputs_ = role->LevelInputs(0);
  return role;
}

}  // namespace chainflow::app
