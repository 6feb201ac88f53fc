#include "engine/core/keccak.h"

#include <array>
#include <bit>
#include <cstring>

namespace chainflow::engine::core {

namespace {

// Keccak-f[1600] over 25 lanes of 64 bits, lane (x, y) at index x + 5y.
constexpr size_t kRateBytes = 136;  // 1600 - 2 * 256 bits of capacity
constexpr int kRounds = 24;

constexpr std::array<uint64_t, kRounds> kRoundConstants = {
    0x0000000000000001ULL, 0x0000000000008082ULL, 0x800000000000808aULL, 0x8000000080008000ULL,
    0x000000000000808bULL, 0x0000000080000001ULL, 0x8000000080008081ULL, 0x8000000000008009ULL,
    0x000000000000008aULL, 0x0000000000000088ULL, 0x0000000080008009ULL, 0x000000008000000aULL,
    0x000000008000808bULL, 0x800000000000008bULL, 0x8000000000008089ULL, 0x8000000000008003ULL,
    0x8000000000008002ULL, 0x8000000000000080ULL, 0x000000000000800aULL, 0x800000008000000aULL,
    0x8000000080008081ULL, 0x8000000000008080ULL, 0x0000000080000001ULL, 0x8000000080008008ULL};

// Rotation offsets r[x + 5y] of the rho step.
constexpr std::array<int, 25> kRho = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
                                      25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

using State = std::array<uint64_t, 25>;

void Permute(State& a) {
  for (int round = 0; round < kRounds; ++round) {
    // theta: xor each lane with the parities of two neighbouring columns.
    uint64_t c[5];
    for (int x = 0; x < 5; ++x) c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^ a[x + 20];
    for (int x = 0; x < 5; ++x) {
      uint64_t d = c[(x + 4) % 5] ^ std::rotl(c[(x + 1) % 5], 1);
      for (int y = 0; y < 25; y += 5) a[x + y] ^= d;
    }
    // rho and pi: rotate each lane and move (x, y) to (y, 2x + 3y).
    State b;
    for (int x = 0; x < 5; ++x) {
      for (int y = 0; y < 5; ++y) {
        b[y + 5 * ((2 * x + 3 * y) % 5)] = std::rotl(a[x + 5 * y], kRho[x + 5 * y]);
      }
    }
    // chi: the only non-linear step, along rows.
    for (int y = 0; y < 25; y += 5) {
      for (int x = 0; x < 5; ++x) {
        a[x + y] = b[x + y] ^ (~b[(x + 1) % 5 + y] & b[(x + 2) % 5 + y]);
      }
    }
    // iota
    a[0] ^= kRoundConstants[round];
  }
}

// Lanes are little-endian byte strings.
uint64_t LoadLittleEndian64(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

void AbsorbBlock(State& state, const uint8_t* block) {
  for (size_t i = 0; i < kRateBytes / 8; ++i) state[i] ^= LoadLittleEndian64(block + 8 * i);
  Permute(state);
}

}  // namespace

Bytes32 Keccak256(std::span<const uint8_t> data) {
  State state{};
  size_t full = data.size() / kRateBytes;
  for (size_t i = 0; i < full; ++i) AbsorbBlock(state, data.data() + i * kRateBytes);
  // The last, partial block (possibly empty) with Keccak's multi-rate padding.
  std::array<uint8_t, kRateBytes> last{};
  size_t rest = data.size() - full * kRateBytes;
  if (rest > 0) std::memcpy(last.data(), data.data() + full * kRateBytes, rest);
  last[rest] ^= 0x01;
  last[kRateBytes - 1] ^= 0x80;
  AbsorbBlock(state, last.data());

  Bytes32 out;
  for (size_t i = 0; i < 4; ++i) {
    uint64_t lane = state[i];
    for (size_t j = 0; j < 8; ++j) out[8 * i + j] = static_cast<uint8_t>(lane >> (8 * j));
  }
  return out;
}

Bytes32 Keccak256(std::string_view data) {
  return Keccak256(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(data.data()),
                                            data.size()));
}

}  // namespace chainflow::engine::core
