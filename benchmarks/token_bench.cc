// The token_balances task on synthetic balance deltas (200,000 over 5,000
// accounts of 3 tokens, 100 per block, from 8 source partitions), through
// runtime::Task as `chainflow process` runs it (parse, savepoint, Apply,
// output serialization to a discarding sink, Commit per 5,000), with the
// splitter's forwarded BlockEnd after every block from each source
// partition. The cost of the reorg bookkeeping (README.md "Reorgs" of
// engine/processors/token_balances), by mode:
//   BM_TokenBalances/0: final deltas (history): the plain path plus one read
//     of an absent pending key per delta.
//   BM_TokenBalances/1: live deltas, finality 10 blocks behind: each counted
//     per (block, source partition), indexed, and folded at finality.
//   BM_TokenBalances/2: as 1, and every 10th block's deltas retracted
//     (a reorg of depth 1 every 10 blocks) before the next block.
// Items are input deltas (retractions included).
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "benchmarks/bench_support.h"
#include "engine/log/record.h"
#include "engine/log/sink.h"
#include "engine/processors/token_balances/balances.h"
#include "engine/runtime/task.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"

namespace chainflow::engine {
namespace {

constexpr size_t kDeltas = 200'000;
constexpr uint32_t kAccounts = 5'000;
constexpr uint32_t kPerBlock = 100;
constexpr uint32_t kSourcePartitions = 8;
constexpr uint64_t kLag = 10;
constexpr size_t kCommitEvery = 5'000;
const std::string kPrefix = "bench";

std::string Address(uint64_t n) {
  std::string out(20, '\0');
  for (int i = 0; i < 8; ++i) out[19 - i] = static_cast<char>(n >> (8 * i));
  return out;
}

std::string Amount(uint64_t v) {
  std::string out(32, '\0');
  for (int i = 0; i < 8; ++i) out[31 - i] = static_cast<char>(v >> (8 * i));
  return out;
}

std::vector<log::Record> Input(int mode) {
  std::mt19937_64 rng(11);
  std::vector<log::Record> records;
  const std::string topic = engine::wire::TokenDeltasTopic(kPrefix);
  auto add = [&](const v1::Envelope& env, std::string key) {
    log::Record rec;
    rec.topic = topic;
    rec.partition = core::PartitionId(0);
    rec.key = std::move(key);
    rec.value = env.SerializeAsString();
    records.push_back(std::move(rec));
  };
  std::vector<v1::Envelope> block;
  for (size_t i = 0; i < kDeltas; ++i) {
    const uint64_t number = 1 + i / kPerBlock;
    v1::Envelope env;
    v1::BalanceDelta* d = env.mutable_balance_delta();
    v1::LogRef* log = d->mutable_log();
    const std::string token = Address(0x7000 + rng() % 3);
    log->set_chain("mainnet");
    log->set_block_number(number);
    log->set_block_timestamp(1'700'000'000 + number * 12);
    log->set_log_index(static_cast<uint32_t>(i % kPerBlock));
    log->set_contract(token);
    log->set_finalized(mode == 0);
    d->set_token(token);
    d->set_account(Address(0xa0000 + rng() % kAccounts));
    d->set_amount(Amount(1 + rng() % 1'000'000));
    d->set_direction(rng() % 2 ? v1::BalanceDelta::DIRECTION_CREDIT
                               : v1::BalanceDelta::DIRECTION_DEBIT);
    d->set_source_partition(static_cast<uint32_t>(rng() % kSourcePartitions));
    add(env, "");
    block.push_back(env);
    if (i % kPerBlock != kPerBlock - 1) continue;
    if (mode == 2 && number % 10 == 0) {
      for (auto it = block.rbegin(); it != block.rend(); ++it) {
        v1::Envelope undo = *it;
        v1::BalanceDelta* u = undo.mutable_balance_delta();
        u->set_retracted(true);
        u->set_direction(u->direction() == v1::BalanceDelta::DIRECTION_CREDIT
                             ? v1::BalanceDelta::DIRECTION_DEBIT
                             : v1::BalanceDelta::DIRECTION_CREDIT);
        add(undo, "");
      }
    }
    block.clear();
    for (uint32_t p = 0; p < kSourcePartitions; ++p) {
      v1::Envelope end;
      v1::BlockEnd* marker = end.mutable_block_end();
      marker->set_chain("mainnet");
      marker->set_number(number);
      marker->set_timestamp(1'700'000'000 + number * 12);
      marker->set_finalized(mode == 0 ? number : (number > kLag ? number - kLag : 0));
      add(end, fmt::format("mainnet/{}", p));
    }
  }
  return records;
}

using benchmarks::DiscardSink;
using benchmarks::TempDir;

void BM_TokenBalances(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  std::vector<log::Record> records = Input(mode);
  TempDir dir;
  const std::string out_topic = engine::wire::TokenBalancesTopic(kPrefix);
  runtime::OutputRouting routing{{{out_topic, 8}, {"bench.dlq", 1}}, "bench.dlq",
                                 "chainflow/token_balances"};
  auto open = [&] {
    return runtime::Task::Open({records.front().topic, core::PartitionId(0)},
                               dir.path.string(),
                               processors::token_balances::MakeBalancesSpec(kPrefix).make(),
                               routing, runtime::UndoOptions{.enabled = false});
  };
  auto task = open();
  if (!task) return state.SkipWithError(task.error().ToString().c_str());
  std::vector<const log::Record*> batch;
  DiscardSink sink;
  int64_t next_offset = 0;
  size_t i = 0;
  int64_t items = 0;
  for (auto _ : state) {
    if (i + kCommitEvery > records.size()) {  // start over on fresh state
      state.PauseTiming();
      task.value().reset();
      std::filesystem::remove_all(dir.path);
      task = open();
      if (!task) return state.SkipWithError(task.error().ToString().c_str());
      next_offset = 0;
      i = 0;
      state.ResumeTiming();
    }
    batch.clear();
    for (size_t k = 0; k < kCommitEvery; ++k, ++i) {
      records[i].offset = core::Offset(next_offset++);
      batch.push_back(&records[i]);
      if (!records[i].key.empty()) continue;  // markers are not items
      ++items;
    }
    auto stats = task.value()->Apply(batch, sink);
    if (!stats) return state.SkipWithError(stats.error().ToString().c_str());
    if (stats.value().dead_lettered != 0) return state.SkipWithError("dead-lettered deltas");
    if (core::Status c = task.value()->Commit(); !c.ok()) {
      return state.SkipWithError(c.ToString().c_str());
    }
  }
  state.SetItemsProcessed(items);
}
BENCHMARK(BM_TokenBalances)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace chainflow::engine

BENCHMARK_MAIN();
