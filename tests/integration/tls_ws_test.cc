// Real provider transports against a private Anvil on loopback (no Kafka,
// no PostgreSQL): JSON-RPC over https:// and wss:// through a TLS-terminating
// proxy (tests/support/tls_proxy.h) with a test CA made by the openssl CLI,
// and over ws:// straight to Anvil; the live follower woken by newHeads
// (poll interval 30 s, so only notifications can explain what it ingests),
// its fallback to polling and resubscription when the proxy kills the
// socket; refused certificates as clear, unretried errors naming the URL;
// and API keys that never reach the log. Skips without Anvil or openssl.
#include <chrono>
#include <filesystem>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>

#include "engine/core/logging.h"
#include "ingest/evm/head_subscription.h"
#include "ingest/evm/live_follower.h"
#include "ingest/evm/rpc_client.h"
#include "tests/support/local_anvil.h"
#include "tests/support/test_pki.h"
#include "tests/support/tls_proxy.h"
#include "tests/unit/ingest/fakes.h"

namespace chainflow::testing {
namespace {

namespace evm = ingest::evm;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr char kKey[] = "0123456789abcdef0123456789abcdef";  // a provider-style key

template <typename Pred>
bool WaitFor(std::chrono::milliseconds limit, Pred pred) {
  auto deadline = Clock::now() + limit;
  while (!pred()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
  return true;
}

class TlsWsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    anvil_ = LocalAnvil::Start(&why, {"--block-time", "1"});
    if (!anvil_) GTEST_SKIP() << why;
    pki_ = MakeTestPki(&why);
    if (!pki_) GTEST_SKIP() << why;
    proxy_ = std::make_unique<TlsProxy>(pki_->server_pem, pki_->server_key, anvil_->port());
  }

  std::unique_ptr<evm::RpcClient> Client(const std::string& url, const std::string& ca_file,
                                         int max_retries = 2) {
    evm::RpcOptions options{.url = url, .timeout = 3s, .max_retries = max_retries};
    options.ca_file = ca_file;
    options.backoff_max = 200ms;
    auto client = evm::RpcClient::Open(options);
    EXPECT_TRUE(client) << client.error().ToString();
    return client ? std::move(client).value() : nullptr;
  }

