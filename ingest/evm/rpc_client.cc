#include "ingest/evm/rpc_client.h"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fmt/format.h>
#include <simdjson.h>

#include "engine/core/hex.h"
#include "engine/core/logging.h"

namespace chainflow::ingest::evm {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

struct ParsedUrl {
  std::string host;
  std::string port;
  std::string target;
};

core::Result<ParsedUrl> ParseUrl(std::string_view url) {
  constexpr std::string_view kScheme = "http://";
  if (url.substr(0, kScheme.size()) != kScheme) {
    return core::InvalidArgumentError(
        fmt::format("rpc url \"{}\": only http:// is supported", url));
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  ParsedUrl parsed;
  parsed.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  size_t colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    parsed.host = std::string(authority.substr(0, colon));
    parsed.port = std::string(authority.substr(colon + 1));
  } else {
    parsed.host = std::string(authority);
    parsed.port = "80";
  }
  if (parsed.host.empty() || parsed.port.empty()) {
    return core::InvalidArgumentError(fmt::format("rpc url \"{}\": no host or port", url));
  }
  return parsed;
}

core::Status TransportError(const beast::error_code& ec, std::string_view what,
                            std::string_view method) {
  if (ec == beast::error::timeout) {
    return core::DeadlineExceededError(fmt::format("rpc {}: {} timed out", method, what));
  }
  return core::UnavailableError(fmt::format("rpc {}: {}: {}", method, what, ec.message()));
}

core::Status HexField(simdjson::dom::object obj, const char* name, std::string* out) {
  std::string_view text;
  if (obj[name].get_string().get(text)) {
    return core::UnavailableError(fmt::format("block header has no string \"{}\"", name));
  }
  out->resize(32);
  core::Status status =
      core::FromHexPadded(text, std::span<uint8_t>(reinterpret_cast<uint8_t*>(out->data()), 32));
  if (!status.ok()) return status.WithContext(name);
  return core::Status::Ok();
}

}  // namespace

core::Status RpcErrorStatus(int64_t code, std::string_view message, std::string_view method) {
  std::string text = fmt::format("rpc {}: node error {}: {}", method, code, message);
  if (code <= -32600 && code >= -32700) return core::InvalidArgumentError(std::move(text));
  if (code == -32005) return core::ResourceExhaustedError(std::move(text));
  return core::UnavailableError(std::move(text));
}

struct RpcClient::Impl {
  RpcOptions options;
  ParsedUrl url;
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool connected = false;
  uint64_t next_id = 1;
  simdjson::dom::parser parser;

  // Runs the queued async operations to completion (the stream's expiry
  // bounds each).
  void Run() {
    ioc.restart();
    ioc.run();
  }

  core::Status Connect(std::string_view method) {
    beast::error_code ec;
    asio::ip::tcp::resolver resolver(ioc);
    asio::ip::tcp::resolver::results_type endpoints;
    resolver.async_resolve(url.host, url.port,
                           [&](beast::error_code e, asio::ip::tcp::resolver::results_type r) {
                             ec = e;
                             endpoints = std::move(r);
                           });
    Run();
    if (ec) return TransportError(ec, fmt::format("resolve {}", url.host), method);
    stream.expires_after(options.timeout);
    stream.async_connect(endpoints, [&](beast::error_code e, auto) { ec = e; });
    Run();
    if (ec) return TransportError(ec, fmt::format("connect {}:{}", url.host, url.port), method);
    connected = true;
    buffer.clear();
    return core::Status::Ok();
  }

  void Close() {
    beast::error_code ignored;
    stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    stream.close();
    connected = false;
  }

  // One HTTP exchange on the current connection.
  core::Result<std::string> Exchange(const std::string& body, std::string_view method) {
    http::request<http::string_body> req{http::verb::post, url.target, 11};
    req.set(http::field::host, url.host);
    req.set(http::field::content_type, "application/json");
    req.keep_alive(true);
    req.body() = body;
    req.prepare_payload();
    beast::error_code ec;
    stream.expires_after(options.timeout);
    http::async_write(stream, req, [&](beast::error_code e, size_t) { ec = e; });
    Run();
    if (ec) return TransportError(ec, "write", method);
    http::response_parser<http::string_body> parser;
    parser.body_limit(1ull << 30);
    http::async_read(stream, buffer, parser, [&](beast::error_code e, size_t) { ec = e; });
    Run();
    if (ec) return TransportError(ec, "read", method);
    auto& res = parser.get();
    if (!res.keep_alive()) Close();
    if (res.result() != http::status::ok && res.body().find("\"error\"") == std::string::npos) {
      return core::UnavailableError(
          fmt::format("rpc {}: HTTP {}", method, static_cast<unsigned>(res.result_int())));
    }
    return std::move(res.body());
  }
};

RpcClient::RpcClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RpcClient::~RpcClient() {
  if (impl_->connected) impl_->Close();
}

core::Result<std::unique_ptr<RpcClient>> RpcClient::Open(RpcOptions options) {
  ASSIGN_OR_RETURN(ParsedUrl url, ParseUrl(options.url));
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->url = std::move(url);
  return std::unique_ptr<RpcClient>(new RpcClient(std::move(impl)));
}

