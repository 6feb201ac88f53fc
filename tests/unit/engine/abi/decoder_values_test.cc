// Hostile and extreme values through the decoder and the JSON rendering,
// value helpers, and event matching (topic0, shared topic0s, anonymous).

#include <gtest/gtest.h>

#include "abi_test_util.h"
#include "engine/core/keccak.h"
#include "engine/abi/json_render.h"

namespace chainflow::engine::abi {
namespace {

using namespace std::string_literals;

using testing::DecoderFor;
using testing::LeftWord;
using testing::TopicOf;
using testing::Unhex;
using testing::Word;

const core::U256 kMax = ~core::U256(0);
const core::U256 kInt256Min = core::U256(1) << 255;

constexpr std::string_view kHostileAbi = R"([{"type":"event","name":"Hostile","inputs":[
  {"name":"who","type":"address","indexed":true},
  {"name":"tag","type":"string","indexed":true},
  {"name":"text","type":"string","indexed":false},
  {"name":"big","type":"uint256","indexed":false},
  {"name":"min","type":"int256","indexed":false},
  {"name":"minusOne","type":"int256","indexed":false},
  {"name":"small","type":"int8","indexed":false},
  {"name":"flag","type":"bool","indexed":false}]}])";

TEST(DecoderValuesTest, HostileValuesRenderExactly) {
  EventDecoder decoder = DecoderFor(kHostileAbi, "Hostile.json");
  std::string text = "nul\0tab\tnl\n\"q\"\\ emoji \xF0\x9F\x98\x80 bad \xFF\xC3( end"s;
  std::string data = Word(7 * 32) + Word(kMax) + Word(kInt256Min) + Word(kMax) +
                     Word(~core::U256(127)) /* int8 -128, sign-extended */ + Word(1) +
                     Word(0) /* unused gap the offset skips */ + Word(text.size()) + LeftWord(text);
  core::Bytes32 tag_hash = core::Keccak256("vip");
  std::vector<core::Bytes32> topics = {
      decoder.events()[0].topic0,
      testing::Topic("0x000000000000000000000000aAbBcCdDeEfF00112233445566778899aAbBcCdD"),
      tag_hash};
  auto decoded = decoder.Decode(topics, data);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  const auto& v = decoded.value().values;
  EXPECT_EQ(v[1].as<TopicHashValue>().hash, tag_hash);
  EXPECT_EQ(v[2].as<StringValue>().bytes, text);
  EXPECT_EQ(ToDecimal(v[3].as<UintValue>()),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935");
  EXPECT_EQ(ToDecimal(v[4].as<IntValue>()),
            "-57896044618658097711785492504343953926634992332820282019728792003956564819968");
  EXPECT_EQ(ToDecimal(v[5].as<IntValue>()), "-1");
  EXPECT_EQ(ToDecimal(v[6].as<IntValue>()), "-128");
  EXPECT_EQ(v[6].as<IntValue>().bits, 8);
  EXPECT_EQ(
      EventToJson(decoded.value()),
      R"({"who":"0xaabbccddeeff00112233445566778899aabbccdd",)"
      R"("tag":")" +
          core::ToHex(tag_hash) +
          R"(",)"
          R"("text":"nul\u0000tab\tnl\n\"q\"\\ emoji )"
          "\xF0\x9F\x98\x80"
          R"( bad )"
          "\xEF\xBF\xBD\xEF\xBF\xBD"
          R"(( end",)"
          R"("big":"115792089237316195423570985008687907853269984665640564039457584007913129639935",)"
          R"("min":"-57896044618658097711785492504343953926634992332820282019728792003956564819968",)"
          R"("minusOne":"-1","small":"-128","flag":true})");
}

TEST(DecoderValuesTest, PositiveSignedAndSmallWidths) {
  EventDecoder decoder =
      DecoderFor(testing::DataOnlyEventAbi("E", {"int8", "int256", "uint8", "bytes1", "function"}));
  std::string fn = Unhex("0x00112233445566778899aabbccddeeff0011223344556677");
  std::string data = Word(127) + Word(kInt256Min - 1) + Word(255) + LeftWord("\xAB") + LeftWord(fn);
  core::Bytes32 topic0 = decoder.events()[0].topic0;
  auto decoded = decoder.Decode(std::span(&topic0, 1), data);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(
      EventToJson(decoded.value()),
      R"({"p0":"127","p1":"57896044618658097711785492504343953926634992332820282019728792003956564819967",)"
      R"("p2":"255","p3":"0xab","p4":"0x00112233445566778899aabbccddeeff0011223344556677"})");
}

