#include "app/ingest_role.h"

#include <fmt/format.h>

#include "app/topics.h"
#include "engine/core/logging.h"
#include "engine/core/url.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;

namespace {

std::string PollingText(const core::ChainConfig& chain) {
  if (chain.head_poll_ms == 0) return fmt::format("polling every {} ms", chain.poll_interval_ms);
  return fmt::format("polling every {} ms, every {} ms where a block is due",
                     chain.poll_interval_ms, chain.head_poll_ms);
}

// Where a chain's new heads come from: `ws`, else `rpc` if it is a
// WebSocket, else "" (polling only).
std::string HeadsUrl(const core::ChainConfig& chain) {
  if (!chain.ws.empty()) return chain.ws;
  auto rpc = core::ParseEndpointUrl(chain.rpc);
  return rpc && rpc.value().websocket() ? chain.rpc : "";
}

core::Result<std::unique_ptr<ingest::evm::HeadSubscription>> OpenHeadSubscription(
    const core::ChainConfig& chain, ingest::evm::LiveFollower& follower) {
  std::string url = HeadsUrl(chain);
  if (url.empty()) return std::unique_ptr<ingest::evm::HeadSubscription>();
  ingest::evm::HeadSubscriptionOptions options;
  options.endpoint = {url, std::chrono::milliseconds(chain.rpc_timeout_ms), chain.rpc_ca_file,
                      chain.rpc_headers};
  options.chain = chain.name;
  return ingest::evm::HeadSubscription::Open(
      std::move(options), [&follower](uint64_t number) { follower.NotifyNewHead(number); },
      [&follower](bool live) { follower.SetHeadSubscriptionLive(live); });
}

}  // namespace

IngestRole::~IngestRole() { Stop(); }

core::Result<std::unique_ptr<IngestRole>> IngestRole::Open(
    const core::Config& config, log::Admin& admin,
    std::shared_ptr<const engine::abi::Catalog> catalog) {
  std::unique_ptr<IngestRole> role(new IngestRole());
  if (!catalog) {
    ASSIGN_OR_RETURN(catalog, engine::abi::Catalog::Load(config));
  }
  ASSIGN_OR_RETURN(role->producer_,
                   log::Producer::Open(ProducerOptionsFor(config, "chainflow-ingest")));
  for (const auto& chain : config.chains) {
    if (chain.rpc.empty()) continue;
    Follower f;
    f.chain = chain;
    ASSIGN_OR_RETURN(f.rpc, ingest::evm::RpcClient::Open(ingest::evm::RpcOptionsFor(chain)));
    std::string topic = ChainEventsTopic(config, chain.name);
    ASSIGN_OR_RETURN(int partitions, admin.PartitionCount(topic));
    f.tails = std::make_unique<ingest::common::AdminTailReader>(admin, topic);
    ingest::common::AppenderOptions options{.chain = chain.name,
                                            .topic = topic,
                                            .partitions = partitions,
                                            .dlq_topic = DeadLetterTopic(config)};
    log::Producer* producer = role->producer_.get();
    ingest::common::AdminTailReader* tails = f.tails.get();
    ingest::evm::AppenderFactory factory = [options, producer, tails]() {
      return ingest::common::ChainAppender::Open(options, *producer, *tails);
    };
    // Recent headers for reorg detection. Beside state.dir, not in it: they
    // describe the chain and the topic, not derived state, so `rebuild` and
    // `state-digest` leave them alone.
    ASSIGN_OR_RETURN(f.headers, ingest::evm::HeaderStore::Open(
                                    fmt::format("{}.ingest/{}", config.state.dir, chain.name)));
    f.follower = std::make_unique<ingest::evm::LiveFollower>(
        chain, ingest::evm::LogDecoder::ForChain(config, chain.name, catalog), *f.rpc, factory,
        *f.headers);
    ASSIGN_OR_RETURN(f.heads, OpenHeadSubscription(chain, *f.follower));
    core::Logger("app")->info("[{}] following {} ({})", chain.name, core::RedactUrl(chain.rpc),
                              f.heads ? "newHeads at " + core::RedactUrl(HeadsUrl(chain))
                                      : PollingText(chain));
    role->followers_.push_back(std::move(f));
  }
  return role;
}

void IngestRole::Start() {
  for (auto& f : followers_) {
    f.follower->Start();
    if (f.heads) f.heads->Start();
  }
}

void IngestRole::Stop() {
  for (auto& f : followers_) {
    if (f.heads) f.heads->Stop();
    f.follower->Stop();
  }
  if (producer_) producer_->Flush(std::chrono::seconds(10)).IgnoreError();  // best effort
}

std::vector<IngestRole::ChainProgress> IngestRole::Progress() const {
  std::vector<ChainProgress> out;
  for (const auto& f : followers_) {
    out.push_back({f.chain.name, f.follower->head(), f.follower->ingested(),
                   f.chain.confirmations, f.follower->last_status(), f.follower->finalized(),
                   f.follower->reorgs(), f.follower->deepest_reorg(),
                   f.follower->ingested_time()});
  }
  return out;
}

}  // namespace chainflow::app
