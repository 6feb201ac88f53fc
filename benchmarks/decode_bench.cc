// ingest::evm::LogDecoder on real eth_getLogs objects: the first 10,000
// lines of the CyberKongz history (ERC-721 transfers with the odd
// non-standard log), decoded round-robin. Items are log lines.
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "ingest/evm/log_decoder.h"

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

}  // namespace
}  // namespace chainflow::ingest::evm

BENCHMARK_MAIN();
