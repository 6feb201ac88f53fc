#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/address.h"
#include "engine/core/config.h"
#include "engine/core/result.h"
#include "ingest/evm/block_header.h"
#include "ingest/evm/http_transport.h"
#include "ingest/evm/rpc_policy.h"
#include "ingest/evm/rpc_response.h"

namespace chainflow::ingest::evm {

// The EVM JSON-RPC calls ingest makes. The seam LiveFollower is tested
// through (tests pass a fake).
class EvmRpc {
 public:
  virtual ~EvmRpc() = default;
  // eth_blockNumber.
  virtual core::Result<uint64_t> BlockNumber() = 0;
  // eth_getLogs over [from, to] (inclusive), restricted to `addresses` when
  // non-empty: the log objects as parsed from the answer (log_batch.h).
  // ResourceExhausted means only that the node refused the range as too
  // large (callers retry smaller ranges); other overload is Unavailable.
  virtual core::Result<LogBatch> GetLogs(
      uint64_t from, uint64_t to, const std::vector<core::Address>& addresses) = 0;
  // eth_getBlockByNumber(number, false). Unavailable if the node does not
  // have the block (yet).
  virtual core::Result<BlockHeader> GetBlockHeader(uint64_t number) = 0;
  // The headers of blocks [from, to] (inclusive), in order. NotFound-style
  // Unavailable if the node lacks any of them.
  virtual core::Result<std::vector<BlockHeader>> GetBlockHeaders(uint64_t from, uint64_t to);
  // The headers of `numbers`, in their order (the default asks one block at a
  // time; RpcClient batches).
  virtual core::Result<std::vector<BlockHeader>> GetBlockHeadersOf(
      const std::vector<uint64_t>& numbers);
  // eth_getBlockByNumber("finalized", false): the node's finalized block.
  virtual core::Result<BlockHeader> GetFinalizedHeader() = 0;
};

struct RpcOptions {
  // "http(s)://..." (HTTP/1.1 keep-alive) or "ws(s)://..." (JSON-RPC over
  // a WebSocket, ws_session.h). May hold a key: printed only via RedactUrl.
  std::string url;
  std::chrono::milliseconds timeout{10'000};  // per attempt, connect included
  // Attempts after the first for timeouts, connection failures, HTTP 5xx and
  // 429 and JSON-RPC rate limiting. 0: no retries.
  int max_retries = 5;
  std::chrono::milliseconds backoff_initial{100};  // full-jitter exponential
  std::chrono::milliseconds backoff_max{10'000};   // also caps Retry-After
  // Token bucket on JSON-RPC calls: a batch of n calls takes n tokens (what
  // providers bill and limit). 0: unlimited. Burst: one second's worth.
  double requests_per_second = 0;
  int batch_size = 100;  // calls per JSON-RPC batch (GetBlockHeaders[Of])
  std::string chain;     // the metrics' chain label ("" -> "unknown")
  RpcClock* clock = nullptr;  // nullptr: SteadyRpcClock(); else must outlive the client
  uint64_t jitter_seed = 0;   // 0: seeded from std::random_device
  std::string ca_file;  // https/wss: trusted CA PEM; "" = the system store
  std::map<std::string, std::string> headers;  // sent with every request (secrets)
};

// The options a [[chains]] entry configures (rpc, rpc_timeout_ms,
// rpc_max_retries, rpc_requests_per_second, rpc_batch_size, rpc_ca_file,
// rpc_headers; chain = name).
RpcOptions RpcOptionsFor(const core::ChainConfig& chain);

// A synchronous JSON-RPC 2.0 client over HTTP/1.1 keep-alive (HttpTransport).
//
// Retries: a timeout, a failed or dropped connection, HTTP 5xx, HTTP 429 and
// a JSON-RPC rate-limit error (IsRateLimited) are retried up to max_retries
// times, sleeping a full-jitter exponential backoff (or the Retry-After
// seconds of a 429 or 503, capped by backoff_max); then the call fails with the
// last failure's code and a message naming the method, URL and attempts.
// Other JSON-RPC errors come back at once, mapped by RpcErrorStatus
// (bad requests are InvalidArgument), and so do transport errors that are
// not retryable (a refused TLS certificate or handshake, a refused
// WebSocket upgrade: FailedPrecondition, a configuration error). Every
// message names the URL redacted (RedactUrl), never a header value.
//
// eth_getLogs: a range refusal (IsRangeRefusal) is split, to the provider's
// suggested range when it gives one (SuggestedRange) else in halves, and the
// pieces' logs are concatenated in order; later pieces of the same call keep
// the smaller span. A single block that is still refused is
// ResourceExhausted.
//
// GetBlockHeaders, GetBlockHeadersOf: JSON-RPC batches of at most batch_size calls; responses
// are matched by id (nodes may answer out of order).
//
// Metrics (MetricsRegistry::Global, label chain): chainflow_rpc_requests_total
// {method} (calls, each element of a batch counted), chainflow_rpc_batches_total,
// chainflow_rpc_errors_total{kind}, chainflow_rpc_retries_total,
// chainflow_rpc_request_duration_seconds{method} (one HTTP round trip),
// chainflow_rpc_getlogs_splits_total, chainflow_rpc_rate_limit_wait_seconds_total.
//
// Not thread-safe: one caller thread (LiveFollower's).
class RpcClient : public EvmRpc {
 public:
  // Parses the URL (http, https, ws, wss) and sets up TLS; connects on the
  // first call.
  static core::Result<std::unique_ptr<RpcClient>> Open(RpcOptions options);
  // The same over a given transport (tests; options.url only names it).
  static core::Result<std::unique_ptr<RpcClient>> Open(RpcOptions options,
                                                       std::unique_ptr<HttpTransport> transport);
  ~RpcClient() override;

  core::Result<uint64_t> BlockNumber() override;
  core::Result<LogBatch> GetLogs(uint64_t from, uint64_t to,
                                 const std::vector<core::Address>& addresses) override;
  core::Result<BlockHeader> GetBlockHeader(uint64_t number) override;
  core::Result<std::vector<BlockHeader>> GetBlockHeaders(uint64_t from, uint64_t to) override;
  core::Result<std::vector<BlockHeader>> GetBlockHeadersOf(
      const std::vector<uint64_t>& numbers) override;
  core::Result<BlockHeader> GetFinalizedHeader() override;

  // Calls `method` with `params_json` (a JSON array) and returns the JSON
  // text of the response's "result".
  core::Result<std::string> Call(std::string_view method, std::string_view params_json);

  // Calls `method` once per element of `params_json` in JSON-RPC batches of
  // at most batch_size; results (JSON text or the call's error) in order.
  core::Result<std::vector<core::Result<std::string>>> CallBatch(
      std::string_view method, const std::vector<std::string>& params_json);

 private:
  struct Impl;
  explicit RpcClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace chainflow::ingest::evm