TEST(JsonRenderTest, Utf8ReplacementFollowsMaximalSubparts) {
  auto render = [](std::string_view s) {
    std::string out;
    AppendJsonString(s, &out);
    return out;
  };
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(render("\xE2\x82"), "\"" + r + "\"");                 // truncated 3-byte: one
  EXPECT_EQ(render("\xE2\x82" "A"), "\"" + r + "A\"");
  EXPECT_EQ(render("\xC0\xAF"), "\"" + r + r + "\"");             // overlong: two
  EXPECT_EQ(render("\xED\xA0\x80"), "\"" + r + r + r + "\"");     // surrogate: three
  EXPECT_EQ(render("\xF4\x90\x80\x80"), "\"" + r + r + r + r + "\"");  // > U+10FFFF
  EXPECT_EQ(render("\xE2\x82\xAC"), "\"\xE2\x82\xAC\"");          // euro sign kept
  EXPECT_EQ(render(std::string("\x01\x1f\x7f", 3)), "\"\\u0001\\u001f\x7f\"");
  EXPECT_EQ(render(std::string("\0", 1)), "\"\\u0000\"");
}

TEST(JsonRenderTest, TuplesAreObjectsArraysAreArrays) {
  EventDecoder decoder = DecoderFor(R"([{"type":"event","name":"Order","inputs":[
    {"name":"order","type":"tuple","indexed":false,"components":[
      {"name":"id","type":"uint64"},{"name":"","type":"bytes"},
      {"name":"lines","type":"tuple[2]","components":[{"name":"sku","type":"bytes2"},{"name":"ok","type":"bool"}]}]},
    {"name":"owners","type":"address[]","indexed":false}]}])");
  // order (dynamic tuple) at 0x40: id, offset of bytes (relative to the tuple), 2 static lines.
  std::string tuple = Word(9) + Word(6 * 32) + LeftWord("\x01\x02") + Word(1) +
                      LeftWord("\xff\xee") + Word(0) + Word(2) + LeftWord("\xCA\xFE");
  std::string owners = Word(1) + Word(core::U256(0xbeef));
  std::string data = Word(64) + Word(64 + tuple.size()) + tuple + owners;
  core::Bytes32 topic0 = decoder.events()[0].topic0;
  auto decoded = decoder.Decode(std::span(&topic0, 1), data);
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(decoder.events()[0].signature, "Order((uint64,bytes,(bytes2,bool)[2]),address[])");
  EXPECT_EQ(
      EventToJson(decoded.value()),
      R"({"order":{"id":"9","arg1":"0xcafe","lines":[{"sku":"0x0102","ok":true},)"
      R"({"sku":"0xffee","ok":false}]},"owners":["0x000000000000000000000000000000000000beef"]})");
  EXPECT_EQ(ToJson(decoded.value().values[1]), R"(["0x000000000000000000000000000000000000beef"])");
}

// Indexed composite types are topic hashes, even fixed-size ones; indexed
// elementary types are checked like data words.
TEST(DecoderValuesTest, IndexedCompositesAreTopicHashes) {
  EventDecoder decoder = DecoderFor(R"([{"type":"event","name":"Idx","inputs":[
    {"name":"pair","type":"uint256[2]","indexed":true},
    {"name":"t","type":"tuple","indexed":true,"components":[{"name":"a","type":"uint8"}]},
    {"name":"ok","type":"bool","indexed":true}]}])");
  core::Bytes32 h1 = core::Keccak256("pair"), h2 = core::Keccak256("t");
  std::vector<core::Bytes32> topics = {decoder.events()[0].topic0, h1, h2, TopicOf(Word(1))};
  auto decoded = decoder.Decode(topics, "");
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(decoded.value().values[0].as<TopicHashValue>().hash, h1);
  EXPECT_EQ(decoded.value().values[1].as<TopicHashValue>().hash, h2);
  EXPECT_TRUE(decoded.value().values[2].as<BoolValue>().value);
  topics[3] = TopicOf(Word(2));
  auto bad = decoder.Decode(topics, "");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().message(), "Test.Idx: parameter `ok` (bool): neither 0 nor 1");
}

