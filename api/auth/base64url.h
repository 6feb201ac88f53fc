#pragma once

#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace chainflow::api::auth {

// base64url (RFC 4648 §5) as JWTs use it: '-' and '_' for '+' and '/', no
// padding. Decode also accepts trailing '=' padding; any other character,
// or a length that leaves a dangling 6 bits, is InvalidArgument.
engine::core::Result<std::string> Base64UrlDecode(std::string_view text);
std::string Base64UrlEncode(std::string_view bytes);

}  // namespace chainflow::api::auth
