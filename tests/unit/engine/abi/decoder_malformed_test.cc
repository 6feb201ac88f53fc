// Malformed logs: every one is InvalidArgument with a reason naming the
// event, the parameter and the fault; never a crash, never a large
// allocation. Ends with a seeded mutation test over a complex event.

#include <random>

#include <gtest/gtest.h>

#include "abi_test_util.h"
#include "engine/abi/json_render.h"

namespace chainflow::engine::abi {
namespace {

using testing::DecoderFor;
using testing::LeftWord;
using testing::TopicOf;
using testing::Word;

constexpr std::string_view kTicketAbi = R"([{"type":"event","name":"Purchased","inputs":[
  {"name":"buyer","type":"address","indexed":true},
  {"name":"qty","type":"uint8","indexed":false},
  {"name":"paid","type":"bool","indexed":false},
  {"name":"memo","type":"string","indexed":false},
  {"name":"ids","type":"uint256[]","indexed":false},
  {"name":"payee","type":"address","indexed":false},
  {"name":"delta","type":"int16","indexed":false},
  {"name":"code","type":"bytes3","indexed":false}]}])";

class MalformedTest : public ::testing::Test {
 protected:
  // A valid encoding: qty 2, paid, "hi", [7, 8], payee 0x..ab, delta -2, "abc".
  static std::string ValidData() {
    return Word(2) + Word(1) + Word(7 * 32) + Word(9 * 32) + Word(0xab) + Word(~core::U256(1)) +
           LeftWord("abc") + Word(2) + LeftWord("hi") + Word(2) + Word(7) + Word(8);
  }
  std::vector<core::Bytes32> Topics(const std::string& buyer_word = Word(0x99)) const {
    return {decoder_.events()[0].topic0, TopicOf(buyer_word)};
  }
  // Expects InvalidArgument whose message contains every fragment.
  void ExpectInvalid(const std::vector<core::Bytes32>& topics, const std::string& data,
                     std::vector<std::string_view> fragments) {
    auto r = decoder_.Decode(topics, data);
    ASSERT_FALSE(r.has_value()) << EventToJson(r.value());
    EXPECT_EQ(r.error().code(), core::StatusCode::kInvalidArgument) << r.error().ToString();
    for (auto f : fragments) {
      EXPECT_NE(r.error().message().find(f), std::string::npos)
          << "`" << f << "` not in: " << r.error().message();
    }
  }
  static std::string With(std::string data, size_t word, const std::string& value) {
    return data.replace(word * 32, 32, value);
  }
  EventDecoder decoder_ = DecoderFor(kTicketAbi, "Ticket.json");
};

TEST_F(MalformedTest, ValidDataDecodes) {
  auto r = decoder_.Decode(Topics(), ValidData());
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(EventToJson(r.value()),
            R"({"buyer":"0x0000000000000000000000000000000000000099","qty":"2","paid":true,)"
            R"("memo":"hi","ids":["7","8"],"payee":"0x00000000000000000000000000000000000000ab",)"
            R"("delta":"-2","code":"0x616263"})");
}

TEST_F(MalformedTest, DirtyWordsNameEventParameterAndFault) {
  std::string dirty_address = Word((core::U256(1) << 200) + 0x99);
  auto r = decoder_.Decode(Topics(dirty_address), ValidData());
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().message(),
            "Ticket.Purchased: parameter `buyer` (address): upper 12 bytes not zero");
  ExpectInvalid(Topics(), With(ValidData(), 0, Word(256)),
                {"Ticket.Purchased: parameter `qty` (uint8): bits above the low 8 not zero"});
  ExpectInvalid(Topics(), With(ValidData(), 1, Word(2)),
                {"parameter `paid` (bool): neither 0 nor 1"});
  ExpectInvalid(Topics(), With(ValidData(), 4, Word(core::U256(1) << 160)),
                {"parameter `payee` (address): upper 12 bytes not zero"});
  ExpectInvalid(Topics(), With(ValidData(), 5, Word(0xfffe)),
                {"parameter `delta` (int16): not sign-extended from 16 bits"});
  ExpectInvalid(Topics(), With(ValidData(), 6, LeftWord("abcd")),
                {"parameter `code` (bytes3): padding after the 3 bytes not zero"});
}

TEST_F(MalformedTest, TruncatedData) {
  std::string data = ValidData();
  ExpectInvalid(Topics(), data.substr(0, data.size() - 1),
                {"parameter `ids` (uint256[]): element count 2"});
  ExpectInvalid(Topics(), data.substr(0, 100), {"Ticket.Purchased: parameter `memo` (string)"});
  ExpectInvalid(Topics(), "", {"parameter `qty` (uint8)", "past the end of the 0-byte data"});
}

