#pragma once

#include <string>
#include <vector>

#include "engine/core/config.h"
#include "engine/log/admin.h"
#include "engine/log/producer.h"

namespace chainflow::app {

// Topic names (DESIGN.md §4) under kafka.topic_prefix: engine/wire/topics.h for a
// configuration.
std::string ChainEventsTopic(const engine::core::Config& config, const std::string& chain);
std::string OwnershipTopic(const engine::core::Config& config);
std::string DeadLetterTopic(const engine::core::Config& config);
std::string UserEventsTopic(const engine::core::Config& config);
// The token processors' repartition topic and the balances output.
std::string TokenDeltasTopic(const engine::core::Config& config);
std::string TokenBalancesTopic(const engine::core::Config& config);
// The intents processor's output.
std::string IntentsTopic(const engine::core::Config& config);
std::vector<std::string> AllChainEventTopics(const engine::core::Config& config);
// Whether `chain` has a contract indexed by its ABI: then ingest appends its
// contract events to ContractEventsTopic(config, chain) (created by
// EnsureTopics) instead of its chain topic.
bool HasContractsByAbi(const engine::core::Config& config, const std::string& chain);
// `<prefix>.<chain>.contract_events` (engine/wire/topics.h).
std::string ContractEventsTopic(const engine::core::Config& config, const std::string& chain);
// The compacted changelog of `processor`'s stores (DESIGN.md §1.3): partition
// n logs the store of the task of input partition n. A co-partitioned
// processor has one task per partition number and one changelog,
// "<prefix>.<processor>.changelog"; otherwise each input topic's tasks have
// their own, "<prefix>.<processor>.changelog.<input without the prefix>".
std::string ChangelogTopic(const engine::core::Config& config, const std::string& processor,
                           const std::string& input_topic, bool co_partitioned);
// The prefix every changelog topic of `processor` starts with.
std::string ChangelogTopicPrefix(const engine::core::Config& config,
                                 const std::string& processor);

// Producer options from [kafka] (brokers, compression) for a client id.
engine::log::ProducerOptions ProducerOptionsFor(const engine::core::Config& config,
                                                const std::string& client_id);

// Creates every topic chainflow writes (existing ones are left alone) with
// kafka.partitions partitions.
engine::core::Status EnsureTopics(const engine::core::Config& config, engine::log::Admin& admin);

// Every partition of `topics` (the topics must exist).
engine::core::Result<std::vector<engine::log::TopicPartition>> PartitionsOf(
    engine::log::Admin& admin, const std::vector<std::string>& topics);

// The high watermark of every partition of `topics`.
engine::core::Result<std::map<engine::log::TopicPartition, engine::core::Offset>> EndOffsets(
    engine::log::Admin& admin, const std::vector<std::string>& topics);

}  // namespace chainflow::app