  std::unique_ptr<LocalAnvil> anvil_;
  std::unique_ptr<TestPki> pki_;
  std::unique_ptr<TlsProxy> proxy_;
};

TEST_F(TlsWsTest, HttpsAndWssReadWhatTheNodeServes) {
  auto direct = Client(anvil_->url(), "");
  auto https = Client(proxy_->Url("https", "localhost", "/?apikey=k"), pki_->ca_pem);
  auto wss = Client(proxy_->Url("wss", "127.0.0.1"), pki_->ca_pem);  // an IP in the SAN
  ASSERT_TRUE(WaitFor(5s, [&] {
    auto n = direct->BlockNumber();
    return n && n.value() >= 2;
  }));
  uint64_t head = direct->BlockNumber().value();
  for (evm::RpcClient* client : {https.get(), wss.get()}) {
    auto number = client->BlockNumber();
    ASSERT_TRUE(number) << number.error().ToString();
    EXPECT_GE(number.value(), head);
    auto headers = client->GetBlockHeaders(1, head);
    ASSERT_TRUE(headers) << headers.error().ToString();
    EXPECT_EQ(headers.value(), direct->GetBlockHeaders(1, head).value());
    auto logs = client->GetLogs(0, head, {});
    ASSERT_TRUE(logs) << logs.error().ToString();
    EXPECT_EQ(logs.value().Texts(), direct->GetLogs(0, head, {}).value().Texts());
  }
  EXPECT_EQ(proxy_->handshakes_failed(), 0);
}

TEST_F(TlsWsTest, WrongCertificatesAreClearUnretriedErrorsNamingTheUrl) {
  struct Case {
    std::string name, cert, key, ca_file, want;
  };
  std::vector<Case> cases = {
      {"no CA configured", pki_->server_pem, pki_->server_key, "", "unable to get local issuer"},
      {"self-signed", pki_->self_signed_pem, pki_->self_signed_key, pki_->ca_pem,
       "self-signed certificate"},
      {"another host", pki_->other_host_pem, pki_->other_host_key, pki_->ca_pem,
       "host name mismatch: the certificate is not for localhost"}};
  for (const Case& c : cases) {
    TlsProxy proxy(c.cert, c.key, anvil_->port());
    for (const std::string scheme : {"https", "wss"}) {
      std::string url = proxy.Url(scheme, "localhost", fmt::format("/v3/{}", kKey));
      auto client = Client(url, c.ca_file, /*max_retries=*/5);
      auto started = Clock::now();
      auto head = client->BlockNumber();
      ASSERT_FALSE(head) << c.name;
      const std::string& message = head.error().message();
      EXPECT_EQ(head.error().code(), core::StatusCode::kFailedPrecondition) << message;
      EXPECT_NE(message.find("certificate verify failed"), std::string::npos) << message;
      EXPECT_NE(message.find(c.want), std::string::npos) << c.name << ": " << message;
      EXPECT_NE(message.find(proxy.Url(scheme, "localhost", "/v3/***")), std::string::npos)
          << message;
      EXPECT_EQ(message.find(kKey), std::string::npos) << message;
      EXPECT_LT(Clock::now() - started, 2s) << "retried: " << message;
    }
    EXPECT_EQ(proxy.accepted(), 2) << c.name << ": one connection per client, no retries";
  }
}

// A follower of Anvil (confirmations 0) fed into fake sinks, woken by a
// head subscription at `heads_url`.
struct Following {
  Following(const std::string& rpc_url, const std::string& heads_url, const std::string& ca_file,
            std::chrono::milliseconds poll) {
    headers_dir = std::filesystem::temp_directory_path() /
                  fmt::format("cf_tls_ws_headers_{}_{}", ::getpid(), counter++);
    std::filesystem::remove_all(headers_dir);
    headers = evm::HeaderStore::Open(headers_dir.string()).value();
    evm::RpcOptions options{.url = rpc_url, .timeout = 3s};
    options.ca_file = ca_file;
    rpc = evm::RpcClient::Open(options).value();
    core::ChainConfig chain;
    chain.name = "anvil";
    chain.poll_interval_ms = static_cast<uint64_t>(poll.count());
    chain.finality_depth = 64;
    follower = std::make_unique<evm::LiveFollower>(
        chain, evm::LogDecoder("anvil", {}), *rpc,
        [this]() {
          return ingest::common::ChainAppender::Open({"anvil", "cf.anvil.events", 1, "cf.dlq"},
                                                     sink, tails);
        },
        *headers);
    evm::HeadSubscriptionOptions sub_options;
    sub_options.endpoint = {heads_url, 3s, ca_file, {}};
    sub_options.chain = "anvil";
    sub_options.backoff_max = 500ms;
    heads = evm::HeadSubscription::Open(
                sub_options, [this](uint64_t n) { follower->NotifyNewHead(n); },
                [this](bool live) { follower->SetHeadSubscriptionLive(live); })
                .value();
  }
  ~Following() {
    heads->Stop();
    follower->Stop();
    headers.reset();
    std::filesystem::remove_all(headers_dir);
  }
  void Start() {
    follower->Start();
    heads->Start();
  }
  // Blocks ingested within `window` once the subscription is live and the
  // follower has caught up.
  uint64_t IngestedWithin(std::chrono::milliseconds window) {
    uint64_t before = follower->ingested();
    std::this_thread::sleep_for(window);
    return follower->ingested() - before;
  }

