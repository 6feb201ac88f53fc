// `chainflow run` against a live Anvil chain: after a few hundred random mints, transfers and
// burns on fresh ERC-721 and ERC-1155 contracts, the API agrees with the chain's own
// ownerOf / balanceOf for every token and holder the test touched.
//
// Needs the infrastructure of `ops/infra start --with-anvil` (Kafka, PostgreSQL, Anvil
// auto-mining at 127.0.0.1:8545); skips, saying why, when any of them does not answer.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <boost/multiprecision/cpp_int.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ingest/evm/rpc_client.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/support/http_get.h"
#include "tests/support/subprocess.h"

namespace chainflow::testing {
namespace {

namespace json = boost::json;
using boost::multiprecision::uint256_t;
using Clock = std::chrono::steady_clock;

constexpr char kRpcUrl[] = "http://127.0.0.1:8545";
constexpr char kZero[] = "0x0000000000000000000000000000000000000000";
constexpr int kTransactions = 360;
constexpr uint64_t kSeed = 0x5eed'c0ffee;

// ---- small helpers ------------------------------------------------------------------------

// splitmix64: deterministic on every platform (std distributions are not).
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
  double Unit() { return static_cast<double>(Next() >> 11) / 9007199254740992.0; }
  template <typename T>
  const T& Pick(const std::vector<T>& v) { return v[Below(v.size())]; }

 private:
  uint64_t state_;
};

std::string Word(const uint256_t& v) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(64, '0');
  for (int i = 0; i < 64; ++i) {
    out[63 - i] = kHex[static_cast<unsigned>((v >> (4 * i)) & 0xf)];
  }
  return out;
}

std::string AddressWord(const std::string& address) {
  return std::string(24, '0') + address.substr(2);
}

std::string Tail(const std::string& text, size_t lines) {
  size_t pos = text.size();
  for (size_t n = 0; n <= lines && pos != std::string::npos && pos > 0; ++n) {
    pos = text.rfind('\n', pos - 1);
  }
  return pos == std::string::npos ? text : text.substr(pos + 1);
}

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::optional<std::string> FindInPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/local/bin:/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    std::filesystem::path candidate = std::filesystem::path(dir) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return std::nullopt;
}

// ---- the chain ----------------------------------------------------------------------------

struct Deployed {
  std::string address;
  std::map<std::string, std::string> selectors;  // signature -> 8 hex digits
};

// JSON-RPC to Anvil plus ABI calldata for the two test contracts.
class Chain {
 public:
  explicit Chain(std::unique_ptr<ingest::evm::RpcClient> rpc) : rpc_(std::move(rpc)) {}

  json::value Call(const std::string& method, const std::string& params) {
    auto result = rpc_->Call(method, params);
    if (!result) throw std::runtime_error(method + ": " + result.error().ToString());
    return json::parse(result.value());
  }

  uint64_t BlockNumber() {
    auto n = rpc_->BlockNumber();
    if (!n) throw std::runtime_error("eth_blockNumber: " + n.error().ToString());
    return n.value();
  }

