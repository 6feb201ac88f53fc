// The ingest side of the contracts replay without the broker: ReplayFile of
// 100,000 Sold logs (the shape gen_history --standard abi writes: 100 a
// block, buyer and ticket id indexed, a price and a seat label) through the
// direct lane to a sink that discards. Per line: read, JSON parse, ABI
// decode, the contract's protobuf record with its CloudEvents headers; the
// producer's own work (librdkafka copying and batching) is not in it.
// Items are logs. The file is written once to a temp dir.
#include <cstdint>
#include <fstream>
#include <random>
#include <string>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "benchmarks/bench_support.h"
#include "benchmarks/sold_contract.h"
#include "engine/core/config.h"
#include "engine/core/hex.h"
#include "engine/core/keccak.h"
#include "ingest/evm/file_replay.h"

namespace chainflow::ingest::evm {
namespace {

constexpr uint64_t kLogs = 100'000;
constexpr uint64_t kPerBlock = 100;

// Every partition empty: the whole file is new.
class EmptyTails : public common::PartitionTailReader {
 public:
  core::Result<std::optional<common::Position>> LastPosition(core::PartitionId) override {
    return std::optional<common::Position>();
  }
  core::Result<std::vector<std::string>> LastValues(core::PartitionId, size_t) override {
    return std::vector<std::string>();
  }
};

std::string Word(uint64_t v) { return fmt::format("{:064x}", v); }

void WriteHistory(const std::filesystem::path& path) {
  const core::Bytes32 topic0 = core::Keccak256(benchmarks::kSoldSignature);
  const std::string sold =
      core::ToHex(std::string_view(reinterpret_cast<const char*>(topic0.data()), topic0.size()));
  std::mt19937_64 rng(7);
  std::ofstream out(path);
  for (uint64_t i = 0; i < kLogs; ++i) {
    const uint64_t block = 19'000'000 + i / kPerBlock;
    const std::string seat = fmt::format("row-{}-{}", rng() % 100, rng() % 40);
    std::string seat_word = core::ToHex(seat).substr(2);
    seat_word.resize(64, '0');
    out << fmt::format(
        R"({{"address":"{}","topics":["{}","0x{}","0x{}"],"data":"0x{}{}{}{}",)"
        R"("blockNumber":"0x{:x}","blockHash":null,"blockTimestamp":"0x{:x}",)"
        R"("transactionHash":"0x{}","transactionIndex":"0x{:x}","logIndex":"0x{:x}",)"
        R"("removed":false}})"
        "\n",
        benchmarks::kSoldAddress, sold, Word(1 + rng() % 1000), Word(i + 1),
        Word(1'000'000 + rng() % 9'000'000), Word(0x40), Word(seat.size()), seat_word, block,
        1'700'000'000 + 12 * (block - 19'000'000), Word(i + 1), i % kPerBlock, i % kPerBlock);
  }
}

void BM_ReplayIngest(benchmark::State& state) {
  benchmarks::TempDir dir;
  std::filesystem::create_directories(dir.path);
  const std::filesystem::path history = dir.path / "sold.ndjson";
  WriteHistory(history);
  std::ofstream(dir.path / "sold.json") << benchmarks::kSoldAbi;
  auto config = core::Config::Parse(
      fmt::format("[kafka]\ntopic_prefix = \"bench\"\n[[chains]]\nname = \"mainnet\"\n"
                  "[[contracts]]\nchain = \"mainnet\"\nname = \"bench\"\naddress = \"{}\"\n"
                  "abi = \"{}\"\n",
                  benchmarks::kSoldAddress, (dir.path / "sold.json").string()),
      {});
  if (!config) return state.SkipWithError(config.error().ToString().c_str());
  DirectLanes lanes;
  lanes.topic_prefix = "bench";
  lanes.open = [](const std::string&) -> core::Result<DirectLanes::Tails> {
    return DirectLanes::Tails{std::make_unique<EmptyTails>(), 8};
  };
  EmptyTails chain_tails;
  int64_t logs = 0;
  for (auto _ : state) {
    benchmarks::DiscardSink sink;
    auto summary =
        ReplayFile(config.value(), "mainnet", history.string(), sink, chain_tails, {}, nullptr,
                   &lanes);
    if (!summary) return state.SkipWithError(summary.error().ToString().c_str());
    if (summary.value().events_appended != kLogs) {
      return state.SkipWithError("not every log was appended");
    }
    logs += static_cast<int64_t>(kLogs);
  }
  state.SetItemsProcessed(logs);
}
BENCHMARK(BM_ReplayIngest)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace chainflow::ingest::evm

BENCHMARK_MAIN();
