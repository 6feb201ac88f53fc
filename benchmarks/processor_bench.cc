// The NFT ownership processor on synthetic ERC-721 transfers (200,000 over
// 20,000 tokens, each token minted first, later transfers from the current
// owner), two ways:
//   BM_ProcessorApply: Processor::Apply on parsed envelopes into a
//     state::Store batch committed every 5,000 events, outputs discarded.
//   BM_TaskApply: runtime::Task, the path `chainflow process` takes per
//     record: protobuf parse, savepoint, Apply, output envelope serialization
//     with CloudEvents headers to a sink that discards, Commit per 5,000.
//   BM_TaskHistory/<mode>: BM_TaskApply with a BlockEnd after every block
//     (100 events), the shape of a history replay, in three undo modes:
//     0: LogRef.finalized = true (no undo records at all),
//     1: events not final, BlockEnd.finalized = the block (records made and
//        dropped at each block end),
//     2: events not final, no finality (BlockEnd.finalized = 0): undo
//        records bounded only by the runtime's window.
// Items are input events. State lives in a fresh temp dir per benchmark.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "benchmarks/bench_support.h"
#include "benchmarks/task_rounds.h"
#include "engine/log/record.h"
#include "engine/log/sink.h"
#include "engine/processors/nft_ownership/nft_ownership.h"
#include "engine/runtime/task.h"
#include "engine/state/store.h"
#include "engine/wire/topics.h"

