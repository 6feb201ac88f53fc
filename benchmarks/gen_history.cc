// Writes a deterministic synthetic transfer history as NDJSON eth_getLogs
// objects (the `chainflow replay --from-file` format), `--per-block` logs a
// block, block timestamps strictly increasing.
//
//   gen_history --transfers 1000000 --tokens 100000 --out FILE [--seed 7]
//       ERC-721: N transfers over T token ids of one contract, every token
//       minted first; 12 s blocks from 1,650,000,000.
//   gen_history --standard erc20 --transfers 1000000 --accounts 2000 --out FILE
//               [--erc20-tokens N] [--burns FRACTION]
//       ERC-20 (3 topics, the amount in data) of N tokens (default 1):
//       0x...e20c0ffe, then 0x...1e20c0ffe, 0x...2e20c0ffe, ... (token k's
//       address is k in the 4 bytes before e20c0ffe). Every account is minted
//       to first, token by token, then each transfer picks a token (uniformly,
//       when N > 1) and moves up to half of a random holder's balance to
//       another account (a holder with nothing is minted to instead). With
//       --burns f, a transfer by a holder goes to the zero address (a burn)
//       with probability f. Blocks spread evenly over --span-s seconds from
//       --start-time (default: 10.2 weeks from 1,700,092,800, an epoch
//       boundary of 7-day epochs from 0, so the history covers a bit more
//       than 10 epochs). The defaults (one token, no burns) draw exactly the
//       random numbers they drew before both options existed, so their files
//       are byte-identical to older versions'.
//   gen_history --standard abi --transfers 1000000 --out FILE --abi-out ABI.json
//       Any contract's events: N logs of
//       Sold(address indexed buyer, uint256 indexed ticketId, uint256 price, string seat)
//       from 0x...5eed0ffe (a dynamic string of 4 to 12 bytes in each), and
//       the contract's ABI JSON for a [[contracts]] entry by ABI.
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "engine/core/hex.h"
#include "engine/core/keccak.h"

