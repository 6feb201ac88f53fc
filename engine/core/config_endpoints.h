#pragma once

#include <string>

#include "engine/core/config.h"
#include "engine/core/status.h"

namespace chainflow::engine::core {

// Checks a chain's endpoint keys (rpc, ws, rpc_ca_file, rpc_headers); part
// of Config validation. InvalidArgument naming the key (`where` is
// "chains[i]"): a URL that does not parse or has a scheme the key does not
// take (rpc: http, https, ws, wss; ws: ws, wss), `ws` without `rpc`, a
// missing or unreadable rpc_ca_file (named), a header name that is not an
// HTTP token or a value with CR, LF or NUL. URLs appear redacted and header
// values never.
Status ValidateChainEndpoints(const ChainConfig& chain, const std::string& where);

}  // namespace chainflow::engine::core
