#pragma once

#include <cstdint>
#include <string>

namespace chainflow::ingest::evm {

// A block header as live ingest needs it. Hashes are 32 raw bytes.
struct BlockHeader {
  uint64_t number = 0;
  std::string hash;
  std::string parent_hash;
  int64_t timestamp = 0;

  friend bool operator==(const BlockHeader&, const BlockHeader&) = default;
};

}  // namespace chainflow::ingest::evm
