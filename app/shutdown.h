#pragma once

#include <chrono>

namespace chainflow::app {

// SIGINT/SIGTERM handling: the first signal asks for a clean shutdown (the
// flag below), a second one exits at once.
void InstallShutdownHandlers();
bool ShutdownRequested();
// Sleeps up to `d`, returning early (true) when shutdown was requested.
bool WaitForShutdown(std::chrono::milliseconds d);

}  // namespace chainflow::app
