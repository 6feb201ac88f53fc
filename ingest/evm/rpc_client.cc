#include "ingest/evm/rpc_client.h"

#include <algorithm>
#include <functional>
#include <map>
#include <random>

#include <fmt/format.h>

#include "engine/core/hex.h"
#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "engine/core/url.h"
#include "ingest/evm/ws_session.h"

namespace chainflow::ingest::evm {
namespace {

// Why a retryable attempt failed, for chainflow_rpc_errors_total{kind}:
// an HTTP status, a transport error, or a JSON-RPC rate-limit error.
std::string_view FailureKind(const core::Status& status, unsigned http_status) {
  if (http_status == 429) return "http_429";
  if (http_status >= 500) return "http_5xx";
  if (http_status >= 400) return "http_4xx";
  if (status.code() == core::StatusCode::kDeadlineExceeded) return "timeout";
  if (status.code() == core::StatusCode::kResourceExhausted) return "rate_limited";
  return "connection";
}

// The kind of a JSON-RPC error response (or an unparsable body).
std::string_view NodeErrorKind(const core::Status& status) {
  switch (status.code()) {
    case core::StatusCode::kResourceExhausted:
      return IsRangeRefusal(status.message()) ? "range_refused" : "rate_limited";
    case core::StatusCode::kInvalidArgument:
      return "bad_request";
    default:
      return "rpc_error";
  }
}

std::string Head(std::string_view body) {
  std::string head(body.substr(0, 200));
  std::replace(head.begin(), head.end(), '\n', ' ');
  return head;
}

}  // namespace

core::Result<std::vector<BlockHeader>> EvmRpc::GetBlockHeaders(uint64_t from, uint64_t to) {
  std::vector<BlockHeader> headers;
  for (uint64_t n = from; n <= to; ++n) {
    ASSIGN_OR_RETURN(BlockHeader header, GetBlockHeader(n));
    headers.push_back(std::move(header));
  }
  return headers;
}

core::Result<std::vector<BlockHeader>> EvmRpc::GetBlockHeadersOf(
    const std::vector<uint64_t>& numbers) {
  std::vector<BlockHeader> headers;
  headers.reserve(numbers.size());
  for (uint64_t n : numbers) {
    ASSIGN_OR_RETURN(BlockHeader header, GetBlockHeader(n));
    headers.push_back(std::move(header));
  }
  return headers;
}

RpcOptions RpcOptionsFor(const core::ChainConfig& chain) {
  RpcOptions options;
  options.url = chain.rpc;
  options.timeout = std::chrono::milliseconds(chain.rpc_timeout_ms);
  options.max_retries = static_cast<int>(chain.rpc_max_retries);
  options.requests_per_second = static_cast<double>(chain.rpc_requests_per_second);
  options.batch_size = static_cast<int>(chain.rpc_batch_size);
  options.chain = chain.name;
  options.ca_file = chain.rpc_ca_file;
  options.headers = chain.rpc_headers;
  return options;
}

struct RpcClient::Impl {
  Impl(RpcOptions opts, std::unique_ptr<HttpTransport> t)
      : options(std::move(opts)),
        transport(std::move(t)),
        clock(options.clock != nullptr ? *options.clock : SteadyRpcClock()),
        backoff(options.backoff_initial, options.backoff_max,
                options.jitter_seed != 0 ? options.jitter_seed : std::random_device{}()),
        bucket(options.requests_per_second, options.requests_per_second, clock),
        chain(options.chain.empty() ? "unknown" : options.chain),
        redacted_url(core::RedactUrl(options.url)) {
    auto& registry = core::MetricsRegistry::Global();
    core::Labels labels{{"chain", chain}};
    batches = &registry.GetCounter("chainflow_rpc_batches_total",
                                   "JSON-RPC batch requests sent (all attempts)", labels);
    retries = &registry.GetCounter("chainflow_rpc_retries_total",
                                   "JSON-RPC requests retried after a transient failure", labels);
    splits = &registry.GetCounter("chainflow_rpc_getlogs_splits_total",
                                  "eth_getLogs ranges split after a provider refused them", labels);
    rate_wait = &registry.GetGauge("chainflow_rpc_rate_limit_wait_seconds_total",
                                   "Seconds spent waiting for the RPC rate limit", labels);
  }