TEST_F(MalformedTest, OffsetsAndLengthsOutOfBounds) {
  ExpectInvalid(Topics(), With(ValidData(), 2, Word(13 * 32)),
                {"parameter `memo` (string): offset 416 at byte 64"});
  ExpectInvalid(Topics(), With(ValidData(), 2, Word(12 * 32)),
                {"parameter `memo` (string)", "past the end"});
  ExpectInvalid(Topics(), With(ValidData(), 2, Word(core::U256(1) << 255)),
                {"parameter `memo` (string)", "offset", "exceeds"});
  ExpectInvalid(Topics(), With(ValidData(), 7, Word(core::U256(1) << 255)),
                {"parameter `memo` (string)", "length", "exceeds"});
  ExpectInvalid(Topics(), With(ValidData(), 7, Word(~core::U256(0) >> 192)),  // 2^64 - 1
                {"parameter `memo` (string)", "length"});
  ExpectInvalid(Topics(), With(ValidData(), 9, Word(core::U256(1) << 255)),
                {"parameter `ids` (uint256[])", "element count"});
  ExpectInvalid(Topics(), With(ValidData(), 9, Word(3)), {"parameter `ids` (uint256[])"});
}

TEST_F(MalformedTest, WrongTopicCounts) {
  std::vector<core::Bytes32> too_few = {decoder_.events()[0].topic0};
  ExpectInvalid(too_few, ValidData(), {"Ticket.Purchased: 1 topics, expected 2"});
  auto too_many = Topics();
  too_many.push_back(TopicOf(Word(1)));
  ExpectInvalid(too_many, ValidData(), {"3 topics, expected 2"});
}

TEST_F(MalformedTest, ElementFaultsCarryThePath) {
  EventDecoder decoder = DecoderFor(R"([{"type":"event","name":"Batch","inputs":[
    {"name":"orders","type":"tuple[]","indexed":false,"components":[
      {"name":"price","type":"uint128"},{"name":"tags","type":"bytes2[]"}]}]}])",
                                    "Shop.json");
  // orders = [(1, []), (2, [dirty bytes2])]
  std::string order0 = Word(1) + Word(64) + Word(0);
  std::string order1 = Word(2) + Word(64) + Word(1) + LeftWord("xyz");
  std::string data = Word(32) + Word(2) + Word(64) + Word(64 + order0.size()) + order0 + order1;
  core::Bytes32 t0 = decoder.events()[0].topic0;
  auto r = decoder.Decode(std::span(&t0, 1), data);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(
      r.error().message(),
      "Shop.Batch: parameter `orders[1].tags[0]` (bytes2): padding after the 2 bytes not zero");
}

TEST(MalformedNestingTest, DeepTypesAreRejectedAtLoadAndSelfReferencesTerminate) {
  std::string deep = "uint256";
  for (int i = 0; i <= kMaxTypeDepth; ++i) deep += "[]";
  auto abi = ParseAbiJson(testing::DataOnlyEventAbi("Deep", {deep}), "Deep.json");
  ASSERT_FALSE(abi.has_value());
  EXPECT_NE(abi.error().message().find("deeper than 32"), std::string::npos);

  std::string tuple_json = R"({"name":"x","type":"uint8"})";
  for (int i = 0; i <= kMaxTypeDepth; ++i) {
    tuple_json = R"({"name":"t","type":"tuple","components":[)" + tuple_json + "]}";
  }
  auto tuples = ParseAbiJson(R"([{"type":"event","name":"T","inputs":[)" + tuple_json + "]}]",
                             "Deep.json");
  ASSERT_FALSE(tuples.has_value());
  EXPECT_NE(tuples.error().message().find("deeper than 32"), std::string::npos)
      << tuples.error().message();

  // Fixed arrays of dynamic elements may point back at themselves (offset
  // 0 from their own start): the recursion still ends with the type.
  std::string self = "string";
  for (int i = 1; i < kMaxTypeDepth; ++i) self += "[1]";
  EventDecoder decoder = DecoderFor(testing::DataOnlyEventAbi("Self", {self}));
  core::Bytes32 t0 = decoder.events()[0].topic0;
  auto r = decoder.Decode(std::span(&t0, 1), Word(0));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(ToJson(r.value().values[0]), std::string(kMaxTypeDepth - 1, '[') + "\"\"" +
                                             std::string(kMaxTypeDepth - 1, ']'));
  auto bad = decoder.Decode(std::span(&t0, 1), Word(1));
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), core::StatusCode::kInvalidArgument);
}

