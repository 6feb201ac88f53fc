#include "engine/abi/abi_type.h"

#include <gtest/gtest.h>

namespace chainflow::engine::abi {
namespace {

std::string Canonical(std::string_view text) {
  auto t = ParseType(text);
  return t.has_value() ? t.value().canonical() : "error: " + t.error().message();
}

TEST(AbiTypeTest, ElementaryTypesAndAliases) {
  for (int bits = 8; bits <= 256; bits += 8) {
    EXPECT_EQ(Canonical("uint" + std::to_string(bits)), "uint" + std::to_string(bits));
    EXPECT_EQ(Canonical("int" + std::to_string(bits)), "int" + std::to_string(bits));
  }
  for (int n = 1; n <= 32; ++n) {
    EXPECT_EQ(Canonical("bytes" + std::to_string(n)), "bytes" + std::to_string(n));
  }
  EXPECT_EQ(Canonical("uint"), "uint256");
  EXPECT_EQ(Canonical("int"), "int256");
  EXPECT_EQ(Canonical("byte"), "bytes1");
  EXPECT_EQ(Canonical("address"), "address");
  EXPECT_EQ(Canonical("bool"), "bool");
  EXPECT_EQ(Canonical("bytes"), "bytes");
  EXPECT_EQ(Canonical("string"), "string");
  EXPECT_EQ(Canonical("function"), "function");
}

TEST(AbiTypeTest, ArraysApplyLeftToRight) {
  auto t = ParseType("uint[2][]").value();
  EXPECT_EQ(t.canonical(), "uint256[2][]");
  EXPECT_EQ(t.kind(), TypeKind::kArray);
  EXPECT_EQ(t.element().kind(), TypeKind::kFixedArray);
  EXPECT_EQ(t.element().size(), 2u);
  EXPECT_EQ(t.element().head_size(), 64u);  // static: inline in the head
  EXPECT_TRUE(t.is_dynamic());
  auto s = ParseType("string[3]").value();
  EXPECT_TRUE(s.is_dynamic());
  EXPECT_EQ(s.head_size(), 32u);
  EXPECT_EQ(s.inner_head_size(), 96u);
  EXPECT_EQ(Canonical("bytes3[2]"), "bytes3[2]");
  EXPECT_EQ(Canonical("address[][3][]"), "address[][3][]");
}

TEST(AbiTypeTest, InlineTuples) {
  auto t = ParseType("(uint,(bool,string)[2])[]").value();
  EXPECT_EQ(t.canonical(), "(uint256,(bool,string)[2])[]");
  const AbiType& tuple = t.element();
  EXPECT_EQ(tuple.kind(), TypeKind::kTuple);
  EXPECT_EQ(tuple.component_names(), (std::vector<std::string>{"arg0", "arg1"}));
  EXPECT_TRUE(tuple.is_dynamic());
  EXPECT_EQ(ParseType("(uint8,address)").value().head_size(), 64u);
}

TEST(AbiTypeTest, JsonTupleBase) {
  auto tuple = AbiType::Tuple({"id", ""}, {AbiType::Uint(256), AbiType::String()}).value();
  EXPECT_EQ(tuple.component_names()[1], "arg1");
  EXPECT_EQ(ParseJsonType("tuple", &tuple).value().canonical(), "(uint256,string)");
  EXPECT_EQ(ParseJsonType("tuple[]", &tuple).value().canonical(), "(uint256,string)[]");
  EXPECT_EQ(ParseJsonType("tuple[3][]", &tuple).value().canonical(), "(uint256,string)[3][]");
  EXPECT_FALSE(ParseJsonType("tuple[]", nullptr).has_value());
}

TEST(AbiTypeTest, RejectsUnknownTypesNamingThem) {
  for (std::string_view bad : {"uint7", "uint264", "uint0", "int08", "bytes0", "bytes33", "adress",
                               "uint256[", "uint256[0]", "uint256[01]", "uint256[x]", "",
                               "(uint256,)", "()", "(uint256", "string ", "tuple"}) {
    auto t = ParseType(bad);
    ASSERT_FALSE(t.has_value()) << bad;
    EXPECT_EQ(t.error().code(), core::StatusCode::kInvalidArgument);
    if (!bad.empty()) {
      EXPECT_NE(t.error().message().find(bad), std::string::npos) << t.error().message();
    }
  }
}

TEST(AbiTypeTest, RejectsFixedPointClearly) {
  for (std::string_view fixed : {"fixed", "ufixed", "fixed128x18", "ufixed256x80"}) {
    auto t = ParseType(fixed);
    ASSERT_FALSE(t.has_value());
    EXPECT_NE(t.error().message().find("fixed-point types"), std::string::npos);
  }
}

TEST(AbiTypeTest, BoundsDepthAndSize) {
  std::string deep = "uint256";
  for (int i = 0; i < kMaxTypeDepth; ++i) deep += "[]";
  EXPECT_TRUE(ParseType(deep).has_value());
  EXPECT_FALSE(ParseType(deep + "[]").has_value());
  std::string nested = std::string(40, '(') + "bool" + std::string(40, ')');
  auto t = ParseType(nested);
  ASSERT_FALSE(t.has_value());
  EXPECT_NE(t.error().message().find("deeper"), std::string::npos);
  EXPECT_FALSE(ParseType("uint256[18446744073709551615]").has_value());
  EXPECT_FALSE(ParseType("uint256[99999999999999999999]").has_value());
  EXPECT_FALSE(ParseType("uint256[65536][65536]").has_value());
  EXPECT_TRUE(ParseType("uint256[1024]").has_value());
}

TEST(AbiTypeTest, DuplicateComponentNames) {
  EXPECT_FALSE(AbiType::Tuple({"a", "a"}, {AbiType::Bool(), AbiType::Bool()}).has_value());
}

}  // namespace
}  // namespace chainflow::engine::abi
