#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/core/result.h"
#include "ingest/evm/tls.h"
#include "ingest/evm/ws_channel.h"
#include "ingest/evm/ws_session.h"

namespace chainflow::ingest::evm {

struct HeadSubscriptionOptions {
  EndpointOptions endpoint;  // ws:// or wss://
  std::string chain;         // log prefix and metrics label
  // A ping after this long without traffic; twice as long silent = gone.
  std::chrono::milliseconds idle_ping{10'000};
  // Resubscription backoff (full jitter), reset once a subscription holds.
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{30'000};
};

// Keeps an eth_subscribe("newHeads") open on its own WebSocket connection
// and reports every new head at once, so a caught-up LiveFollower wakes
// without waiting for its poll.
//
// Threads: Start() runs one owned thread until Stop() (idempotent, joins).
// That thread owns the connection and calls `on_head(number)` for each
// notification and `on_live(bool)` when the subscription comes up or goes
// down; both must be cheap and thread-safe (LiveFollower::NotifyNewHead /
// SetHeadSubscriptionLive). When the connection drops it reconnects and
// resubscribes with full-jitter backoff, forever, except after a
// configuration error (refused certificate, upgrade refused with 401/403/
// 404, a JSON-RPC error to eth_subscribe such as "method not found"): then
// it logs an error and ends, and the follower keeps polling. The accessors
// are safe from any thread.
//
// Metrics (label chain): chainflow_ingest_head_notifications_total,
// chainflow_ingest_head_subscriptions_total (successful eth_subscribe),
// chainflow_ingest_head_subscription_up (0/1).
class HeadSubscription {
 public:
  using HeadCallback = std::function<void(uint64_t number)>;
  using LiveCallback = std::function<void(bool live)>;

  // Parses the URL and sets up TLS; connects in Start().
  static core::Result<std::unique_ptr<HeadSubscription>> Open(HeadSubscriptionOptions options,
                                                              HeadCallback on_head,
                                                              LiveCallback on_live);
  // The same over a given channel (tests).
  HeadSubscription(HeadSubscriptionOptions options, std::unique_ptr<MessageChannel> channel,
                   HeadCallback on_head, LiveCallback on_live);
  ~HeadSubscription();  // Stop()

  void Start();
  void Stop();

  bool live() const { return live_.load(); }
  uint64_t subscriptions() const { return subscriptions_.load(); }
  uint64_t notifications() const { return notifications_.load(); }
  core::Status last_status() const;

 private:
  void Loop();     // the thread's entry: RunLoop, and any exception logged and ended
  void RunLoop();
  // Connects, subscribes and routes notifications until the connection
  // fails or Stop(). Returns why it ended.
  core::Status Session();
  void OnNotification(std::string_view subscription, std::string_view result);
  void SetLive(bool live);

  HeadSubscriptionOptions options_;
  std::string redacted_;
  HeadCallback on_head_;
  LiveCallback on_live_;
  WsRpcSession session_;     // the loop thread's
  std::string subscription_;  // the loop thread's: the current subscription id
  std::atomic<bool> live_{false};
  std::atomic<uint64_t> subscriptions_{0};
  std::atomic<uint64_t> notifications_{0};
  mutable std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;
  core::Status last_status_;
  std::thread thread_;
};

}  // namespace chainflow::ingest::evm
