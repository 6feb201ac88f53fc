// The intents processor through one co-partitioned runtime::Task (RocksDB
// state, protobuf parse, savepoints, output serialization to a discarding
// sink), on the shape of issue 4's benchmark: 1,000,000 ERC-20 balance
// deltas over 10,000 accounts and 100,000 intents spread over 10 weeks of
// event time (10 epochs, 1,680 hourly approval deadlines), with the
// splitter's hourly markers from 8 upstream partitions and the API's clock
// ticks every 10 s. Both inputs are applied in time order, 5,000 records per
// Apply and Commit. Items are input records (deltas + intents + markers).
// The task's own settlement promises go to a discarding sink, so in
// BM_IntentsTask/backlog its watermark never moves (as while a replay's
// promises wait behind the whole backlog): nothing is decided and every
// delta stays a future delta. BM_IntentsTask/live feeds an hourly promise
// back in time order, so the deadlines fire as they come.
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "engine/core/address.h"
#include "engine/core/u256.h"
#include "engine/log/record.h"
#include "engine/log/sink.h"
#include "engine/processors/intents/intents.h"
#include "engine/runtime/task.h"

namespace chainflow::engine {
namespace {

constexpr size_t kDeltas = 1'000'000;
constexpr size_t kIntents = 100'000;
constexpr uint64_t kAccounts = 10'000;
constexpr int32_t kUpstream = 8;
constexpr uint64_t kGenesis = 1'700'000'000 - 1'700'000'000 % 3600;
constexpr uint64_t kSpan = 10 * 7 * 86'400;  // 10 epochs
constexpr size_t kCommitEvery = 5'000;
const std::string kDeltasTopic = "bench.token.deltas";
const std::string kUsersTopic = "bench.user.events";

class DiscardSink : public log::RecordSink {
 public:
  core::Status Send(const log::OutRecord&) override { return core::Status::Ok(); }
  core::Status Flush(std::chrono::milliseconds) override { return core::Status::Ok(); }
};

struct TempDir {
  std::filesystem::path path = std::filesystem::temp_directory_path() /
                               fmt::format("cf_intents_bench_{}", ::getpid());
  TempDir() { std::filesystem::remove_all(path); }
  ~TempDir() { std::filesystem::remove_all(path); }
};

core::Address Account(uint64_t n) {
  std::array<uint8_t, 20> bytes{};
  for (int i = 19; i >= 12; --i, n >>= 8) bytes[i] = static_cast<uint8_t>(n & 0xff);
  return core::Address(bytes);
}

// Records of both inputs in event-time order (one partition of each).
std::vector<log::Record> Scenario(bool promises) {
  std::mt19937_64 rng(3);
  const core::Address token = Account(0x70cc);
  struct Timed {
    uint64_t time;
    int kind;  // 0 delta, 1 intent, 2 marker, 3 tick, 4 promise
    uint64_t n;
  };
  std::vector<Timed> events;
  for (size_t i = 0; i < kDeltas; ++i) events.push_back({kGenesis + i * kSpan / kDeltas, 0, i});
  for (size_t i = 0; i < kIntents; ++i) {
    events.push_back({kGenesis + 1 + i * kSpan / kIntents, 1, i});
  }
  for (uint64_t t = kGenesis; t <= kGenesis + kSpan + 3600; t += 3600) {
    for (int32_t u = 0; u < kUpstream; ++u) events.push_back({t, 2, static_cast<uint64_t>(u)});
    if (promises) events.push_back({t, 4, 0});
  }
  for (uint64_t t = kGenesis; t <= kGenesis + kSpan + 3600; t += 10) events.push_back({t, 3, 0});
  std::stable_sort(events.begin(), events.end(),
                   [](const Timed& a, const Timed& b) { return a.time < b.time; });
  std::vector<log::Record> records;
  records.reserve(events.size());
  for (const Timed& e : events) {
    v1::Envelope env;
    log::Record r;
    r.topic = kUsersTopic;
    if (e.kind == 0) {
      r.topic = kDeltasTopic;
      auto* d = env.mutable_balance_delta();
      d->mutable_log()->set_chain("mainnet");
      d->mutable_log()->set_block_number(1 + e.n / 50);
      d->mutable_log()->set_block_timestamp(e.time);
      d->mutable_log()->set_contract(token.ToBytes());
      d->mutable_log()->set_finalized(true);
      d->set_token(token.ToBytes());
      d->set_account(Account(1 + rng() % kAccounts).ToBytes());
      d->set_amount(core::U256ToBigEndianString(rng() % 1000));
      d->set_direction(rng() % 3 == 0 ? v1::BalanceDelta::DIRECTION_DEBIT
                                      : v1::BalanceDelta::DIRECTION_CREDIT);
    } else if (e.kind == 1) {
      auto* in = env.mutable_intent_submitted();
      in->set_intent_id(fmt::format("{:032x}", e.n + 1));
      in->set_kind(v1::INTENT_KIND_CLAP);
      in->set_chain("mainnet");
      in->set_token(token.ToBytes());
      in->set_payer(Account(1 + rng() % kAccounts).ToBytes());
      in->set_payee(Account(1 + rng() % kAccounts).ToBytes());
      in->set_amount(core::U256ToBigEndianString(1 + rng() % 500));
      in->set_received_at(e.time);
    } else if (e.kind == 2) {
      r.topic = kDeltasTopic;
      r.key = fmt::format("mainnet/{}", e.n);
      env.mutable_block_end()->set_chain("mainnet");
      env.mutable_block_end()->set_timestamp(e.time);
    } else if (e.kind == 4) {
      r.topic = kDeltasTopic;
      r.key = "intents/0";
      // The next epoch end after t: what the task itself would promise.
      const uint64_t epoch = 7 * 86'400;
      env.mutable_settlement_mark()->set_partition(0);
      env.mutable_settlement_mark()->set_through(kGenesis +
                                                 ((e.time - kGenesis) / epoch + 1) * epoch);
    } else {
      env.mutable_user_clock()->set_time(e.time);
    }
    r.value = env.SerializeAsString();
    records.push_back(std::move(r));
  }
  return records;
}

void BM_IntentsTask(benchmark::State& state, bool promises) {
  const std::vector<log::Record> input = Scenario(promises);
  processors::intents::IntentsOptions options;
  options.topic_prefix = "bench";
  options.chains = {"mainnet"};
  options.upstream_partitions = kUpstream;
  options.epoch_genesis = kGenesis;
  runtime::OutputRouting routing{{{"bench.intents", 8},
                                  {kDeltasTopic, 1},
                                  {"bench.settlement.parts", 1},
                                  {"bench.settlements", 8},
                                  {"bench.accruals", 8},
                                  {"bench.dlq", 1}},
                                 "bench.dlq",
                                 "chainflow/intents"};
  DiscardSink sink;
  size_t decisions = 0;
  for (auto _ : state) {
    state.PauseTiming();
    TempDir dir;
    auto task = runtime::Task::Open(
        std::vector<log::TopicPartition>{{kDeltasTopic, core::PartitionId(0)},
                                         {kUsersTopic, core::PartitionId(0)}},
        dir.path.string(), processors::intents::MakeIntentsSpec(options).make(), routing);
    if (!task) return state.SkipWithError(task.error().ToString().c_str());
    std::vector<log::Record> records = input;
    int64_t offsets[2] = {0, 0};
    for (auto& r : records) r.offset = core::Offset(offsets[r.topic == kUsersTopic]++);
    state.ResumeTiming();
    // Consecutive records of one topic go to one Apply, as a poll groups them.
    std::vector<const log::Record*> run;
    size_t in_batch = 0;
    auto flush_run = [&]() -> bool {
      if (run.empty()) return true;
      auto stats = task.value()->Apply(run, sink);
      if (!stats) {
        state.SkipWithError(stats.error().ToString().c_str());
        return false;
      }
      decisions += stats.value().outputs;
      run.clear();
      return true;
    };
    for (const auto& r : records) {
      if (!run.empty() && run.front()->topic != r.topic && !flush_run()) return;
      run.push_back(&r);
      if (++in_batch == kCommitEvery) {
        if (!flush_run()) return;
        if (core::Status c = task.value()->Commit(); !c.ok()) {
          return state.SkipWithError(c.ToString().c_str());
        }
        in_batch = 0;
      }
    }
    if (!flush_run()) return;
    if (core::Status c = task.value()->Commit(); !c.ok()) {
      return state.SkipWithError(c.ToString().c_str());
    }
    state.PauseTiming();
    task.value().reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(input.size()));
  state.counters["outputs_per_run"] =
      static_cast<double>(decisions) / static_cast<double>(state.iterations());
}
BENCHMARK_CAPTURE(BM_IntentsTask, backlog, false)->Unit(benchmark::kMillisecond)->Iterations(1);
BENCHMARK_CAPTURE(BM_IntentsTask, live, true)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace chainflow::engine

BENCHMARK_MAIN();