  // Sends from an unlocked account and waits for the receipt; returns its block.
  uint64_t Transact(const std::string& from, const std::string& to, const std::string& data) {
    json::value hash = Call("eth_sendTransaction",
                            fmt::format(R"([{{"from":"{}","to":"{}","data":"{}"}}])", from, to,
                                        data));
    std::string params = "[" + json::serialize(hash) + "]";
    auto deadline = Clock::now() + std::chrono::seconds(30);
    for (;;) {
      json::value receipt = Call("eth_getTransactionReceipt", params);
      if (receipt.is_object()) {
        const auto& r = receipt.as_object();
        if (r.at("status").as_string() != "0x1") {
          throw std::runtime_error(fmt::format("tx {} reverted", json::serialize(hash)));
        }
        return std::stoull(std::string(r.at("blockNumber").as_string()), nullptr, 16);
      }
      if (Clock::now() > deadline) throw std::runtime_error("tx not mined in 30 s");
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }

  // eth_call; nullopt when the call reverted (the message is kept in *revert).
  std::optional<std::string> EthCall(const std::string& to, const std::string& data,
                                     std::string* revert) {
    auto result = rpc_->Call(
        "eth_call", fmt::format(R"([{{"to":"{}","data":"{}"}},"latest"])", to, data));
    if (!result) {
      *revert = result.error().ToString();
      return std::nullopt;
    }
    return std::string(json::parse(result.value()).as_string());
  }

 private:
  std::unique_ptr<ingest::evm::RpcClient> rpc_;
};

std::string Calldata(const Deployed& c, const std::string& signature,
                     const std::vector<std::string>& words) {
  auto it = c.selectors.find(signature);
  if (it == c.selectors.end()) throw std::runtime_error("no selector for " + signature);
  std::string data = "0x" + it->second;
  for (const auto& w : words) data += w;
  return data;
}

// ---- the random activity ------------------------------------------------------------------

// What the test did, tracked locally so every transaction is sent by the holder (and checked
// against the chain afterwards, to catch a wrong model rather than blame the product).
struct Activity {
  std::vector<std::string> accounts;
  std::map<uint256_t, std::string> nft_owner;            // live ERC-721 tokens
  std::set<uint256_t> nft_touched;
  std::map<std::pair<uint256_t, std::string>, uint256_t> balance;  // (id, holder), > 0
  std::set<uint256_t> multi_touched;
  uint64_t last_block = 0;
  int sent = 0;
  int counts[8] = {};  // by kind, for the log line
};

enum Kind { kMint721, kTransfer721, kBurn721, kMint1155, kTransfer1155, kBatch1155, kBurn1155 };

class ActivityRunner {
 public:
  ActivityRunner(Chain& chain, const Deployed& nft, const Deployed& multi, Activity& a)
      : chain_(chain), nft_(nft), multi_(multi), a_(a), rng_(kSeed) {}

  void Run(int count) {
    for (int i = 0; i < count; ++i) {
      if (rng_.Unit() < 0.5) {
        Step721();
      } else {
        Step1155();
      }
    }
  }

 private:
  void Send(Kind kind, const std::string& from, const std::string& to, const std::string& data) {
    a_.last_block = chain_.Transact(from, to, data);
    ++a_.sent;
    ++a_.counts[kind];
  }

  uint256_t NewNftId() {
    // Mostly small ids; some near 2^256 to check uint256 end to end.
    ++minted_;
    if (minted_ % 17 == 0) return (uint256_t(1) << 255) + minted_;
    if (minted_ % 29 == 0) return ~uint256_t(0) - minted_;
    return uint256_t(minted_);
  }

  void Step721() {
    double r = rng_.Unit();
    if (a_.nft_owner.size() < 3 || r < 0.3) {
      std::string to = rng_.Pick(a_.accounts);
      uint256_t id;
      std::vector<uint256_t> burned;
      for (const auto& t : a_.nft_touched) {
        if (!a_.nft_owner.count(t)) burned.push_back(t);
      }
      id = (!burned.empty() && rng_.Unit() < 0.3) ? rng_.Pick(burned) : NewNftId();  // re-mint
      Send(kMint721, rng_.Pick(a_.accounts), nft_.address,
           Calldata(nft_, "mint(address,uint256)", {AddressWord(to), Word(id)}));
      a_.nft_owner[id] = to;
      a_.nft_touched.insert(id);
      return;
    }
    std::vector<uint256_t> live;
    for (const auto& [id, owner] : a_.nft_owner) live.push_back(id);
    uint256_t id = rng_.Pick(live);
    std::string owner = a_.nft_owner[id];
    if (r < 0.85) {
      std::string to = rng_.Unit() < 0.08 ? owner : rng_.Pick(a_.accounts);  // self transfer
      Send(kTransfer721, owner, nft_.address,
           Calldata(nft_, "transferFrom(address,address,uint256)",
                    {AddressWord(owner), AddressWord(to), Word(id)}));
      a_.nft_owner[id] = to;
    } else {
      Send(kBurn721, owner, nft_.address, Calldata(nft_, "burn(uint256)", {Word(id)}));
      a_.nft_owner.erase(id);
    }
  }

  uint256_t Amount(const uint256_t& max) {
    uint64_t roll = rng_.Below(10);
    if (roll == 0) return 0;
    if (roll == 1) return max;
    uint64_t cap = max > 1'000'000 ? 1'000'000 : static_cast<uint64_t>(max);
    return 1 + rng_.Below(cap);
  }

