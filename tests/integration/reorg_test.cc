// `chainflow run` following a private Anvil through forced reorganizations (issues 3 and 13):
// after each reorg settles, the API's ERC-721 owners, the ERC-1155 balances in PostgreSQL and
// the ERC-20 balances and supply (table and GET /v1/balances, with the block of each
// account's last canonical Transfer, conservation included) equal the canonical chain's
// ownerOf / balanceOf / totalSupply, and the ownership and token balance topics, replayed
// with their retractions, end in the same state; a reorg deeper than the finality window
// stops ingest and leaves the views alone; SIGKILL around a reorg changes nothing in the end,
// and neither does a reorg while chainflow is stopped and its state directories are wiped.
//
// Each test runs its own Anvil (tests/support/local_anvil.h) and its own PipelineEnv on the
// shared Kafka and PostgreSQL; skips, saying why, when those or the anvil binary are missing.
// ReorgTest's Anvil mines a block per transaction, so reorg depths are exact.
// IntervalReorgTest's mines a block every second (--block-time 1), as a real chain does:
// random transactions share blocks, reorgs of depth 1..20 (anvil_reorg) and evm_revert
// count from the head when the node runs them, and the views are compared at quiescent
// points: no transaction pending, chainflow ready and ingested up to the head (the empty
// blocks that keep coming change no token).
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/multiprecision/cpp_int.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "chainflow/v1/events.pb.h"
#include "engine/core/hex.h"
#include "engine/log/consumer.h"
#include "ingest/evm/rpc_client.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/support/local_anvil.h"
#include "tests/support/http_get.h"
#include "tests/support/subprocess.h"

namespace chainflow::testing {
namespace {

namespace json = boost::json;
using boost::multiprecision::uint256_t;
using Clock = std::chrono::steady_clock;

constexpr char kZero[] = "0x0000000000000000000000000000000000000000";
// keccak256("Transfer(address,address,uint256)")
constexpr char kTransferTopic[] =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
constexpr auto kSettleTimeout = std::chrono::seconds(90);
// The reorgs both mining modes force: anvil_reorg depths, then evm_revert depths.
constexpr uint64_t kDepths[] = {1, 2, 3, 5, 8, 13, 20, 1, 4, 7, 10, 15, 2, 6, 12};
constexpr uint64_t kReverted[] = {1, 3, 6, 11, 20};

// splitmix64, so a failing seed replays the same activity.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t Below(uint64_t n) { return Next() % n; }