  // One POST with retries. `parse` turns a 2xx body (or a JSON-RPC error body
  // on another status) into the result; its rate-limit errors are retried.
  template <typename T>
  core::Result<T> Send(const std::string& body, std::string_view method, int calls,
                       const std::function<core::Result<T>(std::string_view)>& parse) {
    core::Status last;
    int attempt = 0;
    for (;; ++attempt) {
      RequestCounter(method).Inc(static_cast<uint64_t>(calls));
      if (calls > 1 || body.front() == '[') batches->Inc();
      auto waited = bucket.Acquire(calls);
      if (waited.count() > 0) rate_wait->Add(std::chrono::duration<double>(waited).count());
      auto started = clock.Now();
      auto reply = transport->Post(body);
      Latency(method).Observe(std::chrono::duration<double>(clock.Now() - started).count());
      std::optional<std::chrono::milliseconds> pause;
      unsigned status = 0;
      if (!reply) {
        last = reply.error();
        if (!core::IsRetryable(last)) {
          // A refused certificate or upgrade: retrying cannot fix it.
          ErrorCounter("connection").Inc();
          return core::Status(last.code(), fmt::format("rpc {} {}: {}", method, redacted_url,
                                                       last.message()));
        }
      } else {
        status = reply.value().status;
        const std::string& text = reply.value().body;
        // Retry-After accompanies 429 and sometimes 503 (RFC 9110 §10.2.3).
        if ((status == 429 || status == 503) && reply.value().retry_after) {
          pause = ParseRetryAfter(*reply.value().retry_after);
          if (pause) pause = std::min(*pause, options.backoff_max);
        }
        if (status == 429) {
          last = core::ResourceExhaustedError(fmt::format("HTTP 429: {}", Head(text)));
        } else if (status >= 500) {
          last = core::UnavailableError(fmt::format("HTTP {}: {}", status, Head(text)));
        } else if ((status >= 200 && status < 300) ||
                   // A JSON-RPC error on another status; only then is the
                   // body searched (an answer can be 1 GiB).
                   text.find("\"error\"") != std::string::npos) {
          auto parsed = parse(text);
          if (parsed || !IsRateLimited(parsed.error())) {
            if (!parsed) ErrorCounter(NodeErrorKind(parsed.error())).Inc();
            return parsed;
          }
          last = parsed.error();
          status = 0;
        } else {
          // Another 4xx without a JSON-RPC body: a bad request, a wrong URL
          // or missing credentials. Retrying will not help.
          ErrorCounter("http_4xx").Inc();
          auto code = (status == 401 || status == 403) ? core::StatusCode::kPermissionDenied
                                                       : core::StatusCode::kInvalidArgument;
          return core::Status(code, fmt::format("rpc {} {}: HTTP {}: {}", method, redacted_url,
                                                status, Head(text)));
        }
      }
      ErrorCounter(FailureKind(last, status)).Inc();
      if (attempt >= options.max_retries) break;
      retries->Inc();
      auto delay = pause.value_or(backoff.Delay(attempt));
      core::Logger("ingest.evm")
          ->debug("[{}] rpc {} attempt {} failed ({}); retrying in {} ms", chain, method,
                  attempt + 1, last.ToString(), delay.count());
      clock.Sleep(delay);
    }
    return core::Status(last.code(), fmt::format("rpc {} {}: failed after {} attempt(s): {}",
                                                 method, redacted_url, attempt + 1,
                                                 last.message()));
  }

  core::Counter& RequestCounter(std::string_view method) {
    auto& c = requests[std::string(method)];
    if (c == nullptr) {
      c = &core::MetricsRegistry::Global().GetCounter(
          "chainflow_rpc_requests_total", "JSON-RPC calls sent (each call of a batch counts)",
          {{"chain", chain}, {"method", std::string(method)}});
    }
    return *c;
  }
  core::Counter& ErrorCounter(std::string_view kind) {
    auto& c = errors[std::string(kind)];
    if (c == nullptr) {
      c = &core::MetricsRegistry::Global().GetCounter(
          "chainflow_rpc_errors_total", "Failed JSON-RPC attempts by kind",
          {{"chain", chain}, {"kind", std::string(kind)}});
    }
    return *c;
  }
  core::Histogram& Latency(std::string_view method) {
    auto& h = latencies[std::string(method)];
    if (h == nullptr) {
      h = &core::MetricsRegistry::Global().GetHistogram(
          "chainflow_rpc_request_duration_seconds", "One JSON-RPC HTTP round trip",
          {{"chain", chain}, {"method", std::string(method)}}, core::DefaultLatencyBuckets());
    }
    return *h;
  }