  void Credit(const uint256_t& id, const std::string& holder, const uint256_t& amount) {
    if (amount > 0) a_.balance[{id, holder}] += amount;
  }
  void Debit(const uint256_t& id, const std::string& holder, const uint256_t& amount) {
    auto it = a_.balance.find({id, holder});
    it->second -= amount;
    if (it->second == 0) a_.balance.erase(it);
  }

  void Step1155() {
    static const std::vector<uint256_t> kIds = {1, 2, 3, 4, 5, 6, (uint256_t(1) << 200) + 7};
    double r = rng_.Unit();
    if (a_.balance.empty() || r < 0.3) {
      std::string to = rng_.Pick(a_.accounts);
      uint256_t id = rng_.Pick(kIds);
      uint256_t amount = rng_.Below(8) == 0 ? uint256_t("1000000000000000000000000000000")
                                            : uint256_t(1 + rng_.Below(1000));
      Send(kMint1155, rng_.Pick(a_.accounts), multi_.address,
           Calldata(multi_, "mint(address,uint256,uint256)",
                    {AddressWord(to), Word(id), Word(amount)}));
      Credit(id, to, amount);
      a_.multi_touched.insert(id);
      return;
    }
    std::vector<std::pair<uint256_t, std::string>> holdings;
    for (const auto& [key, amount] : a_.balance) holdings.push_back(key);
    auto [id, from] = rng_.Pick(holdings);
    if (r < 0.6) {
      std::string to = rng_.Unit() < 0.08 ? from : rng_.Pick(a_.accounts);
      uint256_t amount = Amount(a_.balance[{id, from}]);
      Send(kTransfer1155, from, multi_.address,
           Calldata(multi_, "safeTransferFrom(address,address,uint256,uint256,bytes)",
                    {AddressWord(from), AddressWord(to), Word(id), Word(amount), Word(0xa0),
                     Word(0)}));
      Debit(id, from, amount);
      Credit(id, to, amount);
    } else if (r < 0.85) {
      Batch(from);
    } else {
      uint256_t amount = Amount(a_.balance[{id, from}]);
      Send(kBurn1155, from, multi_.address,
           Calldata(multi_, "burn(uint256,uint256)", {Word(id), Word(amount)}));
      Debit(id, from, amount);
    }
  }

  // safeBatchTransferFrom of up to three of `from`'s ids to another account.
  void Batch(const std::string& from) {
    std::vector<uint256_t> own;
    for (const auto& [key, amount] : a_.balance) {
      if (key.second == from) own.push_back(key.first);
    }
    std::string to = rng_.Pick(a_.accounts);
    while (to == from) to = rng_.Pick(a_.accounts);
    std::vector<uint256_t> ids;
    std::vector<uint256_t> amounts;
    for (size_t i = 0; i < own.size() && ids.size() < 3; ++i) {
      if (ids.empty() || rng_.Unit() < 0.6) {
        ids.push_back(own[i]);
        amounts.push_back(Amount(a_.balance[{own[i], from}]));
      }
    }
    size_t n = ids.size();
    std::vector<std::string> words = {AddressWord(from), AddressWord(to), Word(0xa0),
                                      Word(0xa0 + 32 * (1 + n)), Word(0xa0 + 64 * (1 + n)),
                                      Word(n)};
    for (const auto& id : ids) words.push_back(Word(id));
    words.push_back(Word(n));
    for (const auto& amount : amounts) words.push_back(Word(amount));
    words.push_back(Word(0));
    Send(kBatch1155, from, multi_.address,
         Calldata(multi_, "safeBatchTransferFrom(address,address,uint256[],uint256[],bytes)",
                  words));
    for (size_t i = 0; i < n; ++i) {
      Debit(ids[i], from, amounts[i]);
      Credit(ids[i], to, amounts[i]);
    }
  }