namespace chainflow::engine {
namespace {

constexpr size_t kTransfers = 200'000;
constexpr uint32_t kTokens = 20'000;
constexpr size_t kCommitEvery = 5'000;
const std::string kPrefix = "bench";
const std::string kInputTopic = "bench.mainnet.events";

// A big-endian integer as `width` raw bytes.
std::string BigEndian(uint64_t v, size_t width) {
  std::string out(width, '\0');
  for (size_t i = 0; i < 8 && i < width; ++i) out[width - 1 - i] = static_cast<char>(v >> (8 * i));
  return out;
}

// The input partition: envelopes and the records that carry them.
struct Input {
  std::vector<v1::Envelope> envelopes;
  std::vector<log::Record> records;
};

const Input& Transfers() {
  static const Input input = [] {
    Input in;
    std::mt19937_64 rng(7);
    std::vector<uint32_t> owner(kTokens, 0);
    const std::string contract = BigEndian(0xc0ffee, 20);
    for (size_t i = 0; i < kTransfers; ++i) {
      uint32_t token = i < kTokens ? static_cast<uint32_t>(i) : rng() % kTokens;
      uint32_t to = 1 + static_cast<uint32_t>(rng() % 50'000);
      v1::Envelope env;
      v1::Erc721Transfer* t = env.mutable_erc721_transfer();
      v1::LogRef* ref = t->mutable_log();
      ref->set_chain("mainnet");
      ref->set_block_number(15'000'000 + i / 100);
      ref->set_block_timestamp(1'650'000'000 + 12 * (i / 100));
      ref->set_tx_hash(BigEndian(i + 1, 32));
      ref->set_log_index(static_cast<uint32_t>(i % 100));
      ref->set_contract(contract);
      t->set_from(BigEndian(owner[token], 20));
      t->set_to(BigEndian(to, 20));
      t->set_token_id(BigEndian(token, 32));
      owner[token] = to;
      log::Record rec;
      rec.topic = kInputTopic;
      rec.partition = core::PartitionId(0);
      rec.offset = core::Offset(static_cast<int64_t>(i));
      rec.value = env.SerializeAsString();
      in.envelopes.push_back(std::move(env));
      in.records.push_back(std::move(rec));
    }
    return in;
  }();
  return input;
}

// Transfers() with a BlockEnd after each block of 100, per undo mode.
const std::vector<log::Record>& History(int mode) {
  static std::map<int, std::vector<log::Record>> cache;
  auto [it, inserted] = cache.try_emplace(mode);
  if (!inserted) return it->second;
  const Input& input = Transfers();
  for (size_t i = 0; i < input.envelopes.size(); ++i) {
    v1::Envelope env = input.envelopes[i];
    env.mutable_erc721_transfer()->mutable_log()->set_finalized(mode == 0);
    log::Record rec = input.records[i];
    rec.value = env.SerializeAsString();
    it->second.push_back(std::move(rec));
    const v1::LogRef& ref = env.erc721_transfer().log();
    if (ref.log_index() == 99) {
      v1::Envelope end;
      v1::BlockEnd* marker = end.mutable_block_end();
      marker->set_chain("mainnet");
      marker->set_number(ref.block_number());
      marker->set_timestamp(ref.block_timestamp());
      marker->set_finalized(mode == 2 ? 0 : ref.block_number());
      log::Record marker_rec = input.records[i];
      marker_rec.value = end.SerializeAsString();
      it->second.push_back(std::move(marker_rec));
    }
  }
  return it->second;
}

class DiscardEmitter : public runtime::Emitter {
 public:
  void Emit(runtime::OutputEvent event) override { benchmark::DoNotOptimize(event); }
};

using benchmarks::DiscardSink;
using benchmarks::TempDir;

void BM_ProcessorApply(benchmark::State& state) {
  const Input& input = Transfers();
  TempDir dir;
  auto store = state::Store::Open(dir.path.string());
  if (!store) return state.SkipWithError(store.error().ToString().c_str());
  std::unique_ptr<runtime::Processor> processor =
      processors::nft_ownership::MakeSpec(kPrefix, {"mainnet"}).make();
  std::unique_ptr<state::Batch> batch = store.value()->NewBatch();
  DiscardEmitter emitter;
  size_t i = 0;
  for (auto _ : state) {
    core::Status st = processor->Apply({input.records[i], input.envelopes[i]}, *batch, emitter);
    if (!st.ok()) return state.SkipWithError(st.ToString().c_str());
    if (++i % kCommitEvery == 0) {
      if (core::Status c = store.value()->Commit(*batch); !c.ok()) {
        return state.SkipWithError(c.ToString().c_str());
      }
      batch = store.value()->NewBatch();
      if (i == input.records.size()) i = 0;  // later rounds count owner mismatches
    }
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ProcessorApply);

void BM_TaskApply(benchmark::State& state) {
  const Input& input = Transfers();
  TempDir dir;
  const std::string out_topic = engine::wire::OwnershipTopic(kPrefix);
  runtime::OutputRouting routing{{{out_topic, 8}, {"bench.dlq", 1}}, "bench.dlq",
                                 "chainflow/nft_ownership"};
  auto task = runtime::Task::Open({kInputTopic, core::PartitionId(0)}, dir.path.string(),
                                  processors::nft_ownership::MakeSpec(kPrefix, {"mainnet"}).make(),
                                  routing);
  if (!task) return state.SkipWithError(task.error().ToString().c_str());
  benchmarks::TaskRounds rounds(input.records);
  DiscardSink sink;
  for (auto _ : state) {
    if (core::Status s = rounds.Next(*task.value(), kCommitEvery, sink); !s.ok()) {
      return state.SkipWithError(s.ToString().c_str());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kCommitEvery));
}
BENCHMARK(BM_TaskApply)->Unit(benchmark::kMillisecond);

void BM_TaskHistory(benchmark::State& state) {
  const std::vector<log::Record>& input = History(static_cast<int>(state.range(0)));
  TempDir dir;
  const std::string out_topic = engine::wire::OwnershipTopic(kPrefix);
  runtime::OutputRouting routing{{{out_topic, 8}, {"bench.dlq", 1}}, "bench.dlq",
                                 "chainflow/nft_ownership"};
  auto task = runtime::Task::Open({kInputTopic, core::PartitionId(0)}, dir.path.string(),
                                  processors::nft_ownership::MakeSpec(kPrefix, {"mainnet"}).make(),
                                  routing);
  if (!task) return state.SkipWithError(task.error().ToString().c_str());
  std::vector<log::Record> records(input.begin(), input.end());
  std::vector<const log::Record*> batch;
  DiscardSink sink;
  int64_t next_offset = 0;
  size_t i = 0;
  // Block numbers must not repeat: start over on fresh state after a pass.
  for (auto _ : state) {
    if (i + kCommitEvery > records.size()) {
      state.PauseTiming();
      task.value().reset();
      std::filesystem::remove_all(dir.path);
      task = runtime::Task::Open({kInputTopic, core::PartitionId(0)}, dir.path.string(),
                                 processors::nft_ownership::MakeSpec(kPrefix, {"mainnet"}).make(),
                                 routing);
      if (!task) return state.SkipWithError(task.error().ToString().c_str());
      next_offset = 0;
      i = 0;
      state.ResumeTiming();
    }
    batch.clear();
    for (size_t k = 0; k < kCommitEvery; ++k, ++i) {
      records[i].offset = core::Offset(next_offset++);
      batch.push_back(&records[i]);
    }
    auto stats = task.value()->Apply(batch, sink);
    if (!stats) return state.SkipWithError(stats.error().ToString().c_str());
    if (core::Status c = task.value()->Commit(); !c.ok()) {
      return state.SkipWithError(c.ToString().c_str());
    }
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(kCommitEvery));
}
BENCHMARK(BM_TaskHistory)->Arg(0)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace chainflow::engine

BENCHMARK_MAIN();
