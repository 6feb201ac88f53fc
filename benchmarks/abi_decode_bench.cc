// engine::abi::EventDecoder on two logs, already split into topics and raw
// data (the JSON parse is not measured): an ERC-20 Transfer, and a complex
// event with a dynamic string, a uint256[] of 8 and a tuple holding a
// string. BM_*Json adds the JSON rendering of the decoded event. Items are
// logs.
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "engine/core/u256.h"
#include "engine/abi/abi_json.h"
#include "engine/abi/decoder.h"
#include "engine/abi/json_render.h"

namespace chainflow::engine::abi {
namespace {

std::string Word(const core::U256& v) { return core::U256ToBigEndianString(v); }
std::string Padded(std::string s) {
  s.resize((s.size() + 31) / 32 * 32, '\0');
  return s;
}
core::Bytes32 TopicOf(const core::U256& v) { return core::U256ToBytes32(v); }

struct Case {
  EventDecoder decoder;
  std::vector<core::Bytes32> topics;
  std::string data;
};

EventDecoder DecoderFor(std::string_view json) {
  auto abi = ParseAbiJson(json, "Bench.json");
  if (!abi.has_value()) std::abort();
  return EventDecoder(abi.value().events);
}

Case TransferCase() {
  EventDecoder d = DecoderFor(R"([{"type":"event","name":"Transfer","inputs":[
    {"name":"from","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},
    {"name":"value","type":"uint256","indexed":false}]}])");
  std::vector<core::Bytes32> topics = {d.events()[0].topic0, TopicOf(0x55aeb561),
                                       TopicOf(0xbf7045f6)};
  return {std::move(d), std::move(topics), Word(core::U256("451300000000000000000000"))};
}

// Purchased(address indexed buyer, string memo, uint256[] ids,
//           (uint64 id, string note, address payee) order)
Case ComplexCase() {
  EventDecoder d = DecoderFor(R"([{"type":"event","name":"Purchased","inputs":[
    {"name":"buyer","type":"address","indexed":true},
    {"name":"memo","type":"string","indexed":false},
    {"name":"ids","type":"uint256[]","indexed":false},
    {"name":"order","type":"tuple","indexed":false,"components":[
      {"name":"id","type":"uint64"},{"name":"note","type":"string"},
      {"name":"payee","type":"address"}]}]}])");
  std::string memo_text = "two seats, row 12, please deliver to the box office";
  std::string memo = Word(memo_text.size()) + Padded(memo_text);
  std::string ids = Word(8);
  for (int i = 0; i < 8; ++i) ids += Word(core::U256(1000003) * (i + 1));
  std::string note = "gift";
  std::string order = Word(77) + Word(96) + Word(0xabcdef) + Word(note.size()) + Padded(note);
  std::string data = Word(96) + Word(96 + memo.size()) + Word(96 + memo.size() + ids.size()) +
                     memo + ids + order;
  std::vector<core::Bytes32> topics = {d.events()[0].topic0, TopicOf(0x1234)};
  return {std::move(d), std::move(topics), std::move(data)};
}

void Run(benchmark::State& state, const Case& c, bool json) {
  for (auto _ : state) {
    auto r = c.decoder.Decode(c.topics, c.data);
    if (!r.has_value()) {
      state.SkipWithError(r.error().ToString().c_str());
      break;
    }
    if (json) {
      std::string text = EventToJson(r.value());
      benchmark::DoNotOptimize(text.data());
    }
    benchmark::DoNotOptimize(r.value().values.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_DecodeTransfer(benchmark::State& state) {
  static const Case c = TransferCase();
  Run(state, c, false);
}
void BM_DecodeComplex(benchmark::State& state) {
  static const Case c = ComplexCase();
  Run(state, c, false);
}
void BM_DecodeTransferJson(benchmark::State& state) {
  static const Case c = TransferCase();
  Run(state, c, true);
}
void BM_DecodeComplexJson(benchmark::State& state) {
  static const Case c = ComplexCase();
  Run(state, c, true);
}
BENCHMARK(BM_DecodeTransfer);
BENCHMARK(BM_DecodeComplex);
BENCHMARK(BM_DecodeTransferJson);
BENCHMARK(BM_DecodeComplexJson);

}  // namespace
}  // namespace chainflow::engine::abi

BENCHMARK_MAIN();
