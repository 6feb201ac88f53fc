// core::U256 conversions on the hot path: the 32-byte ABI word <-> U256 and
// U256 -> decimal (every NFT record key and PostgreSQL NUMERIC goes through
// it). Small values are typical token ids; 2^255 is the worst case.
#include <string>

#include <benchmark/benchmark.h>

#include "engine/core/u256.h"

namespace chainflow::engine::core {
namespace {

U256 SmallValue() { return U256(4676); }
U256 HugeValue() { return U256(1) << 255; }

void BM_U256ToBytes32(benchmark::State& state, U256 value) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(value);
    Bytes32 bytes = U256ToBytes32(value);
    benchmark::DoNotOptimize(bytes);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_U256FromBytes32(benchmark::State& state, U256 value) {
  const Bytes32 bytes = U256ToBytes32(value);
  for (auto _ : state) {
    benchmark::DoNotOptimize(bytes);
    U256 out = U256FromBytes32(bytes);
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_U256ToDecimal(benchmark::State& state, U256 value) {
  for (auto _ : state) {
    benchmark::DoNotOptimize(value);
    std::string text = U256ToDecimal(value);
    benchmark::DoNotOptimize(text);
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK_CAPTURE(BM_U256ToBytes32, small, SmallValue());
BENCHMARK_CAPTURE(BM_U256ToBytes32, pow2_255, HugeValue());
BENCHMARK_CAPTURE(BM_U256FromBytes32, small, SmallValue());
BENCHMARK_CAPTURE(BM_U256FromBytes32, pow2_255, HugeValue());
BENCHMARK_CAPTURE(BM_U256ToDecimal, small, SmallValue());
BENCHMARK_CAPTURE(BM_U256ToDecimal, pow2_255, HugeValue());

}  // namespace
}  // namespace chainflow::engine::core

BENCHMARK_MAIN();
