#include "engine/core/config_endpoints.h"

#include <algorithm>
#include <cctype>
#include <fstream>

#include <fmt/format.h>

#include "engine/core/url.h"

namespace chainflow::engine::core {
namespace {

// RFC 9110 token characters.
bool IsTokenChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

Status CheckUrl(const std::string& url, const std::string& key, bool websocket_only) {
  auto parsed = ParseEndpointUrl(url);
  if (!parsed) return parsed.error().WithContext(fmt::format("config key {}", key));
  if (websocket_only && !parsed.value().websocket()) {
    return InvalidArgumentError(fmt::format("config key {}: \"{}\" is not a ws:// or wss:// URL",
                                            key, RedactUrl(url)));
  }
  return Status::Ok();
}

}  // namespace

Status ValidateChainEndpoints(const ChainConfig& chain, const std::string& where) {
  if (!chain.rpc.empty()) RETURN_IF_ERROR(CheckUrl(chain.rpc, where + ".rpc", false));
  if (!chain.ws.empty()) {
    if (chain.rpc.empty()) {
      return InvalidArgumentError(fmt::format(
          "config key {}.ws: set without {}.rpc (ws carries new heads only)", where, where));
    }
    RETURN_IF_ERROR(CheckUrl(chain.ws, where + ".ws", true));
  }
  if (!chain.rpc_ca_file.empty()) {
    std::ifstream in(chain.rpc_ca_file);
    if (!in) {
      return InvalidArgumentError(fmt::format("config key {}.rpc_ca_file: cannot read \"{}\"",
                                              where, chain.rpc_ca_file));
    }
  }
  for (const auto& [name, value] : chain.rpc_headers) {
    bool token = !name.empty() && std::all_of(name.begin(), name.end(), IsTokenChar);
    if (!token) {
      return InvalidArgumentError(fmt::format(
          "config key {}.rpc_headers: \"{}\" is not a header name", where, name));
    }
    if (value.find_first_of(std::string("\r\n\0", 3)) != std::string::npos) {
      return InvalidArgumentError(fmt::format(
          "config key {}.rpc_headers.{}: the value holds CR, LF or NUL", where, name));
    }
  }
  return Status::Ok();
}

}  // namespace chainflow::engine::core
