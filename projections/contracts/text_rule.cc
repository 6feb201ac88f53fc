#include "projections/contracts/text_rule.h"

#include <cstdint>

namespace chainflow::projections::contracts {
namespace {

namespace abi = engine::abi;

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// The bytes of the UTF-8 sequence starting at `s[i]` when it is well-formed
// (Unicode Table 3-7), else 0 with `*bad` = the length of its maximal
// ill-formed subpart (at least 1).
size_t SequenceAt(std::string_view s, size_t i, size_t* bad) {
  const auto lead = static_cast<uint8_t>(s[i]);
  if (lead < 0x80) return 1;
  size_t more = 0;
  uint8_t lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    more = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    more = 2;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;  // no UTF-16 surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    more = 3;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;  // nothing above U+10FFFF
  } else {
    *bad = 1;  // a continuation byte, C0/C1 or F5..FF: never a lead
    return 0;
  }
  size_t j = 1;
  for (; j <= more && i + j < s.size(); ++j) {
    const auto b = static_cast<uint8_t>(s[i + j]);
    const uint8_t min = j == 1 ? lo : 0x80;
    const uint8_t max = j == 1 ? hi : 0xBF;
    if (b < min || b > max) break;
  }
  if (j == more + 1) return j;
  *bad = j;
  return 0;
}

}  // namespace

CleanText CleanString(std::string_view bytes) {
  CleanText out;
  out.text.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    if (bytes[i] == '\0') {
      out.changed = true;
      ++i;
      continue;
    }
    size_t bad = 0;
    size_t n = SequenceAt(bytes, i, &bad);
    if (n > 0) {
      out.text.append(bytes.substr(i, n));
      i += n;
    } else {
      out.text.append(kReplacement);
      out.changed = true;
      i += bad;
    }
  }
  return out;
}

bool CleanStrings(abi::Value& value) {
  if (auto* s = std::get_if<abi::StringValue>(&value.v)) {
    CleanText clean = CleanString(s->bytes);
    if (clean.changed) s->bytes = std::move(clean.text);
    return clean.changed;
  }
  bool changed = false;
  if (auto* a = std::get_if<abi::ArrayValue>(&value.v)) {
    for (abi::Value& e : a->elements) changed = CleanStrings(e) || changed;
  } else if (auto* t = std::get_if<abi::TupleValue>(&value.v)) {
    for (abi::Value& f : t->fields) changed = CleanStrings(f) || changed;
  }
  return changed;
}

}  // namespace chainflow::projections::contracts
