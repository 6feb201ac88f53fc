#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/core/config.h"
#include "engine/core/result.h"
#include "ingest/common/appender.h"
#include "ingest/evm/log_decoder.h"
#include "ingest/evm/rpc_client.h"

namespace chainflow::ingest::evm {

// Opens the chain's appender (reads the partition tails). Called at the
// first step and again after any failure, because after a failed send or
// flush only the topic knows what was appended.
using AppenderFactory = std::function<core::Result<std::unique_ptr<common::ChainAppender>>()>;

// Follows an EVM chain over JSON-RPC and appends its token events.
//
// Each step reads eth_blockNumber, sets target = head - confirmations, and
// appends at most one range of max_block_range blocks: eth_getLogs, then
// eth_getBlockByNumber for each block that has events (timestamp, hash,
// parent hash), the events, a BlockEnd per such block, and a flush. It
// starts at the appender's ResumeBlock() (the first block not complete in
// every partition) or the chain's start_block; the appender skips what the
// topic already holds, so restarts never duplicate. A range the node
// refuses as too large (ResourceExhausted) is halved.
//
// TODO(reorg): no reorg handling yet. With confirmations = 0 a reorg is not
// detected; the later issue compares parent hashes with the previous
// BlockEnd, emits BlockReverted markers and re-reads the new branch.
//
// Threads: Start() runs the steps on an owned thread until Stop(); or call
// RunOnce() from your own loop (not both). head()/ingested()/last_status()
// are safe from any thread. `rpc` must outlive the follower.
class LiveFollower {
 public:
  LiveFollower(const core::ChainConfig& chain, LogDecoder decoder, EvmRpc& rpc,
               AppenderFactory open_appender);
  ~LiveFollower();  // Stop()

  // One step. Returns how many blocks it ingested (0: caught up).
  core::Result<uint64_t> RunOnce();

  // Runs steps until Stop(): waits poll_interval_ms when caught up, backs off
  // (up to 30 s) on retryable errors and stops on others (last_status()).
  void Start();
  void Stop();  // idempotent; joins the thread

  // The node's head and the last block fully appended (0 before any).
  uint64_t head() const { return head_.load(std::memory_order_relaxed); }
  uint64_t ingested() const { return ingested_.load(std::memory_order_relaxed); }
  core::Status last_status() const;

 private:
  core::Result<uint64_t> Step();
  core::Status AppendRange(uint64_t from, uint64_t to, std::vector<std::string> logs);
  void Loop();

  core::ChainConfig chain_;
  LogDecoder decoder_;
  std::vector<core::Address> contracts_;
  EvmRpc& rpc_;
  AppenderFactory open_appender_;
  std::unique_ptr<common::ChainAppender> appender_;
  uint64_t next_block_ = 0;
  uint64_t range_;

  std::atomic<uint64_t> head_{0};
  std::atomic<uint64_t> ingested_{0};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  core::Status last_status_;
  std::thread thread_;
};

}  // namespace chainflow::ingest::evm
