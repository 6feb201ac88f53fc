#include "api/handlers/intent_request.h"

#include <gtest/gtest.h>

#include "engine/log/record.h"

namespace chainflow::api::handlers {
namespace {

constexpr char kToken[] = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
constexpr char kPayer[] = "0x1111111111111111111111111111111111111111";
constexpr char kPayee[] = "0x2222222222222222222222222222222222222222";

core::Config TestConfig() {
  auto config = core::Config::Parse(
      std::string("[[chains]]\nname = \"anvil\"\nchain_id = 31337\n"
                  "[[chains]]\nname = \"open\"\nchain_id = 5\n"
                  "[[contracts]]\nchain = \"anvil\"\nstandard = \"erc20\"\naddress = \"") +
          kToken + "\"\n",
      {});
  EXPECT_TRUE(config) << config.error().ToString();
  return config.value();
}

// A valid body with `field` replaced by `value` (raw JSON), or removed when
// value is empty.
std::string Body(const std::string& field = "", const std::string& value = "") {
  std::map<std::string, std::string> fields = {
      {"kind", "\"clap\""},    {"payer", std::string("\"") + kPayer + "\""},
      {"payee", std::string("\"") + kPayee + "\""}, {"chain", "\"anvil\""},
      {"token", std::string("\"") + kToken + "\""}, {"amount", "\"1000\""}};
  if (!field.empty()) {
    if (value.empty()) {
      fields.erase(field);
    } else {
      fields[field] = value;
    }
  }
  std::string out = "{";
  for (const auto& [k, v] : fields) out += (out.size() > 1 ? "," : "") + ("\"" + k + "\":" + v);
  return out + "}";
}

std::string ErrorOf(const std::string& body, size_t max_memo = 280) {
  auto parsed = ParseIntentRequest(body, TestConfig(), {max_memo});
  if (parsed) return "OK";
  EXPECT_EQ(parsed.error().code(), core::StatusCode::kInvalidArgument);
  return parsed.error().message();
}

TEST(IntentRequestTest, ParsesAValidBody) {
  auto parsed = ParseIntentRequest(Body("memo", "\"thanks\""), TestConfig(), {});
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  const IntentRequest& r = parsed.value();
  EXPECT_EQ(r.kind, chainflow::v1::INTENT_KIND_CLAP);
  EXPECT_EQ(r.payer.ToHex(), kPayer);
  EXPECT_EQ(r.payee.ToHex(), kPayee);
  EXPECT_EQ(r.chain, "anvil");
  EXPECT_EQ(r.token.ToHex(), kToken);
  EXPECT_EQ(r.amount, core::U256(1000));
  EXPECT_EQ(r.memo, "thanks");
  EXPECT_FALSE(r.delegation.has_value());
}

TEST(IntentRequestTest, NormalizesAddressCase) {
  auto parsed = ParseIntentRequest(
      Body("payer", "\"0xABCDEF1111111111111111111111111111111111\""), TestConfig(), {});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed.value().payer.ToHex(), "0xabcdef1111111111111111111111111111111111");
}

TEST(IntentRequestTest, ErrorsNameTheField) {
  EXPECT_EQ(ErrorOf("{").rfind("body: malformed JSON", 0), 0u);
  EXPECT_EQ(ErrorOf("[1]"), "body: must be a JSON object");
  EXPECT_EQ(ErrorOf(Body("kind", "\"tip\"")), "kind: must be \"clap\" or \"gift\"");
  EXPECT_EQ(ErrorOf(Body("kind")), "kind: is required");
  EXPECT_EQ(ErrorOf(Body("payer", "\"0x1234\"")), "payer: expected 0x + 40 hex digits");
  EXPECT_EQ(ErrorOf(Body("payee", "\"1111111111111111111111111111111111111111\"")),
            "payee: expected 0x + 40 hex digits");
  EXPECT_EQ(ErrorOf(Body("payee", "\"0xzz22222222222222222222222222222222222222\"")),
            "payee: expected 0x + 40 hex digits");
  EXPECT_EQ(ErrorOf(Body("payee", std::string("\"") + kPayer + "\"")),
            "payee: must differ from payer");
  EXPECT_EQ(ErrorOf(Body("chain", "\"nope\"")), "chain: unknown chain \"nope\"");
  EXPECT_EQ(ErrorOf(Body("token", "\"0x3333333333333333333333333333333333333333\"")),
            "token: not a configured erc20 token of chain \"anvil\"");
  EXPECT_EQ(ErrorOf(Body("extra", "1")), "extra: unknown field");
  EXPECT_EQ(ErrorOf(Body("memo", "\"" + std::string(11, 'm') + "\""), 10),
            "memo: longer than 10 bytes");
  EXPECT_EQ(ErrorOf(Body("memo", "5")), "memo: must be a string");
}

TEST(IntentRequestTest, ChainWithoutListedTokensAcceptsAnyToken) {
  EXPECT_EQ(ErrorOf(Body("chain", "\"open\"")), "OK");
}

TEST(IntentRequestTest, AmountRules) {
  EXPECT_EQ(ErrorOf(Body("amount", "\"-5\"")), "amount: must be unsigned decimal digits");
  EXPECT_EQ(ErrorOf(Body("amount", "\"+5\"")), "amount: must be unsigned decimal digits");
  EXPECT_EQ(ErrorOf(Body("amount", "\"0\"")), "amount: must be greater than 0");
  EXPECT_EQ(ErrorOf(Body("amount", "\"1.5\"")), "amount: must be unsigned decimal digits");
  EXPECT_EQ(ErrorOf(Body("amount", "\"0x10\"")), "amount: must be unsigned decimal digits");
  EXPECT_EQ(ErrorOf(Body("amount", "\"\"")), "amount: must be unsigned decimal digits");
  EXPECT_EQ(ErrorOf(Body("amount", "5")),
            "amount: must be a decimal string (uint256 values are not JSON numbers)");
  EXPECT_EQ(ErrorOf(Body("amount")), "amount: is required");
  // 2^256 - 1 is the largest; 2^256 overflows.
  const std::string kMax =
      "115792089237316195423570985008687907853269984665640564039457584007913129639935";
  const std::string kOver =
      "115792089237316195423570985008687907853269984665640564039457584007913129639936";
  EXPECT_EQ(ErrorOf(Body("amount", "\"" + kMax + "\"")), "OK");
  EXPECT_EQ(ErrorOf(Body("amount", "\"" + kOver + "\"")), "amount: exceeds 2^256-1");
  EXPECT_EQ(ErrorOf(Body("amount", "\"" + kMax + "0\"")), "amount: exceeds 2^256-1");
}

TEST(IntentRequestTest, Delegation) {
  std::string good = std::string(R"({"delegate":")") + kPayee +
                     R"(","signature":"0xdeadbeef","expires_at":1700000000})";
  auto parsed = ParseIntentRequest(Body("delegation", good), TestConfig(), {});
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  ASSERT_TRUE(parsed.value().delegation.has_value());
  EXPECT_EQ(parsed.value().delegation->signature, std::string("\xde\xad\xbe\xef"));
  EXPECT_EQ(parsed.value().delegation->expires_at, 1700000000u);
  EXPECT_EQ(ErrorOf(Body("delegation", R"({"delegate":"0x12","signature":"0xaa"})")),
            "delegation.delegate: expected 0x + 40 hex digits");
  EXPECT_EQ(ErrorOf(Body("delegation", std::string(R"({"delegate":")") + kPayee +
                                           R"(","signature":"zz"})")),
            "delegation.signature: expected 0x + hex of 1-1024 bytes");
  EXPECT_EQ(ErrorOf(Body("delegation", std::string(R"({"delegate":")") + kPayee +
                                           R"(","signature":"0xaa","expires_at":-1})")),
            "delegation.expires_at: must be unix seconds (a non-negative integer)");
  EXPECT_EQ(ErrorOf(Body("delegation", R"({"who":1})")), "delegation.who: unknown field");
  EXPECT_EQ(ErrorOf(Body("delegation", "5")), "delegation: must be an object");
}

