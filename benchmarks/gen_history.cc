// Writes a deterministic synthetic ERC-721 history as NDJSON eth_getLogs
// objects (the `chainflow replay --from-file` format): N transfers over T
// tokens of one contract, 100 logs per block, every token minted first.
//
//   gen_history --transfers 1000000 --tokens 100000 --out FILE [--seed 7]
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

namespace {

std::string Word(uint64_t v) { return fmt::format("0x{:064x}", v); }
std::string AddressWord(uint32_t holder) { return fmt::format("0x{:024x}{:040x}", 0, holder); }

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Generate a synthetic ERC-721 transfer history"};
  uint64_t transfers = 1'000'000;
  uint64_t tokens = 100'000;
  uint64_t seed = 7;
  uint32_t per_block = 100;
  std::string out_path;
  app.add_option("--transfers", transfers, "transfers, mints included");
  app.add_option("--tokens", tokens, "distinct token ids");
  app.add_option("--per-block", per_block, "logs per block");
  app.add_option("--seed", seed, "random seed");
  app.add_option("--out", out_path, "output file")->required();
  CLI11_PARSE(app, argc, argv);
  if (tokens == 0 || transfers < tokens) {
    fmt::print(stderr, "need transfers >= tokens > 0\n");
    return 2;
  }

  std::FILE* out = std::fopen(out_path.c_str(), "w");
  if (!out) {
    fmt::print(stderr, "cannot write {}\n", out_path);
    return 1;
  }
  const std::string contract = "0x00000000000000000000000000000000000c0ffe";
  const std::string topic0 = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
  std::mt19937_64 rng(seed);
  std::vector<uint32_t> owner(tokens, 0);
  uint64_t block = 15'000'000;
  uint64_t timestamp = 1'650'000'000;
  for (uint64_t i = 0; i < transfers; ++i) {
    uint32_t log_index = static_cast<uint32_t>(i % per_block);
    if (i > 0 && log_index == 0) {
      ++block;
      timestamp += 12;
    }
    uint64_t token = i < tokens ? i : rng() % tokens;
    uint32_t from = owner[token];
    uint32_t to = 1 + static_cast<uint32_t>(rng() % 50'000);
    owner[token] = to;
    fmt::print(out,
               "{{\"address\":\"{}\",\"topics\":[\"{}\",\"{}\",\"{}\",\"{}\"],\"data\":\"0x\","
               "\"blockNumber\":\"0x{:x}\",\"blockHash\":null,\"blockTimestamp\":\"0x{:x}\","
               "\"transactionHash\":\"{}\",\"transactionIndex\":\"0x{:x}\",\"logIndex\":\"0x{:x}\","
               "\"removed\":false}}\n",
               contract, topic0, AddressWord(from), AddressWord(to), Word(token), block,
               timestamp, Word(i + 1), log_index, log_index);
  }
  std::fclose(out);
  return 0;
}
