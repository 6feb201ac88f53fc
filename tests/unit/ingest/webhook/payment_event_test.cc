#include "ingest/webhook/payment_event.h"

#include <gtest/gtest.h>

namespace chainflow::ingest::webhook {
namespace {

namespace core = engine::core;

constexpr char kToken[] = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
constexpr char kAccount[] = "0x1111111111111111111111111111111111111111";

core::Config TestConfig() {
  return core::Config::Parse(std::string("[[chains]]\nname = \"anvil\"\nchain_id = 1\n"
                                         "[[contracts]]\nchain = \"anvil\"\n"
                                         "standard = \"erc20\"\naddress = \"") +
                                 kToken + "\"\n",
                             {})
      .value();
}

std::string Body(const std::string& type, const std::string& data_override = "",
                 const std::string& extra = "") {
  std::string data = data_override.empty()
                         ? std::string(R"({"account":")") + kAccount +
                               R"(","chain":"anvil","token":")" + kToken +
                               R"(","amount":"42"})"
                         : data_override;
  return R"({"id":"evt_1","type":")" + type + R"(","created":1699999999,"data":)" + data +
         extra + "}";
}

std::string ErrorOf(const std::string& body) {
  auto parsed = ParsePaymentEvent(body, TestConfig());
  if (parsed) return "OK";
  EXPECT_EQ(parsed.error().code(), core::StatusCode::kInvalidArgument);
  return parsed.error().message();
}

TEST(PaymentEventTest, PaymentIsAMint) {
  auto event = ParsePaymentEvent(Body("payment.succeeded", "", R"(,"livemode":true)"),
                                 TestConfig());
  ASSERT_TRUE(event) << event.error().ToString();
  EXPECT_EQ(event.value().kind, PaymentKind::kMint);
  EXPECT_EQ(event.value().id, "evt_1");
  EXPECT_EQ(event.value().created, 1699999999);
  EXPECT_EQ(event.value().account.ToHex(), kAccount);
  EXPECT_EQ(event.value().amount, core::U256(42));
}

TEST(PaymentEventTest, WithdrawalIsABurnAndOtherTypesAreIgnored) {
  EXPECT_EQ(ParsePaymentEvent(Body("withdrawal.succeeded"), TestConfig()).value().kind,
            PaymentKind::kBurn);
  // Ignored types need no data at all.
  auto ignored =
      ParsePaymentEvent(R"({"id":"evt_2","type":"customer.created"})", TestConfig());
  ASSERT_TRUE(ignored);
  EXPECT_EQ(ignored.value().kind, PaymentKind::kIgnored);
}

TEST(PaymentEventTest, ErrorsNameTheField) {
  EXPECT_EQ(ErrorOf("{").rfind("body: malformed JSON", 0), 0u);
  EXPECT_EQ(ErrorOf(R"({"type":"payment.succeeded"})"), "id: is required");
  EXPECT_EQ(ErrorOf(R"({"id":"a b","type":"x"})"), "id: expected 1-128 of [A-Za-z0-9_.:-]");
  EXPECT_EQ(ErrorOf(R"({"id":"e","type":"payment.succeeded"})"), "data: is required");
  EXPECT_EQ(ErrorOf(Body("payment.succeeded", R"({"account":"0x1"})")),
            "data.account: expected 0x + 40 hex digits");
  std::string base = std::string(R"({"account":")") + kAccount + R"(","chain":"anvil","token":")";
  EXPECT_EQ(ErrorOf(Body("payment.succeeded", base + kToken + R"(","amount":"-1"})")),
            "data.amount: expected decimal digits of a uint256 (no sign, < 2^256)");
  EXPECT_EQ(ErrorOf(Body("payment.succeeded", base + kToken + R"(","amount":"0"})")),
            "data.amount: must be greater than 0");
  EXPECT_EQ(ErrorOf(Body("payment.succeeded",
                         base + "0x9999999999999999999999999999999999999999" +
                             R"(","amount":"1"})")),
            "data.token: not a configured erc20 token of the chain");
  EXPECT_EQ(ErrorOf(Body("payment.succeeded", std::string(R"({"account":")") + kAccount +
                                                  R"(","chain":"sol"})")),
            "data.chain: unknown chain \"sol\"");
}

TEST(PaymentEventTest, RecordKeyIdAndHeaders) {
  auto event = ParsePaymentEvent(Body("payment.succeeded"), TestConfig()).value();
  auto record = PaymentRecord("cf.user.events", 8, "stripe", event, 1700000000);
  EXPECT_EQ(record.key, std::string("anvil:") + kToken + ":" + kAccount);
  EXPECT_EQ(record.partition, engine::log::PartitionForKey(record.key, 8));
  chainflow::v1::Envelope envelope;
  ASSERT_TRUE(envelope.ParseFromString(record.value));
  EXPECT_EQ(envelope.id(), "webhook/stripe/evt_1");
  ASSERT_TRUE(envelope.has_mint_requested());
  EXPECT_EQ(envelope.mint_requested().provider(), "stripe");
  EXPECT_EQ(envelope.mint_requested().provider_event_id(), "evt_1");
  EXPECT_EQ(envelope.mint_requested().received_at(), 1700000000u);
  EXPECT_EQ(envelope.mint_requested().provider_created_at(), 1699999999u);
  std::map<std::string, std::string> headers;
  for (const auto& h : record.headers) headers[h.key] = h.value;
  EXPECT_EQ(headers["ce_type"], "chainflow.user.MintRequested");
  EXPECT_EQ(headers["ce_source"], "chainflow/ingest/webhook/stripe");
  EXPECT_EQ(headers["ce_id"], "webhook/stripe/evt_1");
}

}  // namespace
}  // namespace chainflow::ingest::webhook
