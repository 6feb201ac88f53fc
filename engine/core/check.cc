#include "engine/core/check.h"

#include <spdlog/spdlog.h>

namespace chainflow::engine::core::internal {

void CheckFailed(const char* file, int line, const char* condition, const std::string& message) {
  spdlog::critical("CHECK failed at {}:{}: {}: {}", file, line, condition, message);
  spdlog::shutdown();
  std::abort();
}

}  // namespace chainflow::engine::core::internal