constexpr std::string_view kTokenAbi = R"([
  {"type":"event","name":"Transfer","inputs":[{"name":"from","type":"address","indexed":true},
    {"name":"to","type":"address","indexed":true},{"name":"value","type":"uint256","indexed":false}]},
  {"type":"event","name":"Transfer","inputs":[{"name":"from","type":"address","indexed":true},
    {"name":"to","type":"address","indexed":true},{"name":"tokenId","type":"uint256","indexed":true}]},
  {"type":"event","name":"Ping","anonymous":true,"inputs":[{"name":"n","type":"uint8","indexed":true}]},
  {"type":"event","name":"Pong","anonymous":true,"inputs":[{"name":"n","type":"uint256","indexed":true}]}
])";

TEST(MatchingTest, SharedTopic0IsResolvedByTopicCount) {
  EventDecoder decoder = DecoderFor(kTokenAbi);
  core::Bytes32 t0 = decoder.events()[0].topic0;
  core::Bytes32 a = TopicOf(Word(0xa)), b = TopicOf(Word(0xb));
  auto erc20 = decoder.Decode(std::vector{t0, a, b}, Word(100));
  ASSERT_TRUE(erc20.has_value()) << erc20.error().ToString();
  EXPECT_EQ(erc20.value().event, &decoder.events()[0]);
  auto erc721 = decoder.Decode(std::vector{t0, a, b, TopicOf(Word(42))}, "");
  ASSERT_TRUE(erc721.has_value()) << erc721.error().ToString();
  EXPECT_EQ(erc721.value().event, &decoder.events()[1]);
  EXPECT_EQ(EventToJson(erc721.value()),
            R"({"from":"0x000000000000000000000000000000000000000a",)"
            R"("to":"0x000000000000000000000000000000000000000b","tokenId":"42"})");
  // Two topics fit neither: InvalidArgument, not NotFound.
  auto neither = decoder.Decode(std::vector{t0, a}, Word(1));
  ASSERT_FALSE(neither.has_value());
  EXPECT_EQ(neither.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(neither.error().message().find("2 topics, expected 3"), std::string::npos)
      << neither.error().message();
}

TEST(MatchingTest, AnonymousEventsInAbiOrderThenNotFound) {
  EventDecoder decoder = DecoderFor(kTokenAbi, "Token.json");
  // One topic that is no topic0: Ping (uint8) decodes 5 strictly.
  auto ping = decoder.Decode(std::vector{TopicOf(Word(5))}, "");
  ASSERT_TRUE(ping.has_value()) << ping.error().ToString();
  EXPECT_EQ(ping.value().event->name, "Ping");
  // 300 is no uint8: Ping fails strictly, Pong (uint256) is next.
  auto pong = decoder.Decode(std::vector{TopicOf(Word(300))}, "");
  ASSERT_TRUE(pong.has_value());
  EXPECT_EQ(pong.value().event->name, "Pong");
  // Nothing matches: NotFound (skip, not dead-letter).
  for (auto topics :
       {std::vector<core::Bytes32>{}, std::vector{TopicOf(Word(1)), TopicOf(Word(2))}}) {
    auto none = decoder.Decode(topics, Word(1));
    ASSERT_FALSE(none.has_value());
    EXPECT_EQ(none.error().code(), core::StatusCode::kNotFound);
    EXPECT_NE(none.error().message().find("no event of Token matches"), std::string::npos);
  }
}

TEST(MatchingTest, DecodeAsSkipsMatching) {
  EventDecoder decoder = DecoderFor(kTokenAbi);
  auto as = decoder.DecodeAs(3, std::vector{TopicOf(Word(300))}, "");
  ASSERT_TRUE(as.has_value());
  EXPECT_EQ(ToDecimal(as.value().values[0].as<UintValue>()), "300");
  EXPECT_FALSE(decoder.DecodeAs(2, std::vector{TopicOf(Word(300))}, "").has_value());
}

}  // namespace
}  // namespace chainflow::engine::abi
