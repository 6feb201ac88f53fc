// Writes a deterministic synthetic transfer history as NDJSON eth_getLogs
// objects (the `chainflow replay --from-file` format), `--per-block` logs a
// block, block timestamps strictly increasing.
//
//   gen_history --transfers 1000000 --tokens 100000 --out FILE [--seed 7]
//       ERC-721: N transfers over T token ids of one contract, every token
//       minted first; 12 s blocks from 1,650,000,000.
//   gen_history --standard erc20 --transfers 1000000 --accounts 2000 --out FILE
//               [--erc20-tokens N] [--burns FRACTION] [--erc1155-logs M]
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
//       With --erc1155-logs M, M ERC-1155 logs (below: the ones --standard
//       erc1155 --transfers M writes with the same seed, accounts and
//       --erc1155-* options) are spread evenly among the N transfers, in the
//       same blocks: the transfers are the same as without the option, at
//       later positions, and the layout covers all N + M logs.
//   gen_history --standard erc1155 --transfers 100000 --accounts 2000 --out FILE
//               [--erc1155-ids 40] [--erc1155-batches 0.3]
//               [--erc1155-max-batch 6] [--erc1155-burns 0.05]
//       ERC-1155 TransferSingle and TransferBatch logs (4 topics: operator,
//       from, to; ids and values in data) of one contract, 0x...e1155c0ffe,
//       for a [[contracts]] entry with standard = "erc1155". Each log draws
//       an account (the erc20 mode's 0xacc0... addresses). One that holds
//       nothing is minted to (from the zero address, operator 0x...1155) 1
//       to 1,000 of each of its ids, drawn from the --erc1155-ids ids (id i
//       is i, or 2^255 + i when i % 4 == 3, so ids need all 256 bits). One
//       that holds something sends 1 to all of its balance of each of its
//       ids to another account (itself, now and then), or burns them (to
//       the zero address) with probability --erc1155-burns; it is the
//       operator. A log is a TransferBatch with probability
//       --erc1155-batches, of 2 to --erc1155-max-batch distinct ids (fewer
//       when the holder has fewer; one makes a one-id batch), otherwise a
//       TransferSingle. Nothing moves more than a balance: no balance goes
//       below zero. Blocks as in the erc20 mode.
//   gen_history --standard abi --transfers 1000000 --out FILE --abi-out ABI.json
//       Any contract's events: N logs of
//       Sold(address indexed buyer, uint256 indexed ticketId, uint256 price, string seat)
//       from 0x...5eed0ffe (a dynamic string of 4 to 12 bytes in each), and
//       the contract's ABI JSON for a [[contracts]] entry by ABI.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <map>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "benchmarks/sold_contract.h"
#include "engine/core/hex.h"
#include "engine/core/keccak.h"

