#include "ingest/evm/ws_session.h"

#include <algorithm>

#include <fmt/format.h>
#include <simdjson.h>

namespace chainflow::ingest::evm {
namespace {

simdjson::dom::parser& Parser() {
  thread_local simdjson::dom::parser parser;
  return parser;
}

bool Contains(const std::vector<std::string>& ids, const std::string& id) {
  return std::find(ids.begin(), ids.end(), id) != ids.end();
}

// The id of a reply object as canonical JSON text, or "" if it has none.
std::string IdOf(simdjson::dom::object object) {
  simdjson::dom::element id;
  if (object["id"].get(id) != simdjson::SUCCESS || id.is_null()) return "";
  return simdjson::minify(id);
}

}  // namespace

std::vector<std::string> RequestIds(std::string_view request) {
  std::vector<std::string> ids;
  simdjson::dom::element root;
  if (Parser().parse(request.data(), request.size()).get(root) != simdjson::SUCCESS) return ids;
  auto add = [&](simdjson::dom::element e) {
    simdjson::dom::object o;
    if (e.get(o) != simdjson::SUCCESS) return;
    std::string id = IdOf(o);
    if (!id.empty()) ids.push_back(std::move(id));
  };
  simdjson::dom::array batch;
  if (root.get(batch) == simdjson::SUCCESS) {
    for (simdjson::dom::element e : batch) add(e);
  } else {
    add(root);
  }
  return ids;
}

WsRpcSession::WsRpcSession(std::unique_ptr<MessageChannel> channel,
                           std::chrono::milliseconds timeout, NotificationSink sink)
    : channel_(std::move(channel)), timeout_(timeout), sink_(std::move(sink)) {}

void WsRpcSession::Close() {
  channel_->Close();
  connected_ = false;
}

core::Result<std::string> WsRpcSession::Call(const std::string& request) {
  std::vector<std::string> ids = RequestIds(request);
  if (ids.empty()) return core::InvalidArgumentError("websocket call: the request has no id");
  bool reused = connected_;
  auto reply = CallOnce(request, ids);
  if (reply || !reused || reply.error().code() != core::StatusCode::kUnavailable) return reply;
  // The server closed the idle connection: one fresh try.
  return CallOnce(request, ids);
}

core::Result<std::string> WsRpcSession::CallOnce(const std::string& request,
                                                 const std::vector<std::string>& ids) {
  if (!connected_) {
    RETURN_IF_ERROR(channel_->Connect());
    connected_ = true;
  }
  core::Status sent = channel_->Send(request);
  if (!sent.ok()) {
    Close();
    return sent;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout_;
  while (true) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      Close();
      return core::DeadlineExceededError("websocket call timed out");
    }
    auto message = channel_->Receive(left);
    if (!message) {
      Close();
      return message.error();
    }
    if (Route(message.value(), ids)) return std::move(message).value();
  }
}

core::Status WsRpcSession::Pump(std::chrono::milliseconds timeout) {
  if (!connected_) {
    RETURN_IF_ERROR(channel_->Connect());
    connected_ = true;
  }
  auto message = channel_->Receive(timeout);
  if (!message) {
    Close();
    return message.error();
  }
  Route(message.value(), {});
  return core::Status::Ok();
}

bool WsRpcSession::Route(const std::string& message, const std::vector<std::string>& ids) {
  simdjson::dom::element root;
  if (Parser().parse(message).get(root) != simdjson::SUCCESS) return false;  // not JSON: dropped
  simdjson::dom::array batch;
  if (root.get(batch) == simdjson::SUCCESS) {
    for (simdjson::dom::element e : batch) {
      simdjson::dom::object o;
      if (e.get(o) == simdjson::SUCCESS && Contains(ids, IdOf(o))) return true;
    }
    return false;
  }
  simdjson::dom::object object;
  if (root.get(object) != simdjson::SUCCESS) return false;
  std::string_view method;
  if (object["method"].get(method) == simdjson::SUCCESS) {
    simdjson::dom::object params;
    std::string_view subscription;
    simdjson::dom::element result;
    if (method == "eth_subscription" && object["params"].get(params) == simdjson::SUCCESS &&
        params["subscription"].get(subscription) == simdjson::SUCCESS &&
        params["result"].get(result) == simdjson::SUCCESS && sink_) {
      sink_(subscription, simdjson::minify(result));
    }
    return false;
  }
  std::string id = IdOf(object);
  return !id.empty() && Contains(ids, id);
}

namespace {

class WebSocketTransport final : public HttpTransport {
 public:
  WebSocketTransport(std::unique_ptr<MessageChannel> channel, std::chrono::milliseconds timeout)
      : session_(std::move(channel), timeout, nullptr) {}
  core::Result<HttpReply> Post(const std::string& body) override {
    ASSIGN_OR_RETURN(std::string reply, session_.Call(body));
    return HttpReply{200, std::move(reply), std::nullopt};
  }

 private:
  WsRpcSession session_;
};

}  // namespace

std::unique_ptr<HttpTransport> WebSocketTransportOver(std::unique_ptr<MessageChannel> channel,
                                                      std::chrono::milliseconds timeout) {
  return std::make_unique<WebSocketTransport>(std::move(channel), timeout);
}

core::Result<std::unique_ptr<HttpTransport>> OpenWebSocketTransport(
    const EndpointOptions& options) {
  // No idle pings: the follower calls often, and a dead connection shows
  // as a call timeout.
  ASSIGN_OR_RETURN(auto channel, OpenWebSocketChannel(options, std::chrono::milliseconds(0)));
  return WebSocketTransportOver(std::move(channel), options.timeout);
}

}  // namespace chainflow::ingest::evm
