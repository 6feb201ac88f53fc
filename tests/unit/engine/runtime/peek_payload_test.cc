#include <random>
#include <string>

#include <gtest/gtest.h>

#include "engine/runtime/processor.h"

namespace chainflow::engine::runtime {
namespace {

// An envelope with an id and the payload field `number` set to a default
// (or, for the chain events, partly filled) message.
v1::Envelope WithPayload(int number) {
  v1::Envelope env;
  env.set_id("mainnet/17/3");
  const auto* field = v1::Envelope::descriptor()->FindFieldByNumber(number);
  env.GetReflection()->MutableMessage(&env, field);
  if (number == v1::Envelope::kErc721Transfer) {
    env.mutable_erc721_transfer()->set_token_id(std::string(32, '\x07'));
    env.mutable_erc721_transfer()->mutable_log()->set_block_number(uint64_t{1} << 40);
  }
  return env;
}

TEST(PeekPayloadTest, NamesEveryPayloadAsAParseDoes) {
  const auto* payloads = v1::Envelope::descriptor()->FindOneofByName("payload");
  ASSERT_NE(payloads, nullptr);
  for (int i = 0; i < payloads->field_count(); ++i) {
    const int number = payloads->field(i)->number();
    SCOPED_TRACE(payloads->field(i)->name());
    v1::Envelope env = WithPayload(number);
    EXPECT_EQ(PeekPayload(env.SerializeAsString()), env.payload_case());
    EXPECT_EQ(static_cast<int>(env.payload_case()), number);
  }
}

TEST(PeekPayloadTest, WithoutAPayloadOrWellFormedBytesItIsNotSet) {
  v1::Envelope no_payload;
  no_payload.set_id("x");
  EXPECT_EQ(PeekPayload(no_payload.SerializeAsString()), v1::Envelope::PAYLOAD_NOT_SET);
  EXPECT_EQ(PeekPayload(""), v1::Envelope::PAYLOAD_NOT_SET);
  std::string bytes = WithPayload(v1::Envelope::kErc721Transfer).SerializeAsString();
  // A length that runs past the end.
  EXPECT_EQ(PeekPayload(bytes.substr(0, bytes.size() - 1)), v1::Envelope::PAYLOAD_NOT_SET);
}

TEST(PeekPayloadTest, TheLastOfTwoPayloadsWinsAsInAParse) {
  std::string bytes = WithPayload(v1::Envelope::kErc721Transfer).SerializeAsString() +
                      WithPayload(v1::Envelope::kErc20Transfer).SerializeAsString();
  v1::Envelope parsed;
  ASSERT_TRUE(parsed.ParseFromString(bytes));
  EXPECT_EQ(parsed.payload_case(), v1::Envelope::kErc20Transfer);
  EXPECT_EQ(PeekPayload(bytes), v1::Envelope::kErc20Transfer);
}

// Whatever the bytes, a peek never names a payload a parse would not: it
// is either PAYLOAD_NOT_SET (the runtime then parses) or the parse's case.
TEST(PeekPayloadTest, NeverContradictsAParseOfDamagedEnvelopes) {
  std::mt19937 rng(5);
  const std::string base = WithPayload(v1::Envelope::kErc721Transfer).SerializeAsString() +
                           WithPayload(v1::Envelope::kBlockEnd).SerializeAsString();
  int named = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes = base;
    for (int flips = 1 + static_cast<int>(rng() % 3); flips > 0; --flips) {
      bytes[rng() % bytes.size()] = static_cast<char>(rng());
    }
    if (rng() % 4 == 0) bytes.resize(rng() % bytes.size());
    v1::Envelope parsed;
    const bool ok = parsed.ParseFromString(bytes);
    v1::Envelope::PayloadCase peeked = PeekPayload(bytes);
    if (peeked == v1::Envelope::PAYLOAD_NOT_SET) continue;
    ++named;
    if (ok) {
      ASSERT_EQ(peeked, parsed.payload_case()) << "case " << i;
    }
  }
  EXPECT_GT(named, 1000);  // the check above ran on many
}

}  // namespace
}  // namespace chainflow::engine::runtime
