#include "engine/abi/abi_type.h"

#include <charconv>
#include <unordered_set>

#include <fmt/format.h>

#include "engine/core/check.h"

namespace chainflow::engine::abi {

namespace {

core::Status TooDeep(const std::string& canonical) {
  return core::InvalidArgumentError(
      fmt::format("type `{}` nests arrays and tuples deeper than {}", canonical, kMaxTypeDepth));
}

// A decimal number without sign or leading zeros (the ABI's canonical form).
bool ParseCanonicalNumber(std::string_view digits, uint64_t* out) {
  if (digits.empty() || (digits.size() > 1 && digits[0] == '0')) return false;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), *out);
  return ec == std::errc() && end == digits.data() + digits.size();
}

// `uintN`, `intN`, `bytesN`, `fixed...` and the other single-word names.
core::Result<AbiType> ParseElementary(std::string_view name, std::string_view whole) {
  if (name == "address") return AbiType::Address();
  if (name == "bool") return AbiType::Bool();
  if (name == "string") return AbiType::String();
  if (name == "bytes") return AbiType::Bytes();
  if (name == "function") return AbiType::Function();
  if (name == "byte") return AbiType::FixedBytes(1);
  if (name == "uint") return AbiType::Uint(256);
  if (name == "int") return AbiType::Int(256);
  if (name.starts_with("fixed") || name.starts_with("ufixed")) {
    return core::InvalidArgumentError(fmt::format(
        "type `{}`: fixed-point types (`{}`) are not supported", whole, name));
  }
  uint64_t n = 0;
  for (std::string_view prefix : {"uint", "int", "bytes"}) {
    if (!name.starts_with(prefix) || !ParseCanonicalNumber(name.substr(prefix.size()), &n)) {
      continue;
    }
    if (prefix == "bytes") {
      if (n >= 1 && n <= 32) return AbiType::FixedBytes(static_cast<int>(n));
      return core::InvalidArgumentError(
          fmt::format("type `{}`: `{}` must have 1 to 32 bytes", whole, name));
    }
    if (n < 8 || n > 256 || n % 8 != 0) {
      return core::InvalidArgumentError(fmt::format(
          "type `{}`: `{}` must have a multiple of 8 bits from 8 to 256", whole, name));
    }
    int bits = static_cast<int>(n);
    return prefix == "uint" ? AbiType::Uint(bits) : AbiType::Int(bits);
  }
  return core::InvalidArgumentError(fmt::format("unknown type `{}`", whole));
}

// Splits `(a,(b,c)[2],d)` at its top-level commas; `inner` excludes the parentheses.
core::Result<std::vector<std::string_view>> SplitTupleList(std::string_view inner,
                                                           std::string_view whole) {
  std::vector<std::string_view> parts;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i <= inner.size(); ++i) {
    char c = i < inner.size() ? inner[i] : ',';
    if (c == '(') ++depth;
    if (c == ')') --depth;
    if (c != ',' || depth != 0) continue;
    if (i == start) {
      return core::InvalidArgumentError(fmt::format("type `{}`: empty component", whole));
    }
    parts.push_back(inner.substr(start, i - start));
    start = i + 1;
  }
  return parts;
}

core::Result<AbiType> ParseNested(std::string_view text, const AbiType* tuple, int depth);

// Applies the `[k]` / `[]` suffixes in `suffixes` to `base`, left to right.
core::Result<AbiType> ApplySuffixes(AbiType base, std::string_view suffixes,
                                    std::string_view whole) {
  while (!suffixes.empty()) {
    size_t close = suffixes.find(']');
    if (suffixes[0] != '[' || close == std::string_view::npos) {
      return core::InvalidArgumentError(fmt::format("unknown type `{}`", whole));
    }
    std::string_view digits = suffixes.substr(1, close - 1);
    suffixes.remove_prefix(close + 1);
    if (digits.empty()) {
      ASSIGN_OR_RETURN(base, AbiType::Array(std::move(base)));
      continue;
    }
    uint64_t length = 0;
    if (!ParseCanonicalNumber(digits, &length) || length == 0) {
      return core::InvalidArgumentError(
          fmt::format("type `{}`: bad array length `{}`", whole, digits));
    }
    ASSIGN_OR_RETURN(base, AbiType::FixedArray(std::move(base), length));
  }
  return base;
}

core::Result<AbiType> ParseInlineTuple(std::string_view text, size_t* end, int depth) {
  int open = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '(') ++open;
    if (text[i] == ')' && --open == 0) {
      *end = i + 1;
      ASSIGN_OR_RETURN(auto parts, SplitTupleList(text.substr(1, i - 1), text));
      std::vector<AbiType> types;
      for (std::string_view part : parts) {
        ASSIGN_OR_RETURN(AbiType t, ParseNested(part, nullptr, depth + 1));
        types.push_back(std::move(t));
      }
      std::vector<std::string> names(types.size());  // unnamed: "arg<i>"
      return AbiType::Tuple(std::move(names), std::move(types));
    }
  }
  return core::InvalidArgumentError(fmt::format("type `{}`: unbalanced parentheses", text));
}

core::Result<AbiType> ParseNested(std::string_view text, const AbiType* tuple, int depth) {
  if (depth > kMaxTypeDepth) return TooDeep(std::string(text));
  if (text.starts_with("(")) {
    size_t end = 0;
    ASSIGN_OR_RETURN(AbiType base, ParseInlineTuple(text, &end, depth));
    return ApplySuffixes(std::move(base), text.substr(end), text);
  }
  size_t bracket = std::min(text.find('['), text.size());
  std::string_view name = text.substr(0, bracket);
  if (name == "tuple") {
    if (tuple == nullptr) {
      return core::InvalidArgumentError(fmt::format("type `{}` without components", text));
    }
    return ApplySuffixes(*tuple, text.substr(bracket), text);
  }
  ASSIGN_OR_RETURN(AbiType base, ParseElementary(name, text));
  return ApplySuffixes(std::move(base), text.substr(bracket), text);
}

}  // namespace

