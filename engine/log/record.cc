#include "engine/log/record.h"

#include "engine/core/check.h"
#include "engine/log/internal/murmur2.h"

namespace chainflow::engine::log {

const std::string* Record::FindHeader(std::string_view name) const {
  for (const Header& header : headers) {
    if (header.key == name) return &header.value;
  }
  return nullptr;
}

namespace {

// Kafka's murmur2 (org.apache.kafka.common.utils.Utils.murmur2), byte for
// byte: seed 0x9747b28c, little-endian 4-byte blocks, tail bytes read as
// unsigned. Unsigned arithmetic gives the same bits as Java's int overflow.
uint32_t Murmur2(std::string_view data) {
  constexpr uint32_t kSeed = 0x9747b28c;
  constexpr uint32_t kM = 0x5bd1e995;
  constexpr int kR = 24;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  const size_t length = data.size();
  uint32_t h = kSeed ^ static_cast<uint32_t>(length);
  const size_t blocks = length / 4;
  for (size_t i = 0; i < blocks; ++i) {
    const unsigned char* b = bytes + i * 4;
    uint32_t k = uint32_t{b[0]} | (uint32_t{b[1]} << 8) | (uint32_t{b[2]} << 16) |
                 (uint32_t{b[3]} << 24);
    k *= kM;
    k ^= k >> kR;
    k *= kM;
    h *= kM;
    h ^= k;
  }
  const unsigned char* tail = bytes + (length & ~size_t{3});
  switch (length % 4) {
    case 3:
      h ^= uint32_t{tail[2]} << 16;
      [[fallthrough]];
    case 2:
      h ^= uint32_t{tail[1]} << 8;
      [[fallthrough]];
    case 1:
      h ^= uint32_t{tail[0]};
      h *= kM;
  }
  h ^= h >> 13;
  h *= kM;
  h ^= h >> 15;
  return h;
}

}  // namespace

namespace internal {
// Declared in internal/murmur2.h for the known-vector tests.
int32_t KafkaMurmur2(std::string_view data) { return static_cast<int32_t>(Murmur2(data)); }
}  // namespace internal

core::PartitionId PartitionForKey(std::string_view key, int32_t partition_count) {
  CF_CHECK(partition_count > 0, "PartitionForKey: partition_count {} must be positive",
           partition_count);
  // Java: Utils.toPositive(Utils.murmur2(keyBytes)) % numPartitions.
  const uint32_t positive = Murmur2(key) & 0x7fffffffu;
  return core::PartitionId(static_cast<int32_t>(positive % static_cast<uint32_t>(partition_count)));
}

}  // namespace chainflow::engine::log
