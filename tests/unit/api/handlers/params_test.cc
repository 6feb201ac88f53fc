#include "api/handlers/params.h"

#include <gtest/gtest.h>

namespace chainflow::api::handlers {
namespace {

void ExpectFieldError(const core::Status& status, const std::string& field) {
  EXPECT_EQ(status.code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(status.message().rfind(field + ": ", 0), 0u) << status.message();
}

TEST(ParamsTest, Chain) {
  std::set<std::string> chains{"anvil", "base"};
  EXPECT_EQ(ParseChain("chain", "anvil", chains).value(), "anvil");
  ExpectFieldError(ParseChain("chain", "eth", chains).error(), "chain");
  ExpectFieldError(ParseChain("chain", "", chains).error(), "chain");
}

TEST(ParamsTest, AddressIsNormalizedToLowercase) {
  auto a = ParseAddress("contract", "0xABCDEFabcdef0123456789ABCDEF0123456789aB");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a.value().ToHex(), "0xabcdefabcdef0123456789abcdef0123456789ab");
  ExpectFieldError(ParseAddress("contract", "abcdefabcdef0123456789abcdef0123456789ab").error(),
                   "contract");
  ExpectFieldError(ParseAddress("contract", "0x1234").error(), "contract");
  ExpectFieldError(ParseAddress("owner", "0xgggggggggggggggggggggggggggggggggggggggg").error(),
                   "owner");
}

TEST(ParamsTest, TokenId) {
  EXPECT_EQ(core::U256ToDecimal(ParseTokenId("token_id", "007").value()), "7");
  ExpectFieldError(ParseTokenId("token_id", "-1").error(), "token_id");
  ExpectFieldError(ParseTokenId("token_id", "0x10").error(), "token_id");
  ExpectFieldError(ParseTokenId("token_id", "1.5").error(), "token_id");
  ExpectFieldError(
      ParseTokenId("token_id",
                   "115792089237316195423570985008687907853269984665640564039457584007913129639936")
          .error(),
      "token_id");
  EXPECT_TRUE(
      ParseTokenId("token_id",
                   "115792089237316195423570985008687907853269984665640564039457584007913129639935")
          .has_value());
}

TEST(ParamsTest, Limit) {
  EXPECT_EQ(ParseLimit("limit", std::nullopt, 100, 1000).value(), 100);
  EXPECT_EQ(ParseLimit("limit", "1", 100, 1000).value(), 1);
  EXPECT_EQ(ParseLimit("limit", "1000", 100, 1000).value(), 1000);
  for (const char* bad : {"0", "1001", "-5", "ten", "", "10x", "99999999999999"}) {
    ExpectFieldError(ParseLimit("limit", std::string(bad), 100, 1000).error(), "limit");
  }
}

TEST(ParamsTest, QuoteForMessage) {
  EXPECT_EQ(QuoteForMessage("eth"), "'eth'");
  EXPECT_EQ(QuoteForMessage(std::string("a\nb")), "(value with non-printable characters)");
  EXPECT_EQ(QuoteForMessage(std::string(100, 'a')), "(value too long to show)");
}

}  // namespace
}  // namespace chainflow::api::handlers
