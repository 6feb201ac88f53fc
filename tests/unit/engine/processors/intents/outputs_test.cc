#include "engine/processors/intents/outputs.h"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/core/metrics.h"
#include "engine/wire/keys.h"

namespace chainflow::engine::processors::intents {
namespace {

class Collect : public runtime::Emitter {
 public:
  void Emit(runtime::OutputEvent event) override { events.push_back(std::move(event)); }
  std::vector<runtime::OutputEvent> events;
};

core::Address Addr(uint8_t last) {
  std::array<uint8_t, 20> bytes{};
  bytes[19] = last;
  return core::Address(bytes);
}

// One accrual day credits many accounts under one request id: every record,
// the supply deltas included, must still have an id of its own (consumers
// and the exactly-once verifier deduplicate on it).
TEST(IntentsOutputsTest, OwnDeltasOfOneRequestHaveDistinctIdsPerAccount) {
  core::MetricsRegistry metrics;
  IntentsOutputs outputs("cf", metrics);
  Collect out;
  for (uint8_t a = 1; a <= 3; ++a) {
    outputs.OwnDelta("mainnet", Addr(0x70), Addr(a), 5, true, v1::BalanceDelta::ORIGIN_ACCRUAL,
                     "accrual/7", 86'400, out);
  }
  ASSERT_EQ(out.events.size(), 6u);
  std::set<std::string> ids;
  for (const runtime::OutputEvent& e : out.events) {
    EXPECT_EQ(e.topic, "cf.token.deltas");
    ids.insert(e.id);
  }
  EXPECT_EQ(ids.size(), 6u);
  const std::string key = wire::AccountKey("mainnet", Addr(0x70), Addr(2));
  EXPECT_EQ(out.events[2].id, "accrual/7/" + key);
  EXPECT_EQ(out.events[3].id, "accrual/7/" + key + "/supply");
  EXPECT_EQ(out.events[3].key, wire::SupplyKey("mainnet", Addr(0x70)));
  EXPECT_TRUE(out.events[3].envelope.has_supply_delta());
}

TEST(IntentsOutputsTest, PublishKeysByPayerAndNamesTheStatus) {
  core::MetricsRegistry metrics;
  IntentsOutputs outputs("cf", metrics);
  Collect out;
  v1::IntentStatusChanged change;
  change.set_intent_id(std::string(32, 'a'));
  change.set_chain("mainnet");
  change.set_token(Addr(0x70).ToBytes());
  change.set_payer(Addr(1).ToBytes());
  change.set_status(v1::INTENT_STATUS_APPROVED);
  change.set_decided_at(3600);
  outputs.Publish(change, out);
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].topic, "cf.intents");
  EXPECT_EQ(out.events[0].key, wire::AccountKey("mainnet", Addr(0x70), Addr(1)));
  EXPECT_EQ(out.events[0].id, "intent/" + std::string(32, 'a') + "/approved");
  EXPECT_EQ(out.events[0].event_time, 3600);
}

}  // namespace
}  // namespace chainflow::engine::processors::intents
