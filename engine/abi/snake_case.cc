#include "engine/abi/snake_case.h"

namespace chainflow::engine::abi {

namespace {

bool IsUpper(char c) { return c >= 'A' && c <= 'Z'; }
bool IsLower(char c) { return c >= 'a' && c <= 'z'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }

// True when a word starts at name[i] (an upper-case letter).
bool StartsWord(std::string_view name, size_t i) {
  if (i == 0 || !IsUpper(name[i])) return false;
  char prev = name[i - 1];
  if (IsLower(prev) || IsDigit(prev)) return true;
  // The last capital of an acronym followed by a lower-case word: URIValue.
  return IsUpper(prev) && i + 1 < name.size() && IsLower(name[i + 1]);
}

}  // namespace

std::string SnakeCase(std::string_view name) {
  std::string out;
  out.reserve(name.size() + 4);
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool alnum = IsUpper(c) || IsLower(c) || IsDigit(c);
    if (!alnum || StartsWord(name, i)) {
      if (!out.empty() && out.back() != '_') out.push_back('_');
      if (!alnum) continue;
    }
    out.push_back(IsUpper(c) ? static_cast<char>(c - 'A' + 'a') : c);
  }
  if (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

}  // namespace chainflow::engine::abi
