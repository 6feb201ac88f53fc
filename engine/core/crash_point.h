#pragma once

#include <string_view>

namespace chainflow::engine::core {

// Fault injection for exactly-once tests: a named point on a commit path.
// When the environment variable CHAINFLOW_CRASH_AT is "<name>:<n>", the
// n-th time the process reaches the point named <name> it kills itself with
// SIGKILL (no cleanup, as a crash would). Otherwise a no-op costing one
// relaxed atomic load. Points in use are listed in tests/integration/README.md.
// CHAINFLOW_HANG_AT="<name>:<n>" instead blocks the thread that reaches the
// point the n-th time, for good (a call that never returns).
void CrashPoint(std::string_view name);

}  // namespace chainflow::engine::core
