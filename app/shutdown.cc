#include "app/shutdown.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <thread>

#include <spdlog/spdlog.h>

#include "engine/core/logging.h"

namespace chainflow::app {
namespace {

std::atomic<int> g_signals{0};

void OnSignal(int) {
  if (g_signals.fetch_add(1) >= 1) _exit(130);
}

}  // namespace

void InstallShutdownHandlers() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool ShutdownRequested() { return g_signals.load() > 0; }

bool WaitForShutdown(std::chrono::milliseconds d) {
  auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until) {
    if (ShutdownRequested()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ShutdownRequested();
}

StopDeadline::StopDeadline(std::chrono::milliseconds limit, int exit_code) {
  watchdog_ = std::thread([this, limit, exit_code] {
    std::unique_lock lock(mu_);
    if (cv_.wait_for(lock, limit, [this] { return done_; })) return;
    engine::core::Logger("app")->error(
        "stopping took longer than {} ms (a call to the broker or PostgreSQL still blocked; "
        "the 'stopping: processor ... still in' lines above name the processor threads); "
        "exiting without waiting for it: the next start recovers as after a crash "
        "([engine] stop_timeout_ms)",
        limit.count());
    spdlog::apply_all([](const std::shared_ptr<spdlog::logger>& l) { l->flush(); });
    std::_Exit(exit_code);
  });
}

StopDeadline::~StopDeadline() {
  {
    std::lock_guard lock(mu_);
    done_ = true;
  }
  cv_.notify_all();
  watchdog_.join();
}

}  // namespace chainflow::app