  Chain& chain_;
  const Deployed& nft_;
  const Deployed& multi_;
  Activity& a_;
  Rng rng_;
  uint64_t minted_ = 0;
};

// ---- the test -----------------------------------------------------------------------------

Deployed ParseDeployed(const json::object& o) {
  Deployed d;
  d.address = Lower(std::string(o.at("address").as_string()));
  for (const auto& [sig, sel] : o.at("methodIdentifiers").as_object()) {
    d.selectors[std::string(sig)] = std::string(sel.as_string());
  }
  return d;
}

// Every item of GET /v1/owners/<owner>/nfts?<query>, following next_cursor.
std::vector<json::object> ListAll(int port, const std::string& owner, const std::string& query,
                                  int limit) {
  std::vector<json::object> items;
  std::string cursor;
  for (int page = 0; page < 1000; ++page) {
    std::string target = fmt::format("/v1/owners/{}/nfts?{}&limit={}{}", owner, query, limit,
                                      cursor.empty() ? "" : "&cursor=" + cursor);
    HttpReply reply = HttpGet(port, target);
    EXPECT_EQ(reply.status, 200) << target << ": " << reply.body;
    if (reply.status != 200) return items;
    json::object body = json::parse(reply.body).as_object();
    const auto& page_items = body.at("items").as_array();
    EXPECT_LE(page_items.size(), static_cast<size_t>(limit)) << target;
    for (const auto& item : page_items) items.push_back(item.as_object());
    if (body.at("next_cursor").is_null()) return items;
    EXPECT_FALSE(page_items.empty()) << target << ": empty page with a next_cursor";
    cursor = std::string(body.at("next_cursor").as_string());
  }
  ADD_FAILURE() << "more than 1000 pages for " << owner;
  return items;
}

// The anvil chain and its contracts, appended to PipelineEnv's config.
std::string AnvilToml(uint64_t start_block,
                      const std::vector<std::pair<Deployed, const char*>>& contracts) {
  std::string toml = fmt::format(
      "[[chains]]\nname = \"anvil\"\nkind = \"evm\"\nchain_id = 31337\nrpc = \"{}\"\n"
      "confirmations = 0\nstart_block = {}\npoll_interval_ms = 200\n",
      kRpcUrl, start_block);
  for (const auto& [contract, standard] : contracts) {
    toml += fmt::format("[[contracts]]\nchain = \"anvil\"\naddress = \"{}\"\nstandard = \"{}\"\n",
                        contract.address, standard);
  }
  return toml;
}

// Polls GET /v1/status until one snapshot says both "ready" and anvil's ingested_block >=
// `block`: readiness and progress from the same collection (/readyz alone may judge against
// a head seen before the last transaction). Prints each change of state; on failure returns
// false with the last answer in *failure.
bool WaitCaughtUp(int port, uint64_t block, Subprocess& chainflow, Clock::time_point since,
                  std::chrono::seconds deadline, std::string* failure) {
  std::string last_why;
  while (Clock::now() - since < deadline) {
    if (!chainflow.Running()) {
      *failure = "chainflow exited";
      return false;
    }
    HttpReply status = HttpGet(port, "/v1/status");
    *failure = std::to_string(status.status) + " " + status.body;
    std::string why = "/v1/status " + std::to_string(status.status);
    bool ready = false;
    if (status.status == 200) {
      json::value parsed = json::parse(status.body);
      const json::object& snapshot = parsed.as_object();
      std::optional<uint64_t> ingested;
      for (const auto& c : snapshot.at("chains").as_array()) {
        const json::value& b = c.as_object().at("ingested_block");
        if (c.as_object().at("name").as_string() == "anvil" && b.is_int64()) {
          ingested = static_cast<uint64_t>(b.as_int64());
        }
      }
      ready = ingested && *ingested >= block && snapshot.at("ready").as_bool();
      why = fmt::format("ingested {}, ready {} {}", ingested ? std::to_string(*ingested) : "-",
                        snapshot.at("ready").as_bool(),
                        json::serialize(snapshot.at("not_ready_reason")));
    }
    if (why != last_why) {  // progress, for diagnosing a slow catch-up
      std::cout << fmt::format("  +{:.2f} s: {}\n",
                               std::chrono::duration<double>(Clock::now() - since).count(), why);
      last_why = why;
    }
    if (ready) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

class AnvilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) {
      std::cerr << "[  SKIPPED ] " << why << "\n";
      GTEST_SKIP() << why;
    }
    auto rpc = ingest::evm::RpcClient::Open({.url = kRpcUrl,
                                             .timeout = std::chrono::seconds(10)});
    ASSERT_TRUE(rpc.has_value()) << rpc.error().ToString();
    auto head = rpc.value()->BlockNumber();
    if (!head) {
      std::string msg = "Anvil not reachable at " + std::string(kRpcUrl) +
                        " (run ops/infra start --with-anvil): " + head.error().ToString();
      std::cerr << "[  SKIPPED ] " << msg << "\n";
      GTEST_SKIP() << msg;
    }
    chain_ = std::make_unique<Chain>(std::move(rpc).value());
  }

