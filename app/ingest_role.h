#pragma once

#include <memory>
#include <vector>

#include "engine/abi/catalog.h"
#include "engine/core/config.h"
#include "engine/log/admin.h"
#include "engine/log/producer.h"
#include "ingest/common/admin_tail_reader.h"
#include "ingest/evm/head_subscription.h"
#include "ingest/evm/live_follower.h"
#include "ingest/evm/rpc_client.h"

namespace chainflow::app {

// The `ingest` role: a LiveFollower for every chain that has an `rpc`,
// sharing one idempotent producer, and a HeadSubscription for every chain
// with a WebSocket endpoint (`ws`, or an `rpc` that is ws:// or wss://)
// that wakes its follower on each new head. Chains without an RPC are fed
// by `chainflow replay` only.
//
// Threads: each follower and each subscription runs its own thread between
// Start() and Stop(); a subscription's thread only calls its follower's
// NotifyNewHead / SetHeadSubscriptionLive.
class IngestRole {
 public:
  // `admin` must outlive the role. `catalog`: the contracts' ABIs as the
  // command loaded them (nullptr: loaded here).
  static engine::core::Result<std::unique_ptr<IngestRole>> Open(
      const engine::core::Config& config, engine::log::Admin& admin,
      std::shared_ptr<const engine::abi::Catalog> catalog = nullptr);
  ~IngestRole();

  void Start();
  void Stop();

  struct ChainProgress {
    std::string chain;
    uint64_t head = 0;
    uint64_t ingested = 0;
    uint64_t confirmations = 0;
    engine::core::Status status;
    uint64_t finalized = 0;
    uint64_t reorgs = 0;
    uint64_t deepest_reorg = 0;
    int64_t ingested_time = 0;  // timestamp of the last ingested block
  };
  std::vector<ChainProgress> Progress() const;

 private:
  struct Follower {
    engine::core::ChainConfig chain;
    std::unique_ptr<ingest::evm::RpcClient> rpc;
    std::unique_ptr<ingest::common::AdminTailReader> tails;
    // The chain's contract_events topic; null when it has no contract by ABI.
    std::unique_ptr<ingest::common::AdminTailReader> contract_tails;
    std::unique_ptr<ingest::evm::HeaderStore> headers;
    std::unique_ptr<ingest::evm::LiveFollower> follower;  // uses the above
    // newHeads at `ws` (or at `rpc` when that is ws/wss); null: polling
    // only. Destroyed first: its thread calls into `follower`.
    std::unique_ptr<ingest::evm::HeadSubscription> heads;
  };
  IngestRole() = default;
  std::unique_ptr<engine::log::Producer> producer_;
  std::vector<Follower> followers_;  // destroyed before producer_
};

}  // namespace chainflow::app
