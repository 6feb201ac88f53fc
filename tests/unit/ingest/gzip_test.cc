// Gunzip over bodies GNU gzip wrote (not our code's output), large bodies
// zlib's deflate wrote, and broken ones.

#include "ingest/evm/gzip.h"

#include <cstdint>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <zlib.h>

namespace chainflow::ingest::evm {
namespace {

std::string Bytes(std::initializer_list<uint8_t> bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// printf '{"jsonrpc":"2.0","id":1,"result":"0x10"}' | gzip -n -9
const std::string kResponse = Bytes(
    {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x03, 0xab, 0x56, 0xca, 0x2a, 0xce,
     0xcf, 0x2b, 0x2a, 0x48, 0x56, 0xb2, 0x52, 0x32, 0xd2, 0x33, 0x50, 0xd2, 0x51, 0xca, 0x4c,
     0x51, 0xb2, 0x32, 0xd4, 0x51, 0x2a, 0x4a, 0x2d, 0x2e, 0xcd, 0x29, 0x01, 0x8a, 0x1a, 0x54,
     0x18, 0x1a, 0x28, 0xd5, 0x02, 0x00, 0x1a, 0xd5, 0xbe, 0x45, 0x28, 0x00, 0x00, 0x00});

// (printf abc | gzip -n; printf def | gzip -n): two members.
const std::string kTwoMembers = Bytes(
    {0x1f, 0x8b, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0x4c, 0x4a, 0x06,
     0x00, 0xc2, 0x41, 0x24, 0x35, 0x03, 0x00, 0x00, 0x00, 0x1f, 0x8b, 0x08, 0x00, 0x00,
     0x00, 0x00, 0x00, 0x00, 0x03, 0x4b, 0x49, 0x4d, 0x03, 0x00, 0x61, 0xe1, 0xc4, 0x0c,
     0x03, 0x00, 0x00, 0x00});

std::string Deflate(const std::string& text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, text.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(out.size() - z.avail_out);
  deflateEnd(&z);
  return out;
}

TEST(GunzipTest, ReadsWhatGnuGzipWrote) {
  EXPECT_EQ(Gunzip(kResponse, 1 << 20).value(), R"({"jsonrpc":"2.0","id":1,"result":"0x10"})");
  EXPECT_EQ(Gunzip(kTwoMembers, 1 << 20).value(), "abcdef");
}

TEST(GunzipTest, LargeBodiesGrowTheOutputUpToTheLimit) {
  // ~6 MB of log-like JSON, compressing about 20 times.
  std::string text = "[";
  for (int i = 0; i < 20'000; ++i) {
    if (i > 0) text += ',';
    text += R"({"address":"0x57a204aa1042f6e66dd7730813f4024114d74f37","blockNumber":")" +
            std::to_string(i) + R"(","data":"0x","topics":["0xddf252ad1be2c89b69c2b068fc378d)" +
            R"(aa952ba7f163c4a11628f55a4df523b3ef"],"logIndex":")" + std::to_string(i % 300) +
            R"(","removed":false})";
  }
  text += "]";
  const std::string packed = Deflate(text);
  ASSERT_LT(packed.size() * 8, text.size());
  EXPECT_EQ(Gunzip(packed, text.size()).value(), text);
  auto over = Gunzip(packed, text.size() - 1);
  ASSERT_FALSE(over.has_value());
  EXPECT_EQ(over.error().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(over.error().message().find("limit"), std::string::npos) << over.error().message();
}

TEST(GunzipTest, BrokenBodiesAreUnavailableWithTheReason) {
  auto expect_bad = [](const std::string& data, std::string_view why) {
    auto result = Gunzip(data, 1 << 20);
    ASSERT_FALSE(result.has_value()) << why;
    EXPECT_EQ(result.error().code(), core::StatusCode::kUnavailable) << why;
    EXPECT_NE(result.error().message().find("gzip body"), std::string::npos)
        << why << ": " << result.error().message();
  };
  expect_bad("", "empty");
  expect_bad(R"({"jsonrpc":"2.0"})", "plain JSON");
  expect_bad(kResponse.substr(0, kResponse.size() - 9), "truncated inside the stream");
  expect_bad(kResponse.substr(0, 10), "header only");
  std::string flipped = kResponse;
  flipped[20] = static_cast<char>(flipped[20] ^ 0x5a);
  expect_bad(flipped, "corrupt");
  std::string bad_crc = kResponse;
  bad_crc[bad_crc.size() - 6] = static_cast<char>(bad_crc[bad_crc.size() - 6] ^ 1);
  expect_bad(bad_crc, "wrong CRC-32");
  expect_bad(kResponse + "garbage", "trailing garbage");
}

}  // namespace
}  // namespace chainflow::ingest::evm
