// ingest::evm::LogDecoder on real eth_getLogs objects: the first 10,000
// lines of the CyberKongz history (ERC-721 transfers with the odd
// non-standard log), decoded round-robin. Items are log lines.
// BM_ParseLogsResponse and BM_GunzipResponse take the same lines as one
// eth_getLogs response: RpcClient's parse of it, and the inflate of it
// gzip-compressed as a provider would send it (zlib level 6).
// BM_ResponseToEvents (ingest's path: each log decoded from the parsed
// response) against BM_ResponseToEventsThroughText (each log written out
// and parsed again, as before session 19).
#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "ingest/evm/gzip.h"
#include "ingest/evm/log_decoder.h"
#include "ingest/evm/rpc_response.h"

namespace chainflow::ingest::evm {
namespace {

constexpr size_t kLines = 10'000;

const std::vector<std::string>& KongzLines() {
  static const std::vector<std::string> lines = [] {
    const std::string path =
        std::string(CHAINFLOW_SHARED_DIR) + "/data/evm/cyberkongz/transfers.logs.ndjson";
    std::ifstream in(path);
    std::vector<std::string> out;
    for (std::string line; out.size() < kLines && std::getline(in, line);) {
      if (!line.empty()) out.push_back(std::move(line));
    }
    if (out.empty()) {
      std::fprintf(stderr, "decode_bench: no lines in %s\n", path.c_str());
      std::exit(1);
    }
    return out;
  }();
  return lines;
}

// Parse + classify + build events, as the replay does per line.
void BM_Decode(benchmark::State& state) {
  const std::vector<std::string>& lines = KongzLines();
  LogDecoder decoder("mainnet", {});
  DecodeResult result;
  size_t i = 0;
  int64_t bytes = 0;
  for (auto _ : state) {
    const std::string& line = lines[i];
    if (++i == lines.size()) i = 0;
    core::Status st = decoder.Decode(line, &result);
    if (!st.ok()) {
      state.SkipWithError(st.ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(result.events.data());
    bytes += static_cast<int64_t>(line.size());
  }
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(bytes);
}
BENCHMARK(BM_Decode);

// The JSON parse alone (simdjson + hex decoding of the fields).
void BM_ParseOnly(benchmark::State& state) {
  const std::vector<std::string>& lines = KongzLines();
  LogDecoder decoder("mainnet", {});
  size_t i = 0;
  for (auto _ : state) {
    auto parsed = decoder.Parse(lines[i]);
    if (++i == lines.size()) i = 0;
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ParseOnly);

const std::string& KongzResponse() {
  static const std::string response = [] {
    std::string out = R"({"jsonrpc":"2.0","id":1,"result":[)";
    const std::vector<std::string>& lines = KongzLines();
    for (size_t i = 0; i < lines.size(); ++i) {
      if (i > 0) out += ',';
      out += lines[i];
    }
    return out + "]}";
  }();
  return response;
}

void BM_ParseLogsResponse(benchmark::State& state) {
  const std::string& response = KongzResponse();
  for (auto _ : state) {
    auto logs = ParseLogsResponse(response);
    if (!logs) {
      state.SkipWithError(logs.error().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(logs.value().size());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(KongzLines().size()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(response.size()));
}
BENCHMARK(BM_ParseLogsResponse);

// The response parsed and each of its logs decoded by `decode(decoder,
// logs, i, result)`.
template <typename Decode>
void ResponseToEvents(benchmark::State& state, Decode decode) {
  const std::string& response = KongzResponse();
  LogDecoder decoder("mainnet", {});
  DecodeResult result;
  for (auto _ : state) {
    auto logs = ParseLogsResponse(response);
    if (!logs) {
      state.SkipWithError(logs.error().ToString().c_str());
      break;
    }
    for (size_t i = 0; i < logs.value().size(); ++i) {
      core::Status st = decode(decoder, logs.value(), i, &result);
      if (!st.ok()) {
        state.SkipWithError(st.ToString().c_str());
        return;
      }
      benchmark::DoNotOptimize(result.events.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(KongzLines().size()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(response.size()));
}

// As ingest did until session 19: each log written out as text and that
// text decoded (parsed again).
void BM_ResponseToEventsThroughText(benchmark::State& state) {
  ResponseToEvents(state, [](LogDecoder& d, const LogBatch& logs, size_t i, DecodeResult* r) {
    return d.Decode(logs.Text(i), r);
  });
}
BENCHMARK(BM_ResponseToEventsThroughText);

// As ingest does now: each log decoded from the parsed response.
void BM_ResponseToEvents(benchmark::State& state) {
  ResponseToEvents(state, [](LogDecoder& d, const LogBatch& logs, size_t i, DecodeResult* r) {
    return d.Decode(logs, i, r);
  });
}
BENCHMARK(BM_ResponseToEvents);

void BM_GunzipResponse(benchmark::State& state) {
  const std::string& response = KongzResponse();
  std::string packed(compressBound(static_cast<uLong>(response.size())) + 64, '\0');
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(response.data()));
  z.avail_in = static_cast<uInt>(response.size());
  z.next_out = reinterpret_cast<Bytef*>(packed.data());
  z.avail_out = static_cast<uInt>(packed.size());
  deflate(&z, Z_FINISH);
  packed.resize(packed.size() - z.avail_out);
  deflateEnd(&z);
  for (auto _ : state) {
    auto body = Gunzip(packed, size_t{1} << 30);
    if (!body) {
      state.SkipWithError(body.error().ToString().c_str());
      break;
    }
    benchmark::DoNotOptimize(body.value().data());
  }
  state.counters["ratio"] = static_cast<double>(response.size()) / packed.size();
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(KongzLines().size()));
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(response.size()));
}
BENCHMARK(BM_GunzipResponse);

}  // namespace
}  // namespace chainflow::ingest::evm

BENCHMARK_MAIN();
