// The JSON-RPC client behind a fault-injecting proxy (tests/support/fault_proxy.h) reads
// exactly what the node serves: the same logs and headers as a client talking to the node
// directly, although the proxy drops connections, answers 429 and 500, holds requests past
// the client's timeout and refuses eth_getLogs ranges the way real providers do. Then
// `chainflow run` ingests through the same proxy and serves the owners those logs imply.
//
// Runs its own Anvil on a free port (tests/support/local_anvil.h), never the shared one;
// skips if Anvil or node is missing. The `chainflow run` case also needs Kafka and PostgreSQL.
#include <chrono>
#include <map>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/core/metrics.h"
#include "ingest/evm/rpc_client.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/support/fault_proxy.h"
#include "tests/support/local_anvil.h"

namespace chainflow::testing {
namespace {

namespace json = boost::json;
using Clock = std::chrono::steady_clock;

constexpr int kTransactions = 40;

std::string Word(uint64_t v) { return fmt::format("{:064x}", v); }

struct Minted {
  uint64_t first_block = 0;
  uint64_t last_block = 0;
  // token id -> owner (lowercase 0x hex), as the test sent them.
  std::map<uint64_t, std::string> owners;
};

class RpcProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    anvil_ = LocalAnvil::Start(&why);
    if (!anvil_) GTEST_SKIP() << why;
    auto rpc = ingest::evm::RpcClient::Open({.url = anvil_->url(),
                                             .timeout = std::chrono::seconds(10)});
    ASSERT_TRUE(rpc.has_value()) << rpc.error().ToString();
    direct_ = std::move(rpc).value();
    auto contract = DeployContract(anvil_->url(), "TestTransferBurst", &why);
    ASSERT_TRUE(contract.has_value()) << why;
    contract_ = *contract;
    Mint();
  }

  json::value Call(const std::string& method, const std::string& params) {
    auto result = direct_->Call(method, params);
    if (!result) throw std::runtime_error(method + ": " + result.error().ToString());
    return json::parse(result.value());
  }