  // Deploys fresh test contracts with tests/support/node/deploy.js.
  std::map<std::string, Deployed> Deploy(const std::vector<std::string>& names) {
    std::map<std::string, Deployed> out;
    auto node = FindInPath("node");
    EXPECT_TRUE(node) << "node not found in PATH (needed for tests/support/node/deploy.js)";
    if (!node) return out;
    std::vector<std::string> argv = {
        *node, std::string(CHAINFLOW_SOURCE_DIR) + "/tests/support/node/deploy.js", "--rpc",
        kRpcUrl};
    for (const auto& name : names) {
      argv.push_back("--name");
      argv.push_back(name);
    }
    RunResult deploy = chainflow::testing::Run(argv, {}, std::chrono::minutes(3));
    EXPECT_EQ(deploy.exit_code, 0) << deploy.err;
    if (deploy.exit_code != 0) return out;
    json::value parsed = json::parse(deploy.out);
    for (const auto& name : names) {  // one --name prints that contract, several are keyed
      const json::value& one = names.size() == 1 ? parsed : parsed.as_object().at(name);
      out[name] = ParseDeployed(one.as_object());
    }
    return out;
  }

  std::unique_ptr<Chain> chain_;
};

TEST_F(AnvilTest, RunServesOwnershipThatFollowsTheChain) {
  // 1. Fresh contracts, and the block to start ingesting from.
  auto deployed = Deploy({"TestNft721", "TestMulti1155"});
  ASSERT_EQ(deployed.size(), 2u);
  const Deployed& nft = deployed["TestNft721"];
  const Deployed& multi = deployed["TestMulti1155"];
  uint64_t b0 = chain_->BlockNumber();
  std::cout << fmt::format("TestNft721 {}, TestMulti1155 {}, start_block {}\n", nft.address,
                           multi.address, b0);

  // 2. An isolated pipeline following Anvil from b0, indexing just these two contracts.
  PipelineEnv env("anvil", 8, 5000, AnvilToml(b0, {{nft, "erc721"}, {multi, "erc1155"}}));
  Subprocess chainflow(env.Argv({"run"}));
  auto logs = [&] { return "chainflow stderr (tail):\n" + Tail(chainflow.Stderr(), 40); };

  // 3. Random activity on both contracts while chainflow follows the chain.
  Activity activity;
  json::value accounts = chain_->Call("eth_accounts", "[]");
  for (const auto& a : accounts.as_array()) {
    activity.accounts.push_back(Lower(std::string(a.as_string())));
  }
  ASSERT_GE(activity.accounts.size(), 2u);
  auto started = Clock::now();
  try {
    ActivityRunner(*chain_, nft, multi, activity).Run(kTransactions);
  } catch (const std::exception& e) {
    FAIL() << "activity failed after " << activity.sent << " transactions: " << e.what();
  }
  auto last_tx = Clock::now();
  std::cout << fmt::format(
      "sent {} transactions in {:.1f} s, blocks {}..{}: 721 mint/transfer/burn {}/{}/{}, "
      "1155 mint/transfer/batch/burn {}/{}/{}/{}\n",
      activity.sent, std::chrono::duration<double>(last_tx - started).count(), b0 + 1,
      activity.last_block, activity.counts[kMint721], activity.counts[kTransfer721],
      activity.counts[kBurn721], activity.counts[kMint1155], activity.counts[kTransfer1155],
      activity.counts[kBatch1155], activity.counts[kBurn1155]);
  ASSERT_TRUE(chainflow.Running()) << "chainflow exited early\n" << logs();

  // 4. Ready, and caught up with the last transaction's block.
  int port = env.api_port();
  std::string failure;
  bool ready = WaitCaughtUp(port, activity.last_block, chainflow, last_tx,
                            std::chrono::seconds(120), &failure);
  double to_ready = std::chrono::duration<double>(Clock::now() - last_tx).count();
  ASSERT_TRUE(ready) << "not ready and caught up with block " << activity.last_block
                     << " 120 s after the last transaction\nlast /v1/status: " << failure
                     << "\n" << logs();
  HttpReply readyz = HttpGet(port, "/readyz");
  ASSERT_EQ(readyz.status, 200) << "/readyz after /v1/status said ready: " << readyz.body;
  std::cout << fmt::format("ready {:.2f} s after the last transaction (block {})\n", to_ready,
                           activity.last_block);

  // 5. ERC-721: every touched token's owner is ownerOf's (the zero address once burned).
  std::map<std::string, std::set<uint256_t>> owned;  // account -> ERC-721 ids per ownerOf
  for (const uint256_t& id : activity.nft_touched) {
    std::string revert;
    auto word = chain_->EthCall(nft.address, Calldata(nft, "ownerOf(uint256)", {Word(id)}),
                                &revert);
    std::string chain_owner = word ? "0x" + word->substr(word->size() - 40) : kZero;
    if (!word) {
      ASSERT_NE(revert.find("nonexistent token"), std::string::npos) << id << ": " << revert;
    }
    auto model = activity.nft_owner.find(id);
    ASSERT_EQ(chain_owner, model == activity.nft_owner.end() ? std::string(kZero) : model->second)
        << "test bug: the local model disagrees with ownerOf(" << id << ")";
    if (chain_owner != kZero) owned[chain_owner].insert(id);

    std::string target = fmt::format("/v1/nfts/anvil/{}/{}", nft.address, id.str());
    HttpReply reply = HttpGet(port, target);
    ASSERT_EQ(reply.status, 200) << target << ": " << reply.body;
    json::object body = json::parse(reply.body).as_object();
    EXPECT_EQ(body.at("owner").as_string(), chain_owner)
        << "token " << id << ": API owner vs ownerOf; " << reply.body;
    EXPECT_EQ(body.at("token_id").as_string(), id.str());
    EXPECT_LE(body.at("block_number").as_int64(), static_cast<int64_t>(activity.last_block));
    EXPECT_GT(body.at("block_number").as_int64(), static_cast<int64_t>(b0));
  }
  HttpReply never = HttpGet(port, fmt::format("/v1/nfts/anvil/{}/999999999", nft.address));
  EXPECT_EQ(never.status, 404) << "a never-minted token: " << never.body;

  // 6. ERC-1155: balanceOf for every touched id and every account.
  std::map<std::string, std::map<uint256_t, uint256_t>> balances;  // account -> id -> > 0
  for (const uint256_t& id : activity.multi_touched) {
    for (const std::string& account : activity.accounts) {
      std::string revert;
      auto word = chain_->EthCall(
          multi.address,
          Calldata(multi, "balanceOf(address,uint256)", {AddressWord(account), Word(id)}),
          &revert);
      ASSERT_TRUE(word) << "balanceOf(" << account << ", " << id << "): " << revert;
      uint256_t chain_balance(*word);
      auto model = activity.balance.find({id, account});
      ASSERT_EQ(chain_balance, model == activity.balance.end() ? uint256_t(0) : model->second)
          << "test bug: the local model disagrees with balanceOf(" << account << ", " << id
          << ")";
      if (chain_balance > 0) balances[account][id] = chain_balance;
    }
  }

  // 7. Per account listings: exactly the chain's ERC-721 tokens and ERC-1155 balances, and
  // the unfiltered listing paginates over both contracts without gaps or repeats.
  for (const std::string& account : activity.accounts) {
    std::set<uint256_t> listed_721;
    for (const auto& item : ListAll(port, account, "chain=anvil&contract=" + nft.address, 50)) {
      EXPECT_EQ(item.at("standard").as_string(), "erc721") << account;
      EXPECT_FALSE(item.contains("balance")) << account;
      uint256_t id(std::string(item.at("token_id").as_string()));
      EXPECT_TRUE(listed_721.insert(id).second) << account << ": token " << id << " twice";
    }
    EXPECT_EQ(listed_721, owned[account]) << "ERC-721 tokens of " << account;

    std::map<uint256_t, uint256_t> listed_1155;
    for (const auto& item :
         ListAll(port, account, "chain=anvil&contract=" + multi.address, 50)) {
      EXPECT_EQ(item.at("standard").as_string(), "erc1155") << account;
      uint256_t id(std::string(item.at("token_id").as_string()));
      EXPECT_TRUE(item.contains("balance")) << account << " id " << id;
      if (!item.contains("balance")) continue;
      listed_1155[id] = uint256_t(std::string(item.at("balance").as_string()));
    }
    for (const auto& [id, expected] : balances[account]) {
      auto it = listed_1155.find(id);
      EXPECT_TRUE(it != listed_1155.end() && it->second == expected)
          << "balanceOf(" << account << ", " << id << ") = " << expected << ", API: "
          << (it == listed_1155.end() ? std::string("absent") : it->second.str());
    }
    for (const auto& [id, listed] : listed_1155) {
      EXPECT_TRUE(balances[account].count(id))
          << account << " id " << id << ": API lists balance " << listed << ", balanceOf is 0";
    }

    std::vector<json::object> both = ListAll(port, account, "chain=anvil", 3);
    EXPECT_EQ(both.size(), listed_721.size() + listed_1155.size())
        << account << ": the unfiltered listing (3 a page) vs the two per-contract listings";
    std::set<std::string> seen;
    for (const auto& item : both) {
      std::string key = fmt::format("{}/{}/{}", item.at("contract").as_string().c_str(),
                                    item.at("token_id").as_string().c_str(),
                                    item.at("standard").as_string().c_str());
      EXPECT_TRUE(seen.insert(key).second) << account << ": " << key << " listed twice";
    }
  }

  size_t burned = 0;
  for (const auto& id : activity.nft_touched) burned += activity.nft_owner.count(id) ? 0 : 1;
  std::cout << fmt::format(
      "checked {} ERC-721 tokens ({} burned) and {} ERC-1155 ids x {} accounts against the "
      "chain\n",
      activity.nft_touched.size(), burned, activity.multi_touched.size(),
      activity.accounts.size());

  // 8. Clean shutdown.
  auto stop = Clock::now();
  chainflow.Kill(SIGTERM);
  int code = chainflow.Wait(std::chrono::seconds(30));
  double stop_s = std::chrono::duration<double>(Clock::now() - stop).count();
  EXPECT_EQ(code, 0) << "chainflow after SIGTERM (-1: still running after 30 s)\n" << logs();
  std::cout << fmt::format("SIGTERM -> exit {} in {:.2f} s\n", code, stop_s);
}

