#pragma once

#include <string>

#include "engine/core/result.h"

namespace chainflow::engine::runtime {

// SHA-256 (hex) of all processor state under `state_root` (every task store
// below it, any depth of <processor>/<topic>-<partition>): the sorted set of
// (key, value) pairs, leaving out runtime keys (those starting with '\0',
// i.e. offsets). Because state is keyed by entity, not by partition, the
// digest is the same for any partition count, batch size or restart
// pattern. The stores must not be open in another process.
core::Result<std::string> StateDigest(const std::string& state_root);

}  // namespace chainflow::engine::runtime
