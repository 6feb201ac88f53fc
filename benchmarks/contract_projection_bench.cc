// The decoding half of a contract's projection on 100,000 records of its
// topic (Sold events of the contracts replay's shape, written as ingest and
// the contract_events processor write them): pg::StageRows with the
// projection's own record decoder, as each batch is staged before its COPY.
//   BM_ContractProjectionStage/0: format = "protobuf"; /1: format = "json".
// Items are records. PostgreSQL is not involved (the COPY is not timed).
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "benchmarks/bench_support.h"
#include "benchmarks/sold_catalog.h"
#include "engine/abi/contract_record.h"
#include "engine/abi/proto_value.h"
#include "engine/log/record.h"
#include "projections/contracts/contract_view.h"
#include "projections/pg/keyed_rows.h"

namespace chainflow::projections::contracts {
namespace {

namespace abi = engine::abi;

constexpr size_t kRecords = 100'000;
constexpr uint64_t kPerBlock = 100;

std::string BigEndian(uint64_t v, size_t width) {
  std::string out(width, '\0');
  for (size_t i = 0; i < 8 && i < width; ++i) out[width - 1 - i] = static_cast<char>(v >> (8 * i));
  return out;
}

// The contract topic's records, one partition, in chain order.
core::Result<std::vector<engine::log::Record>> Records(const abi::CatalogContract& contract) {
  abi::ContractRecordWriter writer("bench", contract);
  abi::ContractRecord out;
  std::vector<engine::log::Record> records;
  records.reserve(kRecords);
  const std::string address = BigEndian(0x5eed0ffe, 20);
  for (size_t i = 0; i < kRecords; ++i) {
    const uint64_t block = 19'000'000 + i / kPerBlock;
    v1::ContractEvent event;
    event.set_contract("bench");
    event.set_event("Sold");
    event.set_signature(benchmarks::kSoldSignature);
    v1::LogRef* log = event.mutable_log();
    log->set_chain("mainnet");
    log->set_block_number(block);
    log->set_block_timestamp(1'700'000'000 + 12 * (block - 19'000'000));
    log->set_tx_hash(BigEndian(i + 1, 32));
    log->set_tx_index(static_cast<uint32_t>(i % kPerBlock));
    log->set_log_index(static_cast<uint32_t>(i % kPerBlock));
    log->set_contract(address);
    log->set_finalized(true);
    const core::Address buyer = core::Address::FromBytes(BigEndian(1 + i % 1000, 20)).value();
    std::vector<abi::Value> values = {
        abi::Value{abi::AddressValue{buyer}},
        abi::Value{abi::UintValue{core::U256(i + 1), 256}},
        abi::Value{abi::UintValue{core::U256(1'000'000 + i * 7919 % 9'000'000), 256}},
        abi::Value{abi::StringValue{fmt::format("row-{}-{}", i % 100, i % 40)}}};
    abi::ToProto(values, event.mutable_values());
    RETURN_IF_ERROR(writer.Write(event, &out));
    engine::log::Record r;
    r.topic = out.topic;
    r.partition = core::PartitionId(0);
    r.offset = core::Offset(static_cast<int64_t>(i));
    r.key = out.key;
    r.value = out.value;
    records.push_back(std::move(r));
  }
  return records;
}

void BM_ContractProjectionStage(benchmark::State& state) {
  benchmarks::TempDir dir;
  core::Config config;
  auto catalog =
      benchmarks::SoldCatalog(dir.path / "abi", state.range(0) == 0 ? "protobuf" : "json", &config);
  if (!catalog) return state.SkipWithError("cannot load the catalog");
  const abi::CatalogContract& contract = *catalog->Find("bench");
  auto records = Records(contract);
  if (!records) return state.SkipWithError(records.error().ToString().c_str());
  const std::vector<TableSpec> tables = TableSpecsOf(contract);
  std::vector<pg::UpsertSpec> specs;
  for (const TableSpec& t : tables) specs.push_back(UpsertSpecOf(contract.name(), t));
  const pg::RecordDecoder decode = RecordDecoderOf(contract, tables);
  int64_t staged = 0;
  for (auto _ : state) {
    pg::StagedRows rows = pg::StageRows(records.value(), {}, specs, decode);
    if (!rows.rejected.empty()) return state.SkipWithError(rows.rejected[0].why.ToString().c_str());
    if (rows.tables[0].rows().size() != kRecords) return state.SkipWithError("rows lost");
    benchmark::DoNotOptimize(rows.tables[0].rows().data());
    staged += static_cast<int64_t>(kRecords);
  }
  state.SetItemsProcessed(staged);
}
BENCHMARK(BM_ContractProjectionStage)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace chainflow::projections::contracts

BENCHMARK_MAIN();