  // kTransactions bursts of 1..120 mints each, one block per transaction.
  void Mint() {
    std::string from(Call("eth_accounts", "[]").as_array()[0].as_string());
    std::string selector = contract_.selectors.at("mintBurst(address,uint256,uint256)");
    minted_.first_block = direct_->BlockNumber().value() + 1;
    uint64_t next_id = 1;
    for (int i = 0; i < kTransactions; ++i) {
      uint64_t count = 1 + (static_cast<uint64_t>(i) * 37) % 120;
      uint64_t to = 0x1000 + 16 * static_cast<uint64_t>(i);
      std::string data = "0x" + selector + Word(to) + Word(next_id) + Word(count);
      std::string tx = fmt::format(R"([{{"from":"{}","to":"{}","data":"{}","gas":"0x{:x}"}}])",
                                   from, contract_.address, data, 3'000'000);
      json::value hash = Call("eth_sendTransaction", tx);
      json::value receipt;
      for (int tries = 0; tries < 500 && !receipt.is_object(); ++tries) {
        receipt = Call("eth_getTransactionReceipt", "[" + json::serialize(hash) + "]");
        if (!receipt.is_object()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      ASSERT_TRUE(receipt.is_object()) << "transaction " << i << " not mined";
      ASSERT_EQ(receipt.as_object().at("status").as_string(), "0x1");
      minted_.last_block =
          std::stoull(std::string(receipt.as_object().at("blockNumber").as_string()), nullptr, 16);
      for (uint64_t k = 0; k < count; ++k) {
        minted_.owners[next_id + k] = fmt::format("0x{:040x}", to + k % 8);
      }
      next_id += count;
    }
  }

  std::unique_ptr<LocalAnvil> anvil_;
  std::unique_ptr<ingest::evm::RpcClient> direct_;
  DeployedContract contract_;
  Minted minted_;
};

FaultPlan Faulty(uint64_t seed) {
  FaultPlan plan;
  plan.seed = seed;
  plan.drop = 0.08;
  plan.http_429 = 0.08;
  plan.http_500 = 0.08;
  plan.delay = 0.05;
  plan.delay_by = std::chrono::milliseconds(700);  // past the clients' 400 ms timeout
  plan.max_log_range = 4;
  return plan;
}

TEST_F(RpcProxyTest, ClientThroughFaultyProxyGetsExactlyWhatTheNodeServes) {
  auto address = core::Address::FromHex(contract_.address).value();
  uint64_t from = minted_.first_block, to = minted_.last_block;
  auto direct_logs = direct_->GetLogs(from, to, {address});
  ASSERT_TRUE(direct_logs.has_value()) << direct_logs.error().ToString();
  ASSERT_EQ(direct_logs.value().size(), minted_.owners.size());  // one Transfer per mint
  std::vector<ingest::evm::BlockHeader> direct_headers;
  for (uint64_t n = from; n <= to; ++n) {
    direct_headers.push_back(direct_->GetBlockHeader(n).value());
  }

  FaultProxy proxy("127.0.0.1", anvil_->port(), Faulty(20261122));
  ingest::evm::RpcOptions options;
  options.url = proxy.url();
  options.timeout = std::chrono::milliseconds(400);
  options.max_retries = 12;
  options.backoff_initial = std::chrono::milliseconds(10);
  options.backoff_max = std::chrono::milliseconds(200);
  options.batch_size = 7;
  options.requests_per_second = 200;
  options.chain = "proxy-test";
  auto proxied = ingest::evm::RpcClient::Open(options).value();

  // The whole range at once (split on refusals) and in the live follower's steps.
  auto all = proxied->GetLogs(from, to, {address});
  ASSERT_TRUE(all.has_value()) << all.error().ToString();
  EXPECT_EQ(all.value().Texts(), direct_logs.value().Texts());
  std::vector<std::string> stepped;
  for (uint64_t b = from; b <= to; b += 9) {
    auto part = proxied->GetLogs(b, std::min(to, b + 8), {address});
    ASSERT_TRUE(part.has_value()) << part.error().ToString();
    for (std::string& text : part.value().Texts()) stepped.push_back(std::move(text));
  }
  EXPECT_EQ(stepped, direct_logs.value().Texts());

  auto headers = proxied->GetBlockHeaders(from, to);
  ASSERT_TRUE(headers.has_value()) << headers.error().ToString();
  EXPECT_EQ(headers.value(), direct_headers);
  EXPECT_EQ(proxied->BlockNumber().value(), direct_->BlockNumber().value());

  const FaultCounts& c = proxy.counts();
  std::cout << fmt::format(
      "proxy: {} requests, {} forwarded, {} dropped, {} x 429, {} x 500, {} delayed, {} ranges "
      "refused\n",
      c.requests.load(), c.forwarded.load(), c.dropped.load(), c.too_many.load(),
      c.server_errors.load(), c.delayed.load(), c.refused_ranges.load());
  // The faults really happened (else this test proves nothing).
  EXPECT_GT(c.dropped.load(), 0);
  EXPECT_GT(c.too_many.load(), 0);
  EXPECT_GT(c.server_errors.load(), 0);
  EXPECT_GT(c.delayed.load(), 0);
  EXPECT_GT(c.refused_ranges.load(), 0);
  auto& metrics = core::MetricsRegistry::Global();
  EXPECT_GT(metrics.GetCounter("chainflow_rpc_retries_total", "", {{"chain", "proxy-test"}})
                .Value(),
            0u);
  EXPECT_GT(metrics.GetCounter("chainflow_rpc_getlogs_splits_total", "",
                               {{"chain", "proxy-test"}})
                .Value(),
            0u);
}

// Hosted providers compress their answers when asked: the client asks, and
// reads gzip bodies as it reads plain ones.
TEST_F(RpcProxyTest, GzipAnswersReadTheSameAsPlainOnes) {
  auto address = core::Address::FromHex(contract_.address).value();
  uint64_t from = minted_.first_block, to = minted_.last_block;
  auto direct_logs = direct_->GetLogs(from, to, {address});
  ASSERT_TRUE(direct_logs.has_value()) << direct_logs.error().ToString();
  auto direct_headers = direct_->GetBlockHeaders(from, to);
  ASSERT_TRUE(direct_headers.has_value()) << direct_headers.error().ToString();

  FaultPlan plan;
  plan.gzip = true;
  FaultProxy proxy("127.0.0.1", anvil_->port(), plan);
  auto proxied = ingest::evm::RpcClient::Open({.url = proxy.url(),
                                               .timeout = std::chrono::seconds(10),
                                               .batch_size = 7})
                     .value();
  auto logs = proxied->GetLogs(from, to, {address});
  ASSERT_TRUE(logs.has_value()) << logs.error().ToString();
  EXPECT_EQ(logs.value().Texts(), direct_logs.value().Texts());
  auto headers = proxied->GetBlockHeaders(from, to);
  ASSERT_TRUE(headers.has_value()) << headers.error().ToString();
  EXPECT_EQ(headers.value(), direct_headers.value());
  EXPECT_EQ(proxied->BlockNumber().value(), direct_->BlockNumber().value());
  // Every answer went back compressed (else this test proves nothing).
  EXPECT_GT(proxy.counts().gzipped.load(), 2);
  EXPECT_EQ(proxy.counts().gzipped.load(), proxy.counts().forwarded.load());
}

TEST_F(RpcProxyTest, ChainflowRunIngestsThroughTheFaultyProxy) {
  std::string why;
  if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
  FaultPlan plan = Faulty(7);
  plan.gzip = true;  // and compressed, as a provider's
  FaultProxy proxy("127.0.0.1", anvil_->port(), plan);
  std::string toml = fmt::format(
      "[[chains]]\nname = \"anvil\"\nkind = \"evm\"\nchain_id = 31337\nrpc = \"{}\"\n"
      "start_block = {}\npoll_interval_ms = 100\nmax_block_range = 16\nrpc_timeout_ms = 400\n"
      "rpc_max_retries = 12\nrpc_batch_size = 5\n"
      "[[contracts]]\nchain = \"anvil\"\naddress = \"{}\"\nstandard = \"erc721\"\n",
      proxy.url(), minted_.first_block, contract_.address);
  PipelineEnv env("rpcproxy", 4, 5000, toml);
  Subprocess chainflow(env.Argv({"run"}));
  std::map<std::string, std::string> expected;
  for (const auto& [id, owner] : minted_.owners) {
    expected[contract_.address + ":" + std::to_string(id)] = owner;
  }
  std::map<std::string, std::string> owners;
  auto deadline = Clock::now() + std::chrono::seconds(180);
  while (Clock::now() < deadline && chainflow.Running()) {
    try {
      owners = env.NftOwners("anvil");
    } catch (const std::exception&) {
      // The projector has not created its schema yet.
    }
    if (owners.size() >= expected.size()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_TRUE(chainflow.Running()) << "chainflow exited:\n" << chainflow.Stderr();
  EXPECT_EQ(owners, expected) << "chainflow stderr:\n" << chainflow.Stderr().substr(0, 4000);
  const FaultCounts& c = proxy.counts();
  std::cout << fmt::format("proxy: {} requests, {} dropped, {} x 429, {} x 500, {} delayed, {} "
                           "ranges refused\n",
                           c.requests.load(), c.dropped.load(), c.too_many.load(),
                           c.server_errors.load(), c.delayed.load(), c.refused_ranges.load());
  EXPECT_GT(c.dropped.load() + c.too_many.load() + c.server_errors.load(), 0);
  EXPECT_GT(c.refused_ranges.load(), 0);
  EXPECT_GT(c.gzipped.load(), 0);
}

}  // namespace
}  // namespace chainflow::testing
