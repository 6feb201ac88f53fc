#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/result.h"
#include "ingest/evm/tls.h"

namespace chainflow::ingest::evm {

// One HTTP response, whatever its status.
struct HttpReply {
  unsigned status = 0;
  std::string body;
  std::optional<std::string> retry_after;  // the Retry-After header, if present
};

// Posts JSON bodies to one URL. The seam RpcClient's retry, batch and
// range-splitting logic is tested through (tests pass a scripted fake).
class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  // POSTs `body` (application/json). Transport failures are errors:
  // DeadlineExceeded when the per-request timeout expires, Unavailable when
  // connecting fails or the connection breaks. After an error the next Post
  // starts on a fresh connection.
  virtual core::Result<HttpReply> Post(const std::string& body) = 0;
};

// HTTP/1.1 over one keep-alive connection (Boost.Beast), opened lazily:
// plain TCP for http://, TLS for https:// (tls.h: the system CA store or
// options.ca_file, SNI, chain and host-name verification). A failure on a
// connection that was reused (the server closed it while idle) is retried
// once at once on a new connection: that is the normal end of a keep-alive,
// not a node fault. `timeout` bounds connect (with the TLS handshake), and
// the write and read of each request together. options.headers and a
// URL's "user:pass@" (as Basic authorization) go with every request. It
// accepts gzip and inflates a gzip answer (gzip.h) before returning it.
// A refused certificate is FailedPrecondition (a configuration error:
// RpcClient does not retry it). Errors name the URL redacted (RedactUrl).
// Single-threaded.
//
// `options.url`: "http(s)://[user:pass@]host[:port][/path][?query]";
// ws:// and wss:// are ws_transport.h's. InvalidArgument otherwise.
core::Result<std::unique_ptr<HttpTransport>> OpenBeastTransport(const EndpointOptions& options);
// The same with no headers and the system CA store.
core::Result<std::unique_ptr<HttpTransport>> OpenBeastTransport(std::string_view url,
                                                                std::chrono::milliseconds timeout);

}  // namespace chainflow::ingest::evm
