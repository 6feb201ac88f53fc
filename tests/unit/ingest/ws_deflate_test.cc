// The WebSocket transport against a real Beast server on loopback that
// accepts permessage-deflate (RFC 7692) and so compresses every answer: the
// client offers the extension, and reads compressed eth_getLogs-sized
// answers exactly; a server that declines it is read as before.

#include <string>
#include <thread>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "ingest/evm/ws_session.h"

namespace chainflow::ingest::evm {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace websocket = beast::websocket;
namespace json = boost::json;
using asio::ip::tcp;

// One connection: answers each JSON-RPC request with `result`, until the
// client goes away.
class JsonRpcWsServer {
 public:
  JsonRpcWsServer(std::string result, bool deflate)
      : result_(std::move(result)),
        deflate_(deflate),
        acceptor_(ioc_, {asio::ip::make_address("127.0.0.1"), 0}),
        thread_([this] { Serve(); }) {}
  ~JsonRpcWsServer() { thread_.join(); }

  std::string url() const {
    return fmt::format("ws://127.0.0.1:{}/", acceptor_.local_endpoint().port());
  }
  // The client's Sec-WebSocket-Extensions offer (read once the client is done).
  const std::string& offered() const { return offered_; }
  int answered() const { return answered_; }

 private:
  void Serve() {
    tcp::socket socket(ioc_);
    beast::error_code ec;
    acceptor_.accept(socket, ec);
    if (ec) return;
    beast::flat_buffer buffer;
    http::request<http::string_body> upgrade;
    http::read(socket, buffer, upgrade, ec);
    if (ec) return;
    offered_ = std::string(upgrade[http::field::sec_websocket_extensions]);
    websocket::stream<tcp::socket> ws(std::move(socket));
    websocket::permessage_deflate pmd;
    pmd.server_enable = deflate_;
    ws.set_option(pmd);
    ws.accept(upgrade, ec);
    while (!ec) {
      beast::flat_buffer in;
      ws.read(in, ec);
      if (ec) break;
      json::value request = json::parse(beast::buffers_to_string(in.data()));
      std::string reply = fmt::format(R"({{"jsonrpc":"2.0","id":{},"result":{}}})",
                                      json::serialize(request.at("id")), result_);
      ws.text(true);
      ws.write(asio::buffer(reply), ec);
      ++answered_;
    }
  }

  std::string result_;
  bool deflate_;
  asio::io_context ioc_;
  tcp::acceptor acceptor_;
  std::string offered_;
  int answered_ = 0;
  std::thread thread_;
};

// ~2 MB of log objects, as an eth_getLogs result.
std::string ManyLogs() {
  std::string out = "[";
  for (int i = 0; i < 4000; ++i) {
    if (i > 0) out += ',';
    out += fmt::format(
        R"({{"address":"0x57a204aa1042f6e66dd7730813f4024114d74f37","topics":[)"
        R"("0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",)"
        R"("0x{:064x}","0x{:064x}","0x{:064x}"],"data":"0x","blockNumber":"0x{:x}",)"
        R"("transactionIndex":"0x{:x}","logIndex":"0x{:x}","removed":false}})",
        i % 97, i % 89, i, 1000 + i / 20, i % 7, i % 20);
  }
  return out + "]";
}

void ExpectTheSameAnswers(JsonRpcWsServer& server, const std::string& result) {
  {
    auto transport = OpenWebSocketTransport({.url = server.url(),
                                             .timeout = std::chrono::seconds(10)});
    ASSERT_TRUE(transport.has_value()) << transport.error().ToString();
    for (int id = 1; id <= 3; ++id) {
      auto reply = transport.value()->Post(fmt::format(
          R"({{"jsonrpc":"2.0","id":{},"method":"eth_getLogs","params":[{{}}]}})", id));
      ASSERT_TRUE(reply.has_value()) << reply.error().ToString();
      EXPECT_EQ(reply.value().body,
                fmt::format(R"({{"jsonrpc":"2.0","id":{},"result":{}}})", id, result));
    }
  }  // the client closes; the server's loop ends
}

TEST(WsDeflateTest, OffersPermessageDeflateAndReadsCompressedAnswers) {
  const std::string result = ManyLogs();
  JsonRpcWsServer server(result, /*deflate=*/true);
  ExpectTheSameAnswers(server, result);
  EXPECT_EQ(server.answered(), 3);
  // The server compresses whatever it sends once the client has offered.
  EXPECT_NE(server.offered().find("permessage-deflate"), std::string::npos)
      << "offer: " << server.offered();
}

TEST(WsDeflateTest, AServerThatDeclinesIsReadUncompressed) {
  const std::string result = ManyLogs();
  JsonRpcWsServer server(result, /*deflate=*/false);
  ExpectTheSameAnswers(server, result);
  EXPECT_EQ(server.answered(), 3);
}

}  // namespace
}  // namespace chainflow::ingest::evm
