#pragma once

#include <cstdint>
#include <string_view>

namespace chainflow::engine::log::internal {

// Kafka's murmur2 hash of `data` exactly as the Java client's
// Utils.murmur2 returns it (signed). PartitionForKey is built on it.
int32_t KafkaMurmur2(std::string_view data);

}  // namespace chainflow::engine::log::internal
