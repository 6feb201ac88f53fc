#pragma once

#include <compare>
#include <cstdint>
#include <functional>
#include <ostream>

#include <fmt/format.h>

namespace chainflow::engine::core {

// A scalar with a domain meaning, so an offset cannot be passed where a block
// number is expected. `Tag` is an empty struct naming the domain.
template <typename T, typename Tag>
class StrongId {
 public:
  using ValueType = T;
  constexpr StrongId() = default;
  constexpr explicit StrongId(T value) : value_(value) {}
  constexpr T value() const { return value_; }
  constexpr auto operator<=>(const StrongId&) const = default;

 private:
  T value_{};
};

template <typename T, typename Tag>
std::ostream& operator<<(std::ostream& os, StrongId<T, Tag> id) {
  return os << id.value();
}

using Offset = StrongId<int64_t, struct OffsetTag>;            // Kafka offset
using PartitionId = StrongId<int32_t, struct PartitionTag>;    // Kafka partition
using BlockNumber = StrongId<uint64_t, struct BlockNumberTag>;
using ChainId = StrongId<uint64_t, struct ChainIdTag>;        // EIP-155 chain id
using LogIndex = StrongId<uint32_t, struct LogIndexTag>;

}  // namespace chainflow::engine::core

template <typename T, typename Tag>
struct std::hash<chainflow::engine::core::StrongId<T, Tag>> {
  size_t operator()(chainflow::engine::core::StrongId<T, Tag> id) const noexcept {
    return std::hash<T>{}(id.value());
  }
};

template <typename T, typename Tag>
struct fmt::formatter<chainflow::engine::core::StrongId<T, Tag>> : fmt::formatter<T> {
  auto format(chainflow::engine::core::StrongId<T, Tag> id, fmt::format_context& ctx) const {
    return fmt::formatter<T>::format(id.value(), ctx);
  }
};
