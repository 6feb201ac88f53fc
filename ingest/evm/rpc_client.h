#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/address.h"
#include "engine/core/result.h"

namespace chainflow::ingest::evm {

// A block header as live ingest needs it. Hashes are 32 raw bytes.
struct BlockHeader {
  uint64_t number = 0;
  std::string hash;
  std::string parent_hash;
  int64_t timestamp = 0;
};

// The EVM JSON-RPC calls ingest makes. The seam LiveFollower is tested
// through (tests pass a fake).
class EvmRpc {
 public:
  virtual ~EvmRpc() = default;
  // eth_blockNumber.
  virtual core::Result<uint64_t> BlockNumber() = 0;
  // eth_getLogs over [from, to] (inclusive), restricted to `addresses` when
  // non-empty. Each element is the JSON text of one log object, so the file
  // replay's decoder decodes both.
  virtual core::Result<std::vector<std::string>> GetLogs(
      uint64_t from, uint64_t to, const std::vector<core::Address>& addresses) = 0;
  // eth_getBlockByNumber(number, false). Unavailable if the node does not
  // have the block (yet).
  virtual core::Result<BlockHeader> GetBlockHeader(uint64_t number) = 0;
  // The headers of blocks [from, to] (inclusive), in order. NotFound-style
  // Unavailable if the node lacks any of them.
  virtual core::Result<std::vector<BlockHeader>> GetBlockHeaders(uint64_t from, uint64_t to);
  // eth_getBlockByNumber("finalized", false): the node's finalized block.
  virtual core::Result<BlockHeader> GetFinalizedHeader() = 0;
};

struct RpcOptions {
  std::string url;  // "http://host[:port][/path]" (https is not supported yet)
  std::chrono::milliseconds timeout{10'000};  // per request, connect included
};

// A minimal synchronous JSON-RPC 2.0 client over HTTP/1.1 (Boost.Beast):
// one keep-alive connection, reconnected (once per call) when it fails.
//
// Errors: transport failures are Unavailable (DeadlineExceeded on timeout);
// a JSON-RPC error response maps by code: -32700..-32600 (parse error,
// invalid request, unknown method, invalid params) InvalidArgument, -32005
// (limit exceeded, e.g. too many logs) ResourceExhausted, anything else
// Unavailable; the message carries the node's code and message.
//
// Not thread-safe: one caller thread (LiveFollower's).
class RpcClient : public EvmRpc {
 public:
  // Parses the URL; connects on the first call.
  static core::Result<std::unique_ptr<RpcClient>> Open(RpcOptions options);
  ~RpcClient() override;

  core::Result<uint64_t> BlockNumber() override;
  core::Result<std::vector<std::string>> GetLogs(
      uint64_t from, uint64_t to, const std::vector<core::Address>& addresses) override;
  core::Result<BlockHeader> GetBlockHeader(uint64_t number) override;
  core::Result<BlockHeader> GetFinalizedHeader() override;

  // Calls `method` with `params_json` (a JSON array) and returns the JSON
  // text of the response's "result".
  core::Result<std::string> Call(std::string_view method, std::string_view params_json);

 private:
  struct Impl;
  explicit RpcClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Maps a JSON-RPC error object to a Status (exposed for tests).
core::Status RpcErrorStatus(int64_t code, std::string_view message, std::string_view method);

}  // namespace chainflow::ingest::evm