  static inline int counter = 0;
  std::filesystem::path headers_dir;
  std::unique_ptr<evm::HeaderStore> headers;
  std::unique_ptr<evm::RpcClient> rpc;
  ingest::testing::FakeSink sink;
  ingest::testing::FakeTailReader tails;
  std::unique_ptr<evm::LiveFollower> follower;
  std::unique_ptr<evm::HeadSubscription> heads;
};

TEST_F(TlsWsTest, FollowerOverWssLearnsNewHeadsWithoutPolling) {
  std::string wss = proxy_->Url("wss", "localhost");
  Following f(wss, wss, pki_->ca_pem, 30s);  // calls and heads over wss
  f.Start();
  ASSERT_TRUE(WaitFor(10s, [&] { return f.heads->live() && f.follower->ingested() > 0; }))
      << f.heads->last_status().ToString() << " / " << f.follower->last_status().ToString();
  // Anvil mines a block a second; a 30 s poll would ingest none of them.
  EXPECT_GE(f.IngestedWithin(3500ms), 2u) << f.follower->last_status().ToString();
  EXPECT_GE(f.heads->notifications(), 2u);
  EXPECT_TRUE(f.follower->last_status().ok()) << f.follower->last_status().ToString();
}

TEST_F(TlsWsTest, FollowerOverPlainWsLearnsNewHeadsWithoutPolling) {
  std::string ws = fmt::format("ws://127.0.0.1:{}", anvil_->port());
  Following f(ws, ws, "", 30s);
  f.Start();
  ASSERT_TRUE(WaitFor(10s, [&] { return f.heads->live() && f.follower->ingested() > 0; }))
      << f.heads->last_status().ToString();
  EXPECT_GE(f.IngestedWithin(3500ms), 2u) << f.follower->last_status().ToString();
}

TEST_F(TlsWsTest, DroppedSocketFallsBackToPollingThenResubscribes) {
  // https for calls straight to the node, wss for heads through the proxy.
  TlsProxy rpc_proxy(pki_->server_pem, pki_->server_key, anvil_->port());
  Following f(rpc_proxy.Url("https", "localhost"), proxy_->Url("wss", "localhost"), pki_->ca_pem,
              500ms);
  f.Start();
  ASSERT_TRUE(WaitFor(10s, [&] { return f.heads->live() && f.follower->ingested() > 0; }))
      << f.heads->last_status().ToString();
  proxy_->SetRefusing(true);
  proxy_->KillConnections();
  ASSERT_TRUE(WaitFor(5s, [&] { return !f.heads->live(); }));
  uint64_t notifications = f.heads->notifications();
  EXPECT_GE(f.IngestedWithin(3000ms), 2u) << "no polling while the socket was down";
  EXPECT_EQ(f.heads->notifications(), notifications);
  EXPECT_FALSE(f.heads->live());
  proxy_->SetRefusing(false);
  ASSERT_TRUE(WaitFor(8s, [&] { return f.heads->live() && f.heads->subscriptions() >= 2; }));
  ASSERT_TRUE(WaitFor(5s, [&] { return f.heads->notifications() > notifications; }));
}

TEST_F(TlsWsTest, ApiKeysNeverReachTheLog) {
  std::ostringstream captured;
  auto logger = core::Logger("ingest.evm");
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(captured);
  logger->sinks().push_back(sink);
  auto level = logger->level();
  logger->set_level(spdlog::level::debug);
  {
    // Heads through the proxy with the key in the query, dropped once; calls
    // with the key in the path to a server whose certificate is refused.
    std::string heads = proxy_->Url("wss", "localhost", fmt::format("/?apikey={}", kKey));
    Following f(anvil_->url(), heads, pki_->ca_pem, 500ms);
    f.Start();
    ASSERT_TRUE(WaitFor(10s, [&] { return f.heads->live(); }));
    proxy_->KillConnections();
    ASSERT_TRUE(WaitFor(8s, [&] { return f.heads->subscriptions() >= 2; }));
    auto refused = Client(proxy_->Url("https", "localhost", fmt::format("/v3/{}", kKey)), "", 1);
    EXPECT_FALSE(refused->BlockNumber());
  }
  logger->set_level(level);
  logger->sinks().pop_back();
  std::string text = captured.str();
  EXPECT_NE(text.find("apikey=***"), std::string::npos) << text;
  EXPECT_EQ(text.find(kKey), std::string::npos) << text;
}

}  // namespace
}  // namespace chainflow::testing
