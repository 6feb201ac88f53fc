#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "engine/core/config.h"
#include "engine/core/result.h"
#include "ingest/common/appender.h"
#include "ingest/evm/head_clock.h"
#include "ingest/evm/header_store.h"
#include "ingest/evm/log_decoder.h"
#include "ingest/evm/rpc_client.h"

namespace chainflow::ingest::evm {

// Opens the chain's appender (reads the partition tails). Called at the
// first step and again after any failure, because after a failed send or
// flush only the topic knows what was appended.
using AppenderFactory = std::function<core::Result<std::unique_ptr<common::ChainAppender>>()>;

// Follows an EVM chain over JSON-RPC and appends its token events, exactly
// once and through reorganizations.
//
// Each step reads eth_blockNumber, sets target = head - confirmations and the
// finalized block (head - finality_depth, or the node's `finalized` tag),
// and appends at most one range of max_block_range blocks starting at the
// appender's ResumeBlock() (or the chain's start_block); the appender skips
// what the topic already holds, so restarts never duplicate.
//
// Reorgs. For a range that reaches above the finalized block, the step
// fetches the headers of [from - 1, to] in one batch and compares them with
// the HeaderStore: a stored block whose hash the node no longer has means a
// reorg (also at the same height: when caught up, the last block is
// re-checked every poll, or the node's head when it fell below that block:
// the blocks above it are gone). The follower then walks back to the newest
// block whose hash still matches (the common ancestor), records the reorg, sends
// BlockReverted markers for every stored block above it (newest first) to
// every partition in a new fork, and continues at ancestor + 1. The new
// range's headers must chain by parent hash, and every log's blockHash must
// be its header's, or the step is redone. Headers are stored before their
// events are appended. A reorg that reaches the finalized anchor (the
// lowest stored header) stops the chain's ingest with FailedPrecondition
// naming the blocks; nothing is appended past it.
//
// Events carry LogRef.finalized (their block was final when read) and every
// BlockEnd the finalized block and reorg counts. A range the node refuses
// as too large (ResourceExhausted) is halved.
//
// Threads: Start() runs the steps on an owned thread until Stop(); or call
// RunOnce() from your own loop (not both). The accessors are safe from any
// thread. `rpc` and `headers` must outlive the follower.
class LiveFollower {
 public:
  LiveFollower(const core::ChainConfig& chain, LogDecoder decoder, EvmRpc& rpc,
               AppenderFactory open_appender, HeaderStore& headers);
  ~LiveFollower();  // Stop()

  // One step. Returns how many blocks it ingested (0: caught up).
  core::Result<uint64_t> RunOnce();

  // Runs steps until Stop(): when caught up waits poll_interval_ms, or while
  // a head subscription is live up to max(poll_interval_ms, 30 s) (a safety
  // net for a lost notification) unless NotifyNewHead() ends the wait
  // first; backs off (up to 30 s) on retryable errors and stops on others
  // (last_status()). Without a live subscription and with head_poll_ms set,
  // the wait reads the head every HeadProbeInterval() inside the window where the
  // next block is expected (HeadClock) and ends as soon as it moved.
  void Start();
  void Stop();  // idempotent; joins the thread

  // Any thread (HeadSubscription's): the node announced block `number`.
  // Ends a caught-up wait at once; a step already running is followed by
  // another one at once. Never ends a retry backoff.
  void NotifyNewHead(uint64_t number);
  // Any thread: whether a head subscription is live. While it is not, the
  // follower polls every poll_interval_ms (the fallback).
  void SetHeadSubscriptionLive(bool live);

  // How often a head window reads the head: head_poll_ms, or with
  // rpc_requests_per_second = r at least 4000 / r ms (the probes then use at
  // most a quarter of the budget); 0: off.
  static std::chrono::milliseconds HeadProbeInterval(const core::ChainConfig& chain);