namespace {

constexpr char kTransferTopic[] =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
// TransferSingle(address,address,address,uint256,uint256) and
// TransferBatch(address,address,address,uint256[],uint256[]).
constexpr char kTransferSingleTopic[] =
    "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62";
constexpr char kTransferBatchTopic[] =
    "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb";
constexpr char kErc1155Contract[] = "0x000000000000000000000000000000e1155c0ffe";
// The operator of ERC-1155 mints.
constexpr uint32_t kErc1155Minter = 0x1155;
// The ERC-1155 draws come from a generator of their own, seeded with
// seed ^ kErc1155Salt: mixing them into an ERC-20 history leaves the ERC-20
// draws alone.
constexpr uint64_t kErc1155Salt = 0xe1155;

std::string Word(uint64_t v) { return fmt::format("0x{:064x}", v); }
std::string AddressWord(uint32_t holder) { return fmt::format("0x{:024x}{:040x}", 0, holder); }

struct Options {
  std::string standard = "erc721";
  uint64_t transfers = 1'000'000;
  uint64_t tokens = 100'000;
  uint32_t accounts = 2'000;
  uint32_t erc20_tokens = 1;
  double burns = 0;  // erc20: probability that a holder's transfer is a burn
  uint64_t erc1155_logs = 0;  // erc20: ERC-1155 logs mixed in
  uint32_t erc1155_ids = 40;
  double erc1155_batches = 0.3;  // probability that a log is a TransferBatch
  uint32_t erc1155_max_batch = 6;
  double erc1155_burns = 0.05;  // probability that a holder's transfer is a burn
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

// Log j of `total` in the erc20 and erc1155 layout: per_block logs a block
// from block 18,000,000, the blocks spread evenly over span_s seconds from
// start_time.
Position SpreadPosition(uint64_t j, uint64_t total, const Options& o) {
  const uint64_t blocks = (total + o.per_block - 1) / o.per_block;
  const uint64_t b = j / o.per_block;
  return Position{18'000'000 + b, o.start_time + b * o.span_s / blocks,
                  static_cast<uint32_t>(j % o.per_block)};
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

// The topic word of account n (1-based) of the ERC-20 and ERC-1155 modes:
// address 0xacc0...n; 0 is the zero address (mints and burns).
std::string AccountWord(uint32_t n) {
  return n == 0 ? AddressWord(0) : fmt::format("0x{:024x}acc0{:036x}", 0, n);
}

// Token k's contract (0-based); token 0 is the one-token mode's e20c0ffe.
std::string Erc20TokenAddress(uint32_t k) {
  return fmt::format("0x{:024x}{:08x}e20c0ffe", 0, k);
}

// Probability draws: an event happens when a draw in [0, kShareScale)
// falls below fraction * kShareScale.
constexpr uint64_t kShareScale = 1'000'000;

// The ERC-20 transfers, one per Write, in order.
class Erc20Source {
 public:
  explicit Erc20Source(const Options& o)
      : o_(o),
        burn_below_(static_cast<uint64_t>(o.burns * kShareScale)),
        funding_(uint64_t{o.accounts} * o.erc20_tokens),
        rng_(o.seed),
        // Amounts in token units: mints of 10^9..10^12 keep every balance
        // and the supply far below 2^64 for any --transfers up to 10^6
        // re-mints. balance_[token][account], account 0 unused.
        balance_(o.erc20_tokens, std::vector<uint64_t>(o.accounts + 1, 0)) {
    for (uint32_t k = 0; k < o.erc20_tokens; ++k) tokens_.push_back(Erc20TokenAddress(k));
  }

  // Writes the next transfer at `at` in transaction `tx`.
  void Write(std::FILE* out, const Position& at, uint64_t tx) {
    const uint64_t i = written_++;
    uint32_t token = 0;
    uint32_t from = 0;
    uint32_t to = 0;
    uint64_t amount = 0;
    if (i < funding_) {
      // Fund every account of every token first, token by token.
      token = static_cast<uint32_t>(i / o_.accounts);
      to = static_cast<uint32_t>(i % o_.accounts + 1);
    } else {
      // Extra draws only when their option is on: the defaults keep the
      // random sequence (and so the file) of the one-token generator.
      if (o_.erc20_tokens > 1) token = static_cast<uint32_t>(rng_() % o_.erc20_tokens);
      from = 1 + static_cast<uint32_t>(rng_() % o_.accounts);
      to = 1 + static_cast<uint32_t>(rng_() % o_.accounts);
      if (balance_[token][from] == 0) from = 0;
      if (burn_below_ > 0 && rng_() % kShareScale < burn_below_ && from != 0) to = 0;
    }
    if (from == 0) {
      amount = 1'000'000'000ULL * (1 + rng_() % 1000);
    } else {
      amount = 1 + rng_() % (balance_[token][from] / 2 + 1);
      balance_[token][from] -= amount;
    }
    if (to != 0) balance_[token][to] += amount;
    PrintLog(out, tokens_[token], fmt::format("\"{}\",\"{}\"", AccountWord(from), AccountWord(to)),
             Word(amount), at, tx);
  }

 private:
  const Options& o_;
  std::vector<std::string> tokens_;
  const uint64_t burn_below_;
  const uint64_t funding_;
  std::mt19937_64 rng_;
  std::vector<std::vector<uint64_t>> balance_;
  uint64_t written_ = 0;
};

// ERC-1155 id i as a 32-byte word in hex (no 0x): i, or 2^255 + i when
// i % 4 == 3.
std::string Erc1155IdHex(uint32_t i) {
  return i % 4 == 3 ? fmt::format("8{:063x}", i) : fmt::format("{:064x}", i);
}

// The ERC-1155 logs, one per Write, in order (the rules are in the file's
// comment).
class Erc1155Source {
 public:
  explicit Erc1155Source(const Options& o)
      : o_(o),
        rng_(o.seed ^ kErc1155Salt),
        batch_below_(static_cast<uint64_t>(o.erc1155_batches * kShareScale)),
        burn_below_(static_cast<uint64_t>(o.erc1155_burns * kShareScale)),
        held_(o.accounts + 1) {}

  // Writes the next log at `at` in transaction `tx`.
  void Write(std::FILE* out, const Position& at, uint64_t tx) {
    const uint32_t holder = 1 + static_cast<uint32_t>(rng_() % o_.accounts);
    const bool batch = rng_() % kShareScale < batch_below_;
    const uint32_t wanted =
        batch ? 2 + static_cast<uint32_t>(rng_() % (o_.erc1155_max_batch - 1)) : 1;
    std::map<uint32_t, uint64_t>& held = held_[holder];
    uint32_t from = holder;
    uint32_t to = 0;
    std::vector<uint32_t> ids;
    std::vector<uint64_t> values;
    if (held.empty()) {
      from = 0;
      to = holder;
      std::vector<uint32_t> all(o_.erc1155_ids);
      std::iota(all.begin(), all.end(), 0u);
      ids = Pick(std::move(all), wanted);
      for (uint32_t id : ids) {
        values.push_back(1 + rng_() % 1000);
        held[id] += values.back();
      }
    } else {
      std::vector<uint32_t> own;
      for (const auto& [id, balance] : held) own.push_back(id);
      ids = Pick(std::move(own), wanted);
      if (rng_() % kShareScale >= burn_below_) to = 1 + static_cast<uint32_t>(rng_() % o_.accounts);
      // Debits first, then credits: a holder sending to itself ends where
      // it began.
      for (uint32_t id : ids) {
        uint64_t& balance = held[id];
        values.push_back(1 + rng_() % balance);
        balance -= values.back();
        if (balance == 0) held.erase(id);
      }
      if (to != 0) {
        for (size_t k = 0; k < ids.size(); ++k) held_[to][ids[k]] += values[k];
      }
    }
    const std::string op_word = from == 0 ? AddressWord(kErc1155Minter) : AccountWord(holder);
    const std::string data = batch ? BatchData(ids, values)
                                   : fmt::format("0x{}{:064x}", Erc1155IdHex(ids[0]), values[0]);
    PrintLog(out, kErc1155Contract,
             fmt::format("\"{}\",\"{}\",\"{}\"", op_word, AccountWord(from), AccountWord(to)),
             data, at, tx, batch ? kTransferBatchTopic : kTransferSingleTopic);
  }

 private:
  // `count` distinct elements of `pool` (all of them when it has fewer), in
  // draw order: a partial Fisher-Yates shuffle.
  std::vector<uint32_t> Pick(std::vector<uint32_t> pool, uint32_t count) {
    count = std::min<uint32_t>(count, static_cast<uint32_t>(pool.size()));
    for (uint32_t k = 0; k < count; ++k) {
      std::swap(pool[k], pool[k + rng_() % (pool.size() - k)]);
    }
    pool.resize(count);
    return pool;
  }

  // TransferBatch data: the ABI encoding of (uint256[] ids, uint256[]
  // values): two head words with the arrays' offsets, then each array's
  // length and elements.
  static std::string BatchData(const std::vector<uint32_t>& ids,
                               const std::vector<uint64_t>& values) {
    const size_t n = ids.size();
    std::string data = fmt::format("0x{:064x}{:064x}{:064x}", 0x40, 0x40 + 32 * (n + 1), n);
    for (uint32_t id : ids) data += Erc1155IdHex(id);
    data += fmt::format("{:064x}", n);
    for (uint64_t v : values) data += fmt::format("{:064x}", v);
    return data;
  }

  const Options& o_;
  std::mt19937_64 rng_;
  const uint64_t batch_below_;
  const uint64_t burn_below_;
  std::vector<std::map<uint32_t, uint64_t>> held_;  // [account]: id -> balance, never 0
};

// `erc20` ERC-20 transfers and `erc1155` ERC-1155 logs in the erc20 layout,
// the ERC-1155 logs spread evenly: log j is one when j * erc1155 / total
// steps past a whole number at j + 1. Transaction hashes count logs from 1.
void WriteSpread(std::FILE* out, const Options& o, uint64_t erc20, uint64_t erc1155) {
  Erc20Source fungible(o);
  Erc1155Source multi(o);
  const uint64_t total = erc20 + erc1155;
  for (uint64_t j = 0; j < total; ++j) {
    const Position at = SpreadPosition(j, total, o);
    if ((j + 1) * erc1155 / total > j * erc1155 / total) {
      multi.Write(out, at, j + 1);
    } else {
      fungible.Write(out, at, j + 1);
    }
  }
}

// N Sold logs of one contract: buyer and ticket id in topics, price and a
// seat label ("row-<r>-<s>") in data (head: price, offset 0x40; tail: length,
// padded bytes).
void WriteAbi(std::FILE* out, const Options& o) {
  const auto hash = chainflow::engine::core::Keccak256(chainflow::benchmarks::kSoldSignature);
  const std::string topic0 = chainflow::engine::core::ToHex(
      std::string_view(reinterpret_cast<const char*>(hash.data()), hash.size()));
  const std::string contract = chainflow::benchmarks::kSoldAddress;
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

// Why `o` cannot make a history, empty when it can.
std::string CheckOptions(const Options& o) {
  if (o.per_block == 0) return "need --per-block > 0";
  if (o.erc1155_logs > 0 && o.standard != "erc20") {
    return "--erc1155-logs mixes ERC-1155 logs into --standard erc20 (for ERC-1155 alone: "
           "--standard erc1155)";
  }
  if (o.standard == "erc721" && (o.tokens == 0 || o.transfers < o.tokens)) {
    return "need transfers >= tokens > 0";
  }
  const uint64_t logs = o.transfers + (o.standard == "erc20" ? o.erc1155_logs : 0);
  if (o.standard == "erc20" &&
      (o.accounts == 0 || o.transfers < uint64_t{o.accounts} * o.erc20_tokens ||
       o.span_s < (logs + o.per_block - 1) / o.per_block)) {
    return "need transfers >= accounts * erc20-tokens, accounts > 0 and span-s >= blocks "
           "(increasing times)";
  }
  if (o.standard == "erc1155" &&
      (o.accounts == 0 || o.span_s < (logs + o.per_block - 1) / o.per_block)) {
    return "need accounts > 0 and span-s >= blocks (increasing times)";
  }
  return "";
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Generate a synthetic ERC-721, ERC-20 or ERC-1155 transfer history"};
  Options o;
  std::string out_path;
  std::string abi_out;
  app.add_option("--standard", o.standard, "erc721 (default), erc20, erc1155 or abi")
      ->check(CLI::IsMember({"erc721", "erc20", "erc1155", "abi"}));
  app.add_option("--abi-out", abi_out, "abi: where to write the contract's ABI JSON");
  app.add_option("--transfers", o.transfers, "transfers (logs), mints included");
  app.add_option("--tokens", o.tokens, "erc721: distinct token ids");
  app.add_option("--accounts", o.accounts, "erc20, erc1155: distinct accounts");
  app.add_option("--erc20-tokens", o.erc20_tokens, "erc20: distinct token contracts")
      ->check(CLI::Range(1u, 1u << 20));
  app.add_option("--burns", o.burns, "erc20: fraction of holders' transfers that burn")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--erc1155-logs", o.erc1155_logs,
                 "erc20: ERC-1155 logs to mix in, in the same blocks");
  app.add_option("--erc1155-ids", o.erc1155_ids, "erc1155: distinct token ids")
      ->check(CLI::Range(1u, 1u << 20));
  app.add_option("--erc1155-batches", o.erc1155_batches,
                 "erc1155: fraction of logs that are TransferBatch")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--erc1155-max-batch", o.erc1155_max_batch, "erc1155: most ids in a batch")
      ->check(CLI::Range(2u, 1024u));
  app.add_option("--erc1155-burns", o.erc1155_burns,
                 "erc1155: fraction of holders' transfers that burn")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--per-block", o.per_block, "logs per block");
  app.add_option("--seed", o.seed, "random seed");
  app.add_option("--start-time", o.start_time, "erc20, erc1155: the first block's timestamp");
  app.add_option("--span-s", o.span_s,
                 "erc20, erc1155: seconds from the first to past the last block");
  app.add_option("--out", out_path, "output file")->required();
  CLI11_PARSE(app, argc, argv);
  if (const std::string why = CheckOptions(o); !why.empty()) {
    fmt::print(stderr, "{}\n", why);
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
      if (!abi || std::fputs(chainflow::benchmarks::kSoldAbi, abi) < 0 || std::fclose(abi) != 0) {
        fmt::print(stderr, "cannot write {}\n", abi_out);
        return 1;
      }
    }
    WriteAbi(out, o);
  } else if (o.standard == "erc20") {
    WriteSpread(out, o, o.transfers, o.erc1155_logs);
  } else if (o.standard == "erc1155") {
    WriteSpread(out, o, 0, o.transfers);
  } else {
    WriteErc721(out, o);
  }
  return std::fclose(out) == 0 ? 0 : 1;
}