// Readiness must survive blocks without any event of the indexed contracts (empty blocks,
// other contracts' traffic). DISABLED: fails today. The live follower writes BlockEnd markers
// only for blocks that had events (ingest/evm/live_follower.cc AppendRange) and
// StatusCollector::CollectChains (app/status_collector.cc) derives ingested_block from the
// topic tails, so one empty block after the last event leaves /readyz at 503 "chain anvil:
// ingested block N of N+1" for good. Enable when that is fixed.
TEST_F(AnvilTest, StaysReadyAcrossBlocksWithoutEvents) {
  auto deployed = Deploy({"TestNft721"});
  ASSERT_EQ(deployed.size(), 1u);
  const Deployed& nft = deployed["TestNft721"];
  uint64_t b0 = chain_->BlockNumber();
  PipelineEnv env("anvil_idle", 8, 5000, AnvilToml(b0, {{nft, "erc721"}}));
  Subprocess chainflow(env.Argv({"run"}));
  json::value accounts = chain_->Call("eth_accounts", "[]");
  std::string owner = Lower(std::string(accounts.as_array().at(1).as_string()));
  uint64_t block = chain_->Transact(owner, nft.address,
                                    Calldata(nft, "mint(address,uint256)",
                                             {AddressWord(owner), Word(1)}));
  std::string failure;
  ASSERT_TRUE(WaitCaughtUp(env.api_port(), block, chainflow, Clock::now(),
                           std::chrono::seconds(120), &failure))
      << failure << "\n" << Tail(chainflow.Stderr(), 40);

  chain_->Call("evm_mine", "[]");  // a block with no event of ours
  uint64_t empty = chain_->BlockNumber();
  EXPECT_TRUE(WaitCaughtUp(env.api_port(), empty, chainflow, Clock::now(),
                           std::chrono::seconds(30), &failure))
      << "not ready again after empty block " << empty << ": " << failure;
  chainflow.Kill(SIGTERM);
  EXPECT_EQ(chainflow.Wait(std::chrono::seconds(30)), 0);
}

}  // namespace
}  // namespace chainflow::testing
