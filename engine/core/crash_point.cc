#include "engine/core/crash_point.h"

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <string>
#include <thread>

namespace chainflow::engine::core {
namespace {

struct Armed {
  std::string name;
  long remaining = 0;
  bool active = false;
};

Armed Parse(const char* variable) {
  Armed a;
  const char* spec = std::getenv(variable);
  if (spec == nullptr) return a;
  std::string s(spec);
  size_t colon = s.rfind(':');
  if (colon == std::string::npos) return a;
  a.name = s.substr(0, colon);
  a.remaining = std::strtol(s.c_str() + colon + 1, nullptr, 10);
  a.active = !a.name.empty() && a.remaining > 0;
  return a;
}

const Armed& Crash() {
  static const Armed armed = Parse("CHAINFLOW_CRASH_AT");
  return armed;
}
const Armed& Hang() {
  static const Armed armed = Parse("CHAINFLOW_HANG_AT");
  return armed;
}

}  // namespace

void CrashPoint(std::string_view name) {
  static std::atomic<long> crash_hits{0};
  static std::atomic<long> hang_hits{0};
  const Armed& crash = Crash();
  if (crash.active && name == crash.name && crash_hits.fetch_add(1) + 1 >= crash.remaining) {
    std::raise(SIGKILL);
  }
  const Armed& hang = Hang();
  if (hang.active && name == hang.name && hang_hits.fetch_add(1) + 1 == hang.remaining) {
    while (true) std::this_thread::sleep_for(std::chrono::hours(1));
  }
}

}  // namespace chainflow::engine::core
