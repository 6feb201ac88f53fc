#include "engine/processors/common/retained_events.h"

#include <optional>
#include <vector>

namespace chainflow::engine::processors {
namespace {

constexpr std::string_view kRetained("\0retained/", 10);

std::string RetainedPrefix(std::string_view chain) {
  std::string prefix(kRetained);
  prefix += chain;
  prefix += '/';
  return prefix;
}

std::string HintKey(std::string_view chain) {
  return std::string("\0retained_from/", 15) + std::string(chain);
}

}  // namespace

std::string EncodeBlockNumber(uint64_t n) {
  std::string out(8, '\0');
  for (int i = 7; i >= 0; --i, n >>= 8) out[i] = static_cast<char>(n & 0xff);
  return out;
}

core::Result<uint64_t> DecodeBlockNumber(std::string_view bytes) {
  if (bytes.size() != 8) return core::DataLossError("a stored block number is not 8 bytes");
  uint64_t n = 0;
  for (char c : bytes) n = (n << 8) | static_cast<uint8_t>(c);
  return n;
}

core::Status RetainedEvents::Keep(const v1::LogRef& log, std::string_view tag, std::string value,
                                  state::StateView& state) {
  std::string key = RetainedPrefix(log.chain()) + EncodeBlockNumber(log.block_number());
  for (int i = 3; i >= 0; --i) key += static_cast<char>((log.log_index() >> (8 * i)) & 0xff);
  key += tag;
  state.Put(key, value);
  const std::string hint_key = HintKey(log.chain());
  ASSIGN_OR_RETURN(std::optional<std::string> hint, state.Get(hint_key));
  if (hint) {
    ASSIGN_OR_RETURN(uint64_t lowest, DecodeBlockNumber(*hint));
    if (lowest <= log.block_number()) return core::Status::Ok();
  }
  state.Put(hint_key, EncodeBlockNumber(log.block_number()));
  return core::Status::Ok();
}

bool RetainedEvents::IsRetainedKey(std::string_view key) { return key.starts_with(kRetained); }

core::Status RetainedEvents::Prune(const std::string& chain, uint64_t finalized,
                                   state::StateView& state) {
  const std::string hint_key = HintKey(chain);
  ASSIGN_OR_RETURN(std::optional<std::string> hint, state.Get(hint_key));
  if (!hint) return core::Status::Ok();
  ASSIGN_OR_RETURN(uint64_t lowest, DecodeBlockNumber(*hint));
  if (lowest > finalized) return core::Status::Ok();
  const std::string prefix = RetainedPrefix(chain);
  std::vector<std::string> due;
  std::optional<uint64_t> next;
  core::Status bad;
  RETURN_IF_ERROR(state.Scan(prefix, [&](std::string_view key, std::string_view) {
    auto block = DecodeBlockNumber(key.substr(prefix.size(), 8));
    if (!block) {
      bad = block.error();
      return false;
    }
    if (block.value() > finalized) {
      next = block.value();
      return false;
    }
    due.emplace_back(key);
    return true;
  }));
  RETURN_IF_ERROR(bad);
  for (const std::string& key : due) state.Delete(key);
  if (next) {
    state.Put(hint_key, EncodeBlockNumber(*next));
  } else {
    state.Delete(hint_key);
  }
  return core::Status::Ok();
}

}  // namespace chainflow::engine::processors
