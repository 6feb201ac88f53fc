#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace chainflow::ingest::evm {

// Inflates a gzip body (RFC 1952; `Content-Encoding: gzip`), members one
// after another as gzip(1) does. Unavailable, with the reason, for data that
// is not gzip, is corrupt or truncated, or would inflate past `max_size`
// bytes: to RpcClient a bad body from a node, retried like a dropped one.
core::Result<std::string> Gunzip(std::string_view data, size_t max_size);

}  // namespace chainflow::ingest::evm
