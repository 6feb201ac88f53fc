#include "engine/core/check.h"

#include <cstdio>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace chainflow::engine::core::internal {

void CheckFailed(const char* file, int line, const char* condition, const std::string& message) {
  // Straight to stderr: spdlog's default logger writes to stdout, which a
  // command may use for its output (and death tests read stderr).
  fmt::print(stderr, "CHECK failed at {}:{}: {}: {}\n", file, line, condition, message);
  std::fflush(stderr);
  spdlog::shutdown();  // flush the component loggers
  std::abort();
}

}  // namespace chainflow::engine::core::internal
