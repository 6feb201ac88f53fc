#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/http/message.h"
#include "engine/core/status.h"

namespace chainflow::api::http {

// Handles one request. Called on a server thread, possibly concurrently with
// other calls of the same handler: it must be thread-safe. It should not
// throw; if it does, the router answers 500 and logs it.
using Handler = std::function<Response(const Request&)>;

// Splits `target` ("/v1/x%20y/z?a=1&b=%41") into the request's decoded
// `path`, `path_segments` and `query_params`. InvalidArgument when the
// target is not a valid origin-form request target.
core::Status ParseTarget(std::string_view target, Request* request);

// Maps (method, path pattern) to handlers. A pattern is a '/'-separated path
// whose segments are literals or "{name}" parameters, each matching one
// non-empty path segment: "/v1/nfts/{chain}/{contract}/{token_id}". When two
// patterns match a path the one with a literal earlier wins.
//
// Add() all routes before the server starts; Dispatch() is then const and
// safe to call from any number of threads.
class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Registers `handler`. A malformed pattern or a duplicate (method, pattern)
  // is a programming error and CHECK-fails.
  void Add(std::string_view method, std::string_view pattern, Handler handler);
  void Get(std::string_view pattern, Handler handler) { Add("GET", pattern, std::move(handler)); }
  void Post(std::string_view pattern, Handler handler) { Add("POST", pattern, std::move(handler)); }
  // A POST route whose request bodies may not exceed `body_limit` bytes (the
  // server answers 413 before reading such a body; see BodyLimit()).
  void Post(std::string_view pattern, size_t body_limit, Handler handler);

  // The body limit of the route `method` `target` would dispatch to, if it
  // has one. Called by the server once the request's header is read, so an
  // oversized body is refused before it is received. Thread-safe after setup.
  std::optional<size_t> BodyLimit(std::string_view method, std::string_view target) const;

  // Parses `request.target`, fills path, query and path parameters and
  // `route`, and calls the matching handler. Unmatched paths answer 404 and
  // known paths with another method 405 (with an Allow header), both with a
  // JSON error body; a bad target answers 400. `route` is left empty when no
  // route matched.
  Response Dispatch(Request& request) const;

 private:
  struct Segment {
    std::string text;  // the literal, or the parameter name
    bool is_param = false;
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
    std::optional<size_t> body_limit;
  };

  // The route for `method` and `segments` (most specific wins), or nullptr;
  // fills `params` and, when no route has the method, `allowed`.
  const Route* Match(std::string_view method, const std::vector<std::string>& segments,
                     std::map<std::string, std::string>* params, std::string* allowed) const;

  // True if `route` matches `segments`; fills `params` when it does.
  static bool Matches(const Route& route, const std::vector<std::string>& segments,
                      std::map<std::string, std::string>* params);
  // True if `a` is more specific than `b` (a literal where `b` has a parameter first).
  static bool MoreSpecific(const Route& a, const Route& b);

  std::vector<Route> routes_;
};

}  // namespace chainflow::api::http
