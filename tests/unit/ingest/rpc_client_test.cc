// RpcClient against a canned JSON-RPC server on loopback, answering with the
// Ethereum execution-apis conformance responses (../shared/data/evm/execution-apis).

#include "ingest/evm/rpc_client.h"

#include <atomic>
#include <fstream>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "engine/core/hex.h"
#include "ingest/evm/log_decoder.h"

namespace chainflow::ingest::evm {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

const std::string kCases = std::string(CHAINFLOW_SHARED_DIR) + "/data/evm/execution-apis/tests/";

// The response line ("<< ...") of an execution-apis .io case.
std::string Response(const std::string& name) {
  std::ifstream in(kCases + name);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("<< ")) return line.substr(3);
  }
  ADD_FAILURE() << "no response in " << name;
  return {};
}

// Serves requests in order of the first needle found in the request body.
class CannedServer {
 public:
  CannedServer(std::vector<std::pair<std::string, std::string>> answers, bool close_each)
      : answers_(std::move(answers)), close_each_(close_each) {
    acceptor_.bind(tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    acceptor_.listen();
    thread_ = std::thread([this] { Run(); });
  }
  ~CannedServer() {
    stop_ = true;
    beast::error_code ec;
    tcp::socket wake(ioc_);
    wake.connect(acceptor_.local_endpoint(), ec);  // unblocks accept
    thread_.join();
  }
  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  std::atomic<int> connections{0};

 private:
  void Run() {
    while (!stop_) {
      tcp::socket socket(ioc_);
      beast::error_code ec;
      acceptor_.accept(socket, ec);
      if (ec || stop_) return;
      ++connections;
      beast::flat_buffer buffer;
      while (true) {
        http::request<http::string_body> req;
        http::read(socket, buffer, req, ec);
        if (ec) break;
        http::response<http::string_body> res{http::status::ok, 11};
        res.set(http::field::content_type, "application/json");
        res.body() =
            R"({"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"no canned answer"}})";
        for (const auto& [needle, answer] : answers_) {
          if (req.body().find(needle) != std::string::npos) {
            res.body() = answer;
            break;
          }
        }
        res.keep_alive(true);
        res.prepare_payload();
        http::write(socket, res, ec);
        if (ec || close_each_) break;
      }
      socket.shutdown(tcp::socket::shutdown_both, ec);
    }
  }

  asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_, tcp::v4()};
  std::vector<std::pair<std::string, std::string>> answers_;
  bool close_each_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

std::vector<std::pair<std::string, std::string>> ConformanceAnswers() {
  return {
      {R"("fromBlock":"0x32")", Response("eth_getLogs/filter-error-reversed-block-range.io")},
      {R"("eth_getLogs")", Response("eth_getLogs/contract-addr.io")},
      {R"("eth_blockNumber")", Response("eth_blockNumber/simple-test.io")},
      {R"(["0x1b",false])", Response("eth_getBlockByNumber/get-block-london-fork.io")},
      {R"("eth_getBlockByNumber")", Response("eth_getBlockByNumber/get-block-notfound.io")},
  };
}

TEST(RpcClientTest, ConformanceResponses) {
  CannedServer server(ConformanceAnswers(), false);
  auto client = RpcClient::Open({server.url(), std::chrono::milliseconds(5000)}).value();

  auto head = client->BlockNumber();
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  EXPECT_EQ(head.value(), 0x36u);

  auto logs = client->GetLogs(1, 4, {core::Address::FromHex(
                                         "0x7dcd17433742f4c0ca53122ab541d0ba67fc27df").value()});
  ASSERT_TRUE(logs.has_value()) << logs.error().ToString();
  ASSERT_EQ(logs.value().size(), 2u);
  LogDecoder decoder("test", {});
  for (size_t i = 0; i < logs.value().size(); ++i) {
    DecodeResult r;
    ASSERT_TRUE(decoder.Decode(logs.value(), i, &r).ok()) << logs.value().Text(i);
    EXPECT_EQ(r.kind, LogKind::kSkippedOtherEvent);
  }

  auto reversed = client->GetLogs(0x32, 0x2f, {});
  ASSERT_FALSE(reversed.has_value());
  EXPECT_EQ(reversed.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(reversed.error().message().find("invalid block range params"), std::string::npos);

  auto header = client->GetBlockHeader(0x1b);
  ASSERT_TRUE(header.has_value()) << header.error().ToString();
  EXPECT_EQ(core::ToHex(header.value().hash),
            "0xb82be38216daf4487ab4fcafe9413892e7140f6816276560ec10d94d039db1aa");
  EXPECT_EQ(header.value().parent_hash.size(), 32u);
  EXPECT_GT(header.value().timestamp, 0);

  EXPECT_EQ(client->GetBlockHeader(1000).error().code(), core::StatusCode::kUnavailable);
  EXPECT_EQ(server.connections.load(), 1);  // one keep-alive connection throughout
}

TEST(RpcClientTest, ReconnectsWhenTheServerClosesAKeptAliveConnection) {
  CannedServer server(ConformanceAnswers(), true);
  auto client = RpcClient::Open({server.url(), std::chrono::milliseconds(5000)}).value();
  for (int i = 0; i < 3; ++i) {
    auto head = client->BlockNumber();
    ASSERT_TRUE(head.has_value()) << i << ": " << head.error().ToString();
    EXPECT_EQ(head.value(), 0x36u);
  }
  EXPECT_GE(server.connections.load(), 3);
}

TEST(RpcClientTest, ANodeThatNeverAnswersTimesOut) {
  // Listening but never accepting: the kernel completes the connection and
  // takes the request, nobody answers.
  asio::io_context ioc;
  tcp::acceptor silent(ioc, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  std::string url = "http://127.0.0.1:" + std::to_string(silent.local_endpoint().port());
  RpcOptions options{url, std::chrono::milliseconds(200), /*max_retries=*/0};
  auto client = RpcClient::Open(options).value();
  auto started = std::chrono::steady_clock::now();
  auto head = client->BlockNumber();
  auto took = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(head.has_value());
  EXPECT_EQ(head.error().code(), core::StatusCode::kDeadlineExceeded);
  EXPECT_NE(head.error().message().find("timed out"), std::string::npos)
      << head.error().message();
  EXPECT_LT(took, std::chrono::seconds(5));
}

}  // namespace
}  // namespace chainflow::ingest::evm
