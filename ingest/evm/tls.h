#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/error.hpp>

#include "engine/core/result.h"
#include "engine/core/url.h"

namespace chainflow::ingest::evm {

// What a connection to one endpoint needs, whatever its scheme.
struct EndpointOptions {
  std::string url;  // http://, https://, ws:// or wss:// (may hold a key)
  std::chrono::milliseconds timeout{10'000};  // connect + TLS + upgrade; and each request
  std::string ca_file;  // https/wss: trusted CA PEM instead of the system store
  std::map<std::string, std::string> headers;  // sent with every request / the upgrade
};

// A TLS client context: TLS 1.2 or later, peer verification on, trusting
// `ca_file` (PEM) when given, else the system store
// (set_default_verify_paths). FailedPrecondition naming the file if it
// cannot be loaded. Shared by the connections of one endpoint; OpenSSL
// contexts may be used from several threads once set up.
core::Result<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(
    const std::string& ca_file);

// Checks a server's certificate for one connection and remembers why it was
// refused, for an error a person can act on.
//
// Apply() sets SNI (SSL_set_tlsext_host_name; not for IP literals), peer
// verification and a verify callback: the chain must verify against the
// context's CAs, and the leaf must be for `host` (RFC 6125, DNS names and IP
// addresses, boost::asio::ssl::host_name_verification). Not thread-safe: one
// per connection attempt, on the connecting thread.
class TlsVerifier {
 public:
  explicit TlsVerifier(std::string host);
  // `stream`: an asio ssl::stream or beast::ssl_stream before its
  // handshake. InvalidArgument if OpenSSL refuses the SNI name.
  template <typename Stream>
  core::Status Apply(Stream& stream) {
    RETURN_IF_ERROR(SetServerName(stream.native_handle()));
    stream.set_verify_mode(boost::asio::ssl::verify_peer);
    stream.set_verify_callback(Callback());
    return core::Status::Ok();
  }

  // The status for a failed TLS handshake with `redacted_url`:
  // FailedPrecondition for a refused certificate ("certificate verify
  // failed: <reason>") and for TLS protocol errors (e.g. https to a plain
  // HTTP port): configuration errors retrying will not fix. A timeout is
  // DeadlineExceeded; a dropped connection Unavailable.
  core::Status HandshakeError(const boost::beast::error_code& ec,
                              std::string_view redacted_url) const;

 private:
  using VerifyCallback = std::function<bool(bool, boost::asio::ssl::verify_context&)>;
  core::Status SetServerName(SSL* ssl);
  VerifyCallback Callback();
  std::string host_;
  std::shared_ptr<std::string> refusal_;  // written by the callback during the handshake
};

// The header value for credentials in a URL ("user:pass@"): "Basic <base64>".
std::string BasicAuthorization(std::string_view userinfo);

}  // namespace chainflow::ingest::evm
