#include "api/http/message.h"

#include <algorithm>
#include <cctype>

#include <boost/json/serialize.hpp>

#include "engine/core/check.h"

namespace chainflow::api::http {
namespace {

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

}  // namespace

const std::string& Request::PathParam(const std::string& name) const {
  static const std::string* const kEmpty = new std::string();
  auto it = path_params.find(name);
  return it == path_params.end() ? *kEmpty : it->second;
}

std::optional<std::string> Request::QueryParam(std::string_view name) const {
  std::optional<std::string> found;
  for (const auto& [key, value] : query_params) {
    if (key == name) found = value;
  }
  return found;
}

std::optional<std::string> Request::Header(std::string_view name) const {
  auto it = headers.find(Lower(name));
  if (it == headers.end()) return std::nullopt;
  return it->second;
}

Response JsonResponse(int status, const boost::json::value& value) {
  Response response;
  response.status = status;
  response.body = boost::json::serialize(value);
  return response;
}

Response TextResponse(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.content_type = std::move(content_type);
  return response;
}

int HttpStatusFor(core::StatusCode code) {
  using core::StatusCode;
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument:
    case StatusCode::kOutOfRange:
    case StatusCode::kFailedPrecondition: return 400;
    case StatusCode::kUnauthenticated: return 401;
    case StatusCode::kPermissionDenied: return 403;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kAborted: return 409;
    case StatusCode::kResourceExhausted: return 429;
    case StatusCode::kUnimplemented: return 501;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDeadlineExceeded: return 504;
    default: return 500;
  }
}

std::string ErrorCodeString(core::StatusCode code) {
  // "InvalidArgument" -> "invalid_argument".
  if (code == core::StatusCode::kOk) return "ok";
  std::string out;
  for (char c : core::StatusCodeName(code)) {
    if (std::isupper(static_cast<unsigned char>(c))) {
      if (!out.empty()) out += '_';
      out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else {
      out += c;
    }
  }
  return out;
}

Response ErrorResponse(const core::Status& status) {
  CF_CHECK(!status.ok(), "ErrorResponse needs an error status");
  return ErrorResponse(HttpStatusFor(status.code()), ErrorCodeString(status.code()),
                       status.message());
}

Response ErrorResponse(int http_status, std::string_view code, std::string_view message) {
  boost::json::object error;
  error["code"] = code;
  error["message"] = message;
  boost::json::object root;
  root["error"] = std::move(error);
  return JsonResponse(http_status, root);
}

}  // namespace chainflow::api::http