  RpcOptions options;
  std::unique_ptr<HttpTransport> transport;
  RpcClock& clock;
  Backoff backoff;
  TokenBucket bucket;
  std::string chain;
  std::string redacted_url;  // options.url for messages: no keys (RedactUrl)
  uint64_t next_id = 1;
  core::Counter* batches;
  core::Counter* retries;
  core::Counter* splits;
  core::Gauge* rate_wait;
  std::map<std::string, core::Counter*> requests;
  std::map<std::string, core::Counter*> errors;
  std::map<std::string, core::Histogram*> latencies;
};

RpcClient::RpcClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RpcClient::~RpcClient() = default;

core::Result<std::unique_ptr<RpcClient>> RpcClient::Open(RpcOptions options) {
  EndpointOptions endpoint{options.url, options.timeout, options.ca_file, options.headers};
  ASSIGN_OR_RETURN(core::EndpointUrl url, core::ParseEndpointUrl(options.url));
  std::unique_ptr<HttpTransport> transport;
  if (url.websocket()) {
    ASSIGN_OR_RETURN(transport, OpenWebSocketTransport(endpoint));
  } else {
    ASSIGN_OR_RETURN(transport, OpenBeastTransport(endpoint));
  }
  return Open(std::move(options), std::move(transport));
}

core::Result<std::unique_ptr<RpcClient>> RpcClient::Open(
    RpcOptions options, std::unique_ptr<HttpTransport> transport) {
  if (options.max_retries < 0 || options.batch_size < 1 || options.requests_per_second < 0) {
    return core::InvalidArgumentError(fmt::format(
        "rpc {}: max_retries must be >= 0, batch_size >= 1, requests_per_second >= 0",
        core::RedactUrl(options.url)));
  }
  return std::unique_ptr<RpcClient>(
      new RpcClient(std::make_unique<Impl>(std::move(options), std::move(transport))));
}

core::Result<std::string> RpcClient::Call(std::string_view method, std::string_view params_json) {
  std::string body = fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"{}","params":{}}})",
                                 impl_->next_id++, method, params_json);
  std::function<core::Result<std::string>(std::string_view)> parse =
      [method](std::string_view text) { return ParseRpcResponse(text, method); };
  return impl_->Send(body, method, 1, parse);
}

core::Result<std::vector<core::Result<std::string>>> RpcClient::CallBatch(
    std::string_view method, const std::vector<std::string>& params_json) {
  using Results = std::vector<core::Result<std::string>>;
  Results out;
  out.reserve(params_json.size());
  size_t batch = static_cast<size_t>(impl_->options.batch_size);
  for (size_t begin = 0; begin < params_json.size(); begin += batch) {
    size_t end = std::min(params_json.size(), begin + batch);
    std::vector<uint64_t> ids;
    std::string body = "[";
    for (size_t i = begin; i < end; ++i) {
      ids.push_back(impl_->next_id++);
      if (i > begin) body += ',';
      body += fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"{}","params":{}}})", ids.back(),
                          method, params_json[i]);
    }
    body += ']';
    // A rate-limit error on any element retries the whole batch.
    std::function<core::Result<Results>(std::string_view)> parse =
        [&](std::string_view text) -> core::Result<Results> {
      ASSIGN_OR_RETURN(Results results, ParseBatchResponse(text, ids, method));
      for (const auto& r : results) {
        if (!r && IsRateLimited(r.error())) return r.error();
      }
      return results;
    };
    ASSIGN_OR_RETURN(Results results,
                     impl_->Send(body, method, static_cast<int>(end - begin), parse));
    for (auto& r : results) out.push_back(std::move(r));
  }
  return out;
}

core::Result<uint64_t> RpcClient::BlockNumber() {
  ASSIGN_OR_RETURN(std::string result, Call("eth_blockNumber", "[]"));
  // result is a JSON string: "\"0x...\"".
  if (result.size() < 2 || result.front() != '"' || result.back() != '"') {
    return core::UnavailableError(fmt::format("eth_blockNumber returned {}", result));
  }
  auto number = core::ParseHexQuantity(std::string_view(result).substr(1, result.size() - 2));
  if (!number) return core::UnavailableError("eth_blockNumber: " + number.error().message());
  return number.value();
}

