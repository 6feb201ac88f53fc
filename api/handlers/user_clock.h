#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "api/handlers/intents.h"
#include "engine/log/record.h"
#include "engine/log/sink.h"

namespace chainflow::api::handlers {

// The records of one tick of the API's user clock: a UserClock{time,
// writer} envelope on EVERY partition of the user events topic (key
// "clock/<writer>", id "clock/<writer>/<time>"), promising that this writer
// appends nothing stamped before `time` from now on. Processors take their
// user event time from these on partitions that get no intents
// (engine/processors/intents/README.md "Event time").
std::vector<engine::log::OutRecord> UserClockRecords(const std::string& topic,
                                                     int32_t partitions,
                                                     const std::string& writer, int64_t time);

// Appends a tick every `interval` on its own thread (Start/Stop). The time
// is `now()`, the clock that stamps received_at, so ticks and intents agree.
// Ticks are not flushed one by one: a failed send is logged and the next
// tick carries a later time anyway. `sink` must outlive the ticker and be
// thread-safe (the Producer is).
class UserClockTicker {
 public:
  UserClockTicker(engine::log::RecordSink& sink, std::string topic, int32_t partitions,
                  std::string writer, std::chrono::milliseconds interval, NowFn now);
  ~UserClockTicker();  // Stop()s

  // Sends one tick now, then every interval. Idempotent.
  void Start();
  // Joins the thread. Idempotent.
  void Stop();
  // One tick, synchronously (tests; Start's loop calls it).
  engine::core::Status TickOnce();

 private:
  engine::log::RecordSink& sink_;
  const std::string topic_;
  const int32_t partitions_;
  const std::string writer_;
  const std::chrono::milliseconds interval_;
  const NowFn now_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

}  // namespace chainflow::api::handlers
