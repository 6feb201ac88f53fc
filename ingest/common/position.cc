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

std::string Position::ToString() const { return fmt::format("{}:{}:{}", block, log_index, sub); }

core::Result<Position> Position::Parse(std::string_view text) {
  size_t a = text.find(':');
  size_t b = a == std::string_view::npos ? a : text.find(':', a + 1);
  Position pos;
  if (b == std::string_view::npos || !ParseDecimal(text.substr(0, a), &pos.block) ||
      !ParseDecimal(text.substr(a + 1, b - a - 1), &pos.log_index) ||
      !ParseDecimal(text.substr(b + 1), &pos.sub)) {
    return core::InvalidArgumentError(
        fmt::format("cf_pos \"{}\" is not <block>:<log_index>:<sub>", text.substr(0, 80)));
  }
  return pos;
}

}  // namespace chainflow::ingest::common
