#include "ingest/evm/tls.h"

#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/beast/core/error.hpp>
#include <fmt/format.h>

namespace chainflow::ingest::evm {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;

core::Result<std::shared_ptr<ssl::context>> MakeTlsContext(const std::string& ca_file) {
  std::shared_ptr<ssl::context> context;
  try {
    context = std::make_shared<ssl::context>(ssl::context::tls_client);
  } catch (const boost::system::system_error& e) {  // SSL_CTX_new failed
    return core::InternalError(fmt::format("TLS context: {}", e.what()));
  }
  boost::system::error_code ec;
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                           ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                           ssl::context::no_tlsv1_1,
                       ec);
  if (ec) return core::InternalError("TLS context options: " + ec.message());
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) {
      return core::FailedPreconditionError("TLS: cannot load the system CA store: " +
                                           ec.message());
    }
  } else {
    context->load_verify_file(ca_file, ec);
    if (ec) {
      return core::FailedPreconditionError(
          fmt::format("TLS: cannot load CA file \"{}\": {}", ca_file, ec.message()));
    }
  }
  context->set_verify_mode(ssl::verify_peer);
  return context;
}

TlsVerifier::TlsVerifier(std::string host)
    : host_(std::move(host)), refusal_(std::make_shared<std::string>()) {}

core::Status TlsVerifier::SetServerName(SSL* ssl) {
  boost::system::error_code ec;
  asio::ip::make_address(host_, ec);
  if (!ec) return core::Status::Ok();  // SNI carries DNS names only (RFC 6066 §3)
  if (SSL_set_tlsext_host_name(ssl, host_.c_str()) != 1) {
    return core::InvalidArgumentError(fmt::format("TLS: bad server name \"{}\"", host_));
  }
  return core::Status::Ok();
}

TlsVerifier::VerifyCallback TlsVerifier::Callback() {
  ssl::host_name_verification check_host(host_);
  return [check_host, host = host_, refusal = refusal_](bool preverified,
                                                        ssl::verify_context& ctx) {
    X509_STORE_CTX* store = ctx.native_handle();
    if (!preverified) {
      if (refusal->empty()) {
        *refusal = X509_verify_cert_error_string(X509_STORE_CTX_get_error(store));
      }
      return false;
    }
    if (!check_host(preverified, ctx)) {
      *refusal = fmt::format("host name mismatch: the certificate is not for {}", host);
      return false;
    }
    return true;
  };
}

core::Status TlsVerifier::HandshakeError(const boost::beast::error_code& ec,
                                         std::string_view redacted_url) const {
  if (!refusal_->empty()) {
    return core::FailedPreconditionError(fmt::format(
        "TLS handshake with {}: certificate verify failed: {}", redacted_url, *refusal_));
  }
  if (ec == boost::beast::error::timeout) {
    return core::DeadlineExceededError(fmt::format("TLS handshake with {} timed out",
                                                   redacted_url));
  }
  if (ec.category() == asio::error::get_ssl_category()) {
    // A protocol failure (no shared cipher, "wrong version number" from a
    // plain-HTTP port, ...): the endpoint is misconfigured, not down.
    return core::FailedPreconditionError(
        fmt::format("TLS handshake with {}: {}", redacted_url, ec.message()));
  }
  return core::UnavailableError(
      fmt::format("TLS handshake with {}: {}", redacted_url, ec.message()));
}

std::string BasicAuthorization(std::string_view userinfo) {
  std::string out(4 * ((userinfo.size() + 2) / 3) + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(userinfo.data()),
                          static_cast<int>(userinfo.size()));
  out.resize(static_cast<size_t>(n));
  return "Basic " + out;
}

}  // namespace chainflow::ingest::evm
