#include "app/processor_role.h"

#include <algorithm>

#include "app/topics.h"
#include "engine/log/consumer.h"
#include "engine/processors/nft_ownership/nft_ownership.h"
#include "engine/processors/token_balances/balances.h"
#include "engine/processors/token_balances/splitter.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;
namespace tokens = engine::processors::token_balances;

std::string ProcessorStateDir(const core::Config& config, const std::string& processor) {
  return config.state.dir + "/" + processor;
}

std::vector<std::string> ProcessorNames() {
  return {engine::processors::nft_ownership::NftOwnershipProcessor::kName,
          tokens::TokenSplitterProcessor::kName, tokens::TokenBalancesProcessor::kName};
}

ProcessorRole::~ProcessorRole() { Stop(); }

void ProcessorRole::Start() {
  for (Unit& u : units_) u.runner->Start();
}

void ProcessorRole::Stop() {
  for (Unit& u : units_) {
    if (u.runner) u.runner->Stop();
  }
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
  for (const Unit& u : units_) {
    if (u.level != level) continue;
    std::map<log::TopicPartition, core::Offset> own;
    for (const auto& [tp, end] : ends) {
      if (std::find(u.inputs.begin(), u.inputs.end(), tp.topic) != u.inputs.end()) own[tp] = end;
    }
    if (!u.runner->CaughtUp(own)) return false;
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
  for (const Unit& u : units_) {
    core::Status st = u.runner->failure();
    if (!st.ok()) return st.WithContext(u.runner->name());
  }
  return core::Status::Ok();
}

core::Status ProcessorRole::Add(const core::Config& config, log::Admin& admin,
                                const engine::runtime::ProcessorSpec& spec, int level) {
  Unit unit;
  unit.level = level;
  unit.inputs = spec.input_topics;
  ASSIGN_OR_RETURN(auto inputs, PartitionsOf(admin, spec.input_topics));

  engine::runtime::RunnerOptions options;
  options.state_dir = ProcessorStateDir(config, spec.name);
  options.batch_size = static_cast<size_t>(config.engine.batch_size);
  options.batch_wait = std::chrono::milliseconds(config.engine.batch_wait_ms);
  options.routing.dlq_topic = DeadLetterTopic(config);
  for (const auto& t : spec.output_topics) {
    ASSIGN_OR_RETURN(int n, admin.PartitionCount(t));
    options.routing.partitions[t] = n;
  }
  options.routing.partitions[options.routing.dlq_topic] = 1;

  ASSIGN_OR_RETURN(unit.producer,
                   log::Producer::Open(ProducerOptionsFor(config, "chainflow-" + spec.name)));
  log::ConsumerOptions consumer_options;
  consumer_options.brokers = config.kafka.brokers;
  consumer_options.group_id = "chainflow." + spec.name;
  consumer_options.client_id = "chainflow-" + spec.name;
  consumer_options.with_headers = false;  // processors read only the envelope
  ASSIGN_OR_RETURN(std::unique_ptr<log::Consumer> consumer, log::Consumer::Open(consumer_options));
  log::Consumer* reporter = consumer.get();  // owned by the runner, which outlives the callback
  ASSIGN_OR_RETURN(unit.runner,
                   engine::runtime::ProcessorRunner::Open(spec, std::move(options), inputs,
                                                          std::move(consumer), *unit.producer));
  // Report positions to the group so `status` and any Kafka tool can see lag.
  unit.runner->set_on_commit([reporter](const engine::runtime::Positions& positions) {
    std::vector<log::TopicPartitionOffset> offsets;
    for (const auto& [tp, off] : positions) {
      if (off.value() >= 0) offsets.push_back({tp.topic, tp.partition, off});
    }
    reporter->CommitAsync(offsets).IgnoreError();  // informational only
  });
  units_.push_back(std::move(unit));
  return core::Status::Ok();
}

core::Result<std::unique_ptr<ProcessorRole>> ProcessorRole::Open(const core::Config& config,
                                                                 log::Admin& admin) {
  std::vector<std::string> chains;
  for (const auto& c : config.chains) chains.push_back(c.name);
  const std::string& prefix = config.kafka.topic_prefix;
  std::unique_ptr<ProcessorRole> role(new ProcessorRole());
  // nft_ownership first: runner() returns it.
  RETURN_IF_ERROR(
      role->Add(config, admin, engine::processors::nft_ownership::MakeSpec(prefix, chains), 0));
  RETURN_IF_ERROR(role->Add(config, admin, tokens::MakeSplitterSpec(prefix, chains), 0));
  RETURN_IF_ERROR(role->Add(config, admin, tokens::MakeBalancesSpec(prefix), 1));
  role->inputs_ = role->LevelInputs(0);
  return role;
}

}  // namespace chainflow::app
