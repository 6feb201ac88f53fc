#include "ingest/common/position.h"

#include <charconv>

#include <fmt/format.h>

namespace chainflow::ingest::common {
namespace {

template <typename T>
bool ParseDecimal(std::string_view text, T* out) {
  if (text.empty()) return false;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && ptr == text.data() + text.size();
}

}  // namespace

std::string Position::ToString() const {
  std::string out;
  AppendTo(&out);
  return out;
}

// "[fork/]block:log_index:sub", appended by hand: one per appended record.
void Position::AppendTo(std::string* text) const {
  std::string& out = *text;
  char digits[20];
  auto put = [&](uint64_t v) {
    out.append(digits, std::to_chars(digits, digits + sizeof digits, v).ptr);
  };
  if (fork != 0) {
    put(fork);
    out += '/';
  }
  put(block);
  out += ':';
  put(log_index);
  out += ':';
  put(sub);
}

core::Result<Position> Position::Parse(std::string_view text) {
  Position pos;
  std::string_view rest = text;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    if (!ParseDecimal(rest.substr(0, slash), &pos.fork) || pos.fork == 0) {
      return core::InvalidArgumentError(
          fmt::format("cf_pos \"{}\" has a bad fork before '/'", text.substr(0, 80)));
    }
    rest.remove_prefix(slash + 1);
  }
  size_t a = rest.find(':');
  size_t b = a == std::string_view::npos ? a : rest.find(':', a + 1);
  if (b == std::string_view::npos || !ParseDecimal(rest.substr(0, a), &pos.block) ||
      !ParseDecimal(rest.substr(a + 1, b - a - 1), &pos.log_index) ||
      !ParseDecimal(rest.substr(b + 1), &pos.sub)) {
    return core::InvalidArgumentError(fmt::format(
        "cf_pos \"{}\" is not [<fork>/]<block>:<log_index>:<sub>", text.substr(0, 80)));
  }
  return pos;
}

}  // namespace chainflow::ingest::common
