// The Solidity ABI specification's own examples (docs/abi-spec.rst,
// "Examples" and "Use of Dynamic Types"): each function's argument encoding,
// after the 4-byte selector, decoded as the data of an event with the same
// parameters, non-indexed. The selectors check our canonical signatures.

#include <gtest/gtest.h>

#include "abi_test_util.h"
#include "engine/core/keccak.h"
#include "engine/abi/json_render.h"

namespace chainflow::engine::abi {
namespace {

using testing::DataOnlyEventAbi;
using testing::DecoderFor;
using testing::Unhex;

struct SpecCase {
  std::string name;
  std::vector<std::string> types;  // as written in the specification
  std::string selector;            // the specification's method id
  std::string encoding;            // the specification's hex, selector removed
  std::string json;                // our rendering of the values it lists
};

std::string Selector(const Event& e) {
  return core::ToHex(core::Keccak256(e.signature)).substr(0, 10);
}

void Check(const SpecCase& c) {
  EventDecoder decoder = DecoderFor(DataOnlyEventAbi(c.name, c.types));
  ASSERT_EQ(decoder.events().size(), 1u);
  EXPECT_EQ(Selector(decoder.events()[0]), c.selector) << decoder.events()[0].signature;
  core::Bytes32 topic0 = decoder.events()[0].topic0;
  auto decoded = decoder.Decode(std::span(&topic0, 1), Unhex(c.encoding));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(EventToJson(decoded.value()), c.json);
}

TEST(SpecConformanceTest, Baz) {
  Check({"baz", {"uint32", "bool"}, "0xcdcd77c0",
         "0000000000000000000000000000000000000000000000000000000000000045"
         "0000000000000000000000000000000000000000000000000000000000000001",
         R"({"p0":"69","p1":true})"});
}

TEST(SpecConformanceTest, Bar) {
  Check({"bar", {"bytes3[2]"}, "0xfce353f6",
         "6162630000000000000000000000000000000000000000000000000000000000"
         "6465660000000000000000000000000000000000000000000000000000000000",
         R"({"p0":["0x616263","0x646566"]})"});
}

TEST(SpecConformanceTest, Sam) {
  Check({"sam", {"bytes", "bool", "uint[]"}, "0xa5643bf2",
         "0000000000000000000000000000000000000000000000000000000000000060"
         "0000000000000000000000000000000000000000000000000000000000000001"
         "00000000000000000000000000000000000000000000000000000000000000a0"
         "0000000000000000000000000000000000000000000000000000000000000004"
         "6461766500000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000003"
         "0000000000000000000000000000000000000000000000000000000000000001"
         "0000000000000000000000000000000000000000000000000000000000000002"
         "0000000000000000000000000000000000000000000000000000000000000003",
         R"({"p0":"0x64617665","p1":true,"p2":["1","2","3"]})"});
}

TEST(SpecConformanceTest, DynamicTypesF) {
  Check({"f", {"uint", "uint32[]", "bytes10", "bytes"}, "0x8be65246",
         "0000000000000000000000000000000000000000000000000000000000000123"
         "0000000000000000000000000000000000000000000000000000000000000080"
         "3132333435363738393000000000000000000000000000000000000000000000"
         "00000000000000000000000000000000000000000000000000000000000000e0"
         "0000000000000000000000000000000000000000000000000000000000000002"
         "0000000000000000000000000000000000000000000000000000000000000456"
         "0000000000000000000000000000000000000000000000000000000000000789"
         "000000000000000000000000000000000000000000000000000000000000000d"
         "48656c6c6f2c20776f726c642100000000000000000000000000000000000000",
         R"({"p0":"291","p1":["1110","1929"],"p2":"0x31323334353637383930",)"
         R"("p3":"0x48656c6c6f2c20776f726c6421"})"});
}

TEST(SpecConformanceTest, NestedDynamicG) {
  Check({"g", {"uint[][]", "string[]"}, "0x2289b18c",
         "0000000000000000000000000000000000000000000000000000000000000040"
         "0000000000000000000000000000000000000000000000000000000000000140"
         "0000000000000000000000000000000000000000000000000000000000000002"
         "0000000000000000000000000000000000000000000000000000000000000040"
         "00000000000000000000000000000000000000000000000000000000000000a0"
         "0000000000000000000000000000000000000000000000000000000000000002"
         "0000000000000000000000000000000000000000000000000000000000000001"
         "0000000000000000000000000000000000000000000000000000000000000002"
         "0000000000000000000000000000000000000000000000000000000000000001"
         "0000000000000000000000000000000000000000000000000000000000000003"
         "0000000000000000000000000000000000000000000000000000000000000003"
         "0000000000000000000000000000000000000000000000000000000000000060"
         "00000000000000000000000000000000000000000000000000000000000000a0"
         "00000000000000000000000000000000000000000000000000000000000000e0"
         "0000000000000000000000000000000000000000000000000000000000000003"
         "6f6e650000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000003"
         "74776f0000000000000000000000000000000000000000000000000000000000"
         "0000000000000000000000000000000000000000000000000000000000000005"
         "7468726565000000000000000000000000000000000000000000000000000000",
         R"({"p0":[["1","2"],["3"]],"p1":["one","two","three"]})"});
}

// The specification's JSON example: Event(uint indexed a, bytes32 b).
TEST(SpecConformanceTest, JsonExampleEvent) {
  EventDecoder decoder = DecoderFor(R"([{
    "type":"event",
    "inputs": [{"name":"a","type":"uint256","indexed":true},{"name":"b","type":"bytes32","indexed":false}],
    "name":"Event"
  }, {
    "type":"event",
    "inputs": [{"name":"a","type":"uint256","indexed":true},{"name":"b","type":"bytes32","indexed":false}],
    "name":"Event2"
  }, {
    "type":"function",
    "inputs": [{"name":"a","type":"uint256"}],
    "name":"foo",
    "outputs": []
  }])");
  ASSERT_EQ(decoder.events().size(), 2u);
  EXPECT_EQ(decoder.events()[0].signature, "Event(uint256,bytes32)");
  std::vector<core::Bytes32> topics = {decoder.events()[1].topic0,
                                       testing::TopicOf(testing::Word(7))};
  auto decoded = decoder.Decode(topics, Unhex("12345678901234567890123456789012"
                                              "00000000000000000000000000000000"));
  ASSERT_TRUE(decoded.has_value()) << decoded.error().ToString();
  EXPECT_EQ(decoded.value().event->name, "Event2");
  EXPECT_EQ(
      EventToJson(decoded.value()),
      R"({"a":"7","b":"0x1234567890123456789012345678901200000000000000000000000000000000"})");
}

}  // namespace
}  // namespace chainflow::engine::abi
