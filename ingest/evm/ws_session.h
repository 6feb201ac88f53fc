#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "engine/core/result.h"
#include "ingest/evm/http_transport.h"
#include "ingest/evm/ws_channel.h"

namespace chainflow::ingest::evm {

// JSON-RPC 2.0 over a MessageChannel (a WebSocket), where replies and
// server notifications share one stream of messages.
//
// Call() sends a request (one object or a batch array) and returns the text
// of the reply that answers it: the object whose "id" is the request's, or
// the array holding any of the batch's ids. While it waits, eth_subscription
// notifications go to the sink and replies to other ids (left over from a
// call that timed out) are dropped. Pump() waits for one message and routes
// it the same way: what a subscriber loops on.
//
// Connects lazily; after any channel error the next call reconnects. A call
// on a reused connection that fails before an answer (the server closed it
// while idle) is tried once more at once on a new one, as HTTP keep-alive.
//
// Single-threaded: one owner thread calls Call and Pump; the sink runs on it.
class WsRpcSession {
 public:
  // `subscription` is params.subscription, `result` the JSON text of
  // params.result.
  using NotificationSink =
      std::function<void(std::string_view subscription, std::string_view result)>;
  // `timeout` bounds each Call (0 in Pump: unbounded).
  WsRpcSession(std::unique_ptr<MessageChannel> channel, std::chrono::milliseconds timeout,
               NotificationSink sink);

  core::Result<std::string> Call(const std::string& request);
  // One message routed; DeadlineExceeded if none arrives within `timeout`
  // (0: wait until one does or the channel fails).
  core::Status Pump(std::chrono::milliseconds timeout);
  bool connected() const { return connected_; }
  void Close();
  MessageChannel& channel() { return *channel_; }

 private:
  core::Result<std::string> CallOnce(const std::string& request,
                                     const std::vector<std::string>& ids);
  // Routes one incoming message; returns true if it answers `ids`.
  bool Route(const std::string& message, const std::vector<std::string>& ids);

  std::unique_ptr<MessageChannel> channel_;
  std::chrono::milliseconds timeout_;
  NotificationSink sink_;
  bool connected_ = false;
};

// The "id" members of a JSON-RPC request or batch, as canonical JSON text
// (1, "a"). Empty if the text is not a request. Exposed for tests.
std::vector<std::string> RequestIds(std::string_view request);

// An HttpTransport over a WsRpcSession, so RpcClient's retries, batches and
// range splitting work unchanged on ws:// and wss://: every reply is "HTTP
// 200" with the JSON-RPC reply as its body. Notifications arriving on this
// connection are dropped (the head subscription has its own connection).
// Single-threaded.
core::Result<std::unique_ptr<HttpTransport>> OpenWebSocketTransport(
    const EndpointOptions& options);
std::unique_ptr<HttpTransport> WebSocketTransportOver(std::unique_ptr<MessageChannel> channel,
                                                      std::chrono::milliseconds timeout);

}  // namespace chainflow::ingest::evm
