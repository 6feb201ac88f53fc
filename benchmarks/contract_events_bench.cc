// The contract_events processor on 200,000 final Sold events of one
// contract by ABI (the shape of the contracts replay: buyer and ticket id
// indexed, a price and a seat label), with a BlockEnd after every block of
// 100, through runtime::Task as `chainflow process` runs it: protobuf
// parse, savepoint, Apply, the output record in protobuf or JSON with
// CloudEvents headers to a sink that discards, Commit per 5,000.
//   BM_ContractEventsTask/0: format = "protobuf"; /1: format = "json".
// Items are input events. State lives in a fresh temp dir per benchmark.
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "benchmarks/bench_support.h"
#include "benchmarks/sold_catalog.h"
#include "benchmarks/task_rounds.h"
#include "engine/abi/catalog.h"
#include "engine/abi/proto_value.h"
#include "engine/core/config.h"
#include "engine/log/record.h"
#include "engine/processors/contract_events/contract_events.h"
#include "engine/runtime/task.h"
#include "engine/wire/topics.h"

namespace chainflow::engine {
namespace {

constexpr size_t kEvents = 200'000;
constexpr size_t kCommitEvery = 5'000;
constexpr uint64_t kPerBlock = 100;
const std::string kPrefix = "bench";
const std::string kInputTopic = "bench.mainnet.events";

std::string BigEndian(uint64_t v, size_t width) {
  std::string out(width, '\0');
  for (size_t i = 0; i < 8 && i < width; ++i) out[width - 1 - i] = static_cast<char>(v >> (8 * i));
  return out;
}

// The input partition, as ingest appends it: ContractEvents and BlockEnds.
std::vector<log::Record> History() {
  std::vector<log::Record> out;
  const std::string contract = BigEndian(0x5eed0ffe, 20);
  auto add = [&out](const v1::Envelope& envelope) {
    log::Record r;
    r.topic = kInputTopic;
    r.partition = core::PartitionId(0);
    r.value = envelope.SerializeAsString();
    out.push_back(std::move(r));
  };
  for (size_t i = 0; i < kEvents; ++i) {
    const uint64_t block = 18'000'000 + i / kPerBlock;
    v1::Envelope envelope;
    envelope.set_id(fmt::format("mainnet/{}/{}", block, i % kPerBlock));
    v1::ContractEvent* event = envelope.mutable_contract_event();
    event->set_contract("bench");
    event->set_event("Sold");
    event->set_signature(benchmarks::kSoldSignature);
    v1::LogRef* log = event->mutable_log();
    log->set_chain("mainnet");
    log->set_block_number(block);
    log->set_block_hash(BigEndian(block, 32));
    log->set_block_timestamp(1'700'000'000 + 12 * (i / kPerBlock));
    log->set_tx_hash(BigEndian(i + 1, 32));
    log->set_log_index(static_cast<uint32_t>(i % kPerBlock));
    log->set_contract(contract);
    log->set_finalized(true);
    std::vector<abi::Value> values = {
        abi::Value{abi::AddressValue{core::Address::FromBytes(BigEndian(i % 1000, 20)).value()}},
        abi::Value{abi::UintValue{core::U256(i), 256}},
        abi::Value{abi::UintValue{core::U256(1'000'000 + i), 256}},
        abi::Value{abi::StringValue{fmt::format("row-{}-{}", i % 90, i % 40)}}};
    abi::ToProto(values, event->mutable_values());
    add(envelope);
    if (i % kPerBlock == kPerBlock - 1) {
      v1::Envelope end;
      v1::BlockEnd* marker = end.mutable_block_end();
      marker->set_chain("mainnet");
      marker->set_number(block);
      marker->set_timestamp(log->block_timestamp());
      marker->set_finalized(block);
      add(end);
    }
  }
  return out;
}

void BM_ContractEventsTask(benchmark::State& state) {
  benchmarks::TempDir dir;
  core::Config config;
  auto catalog = benchmarks::SoldCatalog(dir.path / "abi", state.range(0) == 0 ? "protobuf" : "json", &config);
  if (!catalog) return state.SkipWithError("cannot load the catalog");
  runtime::OutputRouting routing{{{wire::ContractTopic(kPrefix, "bench"), 8}, {"bench.dlq", 1}},
                                 "bench.dlq",
                                 "chainflow/contract_events"};
  auto open = [&] {
    return runtime::Task::Open({kInputTopic, core::PartitionId(0)}, (dir.path / "state").string(),
                               processors::contract_events::MakeSpec(kPrefix, catalog).make(),
                               routing);
  };
  auto task = open();
  if (!task) return state.SkipWithError(task.error().ToString().c_str());
  benchmarks::TaskRounds rounds(History());
  benchmarks::DiscardSink sink;
  int64_t events = 0;
  for (auto _ : state) {
    if (core::Status s = rounds.Next(*task.value(), kCommitEvery, sink); !s.ok()) {
      return state.SkipWithError(s.ToString().c_str());
    }
    events += static_cast<int64_t>(kCommitEvery) * static_cast<int64_t>(kPerBlock) /
              static_cast<int64_t>(kPerBlock + 1);
  }
  state.SetItemsProcessed(events);
}
BENCHMARK(BM_ContractEventsTask)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace chainflow::engine

BENCHMARK_MAIN();
