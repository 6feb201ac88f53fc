// Keccak-256 against vectors we did not compute ourselves: Ethereum's
// well-known digests (empty input, event topic0s from ../shared/data/README.md,
// the Solidity ABI specification's function selectors) and, around the
// 136-byte rate boundary, digests computed by an independent implementation
// (the js-sha3 npm package's keccak256).

#include "engine/core/keccak.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/core/hex.h"

namespace chainflow::engine::core {
namespace {

std::string KeccakHex(std::string_view data) { return ToHex(Keccak256(data)); }

// n bytes 0x00, 0x01, 0x02, ... (mod 256).
std::string Counting(size_t n) {
  std::string out(n, '\0');
  for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(i & 0xff);
  return out;
}

TEST(KeccakTest, EmptyInputIsEthereumsEmptyHash) {
  EXPECT_EQ(KeccakHex(""), "0xc5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
}

TEST(KeccakTest, TokenEventTopics) {
  EXPECT_EQ(KeccakHex("Transfer(address,address,uint256)"),
            "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
  EXPECT_EQ(KeccakHex("TransferSingle(address,address,address,uint256,uint256)"),
            "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62");
  EXPECT_EQ(KeccakHex("TransferBatch(address,address,address,uint256[],uint256[])"),
            "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb");
}

TEST(KeccakTest, AbiSpecificationSelectors) {
  // docs.soliditylang.org, "Contract ABI Specification", Examples.
  EXPECT_EQ(KeccakHex("baz(uint32,bool)").substr(0, 10), "0xcdcd77c0");
  EXPECT_EQ(KeccakHex("bar(bytes3[2])").substr(0, 10), "0xfce353f6");
  EXPECT_EQ(KeccakHex("sam(bytes,bool,uint256[])").substr(0, 10), "0xa5643bf2");
  EXPECT_EQ(KeccakHex("f(uint256,uint32[],bytes10,bytes)").substr(0, 10), "0x8be65246");
  EXPECT_EQ(KeccakHex("g(uint256[][],string[])").substr(0, 10), "0x2289b18c");
}

TEST(KeccakTest, RateBoundary) {
  // 135 bytes: both padding bits land in the same byte (0x81).
  EXPECT_EQ(KeccakHex(Counting(135)),
            "0xcbdfd9dee5faad3818d6b06f95a219fd290b0e1706f6a82e5a595b9ce9faca62");
  // 136 bytes: one full block, then a block of padding alone.
  EXPECT_EQ(KeccakHex(Counting(136)),
            "0x7ce759f1ab7f9ce437719970c26b0a66ff11fe3e38e17df89cf5d29c7d7f807e");
  EXPECT_EQ(KeccakHex(Counting(137)),
            "0xac73d4fae68b8453f764007c1a20ce95994187861f0c3227a3a8e99a73a3b1db");
  EXPECT_EQ(KeccakHex(Counting(272)),
            "0xfdf2ec49e749960d3c8521a0219af8d03e30e2b3bf19bd16150ee0eaf133d66e");
  EXPECT_EQ(KeccakHex(std::string(135, 'a')),
            "0x34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446");
  EXPECT_EQ(KeccakHex(std::string(136, 'a')),
            "0xa6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e");
  EXPECT_EQ(KeccakHex(std::string(137, 'a')),
            "0xd869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39");
}

TEST(KeccakTest, SpanAndStringOverloadsAgree) {
  std::string text = Counting(300);
  std::vector<uint8_t> bytes(text.begin(), text.end());
  EXPECT_EQ(Keccak256(std::span<const uint8_t>(bytes)), Keccak256(text));
}

}  // namespace
}  // namespace chainflow::engine::core
