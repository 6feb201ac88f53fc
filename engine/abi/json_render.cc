#include "engine/abi/json_render.h"

#include <variant>

#include "engine/core/hex.h"

namespace chainflow::engine::abi {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

bool IsContinuation(uint8_t b) { return (b & 0xC0) == 0x80; }

// The length of the well-formed UTF-8 sequence at s[i], or 0 if there is
// none; `*bad` is then how many bytes form the maximal ill-formed subpart.
size_t Utf8SequenceLength(std::string_view s, size_t i, size_t* bad) {
  uint8_t b = static_cast<uint8_t>(s[i]);
  size_t need = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // the range of the second byte
  if (b < 0x80) return 1;
  if (b >= 0xC2 && b <= 0xDF) {
    need = 2;
  } else if (b >= 0xE0 && b <= 0xEF) {
    need = 3;
    if (b == 0xE0) lo = 0xA0;  // no overlong forms
    if (b == 0xED) hi = 0x9F;  // no surrogates
  } else if (b >= 0xF0 && b <= 0xF4) {
    need = 4;
    if (b == 0xF0) lo = 0x90;  // no overlong forms
    if (b == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    *bad = 1;
    return 0;
  }
  for (size_t k = 1; k < need; ++k) {
    uint8_t c = i + k < s.size() ? static_cast<uint8_t>(s[i + k]) : 0;
    bool ok = k == 1 ? (c >= lo && c <= hi) : IsContinuation(c);
    if (i + k >= s.size() || !ok) {
      *bad = k;
      return 0;
    }
  }
  return need;
}

void AppendEscaped(char c, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '"': *out += "\\\""; return;
    case '\\': *out += "\\\\"; return;
    case '\b': *out += "\\b"; return;
    case '\f': *out += "\\f"; return;
    case '\n': *out += "\\n"; return;
    case '\r': *out += "\\r"; return;
    case '\t': *out += "\\t"; return;
    default: break;
  }
  auto b = static_cast<uint8_t>(c);
  if (b < 0x20) {
    *out += "\\u00";
    out->push_back(kHex[b >> 4]);
    out->push_back(kHex[b & 0xF]);
    return;
  }
  out->push_back(c);
}

void AppendQuoted(const std::string& text, std::string* out) {
  out->push_back('"');
  *out += text;
  out->push_back('"');
}

void AppendValue(const Value& value, std::string* out);

void AppendArray(const ArrayValue& a, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < a.elements.size(); ++i) {
    if (i) out->push_back(',');
    AppendValue(a.elements[i], out);
  }
  out->push_back(']');
}

void AppendTuple(const TupleValue& t, std::string* out) {
  out->push_back('{');
  for (size_t i = 0; i < t.fields.size(); ++i) {
    if (i) out->push_back(',');
    AppendJsonString((*t.names)[i], out);
    out->push_back(':');
    AppendValue(t.fields[i], out);
  }
  out->push_back('}');
}

void AppendValue(const Value& value, std::string* out) {
  std::visit(
      [out](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, UintValue> || std::is_same_v<T, IntValue>) {
          AppendQuoted(ToDecimal(v), out);
        } else if constexpr (std::is_same_v<T, AddressValue> ||
                             std::is_same_v<T, TopicHashValue>) {
          AppendQuoted(ToHex(v), out);
        } else if constexpr (std::is_same_v<T, BoolValue>) {
          *out += v.value ? "true" : "false";
        } else if constexpr (std::is_same_v<T, FixedBytesValue> || std::is_same_v<T, BytesValue>) {
          AppendQuoted(ToHex(v.bytes), out);
        } else if constexpr (std::is_same_v<T, StringValue>) {
          AppendJsonString(v.bytes, out);
        } else if constexpr (std::is_same_v<T, ArrayValue>) {
          AppendArray(v, out);
        } else {
          AppendTuple(v, out);
        }
      },
      value.v);
}

}  // namespace

void AppendJsonString(std::string_view bytes, std::string* out) {
  out->push_back('"');
  size_t i = 0;
  while (i < bytes.size()) {
    size_t bad = 0;
    size_t n = Utf8SequenceLength(bytes, i, &bad);
    if (n == 0) {
      *out += kReplacement;
      i += bad;
    } else if (n == 1) {
      AppendEscaped(bytes[i++], out);
    } else {
      out->append(bytes.substr(i, n));
      i += n;
    }
  }
  out->push_back('"');
}

std::string ToJson(const Value& value) {
  std::string out;
  AppendValue(value, &out);
  return out;
}

std::string EventToJson(const DecodedEvent& event) {
  std::string out = "{";
  for (size_t i = 0; i < event.values.size(); ++i) {
    if (i) out.push_back(',');
    AppendJsonString(event.event->inputs[i].name, &out);
    out.push_back(':');
    AppendValue(event.values[i], &out);
  }
  out.push_back('}');
  return out;
}

}  // namespace chainflow::engine::abi
