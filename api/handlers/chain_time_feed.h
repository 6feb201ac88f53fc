#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "api/handlers/user_event_clock.h"
#include "engine/core/result.h"

namespace chainflow::api::handlers {

// One chain's newest ingested block time (unix seconds): nullopt while the
// chain has none (nothing ingested yet), an error when it could not be read
// this time (the feed logs it and asks again next round). Called on the
// feed's thread only.
using ChainTimeFn = std::function<engine::core::Result<std::optional<int64_t>>()>;

// Keeps a UserEventClock's chain time current: every `interval`, on its own
// thread, asks each source and observes the newest time. The app builds the
// sources (app/chain_time.h): the in-process ingest's progress, or the last
// BlockEnd of the chain's events topic. A failing source changes nothing
// (the clock keeps the newest time it had, else the wall clock); failures
// are logged at warn once per streak and counted in
// chainflow_api_chain_time_errors_total{chain}; the time observed is the
// gauge chainflow_api_chain_time_seconds{chain}.
//
// `clock` must outlive the feed. Start/Stop are idempotent; RefreshOnce
// may also be called before Start (never concurrently with the thread).
class ChainTimeFeed {
 public:
  struct Source {
    std::string chain;
    ChainTimeFn newest_block_time;
  };

  ChainTimeFeed(UserEventClock& clock, std::vector<Source> sources,
                std::chrono::milliseconds interval);
  ~ChainTimeFeed();  // Stop()s

  ChainTimeFeed(const ChainTimeFeed&) = delete;
  ChainTimeFeed& operator=(const ChainTimeFeed&) = delete;

  // Asks every source once and observes what they answer.
  void RefreshOnce();
  // Refreshes once synchronously (so the first tick or POST already follows
  // the chain), then every interval on the feed's thread.
  void Start();
  // Joins the thread.
  void Stop();

 private:
  UserEventClock& clock_;
  std::vector<Source> sources_;
  std::vector<bool> failing_;  // per source: the last attempt failed (feed thread only)
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace chainflow::api::handlers