namespace {

constexpr char kTransferTopic[] =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";

std::string Word(uint64_t v) { return fmt::format("0x{:064x}", v); }
std::string AddressWord(uint32_t holder) { return fmt::format("0x{:024x}{:040x}", 0, holder); }

struct Options {
  std::string standard = "erc721";
  uint64_t transfers = 1'000'000;
  uint64_t tokens = 100'000;
  uint32_t accounts = 2'000;
  uint32_t erc20_tokens = 1;
  double burns = 0;  // erc20: probability that a holder's transfer is a burn
  uint64_t seed = 7;
  uint32_t per_block = 100;
  uint64_t start_time = 1'700'092'800;  // 2811 * 604800
  uint64_t span_s = 6'168'960;          // 10.2 * 604800
};

// The log position of transfer i: the block advances every per_block logs.
struct Position {
  uint64_t block = 0;
  uint64_t timestamp = 0;
  uint32_t log_index = 0;
};

// Moves `at` to log i: a new 12-second block every per_block logs.
void Advance(Position& at, uint64_t i, uint32_t per_block) {
  at.log_index = static_cast<uint32_t>(i % per_block);
  if (i > 0 && at.log_index == 0) {
    ++at.block;
    at.timestamp += 12;
  }
}

void PrintLog(std::FILE* out, const std::string& contract, const std::string& topics,
              const std::string& data, const Position& at, uint64_t tx,
              const char* topic0 = kTransferTopic) {
  fmt::print(out,
             "{{\"address\":\"{}\",\"topics\":[\"{}\",{}],\"data\":\"{}\","
             "\"blockNumber\":\"0x{:x}\",\"blockHash\":null,\"blockTimestamp\":\"0x{:x}\","
             "\"transactionHash\":\"{}\",\"transactionIndex\":\"0x{:x}\",\"logIndex\":\"0x{:x}\","
             "\"removed\":false}}\n",
             contract, topic0, topics, data, at.block, at.timestamp, Word(tx), at.log_index,
             at.log_index);
}

void WriteErc721(std::FILE* out, const Options& o) {
  const std::string contract = "0x00000000000000000000000000000000000c0ffe";
  std::mt19937_64 rng(o.seed);
  std::vector<uint32_t> owner(o.tokens, 0);
  Position at{15'000'000, 1'650'000'000, 0};
  for (uint64_t i = 0; i < o.transfers; ++i) {
    Advance(at, i, o.per_block);
    uint64_t token = i < o.tokens ? i : rng() % o.tokens;
    uint32_t from = owner[token];
    uint32_t to = 1 + static_cast<uint32_t>(rng() % 50'000);
    owner[token] = to;
    PrintLog(out, contract,
             fmt::format("\"{}\",\"{}\",\"{}\"", AddressWord(from), AddressWord(to), Word(token)),
             "0x", at, i + 1);
  }
}

// The topic word of ERC-20 account n (1-based): address 0xacc0...n; 0 is
// the zero address (mints and burns).
std::string Erc20AccountWord(uint32_t n) {
  return n == 0 ? AddressWord(0) : fmt::format("0x{:024x}acc0{:036x}", 0, n);
}

// Token k's contract (0-based); token 0 is the one-token mode's e20c0ffe.
std::string Erc20TokenAddress(uint32_t k) {
  return fmt::format("0x{:024x}{:08x}e20c0ffe", 0, k);
}

// Burn draws: a transfer burns when a draw in [0, kBurnScale) falls below
// burns * kBurnScale.
constexpr uint64_t kBurnScale = 1'000'000;

void WriteErc20(std::FILE* out, const Options& o) {
  std::vector<std::string> tokens;
  for (uint32_t k = 0; k < o.erc20_tokens; ++k) tokens.push_back(Erc20TokenAddress(k));
  const uint64_t burn_below = static_cast<uint64_t>(o.burns * kBurnScale);
  const uint64_t funding = uint64_t{o.accounts} * o.erc20_tokens;
  std::mt19937_64 rng(o.seed);
  // Amounts in token units: mints of 10^9..10^12 keep every balance and the
  // supply far below 2^64 for any --transfers up to 10^6 re-mints.
  // balance[token][account], account 0 unused.
  std::vector<std::vector<uint64_t>> balance(o.erc20_tokens,
                                             std::vector<uint64_t>(o.accounts + 1, 0));
  const uint64_t blocks = (o.transfers + o.per_block - 1) / o.per_block;
  Position at{18'000'000, o.start_time, 0};
  for (uint64_t i = 0; i < o.transfers; ++i) {
    at.log_index = static_cast<uint32_t>(i % o.per_block);
    uint64_t b = i / o.per_block;
    at.block = 18'000'000 + b;
    at.timestamp = o.start_time + b * o.span_s / blocks;
    uint32_t token = 0;
    uint32_t from = 0;
    uint32_t to = 0;
    uint64_t amount = 0;
    if (i < funding) {
      // Fund every account of every token first, token by token.
      token = static_cast<uint32_t>(i / o.accounts);
      to = static_cast<uint32_t>(i % o.accounts + 1);
    } else {
      // Extra draws only when their option is on: the defaults keep the
      // random sequence (and so the file) of the one-token generator.
      if (o.erc20_tokens > 1) token = static_cast<uint32_t>(rng() % o.erc20_tokens);
      from = 1 + static_cast<uint32_t>(rng() % o.accounts);
      to = 1 + static_cast<uint32_t>(rng() % o.accounts);
      if (balance[token][from] == 0) from = 0;
      if (burn_below > 0 && rng() % kBurnScale < burn_below && from != 0) to = 0;
    }
    if (from == 0) {
      amount = 1'000'000'000ULL * (1 + rng() % 1000);
    } else {
      amount = 1 + rng() % (balance[token][from] / 2 + 1);
      balance[token][from] -= amount;
    }
    if (to != 0) balance[token][to] += amount;
    PrintLog(out, tokens[token],
             fmt::format("\"{}\",\"{}\"", Erc20AccountWord(from), Erc20AccountWord(to)),
             Word(amount), at, i + 1);
  }
}

constexpr char kSoldAbi[] = R"([{"type":"event","name":"Sold","anonymous":false,"inputs":[
  {"name":"buyer","type":"address","indexed":true},
  {"name":"ticketId","type":"uint256","indexed":true},
  {"name":"price","type":"uint256","indexed":false},
  {"name":"seat","type":"string","indexed":false}]}]
)";

