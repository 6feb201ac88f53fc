#include "engine/processors/common/time_list.h"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

#include "engine/runtime/event_clock.h"

namespace chainflow::engine::processors {

std::string EncodeTimes(const std::vector<uint64_t>& times) {
  std::string out;
  out.reserve(times.size() * 8);
  for (uint64_t t : times) out += runtime::EncodeTime(t);
  return out;
}

core::Result<std::vector<uint64_t>> DecodeTimes(std::string_view value) {
  if (value.size() % 8 != 0) {
    return core::DataLossError(fmt::format("times: {} bytes", value.size()));
  }
  std::vector<uint64_t> out;
  out.reserve(value.size() / 8);
  for (size_t at = 0; at < value.size(); at += 8) {
    ASSIGN_OR_RETURN(uint64_t t, runtime::DecodeTime(value.substr(at, 8)));
    out.push_back(t);
  }
  return out;
}

core::Status AddTime(state::StateView& state, const std::string& key, uint64_t t) {
  std::vector<uint64_t> times;
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  if (stored) {
    ASSIGN_OR_RETURN(times, DecodeTimes(*stored));
  }
  auto at = std::lower_bound(times.begin(), times.end(), t);
  if (at != times.end() && *at == t) return core::Status::Ok();
  times.insert(at, t);
  state.Put(key, EncodeTimes(times));
  return core::Status::Ok();
}

}  // namespace chainflow::engine::processors