core::Result<std::string> RpcClient::Call(std::string_view method, std::string_view params_json) {
  Impl& impl = *impl_;
  std::string body = fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"{}","params":{}}})",
                                 impl.next_id++, method, params_json);
  core::Result<std::string> response = core::UnavailableError("not sent");
  // A kept-alive connection may have been closed by the server: retry once
  // on a fresh one.
  for (int attempt = 0; attempt < 2; ++attempt) {
    bool reused = impl.connected;
    if (!impl.connected) RETURN_IF_ERROR(impl.Connect(method));
    response = impl.Exchange(body, method);
    if (response) break;
    impl.Close();
    if (!reused) return response.error();
  }
  if (!response) return response.error();

  simdjson::dom::element doc;
  if (auto error = impl.parser.parse(response.value()).get(doc)) {
    return core::UnavailableError(
        fmt::format("rpc {}: response is not JSON: {}", method, simdjson::error_message(error)));
  }
  simdjson::dom::element error_obj;
  if (!doc["error"].get(error_obj) && !error_obj.is_null()) {
    int64_t code = 0;
    std::string_view message;
    if (error_obj["code"].get_int64().get(code)) code = -32603;
    if (error_obj["message"].get_string().get(message)) message = "(no message)";
    return RpcErrorStatus(code, message, method);
  }
  simdjson::dom::element result;
  if (doc["result"].get(result)) {
    return core::UnavailableError(fmt::format("rpc {}: response has no result", method));
  }
  return simdjson::to_string(result);
}

core::Result<uint64_t> RpcClient::BlockNumber() {
  ASSIGN_OR_RETURN(std::string result, Call("eth_blockNumber", "[]"));
  // result is a JSON string: "\"0x...\"".
  if (result.size() < 2 || result.front() != '"' || result.back() != '"') {
    return core::UnavailableError(fmt::format("eth_blockNumber returned {}", result));
  }
  auto number = core::ParseHexQuantity(std::string_view(result).substr(1, result.size() - 2));
  if (!number) return core::UnavailableError("eth_blockNumber: " + number.error().message());
  return number.value();
}

core::Result<std::vector<std::string>> RpcClient::GetLogs(
    uint64_t from, uint64_t to, const std::vector<core::Address>& addresses) {
  std::string params = fmt::format(R"([{{"fromBlock":"0x{:x}","toBlock":"0x{:x}")", from, to);
  if (!addresses.empty()) {
    params += R"(,"address":[)";
    for (size_t i = 0; i < addresses.size(); ++i) {
      if (i > 0) params += ',';
      params += '"' + addresses[i].ToHex() + '"';
    }
    params += ']';
  }
  params += "}]";
  ASSIGN_OR_RETURN(std::string result, Call("eth_getLogs", params));
  simdjson::dom::array logs;
  if (impl_->parser.parse(result).get_array().get(logs)) {
    return core::UnavailableError("eth_getLogs: result is not an array");
  }
  std::vector<std::string> out;
  out.reserve(logs.size());
  for (simdjson::dom::element log : logs) out.push_back(simdjson::to_string(log));
  return out;
}

core::Result<std::vector<BlockHeader>> EvmRpc::GetBlockHeaders(uint64_t from, uint64_t to) {
  std::vector<BlockHeader> headers;
  for (uint64_t n = from; n <= to; ++n) {
    ASSIGN_OR_RETURN(BlockHeader header, GetBlockHeader(n));
    headers.push_back(std::move(header));
  }
  return headers;
}

namespace {

core::Result<BlockHeader> ParseHeader(simdjson::dom::parser& parser, const std::string& result,
                                      std::string_view which) {
  simdjson::dom::element doc;
  if (parser.parse(result).get(doc) || doc.is_null()) {
    return core::UnavailableError(fmt::format("eth_getBlockByNumber: block {} not found", which));
  }
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) {
    return core::UnavailableError("eth_getBlockByNumber: result is not an object");
  }
  BlockHeader header;
  std::string_view number;
  if (obj["number"].get_string().get(number)) {
    return core::UnavailableError("eth_getBlockByNumber: no number");
  }
  auto parsed_number = core::ParseHexQuantity(number);
  if (!parsed_number) return parsed_number.error().WithContext("number");
  header.number = parsed_number.value();
  RETURN_IF_ERROR(HexField(obj, "hash", &header.hash));
  RETURN_IF_ERROR(HexField(obj, "parentHash", &header.parent_hash));
  std::string_view ts;
  if (obj["timestamp"].get_string().get(ts)) {
    return core::UnavailableError("eth_getBlockByNumber: no timestamp");
  }
  auto timestamp = core::ParseHexQuantity(ts);
  if (!timestamp) return timestamp.error().WithContext("timestamp");
  header.timestamp = static_cast<int64_t>(timestamp.value());
  return header;
}

}  // namespace

core::Result<BlockHeader> RpcClient::GetBlockHeader(uint64_t number) {
  ASSIGN_OR_RETURN(std::string result,
                   Call("eth_getBlockByNumber", fmt::format(R"(["0x{:x}",false])", number)));
  ASSIGN_OR_RETURN(BlockHeader header, ParseHeader(impl_->parser, result, std::to_string(number)));
  if (header.number != number) {
    return core::UnavailableError(fmt::format(
        "eth_getBlockByNumber: asked for block {}, node returned block {}", number, header.number));
  }
  return header;
}

core::Result<BlockHeader> RpcClient::GetFinalizedHeader() {
  ASSIGN_OR_RETURN(std::string result, Call("eth_getBlockByNumber", R"(["finalized",false])"));
  return ParseHeader(impl_->parser, result, "finalized");
}

}  // namespace chainflow::ingest::evm