// N Sold logs of one contract: buyer and ticket id in topics, price and a
// seat label ("row-<r>-<s>") in data (head: price, offset 0x40; tail: length,
// padded bytes).
void WriteAbi(std::FILE* out, const Options& o) {
  const auto hash = chainflow::engine::core::Keccak256("Sold(address,uint256,uint256,string)");
  const std::string topic0 = chainflow::engine::core::ToHex(
      std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
  const std::string contract = "0x000000000000000000000000000000005eed0ffe";
  std::mt19937_64 rng(o.seed);
  Position at{19'000'000, 1'700'000'000, 0};
  for (uint64_t i = 0; i < o.transfers; ++i) {
    Advance(at, i, o.per_block);
    const uint32_t buyer = 1 + static_cast<uint32_t>(rng() % o.accounts);
    const std::string seat = fmt::format("row-{}-{}", rng() % 100, rng() % 40);
    std::string seat_hex = chainflow::engine::core::ToHex(seat).substr(2);
    seat_hex.resize(64, '0');
    const std::string data = fmt::format("0x{:064x}{:064x}{:064x}{}", 1'000'000 + rng() % 9'000'000,
                                         0x40, seat.size(), seat_hex);
    PrintLog(out, contract, fmt::format("\"{}\",\"{}\"", AddressWord(buyer), Word(i + 1)), data,
             at, i + 1, topic0.c_str());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Generate a synthetic ERC-721 or ERC-20 transfer history"};
  Options o;
  std::string out_path;
  std::string abi_out;
  app.add_option("--standard", o.standard, "erc721 (default), erc20 or abi")
      ->check(CLI::IsMember({"erc721", "erc20", "abi"}));
  app.add_option("--abi-out", abi_out, "abi: where to write the contract's ABI JSON");
  app.add_option("--transfers", o.transfers, "transfers, mints included");
  app.add_option("--tokens", o.tokens, "erc721: distinct token ids");
  app.add_option("--accounts", o.accounts, "erc20: distinct accounts");
  app.add_option("--erc20-tokens", o.erc20_tokens, "erc20: distinct token contracts")
      ->check(CLI::Range(1u, 1u << 20));
  app.add_option("--burns", o.burns, "erc20: fraction of holders' transfers that burn")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--per-block", o.per_block, "logs per block");
  app.add_option("--seed", o.seed, "random seed");
  app.add_option("--start-time", o.start_time, "erc20: the first block's timestamp");
  app.add_option("--span-s", o.span_s, "erc20: seconds from the first to past the last block");
  app.add_option("--out", out_path, "output file")->required();
  CLI11_PARSE(app, argc, argv);
  if (o.per_block == 0) {
    fmt::print(stderr, "need --per-block > 0\n");
    return 2;
  }
  if (o.standard == "erc721" && (o.tokens == 0 || o.transfers < o.tokens)) {
    fmt::print(stderr, "need transfers >= tokens > 0\n");
    return 2;
  }
  if (o.standard == "erc20" &&
      (o.accounts == 0 || o.transfers < uint64_t{o.accounts} * o.erc20_tokens ||
       o.span_s < (o.transfers + o.per_block - 1) / o.per_block)) {
    fmt::print(stderr,
               "need transfers >= accounts * erc20-tokens, accounts > 0 and span-s >= blocks "
               "(increasing times)\n");
    return 2;
  }

  std::FILE* out = std::fopen(out_path.c_str(), "w");
  if (!out) {
    fmt::print(stderr, "cannot write {}\n", out_path);
    return 1;
  }
  if (o.standard == "abi") {
    if (!abi_out.empty()) {
      std::FILE* abi = std::fopen(abi_out.c_str(), "w");
      if (!abi || std::fputs(kSoldAbi, abi) < 0 || std::fclose(abi) != 0) {
        fmt::print(stderr, "cannot write {}\n", abi_out);
        return 1;
      }
    }
    WriteAbi(out, o);
  } else if (o.standard == "erc20") {
    WriteErc20(out, o);
  } else {
    WriteErc721(out, o);
  }
  return std::fclose(out) == 0 ? 0 : 1;
}