  // The node's head, the last block fully appended (0 before any) and its
  // timestamp, the finalized block, and the reorgs handled so far.
  uint64_t head() const { return head_.load(std::memory_order_relaxed); }
  uint64_t ingested() const { return ingested_.load(std::memory_order_relaxed); }
  int64_t ingested_time() const { return ingested_time_.load(std::memory_order_relaxed); }
  uint64_t finalized() const { return finalized_.load(std::memory_order_relaxed); }
  uint64_t reorgs() const { return reorgs_.load(std::memory_order_relaxed); }
  uint64_t deepest_reorg() const { return deepest_reorg_.load(std::memory_order_relaxed); }
  core::Status last_status() const;

 private:
  core::Result<uint64_t> Step();
  core::Result<uint64_t> Finalized(uint64_t head);
  // The first stored block in `fetched` whose hash differs from the node's.
  std::optional<uint64_t> FirstChanged(const std::vector<BlockHeader>& fetched) const;
  core::Status HandleReorg(uint64_t changed);
  // The header store lost the headers of the blocks the topic holds (its
  // directory wiped, a new machine): reads them back from the BlockEnd
  // markers at the end of the topic's partition 0, down to `finalized`, so
  // a reorg that happened meanwhile is still seen.
  core::Status RecoverHeaders(uint64_t finalized);
  core::Status CompleteReorg();
  core::Status AppendRange(uint64_t from, uint64_t to, const LogBatch& logs,
                           const std::map<uint64_t, BlockHeader>& known, uint64_t finalized);
  void PublishCounts();
  void Loop();
  std::chrono::milliseconds CaughtUpWait() const;
  // The caught-up wait (called with `lock` held on mu_; true: step now).
  void WaitCaughtUp(std::unique_lock<std::mutex>& lock);
  // When caught up at `last_known` with the interval unknown (a start at
  // the head): reads the headers of the blocks before it once, in one
  // batch, so the head windows start at once.
  void LearnBlockInterval(uint64_t last_known);
  static constexpr uint64_t kIntervalHeaders = 8;
  // Inside a HeadClock window: reads the head once (without mu_ held).
  // True if it is above the last step's (or the read failed: the step
  // reports it).
  bool HeadMoved();
  // Tells head_clock_ the head read now; logs when its windows start to rest.
  void ObserveHead(uint64_t head);
  // After a good step: the notification-to-ingested latency of the newest
  // announced head once it is ingested (chainflow_ingest_head_latency_seconds).
  void ObserveHeadLatency();

  core::ChainConfig chain_;
  LogDecoder decoder_;
  std::vector<core::Address> contracts_;
  EvmRpc& rpc_;
  AppenderFactory open_appender_;
  HeaderStore& headers_;
  std::unique_ptr<common::ChainAppender> appender_;
  uint64_t next_block_ = 0;
  bool check_headers_ = false;  // after an appender opens: RecoverHeaders if needed
  uint64_t range_;
  std::optional<core::Status> fatal_;  // a reorg deeper than the window
  std::chrono::milliseconds head_probe_;  // 0: no head windows
  HeadClock head_clock_;                  // the follower thread's
  uint64_t stepped_head_ = 0;          // the head the last step read
  bool interval_asked_ = false;        // LearnBlockInterval ran

  std::atomic<uint64_t> head_{0};
  std::atomic<uint64_t> ingested_{0};
  std::atomic<int64_t> ingested_time_{0};
  std::atomic<uint64_t> finalized_{0};
  std::atomic<uint64_t> reorgs_{0};
  std::atomic<uint64_t> deepest_reorg_{0};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool woken_ = false;                // a new head was announced (mu_)
  std::atomic<bool> head_live_{false};
  uint64_t announced_ = 0;            // newest announced head not yet ingested (mu_)
  std::chrono::steady_clock::time_point announced_at_;  // when it was announced (mu_)
  core::Status last_status_;
  std::thread thread_;
};

}  // namespace chainflow::ingest::evm