 private:
  uint64_t state_;
};

std::string Word(const uint256_t& v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(64, '0');
  for (int i = 0; i < 64; ++i) out[63 - i] = kHex[static_cast<unsigned>((v >> (4 * i)) & 0xf)];
  return out;
}

std::string AddressWord(const std::string& address) {
  return std::string(24, '0') + address.substr(2);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

uint64_t HexNumber(const json::value& v) {
  return std::stoull(std::string(v.as_string()), nullptr, 16);
}

std::string Tail(const std::string& text, size_t max_chars = 4000) {
  return text.size() <= max_chars ? text : text.substr(text.size() - max_chars);
}

// chainflow_ingest_reorgs_total{chain="anvil"} from /metrics; 0 when absent.
uint64_t ReorgsMetric(int port) {
  HttpReply reply = HttpGet(port, "/metrics");
  size_t pos = reply.body.find("chainflow_ingest_reorgs_total{");
  while (pos != std::string::npos) {
    size_t eol = reply.body.find('\n', pos);
    std::string line = reply.body.substr(pos, eol - pos);
    if (line.find("chain=\"anvil\"") != std::string::npos) {
      return static_cast<uint64_t>(std::stod(line.substr(line.rfind(' ') + 1)));
    }
    pos = reply.body.find("chainflow_ingest_reorgs_total{", pos + 1);
  }
  return 0;
}

struct Contract {
  std::string address;
  std::map<std::string, std::string> selectors;
  std::string Data(const std::string& signature, const std::vector<std::string>& words) const {
    std::string data = "0x" + selectors.at(signature);
    for (const auto& w : words) data += w;
    return data;
  }
};

// JSON-RPC to the private Anvil; throws on transport and RPC errors (test bugs or a dead node).
class Chain {
 public:
  explicit Chain(const std::string& url) {
    auto rpc = ingest::evm::RpcClient::Open({.url = url, .timeout = std::chrono::seconds(20)});
    if (!rpc) throw std::runtime_error(rpc.error().ToString());
    rpc_ = std::move(rpc).value();
  }

  json::value Call(const std::string& method, const std::string& params) {
    auto result = rpc_->Call(method, params);
    if (!result) throw std::runtime_error(method + ": " + result.error().ToString());
    return json::parse(result.value());
  }
  uint64_t Head() { return HexNumber(Call("eth_blockNumber", "[]")); }

  // Sends a transaction and returns its hash. The gas limit is fixed: with interval mining
  // several transactions wait for one block, and an estimate made against the latest state
  // could fall short once another one has mined first.
  std::string Send(const std::string& from, const std::string& to, const std::string& data) {
    json::value hash = Call(
        "eth_sendTransaction",
        fmt::format(R"([{{"from":"{}","to":"{}","data":"{}","gas":"0xf4240"}}])", from, to, data));
    return std::string(hash.as_string());
  }

  // Waits (up to 30 s) until the transaction `hash` is mined and returns its block; throws
  // if it reverted or never mined.
  uint64_t WaitMined(const std::string& hash) {
    json::value receipt;
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (!receipt.is_object() && Clock::now() < deadline) {
      receipt = Call("eth_getTransactionReceipt", "[\"" + hash + "\"]");
      if (!receipt.is_object()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    if (!receipt.is_object() || receipt.as_object().at("status").as_string() != "0x1") {
      throw std::runtime_error("transaction failed: " + json::serialize(receipt));
    }
    return HexNumber(receipt.as_object().at("blockNumber"));
  }

  std::string BlockHash(uint64_t number) {
    json::value block =
        Call("eth_getBlockByNumber", fmt::format(R"(["0x{:x}",false])", number));
    return std::string(block.as_object().at("hash").as_string());
  }

  // Polls the head until the node mines its next block (interval mining); returns it. What is
  // sent right after lands in the block after it, unless the node stalls for a whole interval.
  uint64_t WaitForNewBlock() {
    uint64_t start = Head();
    uint64_t head = start;
    auto deadline = Clock::now() + std::chrono::seconds(30);
    while (head == start && Clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      head = Head();
    }
    if (head == start) throw std::runtime_error("no new block in 30 s");
    return head;
  }

  std::optional<std::string> EthCall(const std::string& to, const std::string& data) {
    auto result = rpc_->Call(
        "eth_call", fmt::format(R"([{{"to":"{}","data":"{}"}},"latest"])", to, data));
    if (!result) return std::nullopt;
    return std::string(json::parse(result.value()).as_string());
  }

 private:
  std::unique_ptr<ingest::evm::RpcClient> rpc_;
};

// Random valid activity on the two contracts, reading the holders from the chain (a reorg
// rewrites history under the test, so no local model survives one).
class Activity {
 public:
  Activity(Chain& chain, Contract nft, Contract multi, Contract token,
           std::vector<std::string> accounts, uint64_t seed)
      : chain_(chain),
        nft_(std::move(nft)),
        multi_(std::move(multi)),
        token_(std::move(token)),
        accounts_(std::move(accounts)),
        rng_(seed) {}

  std::optional<std::string> OwnerOf(const uint256_t& id) {
    auto word = chain_.EthCall(nft_.address, nft_.Data("ownerOf(uint256)", {Word(id)}));
    if (!word) return std::nullopt;  // reverted: no such token
    return "0x" + word->substr(word->size() - 40);
  }
  uint256_t BalanceOf(const std::string& account, const uint256_t& id) {
    auto word = chain_.EthCall(multi_.address, multi_.Data("balanceOf(address,uint256)",
                                                           {AddressWord(account), Word(id)}));
    if (!word) throw std::runtime_error("balanceOf reverted");
    return uint256_t(*word);
  }

  uint256_t TokenBalanceOf(const std::string& account) {
    auto word =
        chain_.EthCall(token_.address, token_.Data("balanceOf(address)", {AddressWord(account)}));
    if (!word) throw std::runtime_error("ERC-20 balanceOf reverted");
    return uint256_t(*word);
  }
  uint256_t TotalSupply() {
    auto word = chain_.EthCall(token_.address, token_.Data("totalSupply()", {}));
    if (!word) throw std::runtime_error("totalSupply reverted");
    return uint256_t(*word);
  }

  // One random transaction, mined; returns its block.
  uint64_t Step() {
    std::set<std::string> senders;
    return chain_.WaitMined(*TrySend(senders));
  }

  // Up to `n` random transactions sent at once, at most one per account, then waits until
  // all are mined (with interval mining: a block or two for all); returns the highest block.
  uint64_t Steps(size_t n) {
    std::set<std::string> senders;
    std::vector<std::string> hashes;
    for (size_t tries = 0; hashes.size() < n && tries < 4 * n; ++tries) {
      if (auto hash = TrySend(senders)) hashes.push_back(std::move(*hash));
    }
    uint64_t block = 0;
    for (const std::string& hash : hashes) block = std::max(block, chain_.WaitMined(hash));
    return block;
  }

  // Sends one random valid transaction and returns its hash; nullopt (nothing sent) when its
  // sender is in `senders` already, else the sender is added. One pending transaction per
  // sender keeps the others valid in whatever order they mine: each spends only what its
  // sender holds (an ERC-721 token, an ERC-1155 balance), read from the latest block, and
  // a transaction of another sender only adds to that.
  std::optional<std::string> TrySend(std::set<std::string>& senders) {
    const std::string& actor = accounts_[rng_.Below(accounts_.size())];
    const std::string& other = accounts_[rng_.Below(accounts_.size())];
    uint64_t contract = rng_.Below(3);
    if (contract == 2) {
      // ERC-20: mints, moves (self-moves too) and burns of amounts up to 2^80.
      if (!senders.insert(actor).second) return std::nullopt;
      uint256_t held = TokenBalanceOf(actor);
      uint64_t roll = rng_.Below(10);
      if (held == 0 || roll < 3) {
        uint256_t amount = (uint256_t(1 + rng_.Below(1000000)) << rng_.Below(60));
        return chain_.Send(
            actor, token_.address,
            token_.Data("mint(address,uint256)", {AddressWord(other), Word(amount)}));
      }
      uint256_t amount = roll == 9 ? held : 1 + uint256_t(rng_.Next()) % held;
      if (roll < 8) {
        return chain_.Send(actor, token_.address,
                           token_.Data("transfer(address,uint256)",
                                       {AddressWord(other), Word(amount)}));
      }
      return chain_.Send(actor, token_.address, token_.Data("burn(uint256)", {Word(amount)}));
    }
    if (contract == 0) {
      std::vector<uint256_t> live;
      for (const auto& id : nft_ids_) {
        if (OwnerOf(id)) live.push_back(id);
      }
      uint64_t roll = rng_.Below(10);
      if (live.size() < 3 || roll < 4) {
        if (!senders.insert(actor).second) return std::nullopt;
        uint256_t id = NewNftId();
        return chain_.Send(actor, nft_.address,
                           nft_.Data("mint(address,uint256)", {AddressWord(other), Word(id)}));
      }
      uint256_t id = live[rng_.Below(live.size())];
      std::string owner = *OwnerOf(id);
      if (!senders.insert(owner).second) return std::nullopt;
      if (roll < 9) {
        return chain_.Send(owner, nft_.address,
                           nft_.Data("transferFrom(address,address,uint256)",
                                     {AddressWord(owner), AddressWord(other), Word(id)}));
      }
      return chain_.Send(owner, nft_.address, nft_.Data("burn(uint256)", {Word(id)}));
    }
    if (!senders.insert(actor).second) return std::nullopt;
    uint256_t id = kMultiIds[rng_.Below(std::size(kMultiIds))];
    multi_ids_.insert(id);
    uint256_t held = BalanceOf(actor, id);
    uint64_t roll = rng_.Below(10);
    if (held == 0 || roll < 4) {
      return chain_.Send(actor, multi_.address,
                         multi_.Data("mint(address,uint256,uint256)",
                                     {AddressWord(other), Word(id), Word(1 + rng_.Below(500))}));
    }
    uint256_t amount = roll == 9 ? held : 1 + rng_.Below(static_cast<uint64_t>(held));
    if (roll < 8) {
      return chain_.Send(
          actor, multi_.address,
          multi_.Data("safeTransferFrom(address,address,uint256,uint256,bytes)",
                      {AddressWord(actor), AddressWord(other), Word(id), Word(amount), Word(0xa0),
                       Word(0)}));
    }
    return chain_.Send(actor, multi_.address,
                       multi_.Data("burn(uint256,uint256)", {Word(id), Word(amount)}));
  }

  // A transaction object for anvil_reorg's replacement blocks: a mint, valid on any branch.
  std::string ReplacementTx() {
    const std::string& actor = accounts_[rng_.Below(accounts_.size())];
    const std::string& other = accounts_[rng_.Below(accounts_.size())];
    std::string to;
    std::string data;
    uint64_t contract = rng_.Below(3);
    if (contract == 2) {
      to = token_.address;
      data = token_.Data("mint(address,uint256)",
                         {AddressWord(other), Word(uint256_t(1 + rng_.Below(1000000)))});
    } else if (contract == 0) {
      to = nft_.address;
      data = nft_.Data("mint(address,uint256)", {AddressWord(other), Word(NewNftId())});
    } else {
      uint256_t id = kMultiIds[rng_.Below(std::size(kMultiIds))];
      multi_ids_.insert(id);
      to = multi_.address;
      data = multi_.Data("mint(address,uint256,uint256)",
                         {AddressWord(other), Word(id), Word(1 + rng_.Below(500))});
    }
    return fmt::format(R"({{"from":"{}","to":"{}","data":"{}"}})", actor, to, data);
  }

  Rng& rng() { return rng_; }
  const Contract& nft() const { return nft_; }
  const Contract& multi() const { return multi_; }
  const Contract& token() const { return token_; }
  const std::set<uint256_t>& nft_ids() const { return nft_ids_; }
  const std::set<uint256_t>& multi_ids() const { return multi_ids_; }
  const std::vector<std::string>& accounts() const { return accounts_; }

 private:
  static constexpr uint64_t kMultiIds[] = {1, 2, 3, 4, 5};

  uint256_t NewNftId() {
    ++minted_;
    uint256_t id = minted_ % 7 == 0 ? (uint256_t(1) << 255) + minted_ : uint256_t(minted_);
    nft_ids_.insert(id);
    return id;
  }

  Chain& chain_;
  Contract nft_;
  Contract multi_;
  Contract token_;
  std::vector<std::string> accounts_;
  Rng rng_;
  uint64_t minted_ = 0;
  std::set<uint256_t> nft_ids_;
  std::set<uint256_t> multi_ids_;
};

// "k1=v1,k2=v2" (a string_agg of rows) as a map.
std::map<std::string, std::string> SplitRows(const std::string& rows) {
  std::map<std::string, std::string> out;
  for (size_t pos = 0; pos < rows.size();) {
    size_t end = rows.find(',', pos);
    if (end == std::string::npos) end = rows.size();
    std::string row = rows.substr(pos, end - pos);
    size_t eq = row.find('=');
    out[row.substr(0, eq)] = row.substr(eq + 1);
    pos = end + 1;
  }
  return out;
}

uint256_t FromBytes(const std::string& bytes) {
  uint256_t v = 0;
  for (unsigned char c : bytes) v = (v << 8) | c;
  return v;
}

// Every record of `topic` from its start, parsed, in each partition's order, until the topic
// has been quiet for a second (at most 30 s).
void ReadTopic(const std::string& topic, int partitions,
               const std::function<void(const v1::Envelope&)>& on_record) {
  // To each partition's end (read_committed, waiting for transactions open
  // at the call), not until the reader has been idle a while: on a loaded
  // machine a new consumer can take longer than that to fetch anything.
  engine::log::ConsumerOptions options;
  options.brokers = "127.0.0.1:9092";
  options.with_headers = false;
  std::vector<engine::log::TopicPartitionOffset> from;
  for (int p = 0; p < partitions; ++p) {
    from.push_back({topic, core::PartitionId(p), engine::log::kOffsetBeginning});
  }
  core::Status read = engine::log::Consumer::ReadToEnd(
      options, from,
      [&](const engine::log::Record& record) {
        v1::Envelope env;
        if (!env.ParseFromString(record.value)) {
          return core::InvalidArgumentError("unparsable record on " + topic);
        }
        on_record(env);
        return core::Status::Ok();
      },
      std::chrono::seconds(60));
  if (!read.ok()) throw std::runtime_error(read.ToString());
}

// What the ownership topic says, replayed from its start the way any consumer would: each
// record sets the token's owner (or a holder's balance), a retraction restores
// previous_owner (empty: the token is gone) or previous_balance.
struct Replayed {
  std::map<uint256_t, std::string> owners;                           // live ERC-721 tokens
  std::map<std::pair<uint256_t, std::string>, uint256_t> balances;  // ERC-1155, > 0
  size_t records = 0;
  size_t retractions = 0;
};

Replayed ReplayOwnershipTopic(const std::string& topic, int partitions,
                              const std::string& nft, const std::string& multi) {
  Replayed out;
  ReadTopic(topic, partitions, [&](const v1::Envelope& env) {
    ++out.records;
    if (env.has_owner_changed()) {
      const v1::OwnerChanged& o = env.owner_changed();
      if (core::ToHex(o.log().contract()) != nft) return;
      uint256_t id = FromBytes(o.token_id());
      if (!o.retracted()) {
        out.owners[id] = core::ToHex(o.owner());
      } else if (o.previous_owner().empty()) {
        ++out.retractions;
        out.owners.erase(id);
      } else {
        ++out.retractions;
        out.owners[id] = core::ToHex(o.previous_owner());
      }
    } else if (env.has_erc1155_balance_changed()) {
      const v1::Erc1155BalanceChanged& b = env.erc1155_balance_changed();
      if (core::ToHex(b.log().contract()) != multi) return;
      if (b.retracted()) ++out.retractions;
      uint256_t balance = FromBytes(b.retracted() ? b.previous_balance() : b.balance());
      auto key = std::make_pair(FromBytes(b.token_id()), core::ToHex(b.owner()));
      if (balance == 0) {
        out.balances.erase(key);
      } else {
        out.balances[key] = balance;
      }
    }
  });
  return out;
}

// What the token balance topic says, replayed from its start the way any consumer would: each
// record sets the account's balance (or the token's supply) to its absolute value,
// retractions included, and a `removed` retraction drops the key.
struct ReplayedTokens {
  std::map<std::string, uint256_t> balances;  // account -> balance
  std::optional<uint256_t> supply;
  size_t records = 0;
  size_t retractions = 0;
  size_t removals = 0;
};

ReplayedTokens ReplayTokenTopic(const std::string& topic, int partitions,
                                const std::string& token) {
  ReplayedTokens out;
  ReadTopic(topic, partitions, [&](const v1::Envelope& env) {
    ++out.records;
    if (env.has_token_balance_changed()) {
      const v1::TokenBalanceChanged& b = env.token_balance_changed();
      if (core::ToHex(b.token()) != token) return;
      out.retractions += b.retracted() ? 1 : 0;
      if (b.removed()) {
        ++out.removals;
        out.balances.erase(core::ToHex(b.account()));
      } else {
        out.balances[core::ToHex(b.account())] = FromBytes(b.balance());
      }
    } else if (env.has_total_supply_changed()) {
      const v1::TotalSupplyChanged& s = env.total_supply_changed();
      if (core::ToHex(s.token()) != token) return;
      out.retractions += s.retracted() ? 1 : 0;
      if (s.removed()) {
        out.supply.reset();
      } else {
        out.supply = FromBytes(s.total_supply());
      }
    }
  });
  return out;
}

std::string ChainToml(const std::string& rpc, uint64_t start_block, int finality_depth,
                      const Contract& nft, const Contract& multi, const Contract& token) {
  return fmt::format(
      "[[chains]]\nname = \"anvil\"\nkind = \"evm\"\nchain_id = 31337\nrpc = \"{}\"\n"
      "confirmations = 0\nfinality = \"depth\"\nfinality_depth = {}\nstart_block = {}\n"
      "poll_interval_ms = 100\n"
      "[[contracts]]\nchain = \"anvil\"\naddress = \"{}\"\nstandard = \"erc721\"\n"
      "[[contracts]]\nchain = \"anvil\"\naddress = \"{}\"\nstandard = \"erc1155\"\n"
      "[[contracts]]\nchain = \"anvil\"\naddress = \"{}\"\nstandard = \"erc20\"\n",
      rpc, finality_depth, start_block, nft.address, multi.address, token.address);
}

class ReorgTest : public ::testing::Test {
 protected:
  // `block_time_s` 0: Anvil mines a block per transaction; else a block every that many
  // seconds whether or not transactions wait (interval mining, as on a real chain).
  explicit ReorgTest(int block_time_s = 0) : block_time_s_(block_time_s) {}

  void SetUp() override {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
    std::vector<std::string> anvil_args;
    if (block_time_s_ > 0) anvil_args = {"--block-time", std::to_string(block_time_s_)};
    anvil_ = LocalAnvil::Start(&why, std::move(anvil_args));
    if (!anvil_) GTEST_SKIP() << why;
    chain_ = std::make_unique<Chain>(anvil_->url());
    auto nft = DeployContract(anvil_->url(), "TestNft721", &why);
    ASSERT_TRUE(nft) << why;
    auto multi = DeployContract(anvil_->url(), "TestMulti1155", &why);
    ASSERT_TRUE(multi) << why;
    auto token = DeployContract(anvil_->url(), "TestToken20", &why);
    ASSERT_TRUE(token) << why;
    std::vector<std::string> accounts;
    json::value listed = chain_->Call("eth_accounts", "[]");
    for (const auto& a : listed.as_array()) {
      accounts.push_back(Lower(std::string(a.as_string())));
    }
    accounts.resize(6);
    start_block_ = chain_->Head();
    activity_ = std::make_unique<Activity>(*chain_, Contract{nft->address, nft->selectors},
                                           Contract{multi->address, multi->selectors},
                                           Contract{token->address, token->selectors}, accounts,
                                           0x5eed'0003);
  }

  void StartPipeline(const std::string& name, int finality_depth) {
    env_ = std::make_unique<PipelineEnv>(
        name, 4, 5000,
        ChainToml(anvil_->url(), start_block_, finality_depth, activity_->nft(),
                  activity_->multi(), activity_->token()));
  }
  std::unique_ptr<Subprocess> Run(std::map<std::string, std::string> env = {}) {
    return std::make_unique<Subprocess>(env_->Argv({"run"}), std::move(env));
  }

  // Waits until the reorg counter on /metrics has reached `min_reorgs` and then a /v1/status
  // collected after that says ready with anvil's ingested block at the node's head (and at
  // least `fresh_block`); on success settled_head_ is that head. The status is cached
  // (StatusCollector's max_age, 500 ms) and a reorg at the same height leaves
  // ingested_block where it was, so a snapshot is trusted to include the reorg's markers
  // only if asked for kFresh after the counter moved, or if it shows `fresh_block` ingested:
  // pass a block that exists only after what is waited for (a transaction's block; with
  // interval mining, a block mined after the reorg) and the kFresh wait is skipped.
  // Settled means quiescent only when no transaction is pending: with interval mining the
  // node goes on mining, but empty blocks change no token.
  ::testing::AssertionResult Settle(Subprocess& chainflow, uint64_t min_reorgs,
                                    uint64_t fresh_block = 0) {
    constexpr auto kFresh = std::chrono::milliseconds(1500);
    int port = env_->api_port();
    std::string last;
    auto since = Clock::now();
    std::optional<Clock::time_point> counted;
    while (Clock::now() - since < kSettleTimeout) {
      if (!counted && ReorgsMetric(port) >= min_reorgs) counted = Clock::now();
      if (!chainflow.Running()) {
        return ::testing::AssertionFailure() << "chainflow exited\n" << Tail(chainflow.Stderr());
      }
      if (!counted || (fresh_block == 0 && Clock::now() - *counted < kFresh)) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        continue;
      }
      uint64_t head = chain_->Head();
      HttpReply status = HttpGet(port, "/v1/status");
      last = status.body;
      if (status.status == 200) {
        json::value parsed = json::parse(status.body);
        std::optional<uint64_t> ingested;
        for (const auto& c : parsed.as_object().at("chains").as_array()) {
          const json::value& b = c.as_object().at("ingested_block");
          if (c.as_object().at("name").as_string() == "anvil" && b.is_int64()) {
            ingested = static_cast<uint64_t>(b.as_int64());
          }
        }
        if (parsed.as_object().at("ready").as_bool() && ingested &&
            *ingested >= std::max(head, fresh_block) && chain_->Head() == head) {
          settled_head_ = head;
          return ::testing::AssertionSuccess();
        }
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return ::testing::AssertionFailure()
           << "not settled in " << kSettleTimeout.count() << " s (want " << min_reorgs
           << " reorgs, metric " << ReorgsMetric(port) << ", block " << fresh_block
           << "); last /v1/status: " << last << "\n" << Tail(chainflow.Stderr());
  }

  // Transfer logs of the ERC-721 contract on the canonical chain: token -> block of its
  // last Transfer. Read independently of the product, to tell "burned" (a row with the zero
  // owner) from "never minted on this branch" (404).
  std::map<uint256_t, uint64_t> LastTransferBlocks() {
    json::value logs = chain_->Call(
        "eth_getLogs", fmt::format(R"([{{"fromBlock":"0x0","toBlock":"latest","address":"{}",)"
                                   R"("topics":["{}"]}}])",
                                   activity_->nft().address, kTransferTopic));
    std::map<uint256_t, uint64_t> last;
    for (const auto& log : logs.as_array()) {
      uint256_t id(std::string(log.as_object().at("topics").as_array().at(3).as_string()));
      last[id] = HexNumber(log.as_object().at("blockNumber"));
    }
    return last;
  }

  // Every touched token and balance served equals the chain's. Returns the owners checked.
  std::map<uint256_t, std::string> ExpectViewsEqualChain(const std::string& when) {
    std::map<uint256_t, std::string> owners;
    std::map<uint256_t, uint64_t> last_transfer = LastTransferBlocks();
    int port = env_->api_port();
    for (const uint256_t& id : activity_->nft_ids()) {
      std::optional<std::string> owner = activity_->OwnerOf(id);
      std::string target =
          fmt::format("/v1/nfts/anvil/{}/{}", activity_->nft().address, id.str());
      HttpReply reply = HttpGet(port, target);
      auto transfer = last_transfer.find(id);
      if (transfer == last_transfer.end()) {
        EXPECT_EQ(reply.status, 404) << when << ": token " << id
                                     << " has no Transfer on the canonical chain; " << reply.body;
        owners[id] = "";
        continue;
      }
      EXPECT_EQ(reply.status, 200) << when << ": " << target << ": " << reply.body;
      if (reply.status != 200) continue;
      json::object body = json::parse(reply.body).as_object();
      owners[id] = owner.value_or(kZero);
      EXPECT_EQ(body.at("owner").as_string(), owners[id])
          << when << ": token " << id << " API owner vs ownerOf; " << reply.body;
      EXPECT_EQ(body.at("block_number").as_int64(), static_cast<int64_t>(transfer->second))
          << when << ": token " << id << " block of its last Transfer; " << reply.body;
    }
    std::string rows = env_->QueryScalar(fmt::format(
        "SELECT COALESCE(string_agg(token_id::text || ':' || owner || '=' || balance::text, ','),"
        " '') FROM chainflow.nft_balances WHERE chain = 'anvil' AND contract = '{}'"
        " AND balance > 0",
        activity_->multi().address));
    std::map<std::string, std::string> served = SplitRows(rows);  // "id:owner" -> balance
    size_t positive = 0;
    for (const uint256_t& id : activity_->multi_ids()) {
      for (const std::string& account : activity_->accounts()) {
        uint256_t balance = activity_->BalanceOf(account, id);
        std::string key = id.str() + ":" + account;
        auto it = served.find(key);
        std::string got = it == served.end() ? "0" : it->second;
        EXPECT_EQ(got, balance.str()) << when << ": balanceOf(" << account << ", " << id << ")";
        if (balance > 0) ++positive;
      }
    }
    EXPECT_EQ(served.size(), positive) << when << ": rows with a positive balance: " << rows;
    ExpectTokenViewsEqualChain(when);
    return owners;
  }

  // The ERC-20 Transfers on the canonical chain, read independently of the product: per
  // account the block of the last one that moved its balance, and the block of the last
  // mint or burn (0: none).
  struct TokenHistory {
    std::map<std::string, uint64_t> last_block;
    uint64_t supply_block = 0;
  };
  TokenHistory CanonicalTokenHistory() {
    json::value logs = chain_->Call(
        "eth_getLogs", fmt::format(R"([{{"fromBlock":"0x0","toBlock":"latest","address":"{}",)"
                                   R"("topics":["{}"]}}])",
                                   activity_->token().address, kTransferTopic));
    TokenHistory h;
    for (const auto& log : logs.as_array()) {
      const json::array& topics = log.as_object().at("topics").as_array();
      uint64_t block = HexNumber(log.as_object().at("blockNumber"));
      for (int i : {1, 2}) {
        std::string account = "0x" + std::string(topics.at(i).as_string()).substr(26);
        if (account == kZero) {
          h.supply_block = std::max(h.supply_block, block);
        } else {
          h.last_block[account] = std::max(h.last_block[account], block);
        }
      }
    }
    return h;
  }

  // Every ERC-20 balance served (table and GET /v1/balances) equals balanceOf, with the
  // block of the account's last canonical Transfer; accounts no canonical Transfer touched
  // have no row; the supply row equals totalSupply (with the block of the last mint or
  // burn) and the sum of the balances.
  void ExpectTokenViewsEqualChain(const std::string& when) {
    const std::string& token = activity_->token().address;
    TokenHistory history = CanonicalTokenHistory();
    std::string rows = env_->QueryScalar(fmt::format(
        "SELECT COALESCE(string_agg(account || '=' || balance::text || '@' || block_number, ','"
        " ORDER BY account), '') FROM chainflow.token_balances WHERE chain = 'anvil'"
        " AND token = '{}'",
        token));
    std::map<std::string, std::string> served = SplitRows(rows);  // account -> "balance@block"
    uint256_t sum = 0;
    for (const std::string& account : activity_->accounts()) {
      uint256_t balance = activity_->TokenBalanceOf(account);
      sum += balance;
      auto touched = history.last_block.find(account);
      auto row = served.find(account);
      if (touched == history.last_block.end()) {
        EXPECT_TRUE(row == served.end())
            << when << ": ERC-20 row for " << account << " that no canonical Transfer touched: "
            << row->second;
      } else {
        EXPECT_EQ(row == served.end() ? "(no row)" : row->second,
                  balance.str() + "@" + std::to_string(touched->second))
            << when << ": ERC-20 balanceOf(" << account << ")@block of its last Transfer";
      }
      HttpReply reply = HttpGet(
          env_->api_port(), fmt::format("/v1/balances/{}?chain=anvil&token={}", account, token));
      EXPECT_EQ(reply.status, 200) << when << ": " << reply.body;
      if (reply.status != 200) continue;
      json::value parsed = json::parse(reply.body);  // outlives `fungible`
      const json::array& fungible = parsed.as_object().at("fungible").as_array();
      std::string api = fungible.empty()
                            ? "0"
                            : std::string(fungible.at(0).as_object().at("balance").as_string());
      EXPECT_EQ(api, balance.str()) << when << ": GET /v1/balances/" << account;
    }
    EXPECT_EQ(served.size(), history.last_block.size()) << when << ": ERC-20 rows: " << rows;
    uint256_t supply = activity_->TotalSupply();
    EXPECT_EQ(sum, supply) << when << ": the chain's own conservation";
    std::string supply_row = env_->QueryScalar(fmt::format(
        "SELECT COALESCE(string_agg(total_supply::text || '@' || block_number, ','), '(no row)')"
        " FROM chainflow.token_supply WHERE chain = 'anvil' AND token = '{}'",
        token));
    EXPECT_EQ(supply_row, history.supply_block == 0
                              ? std::string("(no row)")
                              : supply.str() + "@" + std::to_string(history.supply_block))
        << when << ": token_supply vs totalSupply@block of the last mint or burn";
    EXPECT_EQ(env_->QueryScalar(fmt::format(
                  "SELECT (SELECT COALESCE(sum(balance), 0) FROM chainflow.token_balances"
                  " WHERE chain = 'anvil' AND token = '{0}')::text || '/' ||"
                  " (SELECT COALESCE(sum(total_supply), 0) FROM chainflow.token_supply"
                  " WHERE chain = 'anvil' AND token = '{0}')::text",
                  token)),
              supply.str() + "/" + supply.str())
        << when << ": conservation in the views (sum of balances / supply)";
  }

  // /v1/status counts between `min_reorgs` and `max_reorgs` reorgs (from the log's markers
  // and the running ingest), at least one of `min_deepest` blocks, and no ingest error.
  void ExpectStatusCounts(uint64_t min_reorgs, uint64_t max_reorgs, uint64_t min_deepest) {
    HttpReply status = HttpGet(env_->api_port(), "/v1/status");
    ASSERT_EQ(status.status, 200) << status.body;
    json::value parsed_status = json::parse(status.body);  // outlives the loop
    bool found = false;
    for (const auto& c : parsed_status.as_object().at("chains").as_array()) {
      const json::object& chain = c.as_object();
      if (chain.at("name").as_string() != "anvil") continue;
      found = true;
      EXPECT_GE(chain.at("reorgs").as_int64(), static_cast<int64_t>(min_reorgs)) << status.body;
      EXPECT_LE(chain.at("reorgs").as_int64(), static_cast<int64_t>(max_reorgs)) << status.body;
      EXPECT_GE(chain.at("deepest_reorg").as_int64(), static_cast<int64_t>(min_deepest))
          << status.body;
      EXPECT_TRUE(chain.at("error").is_null()) << status.body;
    }
    EXPECT_TRUE(found) << status.body;
  }

  // The ownership topic, replayed from its start with its retractions, ends where the chain
  // is: every touched token's owner and every ERC-1155 balance. Call when settled.
  void ExpectTopicReplaysToTheChain() {
    Replayed replayed = ReplayOwnershipTopic(env_->prefix() + ".nft.ownership", 4,
                                             activity_->nft().address, activity_->multi().address);
    EXPECT_GT(replayed.retractions, 0u);
    std::map<uint256_t, uint64_t> last_transfer = LastTransferBlocks();
    for (const uint256_t& id : activity_->nft_ids()) {
      std::optional<std::string> owner = activity_->OwnerOf(id);
      auto it = replayed.owners.find(id);
      std::string got = it == replayed.owners.end() ? "(none)" : it->second;
      // ownerOf reverts for a burned token (its last record names the zero address) and for
      // one that never existed on this branch (no record left after the retractions).
      std::string want = owner.value_or(last_transfer.count(id) ? kZero : "(none)");
      EXPECT_EQ(got, want) << "token " << id << " replayed from the ownership topic";
    }
    size_t positive = 0;
    for (const uint256_t& id : activity_->multi_ids()) {
      for (const std::string& account : activity_->accounts()) {
        uint256_t balance = activity_->BalanceOf(account, id);
        auto it = replayed.balances.find({id, account});
        EXPECT_EQ(it == replayed.balances.end() ? uint256_t(0) : it->second, balance)
            << "balance of " << account << " id " << id << " replayed from the ownership topic";
        if (balance > 0) ++positive;
      }
    }
    EXPECT_EQ(replayed.balances.size(), positive);
    std::cout << fmt::format("ownership topic: {} records, {} retractions replayed\n",
                             replayed.records, replayed.retractions);

    ReplayedTokens tokens =
        ReplayTokenTopic(env_->prefix() + ".token.balances", 4, activity_->token().address);
    EXPECT_GT(tokens.retractions, 0u);
    TokenHistory history = CanonicalTokenHistory();
    for (const std::string& account : activity_->accounts()) {
      auto it = tokens.balances.find(account);
      if (!history.last_block.count(account)) {
        EXPECT_TRUE(it == tokens.balances.end()) << account << " kept by the token topic";
        continue;
      }
      EXPECT_EQ(it == tokens.balances.end() ? uint256_t(0) : it->second,
                activity_->TokenBalanceOf(account))
          << "ERC-20 balance of " << account << " replayed from the token topic";
    }
    EXPECT_EQ(tokens.balances.size(), history.last_block.size());
    EXPECT_EQ(tokens.supply.value_or(0), activity_->TotalSupply());
    std::cout << fmt::format("token topic: {} records, {} retractions ({} removals) replayed\n",
                             tokens.records, tokens.retractions, tokens.removals);
  }

  // anvil_reorg: replaces the newest `depth` blocks (of the head when the node runs it) with
  // as many blocks carrying `txs` random mints (at random offsets; the other blocks are
  // empty). `change_lowest` puts the first mint into the lowest replaced block: with
  // interval mining the replaced blocks may be empty, and Anvil rebuilds an empty block
  // byte for byte (same parent and timestamp: the same hash), which is no reorg at all.
  void ForceReorg(uint64_t depth, int txs, bool change_lowest = false) {
    std::string pairs;
    for (int i = 0; i < txs; ++i) {
      if (!pairs.empty()) pairs += ",";
      uint64_t offset = change_lowest && i == 0 ? 0 : activity_->rng().Below(depth);
      pairs += fmt::format("[{},{}]", activity_->ReplacementTx(), offset);
    }
    chain_->Call("anvil_reorg", fmt::format("[{},[{}]]", depth, pairs));
  }

  std::unique_ptr<LocalAnvil> anvil_;
  std::unique_ptr<Chain> chain_;
  std::unique_ptr<Activity> activity_;
  std::unique_ptr<PipelineEnv> env_;
  const int block_time_s_;
  uint64_t start_block_ = 0;
  uint64_t settled_head_ = 0;  // the head of the last successful Settle()
};

TEST_F(ReorgTest, ViewsEqualTheChainAfterReorgsOfDepth1To20) {
  StartPipeline("reorg", 64);
  auto chainflow = Run();
  for (int i = 0; i < 22; ++i) activity_->Step();  // room for a reorg of 20
  ASSERT_TRUE(Settle(*chainflow, 0));
  ExpectViewsEqualChain("before any reorg");

  uint64_t reorgs = 0;
  // anvil_reorg: depths 1..20, replacement blocks with mints or empty.
  for (uint64_t depth : kDepths) {
    for (uint64_t i = 0; i < depth / 2 + 2; ++i) activity_->Step();
    ASSERT_TRUE(Settle(*chainflow, reorgs));
    int txs = static_cast<int>(activity_->rng().Below(depth + 2));  // 0: all blocks empty
    ForceReorg(depth, txs);
    // Every other time the chain also grows past the replaced blocks, so the follower meets
    // the reorg either re-checking its last block or fetching the next range.
    if (reorgs % 2 == 1) chain_->Call("evm_mine", "[]");
    ASSERT_TRUE(Settle(*chainflow, ++reorgs)) << "anvil_reorg depth " << depth;
    ExpectViewsEqualChain(fmt::format("after anvil_reorg depth {} with {} txs", depth, txs));
    if (HasFailure()) {
      std::cout << "chainflow stderr:\n" << Tail(chainflow->Stderr(), 12000);
      return;
    }
  }
  // evm_snapshot / evm_revert, then a longer branch of new random transactions.
  for (uint64_t depth : kReverted) {
    json::value snapshot = chain_->Call("evm_snapshot", "[]");
    for (uint64_t i = 0; i < depth; ++i) activity_->Step();
    ASSERT_TRUE(Settle(*chainflow, reorgs));
    chain_->Call("evm_revert", "[" + json::serialize(snapshot) + "]");
    for (uint64_t i = 0; i <= depth; ++i) activity_->Step();
    chain_->Call("evm_mine", "[]");
    ASSERT_TRUE(Settle(*chainflow, ++reorgs)) << "evm_revert of " << depth << " blocks";
    ExpectViewsEqualChain(fmt::format("after evm_revert of {} blocks", depth));
    if (HasFailure()) return;
  }
  // A reorg to a SHORTER branch: evm_revert of `depth` blocks, then one new block.
  for (uint64_t depth : {4, 9}) {
    json::value snapshot = chain_->Call("evm_snapshot", "[]");
    for (uint64_t i = 0; i < depth; ++i) activity_->Step();
    ASSERT_TRUE(Settle(*chainflow, reorgs));
    chain_->Call("evm_revert", "[" + json::serialize(snapshot) + "]");
    activity_->Step();
    ASSERT_TRUE(Settle(*chainflow, ++reorgs)) << "evm_revert of " << depth << ", one new block";
    ExpectViewsEqualChain(fmt::format("after evm_revert of {} blocks and one new", depth));
    if (HasFailure()) return;
  }
  ExpectStatusCounts(reorgs, reorgs, 20);
  ExpectTopicReplaysToTheChain();
  std::cout << fmt::format("{} reorgs; {} ERC-721 tokens and {} ERC-1155 ids checked\n", reorgs,
                           activity_->nft_ids().size(), activity_->multi_ids().size());
  chainflow->Kill(SIGTERM);
  EXPECT_EQ(chainflow->Wait(std::chrono::seconds(30)), 0);
}

// The same fixture with Anvil mining a block every second (--block-time 1): transactions
// wait in the pool for the next block, several share one, empty blocks keep coming while
// the test compares, and a reorg's depth counts from the head when the node runs it.
class IntervalReorgTest : public ReorgTest {
 protected:
  IntervalReorgTest() : ReorgTest(1) {}

  // anvil_reorg of the newest `depth` blocks, right after a Settle(), with at least one
  // mint (in the lowest replaced block), then settles on a block mined after it. Returns
  // whether the reorg certainly replaced a block chainflow had ingested, so that it must
  // count it: false only when the node mined a block between the Settle() and the call
  // and `depth` is 1.
  bool ReorgSettledHead(Subprocess& chainflow, uint64_t depth) {
    uint64_t ingested = settled_head_;
    std::string hash = chain_->BlockHash(ingested);
    int txs = 1 + static_cast<int>(activity_->rng().Below(depth + 1));
    ForceReorg(depth, txs, /*change_lowest=*/true);
    uint64_t after = chain_->Head();
    bool replaced = chain_->BlockHash(ingested) != hash;
    ::testing::AssertionResult settled = Settle(chainflow, 0, after + 1);
    EXPECT_TRUE(settled) << "anvil_reorg depth " << depth;
    if (!settled) return replaced;
    ExpectViewsEqualChain(fmt::format("after anvil_reorg depth {} with {} txs at head {}", depth,
                                      txs, after));
    return replaced;
  }
};

TEST_F(IntervalReorgTest, ViewsEqualTheChainAfterReorgsOfDepth1To20With1SecondBlocks) {
  auto started = Clock::now();
  StartPipeline("reorg_interval", 64);
  auto chainflow = Run();
  uint64_t mined = 0;
  for (int i = 0; i < 6; ++i) mined = activity_->Steps(4);
  ASSERT_TRUE(Settle(*chainflow, 0, mined));
  ExpectViewsEqualChain("before any reorg");

  uint64_t certain = 0;  // reorgs chainflow must have counted
  uint64_t possible = 0;
  std::string reverted_depths;  // evm_revert: blocks above the snapshot when the node ran it
  for (uint64_t depth : kDepths) {
    mined = activity_->Steps(depth / 2 + 2);
    // Depth 20 needs 20 blocks above the start block: with a block a second they accrue.
    while (chain_->Head() < start_block_ + depth + 1) mined = activity_->Steps(2);
    ASSERT_TRUE(Settle(*chainflow, 0, mined));
    certain += ReorgSettledHead(*chainflow, depth) ? 1 : 0;
    ++possible;
    if (HasFailure()) {
      std::cout << "chainflow stderr:\n" << Tail(chainflow->Stderr(), 12000);
      return;
    }
  }
  // evm_snapshot, transactions in the next block and `depth` blocks in all, evm_revert: the
  // node is back at the snapshot, shorter than what chainflow ingested, and mines a new
  // branch with other transactions that soon outgrows the old one.
  for (uint64_t depth : kReverted) {
    uint64_t base = chain_->WaitForNewBlock();
    json::value snapshot = chain_->Call("evm_snapshot", "[]");
    mined = activity_->Steps(3);
    while (chain_->Head() < base + depth) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ASSERT_TRUE(Settle(*chainflow, 0, std::max(mined, base + depth)));
    uint64_t before = ReorgsMetric(env_->api_port());
    uint64_t reverted = chain_->Head() - base;
    chain_->Call("evm_revert", "[" + json::serialize(snapshot) + "]");
    activity_->Steps(depth / 2 + 1);
    ASSERT_TRUE(Settle(*chainflow, before + 1)) << "evm_revert of " << reverted << " blocks";
    ++certain;
    ++possible;
    reverted_depths += (reverted_depths.empty() ? "" : " ") + std::to_string(reverted);
    ExpectViewsEqualChain(fmt::format("after evm_revert of {} blocks and new ones", reverted));
    if (HasFailure()) {
      std::cout << "chainflow stderr:\n" << Tail(chainflow->Stderr(), 12000);
      return;
    }
  }
  // An anvil_reorg of depth 1 that met a block mined after the Settle() may have replaced
  // only a block chainflow had not read yet: then it need not count it.
  ExpectStatusCounts(certain, possible, 20);
  ExpectTopicReplaysToTheChain();
  std::cout << fmt::format("evm_revert depths: {}\n", reverted_depths);
  std::cout << fmt::format(
      "{} reorgs ({} certainly seen) in {} s; {} ERC-721 tokens and {} ERC-1155 ids checked\n",
      possible, certain,
      std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count(),
      activity_->nft_ids().size(), activity_->multi_ids().size());
  chainflow->Kill(SIGTERM);
  EXPECT_EQ(chainflow->Wait(std::chrono::seconds(30)), 0);
}

TEST_F(ReorgTest, ReorgDeeperThanTheWindowStopsIngestAndKeepsTheViews) {
  StartPipeline("reorg_deep", 5);
  auto chainflow = Run();
  for (int i = 0; i < 14; ++i) activity_->Step();
  ASSERT_TRUE(Settle(*chainflow, 0));
  std::map<uint256_t, std::string> before = ExpectViewsEqualChain("before the deep reorg");
  std::string balances_sql = fmt::format(
      "SELECT COALESCE(string_agg(token_id::text || ':' || owner || '=' || balance::text, ','"
      " ORDER BY token_id, owner), '') FROM chainflow.nft_balances WHERE contract = '{}'",
      activity_->multi().address);
  std::string balances_before = env_->QueryScalar(balances_sql);
  uint64_t head = chain_->Head();

  ForceReorg(8, 6);
  for (int i = 0; i < 3; ++i) activity_->Step();  // the chain goes on; ingest must not
  auto since = Clock::now();
  while (chainflow->Stderr().find("reorg deeper than the finality window") == std::string::npos &&
         Clock::now() - since < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::string log = chainflow->Stderr();
  size_t at = log.find("reorg deeper than the finality window");
  ASSERT_NE(at, std::string::npos) << Tail(log);
  std::string line = log.substr(at, log.find('\n', at) - at);
  EXPECT_NE(line.find(fmt::format("down to {}", head - 5)), std::string::npos) << line;
  EXPECT_NE(line.find(fmt::format("nothing after block {}", head)), std::string::npos) << line;

  // Give processors and projections time to apply anything wrongly appended, then compare.
  std::this_thread::sleep_for(std::chrono::seconds(3));
  // /v1/status names the chain's error and keeps its ingested block.
  HttpReply status = HttpGet(env_->api_port(), "/v1/status");
  ASSERT_EQ(status.status, 200) << status.body;
  bool found = false;
  json::value parsed_status = json::parse(status.body);  // outlives the loop
  for (const auto& c : parsed_status.as_object().at("chains").as_array()) {
    const json::object& chain = c.as_object();
    if (chain.at("name").as_string() != "anvil") continue;
    found = true;
    ASSERT_TRUE(chain.at("error").is_string()) << status.body;
    EXPECT_NE(
        std::string(chain.at("error").as_string()).find("reorg deeper than the finality window"),
        std::string::npos)
        << status.body;
    EXPECT_EQ(chain.at("ingested_block").as_int64(), static_cast<int64_t>(head)) << status.body;
  }
  EXPECT_TRUE(found) << status.body;
  int port = env_->api_port();
  for (const auto& [id, owner] : before) {
    HttpReply reply =
        HttpGet(port, fmt::format("/v1/nfts/anvil/{}/{}", activity_->nft().address, id.str()));
    if (owner.empty()) {
      EXPECT_EQ(reply.status, 404) << id << ": " << reply.body;
    } else {
      ASSERT_EQ(reply.status, 200) << id << ": " << reply.body;
      EXPECT_EQ(json::parse(reply.body).as_object().at("owner").as_string(), owner) << id;
    }
  }
  for (const uint256_t& id : activity_->nft_ids()) {
    if (before.count(id)) continue;  // minted on the new branch: never ingested
    HttpReply reply =
        HttpGet(port, fmt::format("/v1/nfts/anvil/{}/{}", activity_->nft().address, id.str()));
    EXPECT_EQ(reply.status, 404) << "token " << id << " of the new branch: " << reply.body;
  }
  EXPECT_EQ(env_->QueryScalar(balances_sql), balances_before);
  EXPECT_EQ(env_->QueryScalar(
                "SELECT COALESCE(max(block_number), 0)::text FROM chainflow.nft_owners"),
            env_->QueryScalar("SELECT COALESCE(max(block_number), 0)::text FROM "
                              "chainflow.nft_owners WHERE block_number <= " +
                              std::to_string(head)));
}

// Stopped, moved to a machine with no local state (its state directories
// wiped: the processors' stores and ingest's stored block headers), and the
// chain reorganized meanwhile. Ingest reads the headers of the blocks it had
// appended back from the topic, sees that they left the chain and reverts
// them; the processors restore from their changelogs.
TEST_F(ReorgTest, AReorgWhileStoppedIsSeenAfterTheStateDirWasWiped) {
  StartPipeline("reorg_wiped", 64);
  auto chainflow = Run();
  for (int i = 0; i < 12; ++i) activity_->Step();
  ASSERT_TRUE(Settle(*chainflow, 0));
  ExpectViewsEqualChain("before the stop");
  chainflow->Kill(SIGTERM);
  ASSERT_EQ(chainflow->Wait(std::chrono::seconds(30)), 0) << Tail(chainflow->Stderr());

  const std::string state = env_->state_dir();
  ASSERT_TRUE(std::filesystem::exists(state + ".ingest")) << "where ingest keeps its headers";
  std::filesystem::remove_all(state);
  std::filesystem::remove_all(state + ".ingest");
  ForceReorg(6, 4);
  chain_->Call("evm_mine", "[]");
  chainflow = Run();
  ASSERT_TRUE(Settle(*chainflow, 1)) << "the reorg that happened while stopped is handled";
  EXPECT_NE(chainflow->Stderr().find("recovered"), std::string::npos)
      << Tail(chainflow->Stderr());
  ExpectViewsEqualChain("after a reorg of 6 while stopped, state wiped");
  for (int i = 0; i < 5; ++i) activity_->Step();
  ASSERT_TRUE(Settle(*chainflow, 1));
  ExpectViewsEqualChain("after more blocks on the new branch");
  chainflow->Kill(SIGTERM);
  EXPECT_EQ(chainflow->Wait(std::chrono::seconds(30)), 0);
}

TEST_F(ReorgTest, SigkillDuringAReorgGivesTheSameViews) {
  StartPipeline("reorg_kill", 64);
  auto chainflow = Run();
  for (int i = 0; i < 12; ++i) activity_->Step();
  ASSERT_TRUE(Settle(*chainflow, 0));

  // 1. SIGKILL right after forcing the reorg, wherever ingest is.
  ForceReorg(6, 4);
  chainflow->Kill(SIGKILL);
  chainflow->Wait(std::chrono::seconds(30));
  // A block above the killed run's last one: the restarted run is caught up only once it
  // has passed the reorg (it may not count it: the killed run may have finished it).
  chain_->Call("evm_mine", "[]");
  chainflow = Run();
  ASSERT_TRUE(Settle(*chainflow, 0));
  ExpectViewsEqualChain("after SIGKILL during a reorg of 6");
  for (int i = 0; i < 5; ++i) activity_->Step();
  ASSERT_TRUE(Settle(*chainflow, 0));

  // 2. Killed at the named point: markers sent, not yet flushed nor recorded as done.
  chainflow->Kill(SIGTERM);
  ASSERT_EQ(chainflow->Wait(std::chrono::seconds(30)), 0) << Tail(chainflow->Stderr());
  chainflow = Run({{"CHAINFLOW_CRASH_AT", "ingest.reorg_after_markers:1"}});
  ASSERT_TRUE(Settle(*chainflow, 0));
  ForceReorg(4, 3);
  auto since = Clock::now();
  while (chainflow->Running() && Clock::now() - since < std::chrono::seconds(60)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(chainflow->Running()) << "the crash point was not reached";
  chain_->Call("evm_mine", "[]");
  chainflow = Run();
  ASSERT_TRUE(Settle(*chainflow, 1)) << "the restart finishes the recorded reorg";
  ExpectViewsEqualChain("after a crash at ingest.reorg_after_markers");
  for (int i = 0; i < 5; ++i) activity_->Step();
  ASSERT_TRUE(Settle(*chainflow, 1));
  ExpectViewsEqualChain("after more blocks on the new branch");
  chainflow->Kill(SIGTERM);
  EXPECT_EQ(chainflow->Wait(std::chrono::seconds(30)), 0);
}

}  // namespace
}  // namespace chainflow::testing
