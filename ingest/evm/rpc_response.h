#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/core/result.h"
#include "ingest/evm/block_header.h"
#include "ingest/evm/log_batch.h"

namespace chainflow::ingest::evm {

// Parsing of JSON-RPC 2.0 response text, apart from any transport, so tests
// (and the execution-apis conformance cases) can run without a server. Each
// function reuses one simdjson parser per thread.

// Maps a JSON-RPC error object to a Status whose message names the method and
// carries the node's code and message:
//  - eth_getLogs refusals of a range as too large (IsRangeRefusal) and rate
//    limiting (code -32005 or 429, "rate limit", "too many requests"):
//    ResourceExhausted;
//  - a block the node does not have (IsBlockPastHead; Anvil answers it as
//    -32602 invalid params): Unavailable, since the node's head moved
//    back under a reorg or a lagging backend answered;
//  - -32700..-32600 (parse error, invalid request, unknown method, invalid
//    params): InvalidArgument, a bad request, never retried;
//  - anything else: Unavailable (the caller's loop may retry later).
core::Status RpcErrorStatus(int64_t code, std::string_view message, std::string_view method);

// True if `status` is an eth_getLogs range refusal: a provider saying the
// range holds too many results or spans too many blocks, in any of the ways
// real providers word it (geth/Infura "query returned more than 10000
// results", Alchemy "Log response size exceeded ...", "block range is too
// wide", "exceed maximum block range: 5000", "eth_getLogs is limited to a
// 10,000 range", ...). Matches on the message text, case-insensitively.
bool IsRangeRefusal(std::string_view message);

// True if the node says a requested block is above its head (Anvil
// "BlockOutOfRangeError: block height is 68 but requested was 73", geth
// "block range extends beyond current head block" and "unknown block").
// Matches on the message text, case-insensitively.
bool IsBlockPastHead(std::string_view message);

// A node-level error worth retrying after a pause (rate limiting), as opposed
// to a range refusal or a bad request.
bool IsRateLimited(const core::Status& status);

// The block range a refusal suggests, e.g. Alchemy's "this block range
// should work: [0x1e8480, 0x1e8c4f]". nullopt if the message names none or it
// is malformed (from > to).
std::optional<std::pair<uint64_t, uint64_t>> SuggestedRange(std::string_view message);

// Parses one JSON-RPC response; returns the JSON text of "result" (minified),
// or the error object mapped by RpcErrorStatus. Text that is not a JSON-RPC
// response is Unavailable.
core::Result<std::string> ParseRpcResponse(std::string_view text, std::string_view method);

// Parses a batch response (a JSON array of responses in any order) into one
// Result per id in `ids`, in the order of `ids`. A response that is a single
// error object (a node refusing the batch) is that error; a missing or
// duplicated id is Unavailable.
core::Result<std::vector<core::Result<std::string>>> ParseBatchResponse(
    std::string_view text, const std::vector<uint64_t>& ids, std::string_view method);

// Parses an eth_getBlockByNumber result (JSON text of a block object). A
// null result is Unavailable naming `which` ("block 12 not found").
core::Result<BlockHeader> ParseBlockHeader(std::string_view result, std::string_view which);

// Parses an eth_getLogs result (the JSON text of its array) into its logs.
core::Result<LogBatch> ParseLogArray(std::string_view result);

// Parses a whole eth_getLogs response into its logs, as ParseRpcResponse and
// then ParseLogArray would, with one parse instead of two and without writing
// anything out: the batch keeps the parsed document. Errors as
// ParseRpcResponse's.
core::Result<LogBatch> ParseLogsResponse(std::string_view text);

}  // namespace chainflow::ingest::evm
