#include "app/topics.h"

#include <fmt/format.h>

#include "engine/wire/topics.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;

std::string ChainEventsTopic(const core::Config& config, const std::string& chain) {
  return engine::wire::ChainEventsTopic(config.kafka.topic_prefix, chain);
}
std::string OwnershipTopic(const core::Config& config) {
  return engine::wire::OwnershipTopic(config.kafka.topic_prefix);
}
std::string DeadLetterTopic(const core::Config& config) {
  return engine::wire::DeadLetterTopic(config.kafka.topic_prefix);
}
std::string UserEventsTopic(const core::Config& config) {
  return engine::wire::UserEventsTopic(config.kafka.topic_prefix);
}
std::string TokenDeltasTopic(const core::Config& config) {
  return engine::wire::TokenDeltasTopic(config.kafka.topic_prefix);
}
std::string TokenBalancesTopic(const core::Config& config) {
  return engine::wire::TokenBalancesTopic(config.kafka.topic_prefix);
}
std::string IntentsTopic(const core::Config& config) {
  return engine::wire::IntentsTopic(config.kafka.topic_prefix);
}
std::vector<std::string> AllChainEventTopics(const core::Config& config) {
  std::vector<std::string> out;
  for (const auto& chain : config.chains) out.push_back(ChainEventsTopic(config, chain.name));
  return out;
}

std::string ChangelogTopicPrefix(const core::Config& config, const std::string& processor) {
  return fmt::format("{}.{}.changelog", config.kafka.topic_prefix, processor);
}
std::string ChangelogTopic(const core::Config& config, const std::string& processor,
                           const std::string& input_topic, bool co_partitioned) {
  std::string topic = ChangelogTopicPrefix(config, processor);
  if (co_partitioned) return topic;
  std::string_view input = input_topic;
  const std::string own = config.kafka.topic_prefix + ".";
  if (input.substr(0, own.size()) == own) input.remove_prefix(own.size());
  topic += '.';
  topic += input;
  return topic;
}

log::ProducerOptions ProducerOptionsFor(const core::Config& config, const std::string& client_id) {
  log::ProducerOptions options;
  options.brokers = config.kafka.brokers;
  options.client_id = client_id;
  options.properties["compression.type"] = config.kafka.compression;
  return options;
}

core::Status EnsureTopics(const core::Config& config, log::Admin& admin) {
  std::vector<std::string> topics = AllChainEventTopics(config);
  topics.push_back(OwnershipTopic(config));
  topics.push_back(UserEventsTopic(config));
  topics.push_back(TokenDeltasTopic(config));
  topics.push_back(TokenBalancesTopic(config));
  topics.push_back(IntentsTopic(config));
  const std::string& prefix = config.kafka.topic_prefix;
  topics.push_back(engine::wire::SettlementPartsTopic(prefix));
  topics.push_back(engine::wire::SettlementsTopic(prefix));
  topics.push_back(engine::wire::AccrualsTopic(prefix));
  for (const core::ContractConfig& c : config.contracts) {
    if (c.ByAbi()) topics.push_back(engine::wire::ContractTopic(prefix, c.name));
  }
  std::vector<log::NewTopic> create;
  for (const auto& t : topics) {
    create.push_back({t, config.kafka.partitions, config.kafka.replication_factor, {}});
  }
  // One partition keeps dead letters in arrival order for people reading them.
  create.push_back({DeadLetterTopic(config), 1, config.kafka.replication_factor, {}});
  return admin.CreateTopics(create);
}

core::Result<std::vector<log::TopicPartition>> PartitionsOf(
    log::Admin& admin, const std::vector<std::string>& topics) {
  std::vector<log::TopicPartition> out;
  for (const auto& t : topics) {
    ASSIGN_OR_RETURN(int n, admin.PartitionCount(t));
    for (int p = 0; p < n; ++p) out.push_back({t, core::PartitionId(p)});
  }
  return out;
}

core::Result<std::map<log::TopicPartition, core::Offset>> EndOffsets(
    log::Admin& admin, const std::vector<std::string>& topics) {
  ASSIGN_OR_RETURN(auto partitions, PartitionsOf(admin, topics));
  std::map<log::TopicPartition, core::Offset> out;
  for (const auto& tp : partitions) {
    ASSIGN_OR_RETURN(log::Watermarks w, admin.QueryWatermarks(tp.topic, tp.partition));
    out[tp] = w.high;
  }
  return out;
}

}  // namespace chainflow::app
