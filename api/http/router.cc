#include "api/http/router.h"

#include <exception>

#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <fmt/format.h>

#include "engine/core/check.h"
#include "engine/core/logging.h"

namespace chainflow::api::http {
namespace {

namespace urls = boost::urls;

// Splits a route pattern; CHECK-fails on a malformed one.
std::vector<std::string> SplitPattern(std::string_view pattern) {
  CF_CHECK(!pattern.empty() && pattern.front() == '/', "route pattern '{}' must start with '/'",
           pattern);
  std::vector<std::string> parts;
  if (pattern == "/") return parts;
  size_t start = 1;
  while (start <= pattern.size()) {
    size_t end = pattern.find('/', start);
    if (end == std::string_view::npos) end = pattern.size();
    parts.emplace_back(pattern.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

core::Status ParseTarget(std::string_view target, Request* request) {
  auto parsed = urls::parse_origin_form(target);
  if (!parsed) return core::InvalidArgumentError("malformed request target");
  const urls::url_view& url = *parsed;
  request->path = url.path();
  request->path_segments.clear();
  for (auto segment : url.segments()) request->path_segments.push_back(segment);
  request->query_params.clear();
  urls::encoding_opts opts;
  opts.space_as_plus = true;
  for (auto param : url.params(opts)) {
    request->query_params.emplace_back(param.key, param.has_value ? param.value : "");
  }
  return core::Status::Ok();
}

void Router::Add(std::string_view method, std::string_view pattern, Handler handler) {
  CF_CHECK(handler != nullptr, "route {} {} has no handler", method, pattern);
  Route route;
  route.method = std::string(method);
  route.pattern = std::string(pattern);
  for (std::string& part : SplitPattern(pattern)) {
    Segment segment;
    if (part.size() >= 2 && part.front() == '{' && part.back() == '}') {
      segment.is_param = true;
      segment.text = part.substr(1, part.size() - 2);
      CF_CHECK(!segment.text.empty(), "route pattern '{}' has an empty parameter", pattern);
    } else {
      CF_CHECK(part.find_first_of("{}") == std::string::npos,
               "route pattern '{}': bad segment '{}'", pattern, part);
      segment.text = std::move(part);
    }
    route.segments.push_back(std::move(segment));
  }
  for (const Route& existing : routes_) {
    CF_CHECK(existing.method != route.method || existing.pattern != route.pattern,
             "duplicate route {} {}", method, pattern);
  }
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

void Router::Post(std::string_view pattern, size_t body_limit, Handler handler) {
  Add("POST", pattern, std::move(handler));
  routes_.back().body_limit = body_limit;
}

std::optional<size_t> Router::BodyLimit(std::string_view method, std::string_view target) const {
  Request request;
  if (!ParseTarget(target, &request).ok()) return std::nullopt;
  std::map<std::string, std::string> params;
  std::string allowed;
  const Route* route = Match(method, request.path_segments, &params, &allowed);
  return route == nullptr ? std::nullopt : route->body_limit;
}

const Router::Route* Router::Match(std::string_view method,
                                   const std::vector<std::string>& segments,
                                   std::map<std::string, std::string>* params,
                                   std::string* allowed) const {
  const Route* best = nullptr;
  for (const Route& route : routes_) {
    std::map<std::string, std::string> captured;
    if (!Matches(route, segments, &captured)) continue;
    if (route.method != method) {
      if (allowed->find(route.method) == std::string::npos) {
        *allowed += allowed->empty() ? route.method : ", " + route.method;
      }
      continue;
    }
    if (best == nullptr || MoreSpecific(route, *best)) {
      best = &route;
      *params = std::move(captured);
    }
  }
  return best;
}

bool Router::Matches(const Route& route, const std::vector<std::string>& segments,
                     std::map<std::string, std::string>* params) {
  if (route.segments.size() != segments.size()) return false;
  std::map<std::string, std::string> captured;
  for (size_t i = 0; i < segments.size(); ++i) {
    const Segment& want = route.segments[i];
    if (want.is_param) {
      if (segments[i].empty()) return false;
      captured[want.text] = segments[i];
    } else if (want.text != segments[i]) {
      return false;
    }
  }
  *params = std::move(captured);
  return true;
}

bool Router::MoreSpecific(const Route& a, const Route& b) {
  for (size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    if (a.segments[i].is_param != b.segments[i].is_param) return !a.segments[i].is_param;
  }
  return false;
}

Response Router::Dispatch(Request& request) const {
  request.route.clear();
  request.path_params.clear();
  if (core::Status parsed = ParseTarget(request.target, &request); !parsed.ok()) {
    return ErrorResponse(parsed);
  }
  std::map<std::string, std::string> best_params;
  std::string allowed;  // methods of routes matching the path, for 405
  const Route* best = Match(request.method, request.path_segments, &best_params, &allowed);
  if (best == nullptr) {
    if (!allowed.empty()) {
      Response response = ErrorResponse(
          405, "method_not_allowed", fmt::format("{} is not allowed here", request.method));
      response.headers.emplace_back("Allow", allowed);
      return response;
    }
    return ErrorResponse(404, "not_found", "no such endpoint");
  }
  request.route = best->pattern;
  request.path_params = std::move(best_params);
  try {
    return best->handler(request);
  } catch (const std::exception& e) {
    // Handlers return Status; this is the boundary that keeps a bug in one
    // from taking the server thread down.
    core::Logger("api.http")->error("handler for {} {} threw: {}", request.method, best->pattern,
                                    e.what());
    return ErrorResponse(500, "internal", "internal error");
  }
}

}  // namespace chainflow::api::http
