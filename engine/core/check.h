#pragma once

#include <fmt/format.h>

#include <cstdlib>

namespace chainflow::engine::core::internal {
[[noreturn]] void CheckFailed(const char* file, int line, const char* condition,
                              const std::string& message);
}  // namespace chainflow::engine::core::internal

// Invariant check: logs the condition and message, then aborts. Never use it
// on external input (that is a Status). Always on, in every build type.
#define CF_CHECK(cond, ...)                                                         \
  do {                                                                              \
    if (!(cond)) [[unlikely]] {                                                     \
      ::chainflow::engine::core::internal::CheckFailed(__FILE__, __LINE__, #cond,   \
                                                       ::fmt::format(__VA_ARGS__)); \
    }                                                                               \
  } while (0)