core::Result<LogBatch> RpcClient::GetLogs(
    uint64_t from, uint64_t to, const std::vector<core::Address>& addresses) {
  std::string address_filter;
  if (!addresses.empty()) {
    address_filter = R"(,"address":[)";
    for (size_t i = 0; i < addresses.size(); ++i) {
      if (i > 0) address_filter += ',';
      address_filter += '"' + addresses[i].ToHex() + '"';
    }
    address_filter += ']';
  }
  LogBatch out;
  uint64_t span = to >= from ? to - from + 1 : 1;
  uint64_t cursor = from;
  // A reversed range goes to the node as asked (it answers invalid params).
  do {
    uint64_t end = to >= from ? std::min(to, cursor + span - 1) : to;
    std::string params = fmt::format(R"([{{"fromBlock":"0x{:x}","toBlock":"0x{:x}"{}}}])", cursor,
                                     end, address_filter);
    std::string body =
        fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"eth_getLogs","params":{}}})",
                    impl_->next_id++, params);
    std::function<core::Result<LogBatch>(std::string_view)> parse = ParseLogsResponse;
    auto result = impl_->Send(body, "eth_getLogs", 1, parse);
    if (!result) {
      const core::Status& error = result.error();
      if (error.code() != core::StatusCode::kResourceExhausted) return error;
      if (!IsRangeRefusal(error.message())) {
        // Rate limiting outlasted the retries. Not ResourceExhausted, which
        // EvmRpc reserves for "range too large" (LiveFollower would shrink
        // its range for nothing).
        return core::UnavailableError(error.message());
      }
      if (end <= cursor) {
        return core::ResourceExhaustedError(fmt::format(
            "eth_getLogs {}: block {} alone is refused: {}", impl_->redacted_url, cursor,
            error.message()));
      }
      impl_->splits->Inc();
      auto suggested = SuggestedRange(error.message());
      uint64_t next_span = (end - cursor + 1) / 2;
      if (suggested && suggested->first == cursor && suggested->second < end) {
        next_span = suggested->second - cursor + 1;
      }
      span = std::max<uint64_t>(1, next_span);
      continue;
    }
    out.Append(std::move(result).value());
    if (end >= to) break;
    cursor = end + 1;
  } while (true);
  return out;
}

core::Result<BlockHeader> RpcClient::GetBlockHeader(uint64_t number) {
  ASSIGN_OR_RETURN(std::string result,
                   Call("eth_getBlockByNumber", fmt::format(R"(["0x{:x}",false])", number)));
  ASSIGN_OR_RETURN(BlockHeader header, ParseBlockHeader(result, std::to_string(number)));
  if (header.number != number) {
    return core::UnavailableError(fmt::format(
        "eth_getBlockByNumber: asked for block {}, node returned block {}", number, header.number));
  }
  return header;
}

core::Result<std::vector<BlockHeader>> RpcClient::GetBlockHeaders(uint64_t from, uint64_t to) {
  std::vector<uint64_t> numbers;
  for (uint64_t n = from; n <= to && n >= from; ++n) {
    numbers.push_back(n);
    if (n == UINT64_MAX) break;
  }
  return GetBlockHeadersOf(numbers);
}

core::Result<std::vector<BlockHeader>> RpcClient::GetBlockHeadersOf(
    const std::vector<uint64_t>& numbers) {
  std::vector<std::string> params;
  params.reserve(numbers.size());
  for (uint64_t n : numbers) params.push_back(fmt::format(R"(["0x{:x}",false])", n));
  ASSIGN_OR_RETURN(auto results, CallBatch("eth_getBlockByNumber", params));
  std::vector<BlockHeader> headers;
  headers.reserve(results.size());
  for (size_t i = 0; i < results.size(); ++i) {
    uint64_t number = numbers[i];
    if (!results[i]) return results[i].error();
    ASSIGN_OR_RETURN(BlockHeader header, ParseBlockHeader(results[i].value(),
                                                          std::to_string(number)));
    if (header.number != number) {
      return core::UnavailableError(
          fmt::format("eth_getBlockByNumber: asked for block {}, node returned block {}", number,
                      header.number));
    }
    headers.push_back(std::move(header));
  }
  return headers;
}

core::Result<BlockHeader> RpcClient::GetFinalizedHeader() {
  ASSIGN_OR_RETURN(std::string result, Call("eth_getBlockByNumber", R"(["finalized",false])"));
  return ParseBlockHeader(result, "finalized");
}

}  // namespace chainflow::ingest::evm
