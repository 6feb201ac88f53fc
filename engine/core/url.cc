#include "engine/core/url.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

namespace chainflow::engine::core {
namespace {

// The generic parts of "scheme://authority/path?query#fragment". Any part
// may be empty; `has_scheme` is false when there is no "://".
struct UrlParts {
  bool has_scheme = false;
  std::string_view scheme, userinfo, hostport, path, query, fragment;
  bool has_userinfo = false, has_query = false, has_fragment = false;
};

UrlParts Split(std::string_view url) {
  UrlParts p;
  size_t sep = url.find("://");
  if (sep != std::string_view::npos) {
    p.has_scheme = true;
    p.scheme = url.substr(0, sep);
    url.remove_prefix(sep + 3);
  }
  if (size_t hash = url.find('#'); hash != std::string_view::npos) {
    p.has_fragment = true;
    p.fragment = url.substr(hash + 1);
    url = url.substr(0, hash);
  }
  if (size_t q = url.find('?'); q != std::string_view::npos) {
    p.has_query = true;
    p.query = url.substr(q + 1);
    url = url.substr(0, q);
  }
  size_t slash = p.has_scheme ? url.find('/') : 0;
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) p.path = url.substr(slash);
  if (size_t at = authority.rfind('@'); at != std::string_view::npos) {
    p.has_userinfo = true;
    p.userinfo = authority.substr(0, at);
    authority.remove_prefix(at + 1);
  }
  p.hostport = authority;
  return p;
}

// A path segment safe to print: a short plain word or a version tag.
bool PlainSegment(std::string_view s) {
  if (s.empty()) return true;
  if (s.size() >= 2 && (s[0] == 'v' || s[0] == 'V') &&
      std::all_of(s.begin() + 1, s.end(), [](char c) { return std::isdigit(uint8_t(c)); })) {
    return true;
  }
  return s.size() <= 12 && std::all_of(s.begin(), s.end(), [](char c) {
           return std::isalpha(uint8_t(c)) || c == '-' || c == '_';
         });
}

std::string RedactPath(std::string_view path) {
  std::string out;
  size_t begin = 0;
  while (begin < path.size()) {
    size_t end = path.find('/', begin + 1);
    if (end == std::string_view::npos) end = path.size();
    std::string_view segment = path.substr(begin, end - begin);  // with its leading '/'
    if (!segment.empty() && segment[0] == '/') {
      out += '/';
      segment.remove_prefix(1);
    }
    out += PlainSegment(segment) ? std::string(segment) : "***";
    begin = end;
  }
  return out;
}

std::string RedactQuery(std::string_view query) {
  std::string out;
  size_t begin = 0;
  while (begin <= query.size()) {
    size_t end = query.find('&', begin);
    if (end == std::string_view::npos) end = query.size();
    std::string_view pair = query.substr(begin, end - begin);
    if (begin > 0) out += '&';
    size_t eq = pair.find('=');
    // A bare key ("?token") may itself be the secret.
    out += eq == std::string_view::npos ? "***" : std::string(pair.substr(0, eq)) + "=***";
    begin = end + 1;
  }
  return out;
}

Status BadUrl(std::string_view url, std::string_view why) {
  return InvalidArgumentError(fmt::format("url \"{}\": {}", RedactUrl(url), why));
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  UrlParts p = Split(url);
  if (!p.has_scheme) {
    bool harmless = url.find_first_of("/?@#") == std::string_view::npos;
    return harmless ? std::string(url) : "<url:***>";
  }
  std::string out = fmt::format("{}://", p.scheme);
  if (p.has_userinfo) out += "***@";
  out += p.hostport;
  out += RedactPath(p.path);
  if (p.has_query) out += "?" + RedactQuery(p.query);
  if (p.has_fragment) out += "#***";
  return out;
}

Result<EndpointUrl> ParseEndpointUrl(std::string_view url) {
  UrlParts p = Split(url);
  if (!p.has_scheme) return BadUrl(url, "no scheme (want http://, https://, ws:// or wss://)");
  EndpointUrl out;
  out.scheme = std::string(p.scheme);
  std::transform(out.scheme.begin(), out.scheme.end(), out.scheme.begin(),
                 [](char c) { return static_cast<char>(std::tolower(uint8_t(c))); });
  if (out.scheme != "http" && out.scheme != "https" && out.scheme != "ws" &&
      out.scheme != "wss") {
    return BadUrl(url, fmt::format("scheme {} is not http, https, ws or wss", out.scheme));
  }
  out.userinfo = std::string(p.userinfo);
  std::string_view hostport = p.hostport;
  std::string_view port;
  if (!hostport.empty() && hostport[0] == '[') {  // IPv6 literal
    size_t close = hostport.find(']');
    if (close == std::string_view::npos) return BadUrl(url, "unclosed '[' in the host");
    out.host = std::string(hostport.substr(1, close - 1));
    std::string_view after = hostport.substr(close + 1);
    if (!after.empty() && after[0] != ':') return BadUrl(url, "junk after the IPv6 host");
    if (!after.empty()) port = after.substr(1);
  } else if (size_t colon = hostport.rfind(':'); colon != std::string_view::npos) {
    out.host = std::string(hostport.substr(0, colon));
    port = hostport.substr(colon + 1);
  } else {
    out.host = std::string(hostport);
  }
  if (out.host.empty()) return BadUrl(url, "no host");
  if (port.empty()) {
    out.port = out.tls() ? "443" : "80";
  } else {
    bool digits = port.size() <= 5 && std::all_of(port.begin(), port.end(), [](char c) {
                    return std::isdigit(uint8_t(c));
                  });
    if (!digits || std::stoul(std::string(port)) == 0 || std::stoul(std::string(port)) > 65535) {
      return BadUrl(url, "the port is not a number in 1..65535");
    }
    out.port = std::string(port);
  }
  out.target = p.path.empty() ? "/" : std::string(p.path);
  if (p.has_query) out.target += "?" + std::string(p.query);
  return out;
}

}  // namespace chainflow::engine::core
