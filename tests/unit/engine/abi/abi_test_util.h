#pragma once

// Helpers for the ABI decoder tests: hex, 32-byte words, decoders from ABI JSON.

#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "engine/core/hex.h"
#include "engine/core/u256.h"
#include "engine/abi/abi_json.h"
#include "engine/abi/decoder.h"

namespace chainflow::engine::abi::testing {

// Raw bytes of "0x"-prefixed or bare hex; whitespace is ignored.
inline std::string Unhex(std::string_view hex) {
  std::string compact;
  for (char c : hex) {
    if (c != ' ' && c != '\n') compact.push_back(c);
  }
  auto bytes = core::FromHex(compact);
  EXPECT_TRUE(bytes.has_value()) << hex;
  return bytes.has_value() ? std::string(bytes.value().begin(), bytes.value().end()) : "";
}

// One ABI word holding `value` (big-endian).
inline std::string Word(const core::U256& value) { return core::U256ToBigEndianString(value); }
inline std::string Word(uint64_t value) { return Word(core::U256(value)); }
// `bytes` left-aligned in a zero-padded word (bytesN, string contents).
inline std::string LeftWord(std::string_view bytes) {
  std::string w(bytes);
  w.resize((w.size() + 31) / 32 * 32, '\0');
  return w.empty() ? std::string(32, '\0') : w;
}

inline core::Bytes32 Topic(std::string_view hex) {
  core::Bytes32 t{};
  EXPECT_TRUE(core::FromHexPadded(hex, t).ok()) << hex;
  return t;
}
inline core::Bytes32 TopicOf(const std::string& word) {
  core::Bytes32 t{};
  EXPECT_EQ(word.size(), 32u);
  std::copy(word.begin(), word.end(), t.begin());
  return t;
}

// A decoder over every event of the ABI JSON text (CHECKed to parse).
inline EventDecoder DecoderFor(std::string_view abi_json, std::string_view source = "Test.json") {
  auto abi = ParseAbiJson(abi_json, source);
  EXPECT_TRUE(abi.has_value()) << (abi.has_value() ? "" : abi.error().ToString());
  return EventDecoder(abi.has_value() ? abi.value().events : std::vector<Event>{});
}

// A one-event ABI whose inputs are all non-indexed, of the given JSON types.
inline std::string DataOnlyEventAbi(std::string_view name, const std::vector<std::string>& types) {
  std::string inputs;
  for (size_t i = 0; i < types.size(); ++i) {
    inputs += (i ? "," : "") + std::string(R"({"name":"p)") + std::to_string(i) +
              R"(","type":")" + types[i] + R"(","indexed":false})";
  }
  return R"([{"type":"event","name":")" + std::string(name) + R"(","inputs":[)" + inputs +
         R"(],"anonymous":false}])";
}

}  // namespace chainflow::engine::abi::testing
