#pragma once

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/config.h"

namespace chainflow::api::auth {

namespace core = engine::core;

// The scope POST /v1/intents needs.
inline constexpr std::string_view kScopeIntentsWrite = "intents:write";

// Who a verified request acts for: the API key's id and the scopes it
// grants (a JWT may narrow them with its "scope" claim).
struct Principal {
  std::string key_id;
  std::set<std::string> scopes;

  bool Has(std::string_view scope) const { return scopes.count(std::string(scope)) > 0; }
};

// One configured API key (config [[auth.keys]]), its secret resolved.
struct ApiKey {
  std::string id;
  std::string secret;
  std::set<std::string> scopes;
};

// "a b  c" -> {"a", "b", "c"}.
std::set<std::string> ParseScopes(std::string_view text);

// The configured API keys by id. Immutable after construction, so it may be
// shared by any number of threads.
class KeyRing {
 public:
  explicit KeyRing(const std::vector<core::ApiKeyConfig>& keys);

  // The key named `id`, or nullptr. The pointer lives as long as the ring.
  const ApiKey* Find(std::string_view id) const;
  bool empty() const { return keys_.empty(); }

 private:
  std::map<std::string, ApiKey, std::less<>> keys_;
};

}  // namespace chainflow::api::auth