TEST(IntentRequestTest, IdempotencyKeyRules) {
  EXPECT_TRUE(ValidateIdempotencyKey("order-42").ok());
  EXPECT_TRUE(ValidateIdempotencyKey(std::string(128, 'k')).ok());
  EXPECT_FALSE(ValidateIdempotencyKey("").ok());
  EXPECT_FALSE(ValidateIdempotencyKey(std::string(129, 'k')).ok());
  EXPECT_FALSE(ValidateIdempotencyKey("has space").ok());
  EXPECT_FALSE(ValidateIdempotencyKey("tab\t").ok());
}

TEST(IntentRequestTest, IntentIdDependsOnKeyIdAndIdempotencyKeyOnly) {
  std::string id = IntentId("partner", "order-42");
  EXPECT_EQ(id.size(), 32u);
  EXPECT_EQ(id.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(id, IntentId("partner", "order-42"));
  EXPECT_NE(id, IntentId("partner", "order-43"));
  EXPECT_NE(id, IntentId("other", "order-42"));
  // Length-prefixed: moving characters between the parts changes the id.
  EXPECT_NE(IntentId("ab", "c"), IntentId("a", "bc"));
}

TEST(IntentRequestTest, DigestIgnoresFormattingButNotContent) {
  auto a = ParseIntentRequest(Body(), TestConfig(), {}).value();
  std::string spaced = Body();
  spaced.insert(1, "  \n");
  auto b = ParseIntentRequest(spaced, TestConfig(), {}).value();
  EXPECT_EQ(IntentDigest(a), IntentDigest(b));
  auto c = ParseIntentRequest(Body("amount", "\"1001\""), TestConfig(), {}).value();
  EXPECT_NE(IntentDigest(a), IntentDigest(c));
}

TEST(IntentRequestTest, RecordCarriesPayloadKeyAndHeaders) {
  auto request = ParseIntentRequest(Body("memo", "\"hi\""), TestConfig(), {}).value();
  auto record = IntentRecord("cf.user.events", 8, request, "abc", "partner", "order-42", 1234);
  EXPECT_EQ(record.topic, "cf.user.events");
  EXPECT_EQ(record.key, std::string("anvil:") + kToken + ":" + kPayer);
  EXPECT_EQ(record.partition, engine::log::PartitionForKey(record.key, 8));
  chainflow::v1::Envelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(record.value));
  EXPECT_EQ(envelope.id(), "intent/abc");
  ASSERT_TRUE(envelope.has_intent_submitted());
  const auto& intent = envelope.intent_submitted();
  EXPECT_EQ(intent.intent_id(), "abc");
  EXPECT_EQ(intent.amount(), core::U256ToBigEndianString(core::U256(1000)));
  EXPECT_EQ(intent.payer(), request.payer.ToBytes());
  EXPECT_EQ(intent.memo(), "hi");
  EXPECT_EQ(intent.api_key_id(), "partner");
  EXPECT_EQ(intent.idempotency_key(), "order-42");
  EXPECT_EQ(intent.received_at(), 1234u);
  std::map<std::string, std::string> headers;
  for (const auto& h : record.headers) headers[h.key] = h.value;
  EXPECT_EQ(headers["ce_id"], "intent/abc");
  EXPECT_EQ(headers["ce_type"], "chainflow.user.IntentSubmitted");
  EXPECT_EQ(headers["ce_source"], "chainflow/api");
  EXPECT_EQ(headers["ce_time"], "1970-01-01T00:20:34Z");
  EXPECT_EQ(headers["content-type"], "application/protobuf");
}

}  // namespace
}  // namespace chainflow::api::handlers
