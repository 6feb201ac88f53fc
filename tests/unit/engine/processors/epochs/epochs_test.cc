// The epochs processor: adds the intents tasks' EpochParts up and sends one
// EpochSettled per epoch once every task has promised past its end.
#include "engine/processors/epochs/epochs.h"

#include <algorithm>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/core/u256.h"
#include "engine/log/record.h"
#include "tests/support/map_state.h"

namespace chainflow::engine::processors::epochs {
namespace {

using core::U256;

class Collect : public runtime::Emitter {
 public:
  void Emit(runtime::OutputEvent event) override { events.push_back(std::move(event)); }
  std::vector<runtime::OutputEvent> events;
};

v1::Envelope Part(uint64_t epoch, uint32_t partition, uint64_t settled, uint64_t amount,
                  const U256& digest) {
  v1::Envelope e;
  e.set_id("part");
  v1::EpochPart* p = e.mutable_epoch_part();
  p->set_epoch(epoch);
  p->set_start(epoch * 100);
  p->set_end(epoch * 100 + 100);
  p->set_partition(partition);
  p->set_settled(settled);
  p->set_rejected(1);
  v1::TokenTotal* t = p->add_totals();
  t->set_chain("mainnet");
  t->set_token(std::string(20, '\x07'));
  t->set_amount(core::U256ToBigEndianString(amount));
  t->set_intents(settled);
  p->set_digest(core::U256ToBigEndianString(digest));
  return e;
}

v1::Envelope Mark(uint32_t partition, uint64_t through) {
  v1::Envelope e;
  e.set_id("mark");
  e.mutable_settlement_mark()->set_partition(partition);
  e.mutable_settlement_mark()->set_through(through);
  return e;
}

core::Status Apply(EpochsProcessor& p, tests::MapState& state, const v1::Envelope& e,
                   Collect& out) {
  log::Record record;
  record.topic = "cf.settlement.parts";
  return p.Apply({record, e}, state, out);
}

TEST(EpochsTest, AddsThePartsUpAndSendsOnceEveryTaskPromisedPastTheEnd) {
  EpochsProcessor p({"cf", 3});
  tests::MapState state;
  Collect out;
  const U256 big = std::numeric_limits<U256>::max();  // digests wrap mod 2^256
  ASSERT_TRUE(Apply(p, state, Part(2, 0, 2, 30, big), out).ok());
  ASSERT_TRUE(Apply(p, state, Part(2, 2, 1, 12, U256(5)), out).ok());
  ASSERT_TRUE(Apply(p, state, Mark(0, 400), out).ok());
  ASSERT_TRUE(Apply(p, state, Mark(2, 400), out).ok());
  EXPECT_TRUE(out.events.empty()) << "task 1 has not promised";
  ASSERT_TRUE(Apply(p, state, Mark(1, 300), out).ok());
  EXPECT_TRUE(out.events.empty()) << "task 1 may still settle at 300, the epoch's end";
  ASSERT_TRUE(Apply(p, state, Mark(1, 400), out).ok());
  ASSERT_EQ(out.events.size(), 1u);
  const runtime::OutputEvent& sent = out.events[0];
  EXPECT_EQ(sent.topic, "cf.settlements");
  EXPECT_EQ(sent.key, "epoch/2");
  EXPECT_EQ(sent.id, "epoch/2");
  const v1::EpochSettled& epoch = sent.envelope.epoch_settled();
  EXPECT_EQ(epoch.epoch(), 2u);
  EXPECT_EQ(epoch.start(), 200u);
  EXPECT_EQ(epoch.end(), 300u);
  EXPECT_EQ(epoch.settled(), 3u);
  EXPECT_EQ(epoch.rejected(), 2u);
  ASSERT_EQ(epoch.totals_size(), 1);
  EXPECT_EQ(core::U256FromBigEndian(epoch.totals(0).amount()).value(), U256(42));
  EXPECT_EQ(epoch.totals(0).intents(), 3u);
  EXPECT_EQ(core::U256FromBigEndian(epoch.digest()).value(), U256(4));  // max + 5 mod 2^256

  // Sent once: later promises send nothing more, a late part is poison.
  ASSERT_TRUE(Apply(p, state, Mark(0, 900), out).ok());
  EXPECT_EQ(out.events.size(), 1u);
  core::Status late = Apply(p, state, Part(2, 1, 1, 1, U256(1)), out);
  EXPECT_EQ(late.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(late.ToString().find("epoch 2"), std::string::npos) << late.ToString();
  EXPECT_EQ(Apply(p, state, Mark(3, 900), out).code(), core::StatusCode::kInvalidArgument);
}

// The record depends only on the parts, not on how many tasks sent them or
// in what order they came.
TEST(EpochsTest, SameRecordForAnySplitOfTheSameSettlements) {
  struct Decision {
    uint64_t amount;
    U256 hash;
  };
  std::mt19937_64 rng(7);
  std::vector<Decision> decisions;
  for (int i = 0; i < 200; ++i) {
    decisions.push_back({rng() % 1000 + 1, (U256(rng()) << 192) | U256(rng())});
  }
  std::vector<std::string> records;
  for (uint32_t tasks : {1u, 3u, 8u}) {
    EpochsProcessor p({"cf", static_cast<int32_t>(tasks)});
    tests::MapState state;
    Collect out;
    std::vector<v1::Envelope> inputs;
    for (uint32_t t = 0; t < tasks; ++t) {
      uint64_t settled = 0, amount = 0;
      U256 digest = 0;
      for (size_t i = t; i < decisions.size(); i += tasks) {
        ++settled;
        amount += decisions[i].amount;
        digest += decisions[i].hash;
      }
      v1::Envelope part = Part(5, t, settled, amount, digest);
      part.mutable_epoch_part()->set_rejected(0);
      inputs.push_back(part);
    }
    std::shuffle(inputs.begin(), inputs.end(), rng);
    for (const auto& e : inputs) ASSERT_TRUE(Apply(p, state, e, out).ok());
    for (uint32_t t = 0; t < tasks; ++t) ASSERT_TRUE(Apply(p, state, Mark(t, 700), out).ok());
    ASSERT_EQ(out.events.size(), 1u) << tasks << " tasks";
    records.push_back(out.events[0].envelope.SerializeAsString());
    EXPECT_EQ(out.events[0].envelope.epoch_settled().settled(), 200u);
  }
  EXPECT_EQ(records[0], records[1]);
  EXPECT_EQ(records[0], records[2]);
}

}  // namespace
}  // namespace chainflow::engine::processors::epochs
