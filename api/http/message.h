#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "engine/core/status.h"

namespace chainflow::api::http {

// One HTTP request as a handler sees it. Built by the server from the wire
// request and the matched route; plain data, thread-compatible.
struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // the raw request target: "/v1/x?a=1"
  std::string path;    // decoded path, without the query string
  std::vector<std::string> path_segments;  // decoded, split at '/'
  std::string route;   // the matched route pattern, e.g. "/v1/nfts/{chain}"
  // Values of the route's {param} segments, percent-decoded.
  std::map<std::string, std::string> path_params;
  // Query parameters in order, percent-decoded ('+' is a space).
  std::vector<std::pair<std::string, std::string>> query_params;
  // Header fields; names lowercased. A repeated field keeps its last value.
  std::map<std::string, std::string> headers;
  std::string body;

  // The value of path parameter `name`; empty if the route has none.
  const std::string& PathParam(const std::string& name) const;
  // The last value of query parameter `name`, or nullopt when absent.
  std::optional<std::string> QueryParam(std::string_view name) const;
  // Header `name` (any case), or nullopt when absent.
  std::optional<std::string> Header(std::string_view name) const;
};

inline constexpr std::string_view kJsonContentType = "application/json";

// What a handler returns. `body` is sent as is with `content_type`.
struct Response {
  int status = 200;
  std::string body;
  std::string content_type = std::string(kJsonContentType);
  std::vector<std::pair<std::string, std::string>> headers;  // extra fields
};

// `value` serialized as the body of a JSON response.
Response JsonResponse(int status, const boost::json::value& value);

// A text/plain (or other `content_type`) response.
Response TextResponse(int status, std::string body,
                      std::string content_type = "text/plain; charset=utf-8");

// The HTTP status for a canonical code: InvalidArgument/OutOfRange 400,
// Unauthenticated 401, PermissionDenied 403, NotFound 404, AlreadyExists
// 409, FailedPrecondition 412... see message.cc; anything unmapped is 500.
int HttpStatusFor(core::StatusCode code);

// The snake_case code string used in error bodies ("invalid_argument").
std::string ErrorCodeString(core::StatusCode code);

// {"error":{"code":"not_found","message":"..."}} with the mapped status.
// `status` must not be ok (CHECKed): an ok status is not an error.
Response ErrorResponse(const core::Status& status);

// An error response with an explicit HTTP status and code string, for
// protocol errors that have no canonical code (405, 413, 431).
Response ErrorResponse(int http_status, std::string_view code, std::string_view message);

}  // namespace chainflow::api::http
