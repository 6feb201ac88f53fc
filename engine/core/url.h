#pragma once

#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace chainflow::engine::core {

// An endpoint URL split into what a client connects to. Only the schemes
// chainflow speaks: http, https, ws, wss.
struct EndpointUrl {
  std::string scheme;    // lowercase: "http", "https", "ws" or "wss"
  std::string host;      // without brackets for IPv6 ("::1")
  std::string port;      // explicit, or 80 (http, ws) / 443 (https, wss)
  std::string target;    // path and query, "/" when absent; never the fragment
  std::string userinfo;  // "user:pass" before '@', percent-encoded as given; "" if none
  bool tls() const { return scheme == "https" || scheme == "wss"; }
  bool websocket() const { return scheme == "ws" || scheme == "wss"; }
};

// Parses "scheme://[userinfo@]host[:port][/path][?query][#fragment]".
// InvalidArgument for another scheme, no host, or a port that is not a
// number in 1..65535. The message names the URL only in redacted form
// (RedactUrl), so it may be logged.
Result<EndpointUrl> ParseEndpointUrl(std::string_view url);

// The URL with its secrets replaced by "***", for every log line, error
// message, metric label and status output that shows an endpoint:
// - userinfo ("user:pass@" -> "***@"),
// - every query value ("?apikey=k&x=1" -> "?apikey=***&x=***"),
// - the fragment,
// - every path segment that is not obviously a plain word: a segment is kept
//   only if it is at most 12 characters of letters (with '-' or '_'), or a
//   version tag "v<digits>"; others ("/v3/<infura key>", "/v2/<alchemy key>",
//   QuickNode's "/<token>/", Ankr's "/eth/<key>") become "***".
// Scheme, host and port are kept: they say which provider is meant.
// Text that does not parse as a URL is redacted whole to "<url:***>" unless it
// has no '/', '?', '@' at all (then it is shown: nothing there can be a key).
std::string RedactUrl(std::string_view url);

}  // namespace chainflow::engine::core
