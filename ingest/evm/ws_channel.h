#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "engine/core/result.h"
#include "ingest/evm/tls.h"

namespace chainflow::ingest::evm {

// A duplex channel of text messages (a WebSocket): the seam WsRpcSession is
// tested through (tests pass a scripted fake). Not thread-safe except where
// stated: one owner thread calls Connect, Send, Receive and Close.
class MessageChannel {
 public:
  virtual ~MessageChannel() = default;
  // Opens a new connection (closing any open one). Errors as Receive's; a
  // refused certificate is FailedPrecondition.
  virtual core::Status Connect() = 0;
  virtual core::Status Send(const std::string& text) = 0;
  // The next text message. `timeout` bounds the wait (0: unbounded, the
  // connection's keep-alive pings still detect a dead peer):
  // DeadlineExceeded when it expires, Unavailable when the connection
  // breaks, Cancelled after Interrupt(). After an error, Connect again.
  virtual core::Result<std::string> Receive(std::chrono::milliseconds timeout) = 0;
  virtual void Close() = 0;
  // Thread-safe: makes a Receive blocked now (or the next operation) fail
  // with Cancelled, by closing the connection on the owner's thread.
  virtual void Interrupt() = 0;
};

// A WebSocket client (Boost.Beast) on ws:// or wss:// (TLS as in tls.h: CA
// file or system store, SNI, chain and host-name checks). options.headers
// and "user:pass@" (Basic) go with the upgrade request. `idle_ping`: when
// non-zero, a ping goes out after that long without traffic and a peer
// silent for twice as long counts as gone (Unavailable). InvalidArgument
// for another scheme; errors name the URL redacted.
core::Result<std::unique_ptr<MessageChannel>> OpenWebSocketChannel(
    const EndpointOptions& options, std::chrono::milliseconds idle_ping);

}  // namespace chainflow::ingest::evm
