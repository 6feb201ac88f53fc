#include "app/processor_role.h"

#include "app/topics.h"
#include "engine/log/consumer.h"
#include "engine/processors/nft_ownership/nft_ownership.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;

std::string ProcessorStateDir(const core::Config& config, const std::string& processor) {
  return config.state.dir + "/" + processor;
}

ProcessorRole::~ProcessorRole() {
  if (runner_) runner_->Stop();
}

core::Result<std::unique_ptr<ProcessorRole>> ProcessorRole::Open(const core::Config& config,
                                                                 log::Admin& admin) {
  std::vector<std::string> chains;
  for (const auto& c : config.chains) chains.push_back(c.name);
  engine::runtime::ProcessorSpec spec =
      engine::processors::nft_ownership::MakeSpec(config.kafka.topic_prefix, chains);

  std::unique_ptr<ProcessorRole> role(new ProcessorRole());
  role->inputs_ = spec.input_topics;
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

  ASSIGN_OR_RETURN(role->producer_,
                   log::Producer::Open(ProducerOptionsFor(config, "chainflow-" + spec.name)));
  log::ConsumerOptions consumer_options;
  consumer_options.brokers = config.kafka.brokers;
  consumer_options.group_id = "chainflow." + spec.name;
  consumer_options.client_id = "chainflow-" + spec.name;
  consumer_options.with_headers = false;  // processors read only the envelope
  ASSIGN_OR_RETURN(std::unique_ptr<log::Consumer> consumer, log::Consumer::Open(consumer_options));
  log::Consumer* reporter = consumer.get();  // owned by the runner, which outlives the callback
  ASSIGN_OR_RETURN(role->runner_,
                   engine::runtime::ProcessorRunner::Open(spec, std::move(options), inputs,
                                                          std::move(consumer), *role->producer_));
  // Report positions to the group so `status` and any Kafka tool can see lag.
  role->runner_->set_on_commit([reporter](const engine::runtime::Positions& positions) {
    std::vector<log::TopicPartitionOffset> offsets;
    for (const auto& [tp, off] : positions) {
      if (off.value() >= 0) offsets.push_back({tp.topic, tp.partition, off});
    }
    reporter->CommitAsync(offsets).IgnoreError();  // informational only
  });
  return role;
}

}  // namespace chainflow::app