TEST(MalformedAliasingTest, OverlappingOffsetsCannotAmplify) {
  // string[] of 2,000 offsets all pointing at one 8 KB string: 16 MB if copied.
  EventDecoder decoder = DecoderFor(testing::DataOnlyEventAbi("Bomb", {"string[]"}));
  const size_t n = 2000;
  std::string target = Word(8192) + std::string(8192, 'x');
  std::string data = Word(32) + Word(n);
  for (size_t i = 0; i < n; ++i) data += Word(n * 32);
  data += target;
  core::Bytes32 t0 = decoder.events()[0].topic0;
  auto r = decoder.Decode(std::span(&t0, 1), data);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message().find("overlapping offsets"), std::string::npos)
      << r.error().message();
  // uint8[][] whose 2,000 offsets all point at one inner array of 2,000
  // elements: 4 million values from 128 KB if decoded; the value budget
  // (one per word) stops it.
  EventDecoder nested = DecoderFor(testing::DataOnlyEventAbi("Bomb", {"uint8[][]"}));
  std::string d = Word(32) + Word(n);
  for (size_t i = 0; i < n; ++i) d += Word(n * 32);
  d += Word(n);
  for (size_t i = 0; i < n; ++i) d += Word(1);
  core::Bytes32 t1 = nested.events()[0].topic0;
  auto r2 = nested.Decode(std::span(&t1, 1), d);
  ASSERT_FALSE(r2.has_value());
  EXPECT_NE(r2.error().message().find("overlapping offsets"), std::string::npos)
      << r2.error().message();
}

// A complex event, its valid encoding mutated thousands of times with a
// fixed seed: every result is a value or InvalidArgument, never a crash,
// and a value always renders.
TEST(MutationTest, SeededMutationsNeverCrash) {
  EventDecoder decoder = DecoderFor(R"([{"type":"event","name":"Complex","inputs":[
    {"name":"from","type":"address","indexed":true},
    {"name":"memo","type":"string","indexed":false},
    {"name":"ids","type":"uint256[]","indexed":false},
    {"name":"order","type":"tuple","indexed":false,"components":[
      {"name":"id","type":"uint64"},{"name":"note","type":"string"},{"name":"deltas","type":"int16[2]"}]},
    {"name":"grid","type":"uint8[][2]","indexed":false},
    {"name":"blob","type":"bytes","indexed":false}]}])");
  std::string memo = Word(5) + LeftWord("hello");
  std::string ids = Word(3) + Word(1) + Word(2) + Word(3);
  std::string order = Word(7) + Word(4 * 32) + Word(~core::U256(4)) + Word(6) + Word(4) +
                      LeftWord("note");
  std::string grid = Word(64) + Word(128) + Word(1) + Word(9) + Word(0);
  std::string blob = Word(33) + LeftWord(std::string(33, '\xAB'));
  size_t head = 5 * 32;
  std::string data = Word(head) + Word(head + memo.size()) +
                     Word(head + memo.size() + ids.size()) +
                     Word(head + memo.size() + ids.size() + order.size()) +
                     Word(head + memo.size() + ids.size() + order.size() + grid.size()) + memo +
                     ids + order + grid + blob;
  std::vector<core::Bytes32> topics = {decoder.events()[0].topic0, TopicOf(Word(0x1234))};
  ASSERT_TRUE(decoder.Decode(topics, data).has_value());

  std::mt19937_64 rng(20261204);
  const std::vector<core::U256> interesting = {0, 1, 31, 32, 33, 64, 0xffffffff,
                                               core::U256(1) << 64, core::U256(1) << 255,
                                               ~core::U256(0), data.size(), data.size() - 32};
  int ok = 0, invalid = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string m = data;
    std::vector<core::Bytes32> t = topics;
    int edits = 1 + static_cast<int>(rng() % 3);
    for (int e = 0; e < edits; ++e) {
      size_t word = rng() % (m.size() / 32);
      switch (rng() % 6) {
        case 0: m[rng() % m.size()] ^= static_cast<char>(1u << (rng() % 8)); break;
        case 1: m.replace(word * 32, 32, Word(interesting[rng() % interesting.size()])); break;
        case 2: m.replace(word * 32, 32, Word(rng() % 512)); break;
        case 3: m.resize(rng() % m.size()); break;
        case 4: m += Word(rng()); break;
        default: t[1][rng() % 32] ^= static_cast<uint8_t>(rng()); break;
      }
      if (m.size() < 32) m += Word(0);
    }
    auto r = decoder.Decode(t, m);
    if (r.has_value()) {
      ++ok;
      EXPECT_FALSE(EventToJson(r.value()).empty());
    } else {
      ++invalid;
      ASSERT_EQ(r.error().code(), core::StatusCode::kInvalidArgument) << r.error().ToString();
      ASSERT_NE(r.error().message().find("Test.Complex: "), std::string::npos);
    }
  }
  EXPECT_GT(ok, 100);
  EXPECT_GT(invalid, 1000);
}

}  // namespace
}  // namespace chainflow::engine::abi