AbiType AbiType::Elementary(TypeKind kind, int bits, uint64_t size, std::string canonical) {
  AbiType t;
  t.kind_ = kind;
  t.bits_ = bits;
  t.size_ = size;
  t.canonical_ = std::move(canonical);
  return t;
}

AbiType AbiType::Uint(int bits) {
  CF_CHECK(bits >= 8 && bits <= 256 && bits % 8 == 0, "uint bits");
  return Elementary(TypeKind::kUint, bits, 0, fmt::format("uint{}", bits));
}
AbiType AbiType::Int(int bits) {
  CF_CHECK(bits >= 8 && bits <= 256 && bits % 8 == 0, "int bits");
  return Elementary(TypeKind::kInt, bits, 0, fmt::format("int{}", bits));
}
AbiType AbiType::Address() { return Elementary(TypeKind::kAddress, 160, 0, "address"); }
AbiType AbiType::Bool() { return Elementary(TypeKind::kBool, 8, 0, "bool"); }
AbiType AbiType::FixedBytes(int size) {
  CF_CHECK(size >= 1 && size <= 32, "bytesN size");
  return Elementary(TypeKind::kFixedBytes, 0, size, fmt::format("bytes{}", size));
}
AbiType AbiType::Function() { return Elementary(TypeKind::kFunction, 0, 24, "function"); }
AbiType AbiType::Bytes() {
  AbiType t = Elementary(TypeKind::kBytes, 0, 0, "bytes");
  t.dynamic_ = true;
  return t;
}
AbiType AbiType::String() {
  AbiType t = Elementary(TypeKind::kString, 0, 0, "string");
  t.dynamic_ = true;
  return t;
}

core::Result<AbiType> AbiType::Array(AbiType element) {
  AbiType t;
  t.kind_ = TypeKind::kArray;
  t.canonical_ = element.canonical_ + "[]";
  t.depth_ = element.depth_ + 1;
  if (t.depth_ > kMaxTypeDepth) return TooDeep(t.canonical_);
  t.dynamic_ = true;
  t.inner_head_size_ = element.head_size_;  // per element
  t.element_ = std::make_shared<const AbiType>(std::move(element));
  return t;
}

core::Result<AbiType> AbiType::FixedArray(AbiType element, uint64_t length) {
  AbiType t;
  t.kind_ = TypeKind::kFixedArray;
  t.size_ = length;
  t.canonical_ = fmt::format("{}[{}]", element.canonical_, length);
  t.depth_ = element.depth_ + 1;
  if (t.depth_ > kMaxTypeDepth) return TooDeep(t.canonical_);
  if (length == 0 || length > kMaxHeadBytes / element.head_size_) {
    return core::InvalidArgumentError(
        fmt::format("type `{}`: its head exceeds {} bytes", t.canonical_, kMaxHeadBytes));
  }
  t.dynamic_ = element.dynamic_;
  t.inner_head_size_ = length * element.head_size_;
  t.head_size_ = t.dynamic_ ? 32 : t.inner_head_size_;
  t.element_ = std::make_shared<const AbiType>(std::move(element));
  return t;
}

core::Result<AbiType> AbiType::Tuple(std::vector<std::string> names, std::vector<AbiType> types) {
  CF_CHECK(names.size() == types.size(), "one name per tuple component");
  AbiType t;
  t.kind_ = TypeKind::kTuple;
  t.canonical_ = "(";
  std::unordered_set<std::string_view> seen;
  for (size_t i = 0; i < types.size(); ++i) {
    if (names[i].empty()) names[i] = fmt::format("arg{}", i);
    t.canonical_ += (i ? "," : "") + types[i].canonical_;
    t.depth_ = std::max(t.depth_, types[i].depth_ + 1);
    t.dynamic_ = t.dynamic_ || types[i].dynamic_;
    t.inner_head_size_ += types[i].head_size_;
  }
  t.canonical_ += ")";
  if (types.empty()) return core::InvalidArgumentError("a tuple needs at least one component");
  for (const auto& name : names) {
    if (!seen.insert(name).second) {
      return core::InvalidArgumentError(
          fmt::format("type `{}`: duplicate component name `{}`", t.canonical_, name));
    }
  }
  if (t.depth_ > kMaxTypeDepth) return TooDeep(t.canonical_);
  if (t.inner_head_size_ > kMaxHeadBytes) {
    return core::InvalidArgumentError(
        fmt::format("type `{}`: its head exceeds {} bytes", t.canonical_, kMaxHeadBytes));
  }
  t.head_size_ = t.dynamic_ ? 32 : t.inner_head_size_;
  t.components_ = std::make_shared<const std::vector<AbiType>>(std::move(types));
  t.names_ = std::make_shared<const std::vector<std::string>>(std::move(names));
  return t;
}

core::Result<AbiType> ParseType(std::string_view text) { return ParseNested(text, nullptr, 0); }

core::Result<AbiType> ParseJsonType(std::string_view text, const AbiType* components) {
  if (text.starts_with("tuple") && components == nullptr) {
    return core::InvalidArgumentError(fmt::format("type `{}` without components", text));
  }
  return ParseNested(text, components, 0);
}

}  // namespace chainflow::engine::abi
