#include "tests/support/http_get.h"

#include <chrono>
#include <cstddef>

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace chainflow::testing {

HttpReply HttpGet(int port, const std::string& target) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  // Asynchronous on a private io_context: tcp_stream's deadline bounds only
  // asynchronous operations, and a server waiting on a frozen PostgreSQL
  // must not hang the test that froze it.
  boost::asio::io_context io;
  beast::tcp_stream stream(io);
  http::request<http::empty_body> req(http::verb::get, target, 11);
  req.set(http::field::host, "127.0.0.1");
  http::response<http::string_body> res;
  beast::flat_buffer buffer;
  beast::error_code failed;
  stream.expires_after(std::chrono::seconds(10));  // the whole exchange
  stream.async_connect(
      boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"),
                                     static_cast<unsigned short>(port)),
      [&](beast::error_code ec) {
        if (ec) {
          failed = ec;
          return;
        }
        http::async_write(stream, req, [&](beast::error_code ec, std::size_t) {
          if (ec) {
            failed = ec;
            return;
          }
          http::async_read(stream, buffer, res,
                           [&](beast::error_code ec, std::size_t) { failed = ec; });
        });
      });
  io.run();
  if (failed) return {0, failed.message()};
  beast::error_code ignored;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  return {static_cast<int>(res.result_int()), res.body()};
}

}  // namespace chainflow::testing
