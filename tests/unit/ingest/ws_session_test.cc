// JSON-RPC over a WebSocket without a network: id matching, notification
// routing, reconnects (WsRpcSession), RpcClient over it, and the newHeads
// subscription's resubscribe and give-up rules (HeadSubscription).
#include "ingest/evm/ws_session.h"

#include <atomic>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ingest/evm/head_subscription.h"
#include "ingest/evm/rpc_client.h"
#include "tests/unit/ingest/ws_fakes.h"

namespace chainflow::ingest::testing {
namespace {

using namespace std::chrono_literals;

std::string Reply(std::string_view id, std::string_view result) {
  return fmt::format(R"({{"jsonrpc":"2.0","id":{},"result":{}}})", id, result);
}
std::string Notification(std::string_view sub, uint64_t number) {
  return fmt::format(
      R"({{"jsonrpc":"2.0","method":"eth_subscription","params":{{"subscription":"{}",)"
      R"("result":{{"number":"0x{:x}","hash":"0x{:064x}","parentHash":"0x{:064x}",)"
      R"("timestamp":"0x64"}}}}}})",
      sub, number, number, number - 1);
}

struct Routed {
  std::vector<std::pair<std::string, std::string>> notifications;
};

std::unique_ptr<evm::WsRpcSession> Session(std::shared_ptr<ScriptedSocket> socket,
                                           Routed* routed) {
  return std::make_unique<evm::WsRpcSession>(
      std::make_unique<FakeChannel>(socket), 50ms,
      [routed](std::string_view sub, std::string_view result) {
        routed->notifications.emplace_back(sub, result);
      });
}

TEST(RequestIdsTest, SingleBatchAndStringIds) {
  EXPECT_EQ(evm::RequestIds(R"({"jsonrpc":"2.0","id":7,"method":"m","params":[]})"),
            std::vector<std::string>{"7"});
  EXPECT_EQ(evm::RequestIds(R"([{"id":1,"method":"a"},{"id":"x","method":"b"}])"),
            (std::vector<std::string>{"1", "\"x\""}));
  EXPECT_TRUE(evm::RequestIds(R"({"method":"eth_subscription"})").empty());
  EXPECT_TRUE(evm::RequestIds("not json").empty());
}

TEST(WsRpcSessionTest, ReturnsTheMatchingReplyAndRoutesNotificationsMeanwhile) {
  auto socket = std::make_shared<ScriptedSocket>();
  socket->responder = [](const std::string&) {
    return std::vector<std::string>{
        Reply("41", R"("stale")"),                  // a reply to an earlier, timed-out call
        Notification("0xsub", 9),                  // a head meanwhile
        "garbage",                                 // not JSON: dropped
        Reply("42", R"("0x10")")};
  };
  Routed routed;
  auto session = Session(socket, &routed);
  auto reply = session->Call(R"({"jsonrpc":"2.0","id":42,"method":"eth_blockNumber","params":[]})");
  ASSERT_TRUE(reply) << reply.error().ToString();
  EXPECT_EQ(reply.value(), Reply("42", R"("0x10")"));
  ASSERT_EQ(routed.notifications.size(), 1u);
  EXPECT_EQ(routed.notifications[0].first, "0xsub");
  EXPECT_NE(routed.notifications[0].second.find("\"number\":\"0x9\""), std::string::npos);
  EXPECT_EQ(socket->connects, 1);
}

TEST(WsRpcSessionTest, BatchReplyIsMatchedByItsIds) {
  auto socket = std::make_shared<ScriptedSocket>();
  socket->responder = [](const std::string&) {
    return std::vector<std::string>{R"([{"id":99,"result":1}])",  // another batch's
                                    R"([{"jsonrpc":"2.0","id":6,"result":"b"},)"
                                    R"({"jsonrpc":"2.0","id":5,"result":"a"}])"};
  };
  Routed routed;
  auto session = Session(socket, &routed);
  auto reply = session->Call(R"([{"id":5,"method":"m"},{"id":6,"method":"m"}])");
  ASSERT_TRUE(reply) << reply.error().ToString();
  EXPECT_NE(reply.value().find("\"id\":5"), std::string::npos);
}

TEST(WsRpcSessionTest, TimeoutClosesAndTheNextCallReconnects) {
  auto socket = std::make_shared<ScriptedSocket>();
  int calls = 0;
  socket->responder = [&](const std::string&) {
    if (++calls == 1) return std::vector<std::string>{};  // never answered
    return std::vector<std::string>{Reply("2", "true")};
  };
  Routed routed;
  auto session = Session(socket, &routed);
  auto first = session->Call(R"({"id":1,"method":"m"})");
  ASSERT_FALSE(first);
  EXPECT_EQ(first.error().code(), core::StatusCode::kDeadlineExceeded);
  EXPECT_FALSE(session->connected());
  auto second = session->Call(R"({"id":2,"method":"m"})");
  ASSERT_TRUE(second) << second.error().ToString();
  EXPECT_EQ(socket->connects, 2);
}

TEST(WsRpcSessionTest, ReusedConnectionClosedByTheServerIsRetriedOnceAtOnce) {
  auto socket = std::make_shared<ScriptedSocket>();
  socket->responder = [](const std::string& sent) {
    return std::vector<std::string>{Reply(evm::RequestIds(sent)[0], "1")};
  };
  Routed routed;
  auto session = Session(socket, &routed);
  ASSERT_TRUE(session->Call(R"({"id":1,"method":"m"})"));
  socket->Drop();  // idle close
  auto again = session->Call(R"({"id":2,"method":"m"})");
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(socket->connects, 2);
}

TEST(WsRpcSessionTest, RequestWithoutIdIsRefused) {
  auto socket = std::make_shared<ScriptedSocket>();
  Routed routed;
  auto reply = Session(socket, &routed)->Call(R"({"method":"m"})");
  ASSERT_FALSE(reply);
  EXPECT_EQ(reply.error().code(), core::StatusCode::kInvalidArgument);
}

TEST(WsRpcSessionTest, RpcClientRunsOverTheWebSocketTransport) {
  auto socket = std::make_shared<ScriptedSocket>();
  socket->responder = [](const std::string& sent) {
    return std::vector<std::string>{Notification("0xs", 3),
                                    Reply(evm::RequestIds(sent)[0], R"("0x2a")")};
  };
  auto client = evm::RpcClient::Open(
      {.url = "wss://node.example/v3/0123456789abcdef0123456789abcdef", .max_retries = 0},
      evm::WebSocketTransportOver(std::make_unique<FakeChannel>(socket), 200ms));
  ASSERT_TRUE(client) << client.error().ToString();
  auto head = client.value()->BlockNumber();
  ASSERT_TRUE(head) << head.error().ToString();
  EXPECT_EQ(head.value(), 42u);
}

TEST(WsRpcSessionTest, RpcClientErrorsNameTheUrlRedacted) {
  auto socket = std::make_shared<ScriptedSocket>();
  socket->connect_error = core::FailedPreconditionError(
      "TLS handshake with wss://node.example/v3/***: certificate verify failed: x");
  auto client = evm::RpcClient::Open(
      {.url = "wss://node.example/v3/0123456789abcdef0123456789abcdef", .max_retries = 5},
      evm::WebSocketTransportOver(std::make_unique<FakeChannel>(socket), 200ms));
  ASSERT_TRUE(client);
  auto head = client.value()->BlockNumber();
  ASSERT_FALSE(head);
  EXPECT_EQ(head.error().code(), core::StatusCode::kFailedPrecondition);
  EXPECT_EQ(socket->connects, 1);  // a configuration error is not retried
  EXPECT_NE(head.error().message().find("wss://node.example/v3/***"), std::string::npos);
  EXPECT_EQ(head.error().message().find("0123456789abcdef"), std::string::npos);
}

// eth_subscribe answers "0xsub<n>" for the n-th subscription.
std::vector<std::string> Subscriber(const std::string& sent, int* subscribes) {
  if (sent.find("eth_subscribe") == std::string::npos) return {};
  ++*subscribes;
  return {Reply(evm::RequestIds(sent)[0], fmt::format(R"("0xsub{}")", *subscribes))};
}

template <typename Pred>
bool WaitFor(Pred pred) {
  for (int i = 0; i < 500 && !pred(); ++i) std::this_thread::sleep_for(2ms);
  return pred();
}

TEST(HeadSubscriptionTest, ReportsHeadsAndResubscribesAfterADrop) {
  auto socket = std::make_shared<ScriptedSocket>();
  int subscribes = 0;
  socket->responder = [&](const std::string& sent) { return Subscriber(sent, &subscribes); };
  std::mutex mu;
  std::vector<uint64_t> heads;
  std::vector<bool> states;
  evm::HeadSubscriptionOptions options;
  options.endpoint.url = "ws://node";
  options.backoff_initial = 1ms;
  options.backoff_max = 2ms;
  evm::HeadSubscription sub(
      options, std::make_unique<FakeChannel>(socket),
      [&](uint64_t n) {
        std::lock_guard lock(mu);
        heads.push_back(n);
      },
      [&](bool live) {
        std::lock_guard lock(mu);
        states.push_back(live);
      });
  sub.Start();
  ASSERT_TRUE(WaitFor([&] { return sub.live(); }));
  socket->Push(Notification("0xsub1", 5));
  socket->Push(Notification("0xother", 6));  // not ours: ignored
  socket->Push(Notification("0xsub1", 7));
  ASSERT_TRUE(WaitFor([&] { return sub.notifications() == 2; }));
  socket->Drop();
  ASSERT_TRUE(WaitFor([&] { return sub.subscriptions() == 2 && sub.live(); }));
  socket->Push(Notification("0xsub1", 8));  // the dead subscription's id: ignored
  socket->Push(Notification("0xsub2", 9));
  ASSERT_TRUE(WaitFor([&] { return sub.notifications() == 3; }));
  sub.Stop();
  sub.Stop();  // idempotent
  std::lock_guard lock(mu);
  EXPECT_EQ(heads, (std::vector<uint64_t>{5, 7, 9}));
  EXPECT_EQ(states, (std::vector<bool>{true, false, true, false}));
}

TEST(HeadSubscriptionTest, GivesUpOnAConfigurationError) {
  auto socket = std::make_shared<ScriptedSocket>();
  socket->responder = [](const std::string& sent) {
    return std::vector<std::string>{fmt::format(
        R"({{"jsonrpc":"2.0","id":{},"error":{{"code":-32601,"message":"method not found"}}}})",
        evm::RequestIds(sent)[0])};
  };
  evm::HeadSubscriptionOptions options;
  options.endpoint.url = "ws://node";
  evm::HeadSubscription sub(options, std::make_unique<FakeChannel>(socket), nullptr, nullptr);
  sub.Start();
  ASSERT_TRUE(WaitFor([&] { return !sub.last_status().ok(); }));
  EXPECT_EQ(sub.last_status().code(), core::StatusCode::kInvalidArgument);
  std::this_thread::sleep_for(20ms);
  EXPECT_EQ(socket->connects, 1);  // no resubscription
  sub.Stop();
}

}  // namespace
}  // namespace chainflow::ingest::testing
