#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace chainflow::app {

// SIGINT/SIGTERM handling: the first signal asks for a clean shutdown (the
// flag below), a second one exits at once.
void InstallShutdownHandlers();
bool ShutdownRequested();
// Sleeps up to `d`, returning early (true) when shutdown was requested.
bool WaitForShutdown(std::chrono::milliseconds d);

// Bounds a clean stop: alive from the start of a stop to its end (roles
// stopped and destroyed). Past `limit` it logs what it gives up on, flushes
// the logs and exits the process with `exit_code` at once, without waiting
// for threads still blocked (a broker call that ignores its timeout while
// the broker is down). Nothing durable is at risk: exactly-once recovery
// treats the exit like a crash.
class StopDeadline {
 public:
  StopDeadline(std::chrono::milliseconds limit, int exit_code);
  ~StopDeadline();  // the stop finished in time
  StopDeadline(const StopDeadline&) = delete;
  StopDeadline& operator=(const StopDeadline&) = delete;

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  std::thread watchdog_;
};

}  // namespace chainflow::app
