#include "engine/core/crash_point.h"

#include <csignal>
#include <cstdlib>
#include <string>

#include <atomic>

namespace chainflow::engine::core {
namespace {

struct Armed {
  std::string name;
  long remaining = 0;
  bool active = false;
};

Armed& State() {
  static Armed armed = [] {
    Armed a;
    const char* spec = std::getenv("CHAINFLOW_CRASH_AT");
    if (spec == nullptr) return a;
    std::string s(spec);
    size_t colon = s.rfind(':');
    if (colon == std::string::npos) return a;
    a.name = s.substr(0, colon);
    a.remaining = std::strtol(s.c_str() + colon + 1, nullptr, 10);
    a.active = !a.name.empty() && a.remaining > 0;
    return a;
  }();
  return armed;
}

}  // namespace

void CrashPoint(std::string_view name) {
  static std::atomic<long> hits{0};
  Armed& armed = State();
  if (!armed.active || name != armed.name) return;
  if (hits.fetch_add(1) + 1 >= armed.remaining) std::raise(SIGKILL);
}

}  // namespace chainflow::engine::core
