#include "app/shutdown.h"

#include <unistd.h>

#include <atomic>
#include <csignal>
#include <thread>

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

}  // namespace chainflow::app
