#include "api/auth/key_ring.h"

namespace chainflow::api::auth {

std::set<std::string> ParseScopes(std::string_view text) {
  std::set<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && text[i] == ' ') ++i;
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    if (end > i) out.emplace(text.substr(i, end - i));
    i = end;
  }
  return out;
}

KeyRing::KeyRing(const std::vector<core::ApiKeyConfig>& keys) {
  for (const auto& key : keys) {
    keys_[key.id] = ApiKey{key.id, key.secret, ParseScopes(key.scopes)};
  }
}

const ApiKey* KeyRing::Find(std::string_view id) const {
  auto it = keys_.find(id);
  return it == keys_.end() ? nullptr : &it->second;
}

}  // namespace chainflow::api::auth
