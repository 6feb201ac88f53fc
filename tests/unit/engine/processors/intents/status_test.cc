// The intents processor's status gauges (README.md "Status"): how far the
// chain's finalized blocks have reached its decisions, per task.
#include <gtest/gtest.h>

#include "engine/core/metrics.h"
#include "engine/processors/intents/intents.h"
#include "engine/wire/keys.h"
#include "tests/support/map_state.h"

namespace chainflow::engine::processors::intents {
namespace {

class Discard : public runtime::Emitter {
 public:
  void Emit(runtime::OutputEvent) override {}
};

class IntentsStatusTest : public ::testing::Test {
 protected:
  IntentsStatusTest() : processor_(Options(), metrics_) {}

  static IntentsOptions Options() {
    IntentsOptions options;
    options.chains = {"anvil"};
    options.upstream_partitions = 2;
    options.approval_interval_s = 10;
    options.epoch_length_s = 100;
    return options;
  }

  // A BlockEnd forwarded from upstream partition `upstream` to task 1.
  void BlockEnd(int32_t upstream, uint64_t number, uint64_t finalized) {
    v1::Envelope envelope;
    envelope.set_id("end");
    v1::BlockEnd* end = envelope.mutable_block_end();
    end->set_chain("anvil");
    end->set_number(number);
    end->set_timestamp(number * 2);
    end->set_finalized(finalized);
    end->set_finalized_timestamp(finalized * 2);
    log::Record record;
    record.partition = core::PartitionId(1);
    record.key = wire::ForwardedMarkerKey("anvil", upstream);
    Discard out;
    ASSERT_TRUE(processor_.Apply({record, envelope}, state_, out).ok());
  }

  std::optional<double> Gauge(const std::string& name) const {
    for (const auto& [labels, value] : metrics_.GaugeValues(name)) return value;
    return std::nullopt;
  }

  core::MetricsRegistry metrics_;
  IntentsProcessor processor_;
  chainflow::tests::MapState state_;
};

TEST_F(IntentsStatusTest, DecisionsReachTheLowestFinalizedBlockOfTheUpstreamPartitions) {
  BlockEnd(0, 40, 30);
  // Upstream partition 1 has said nothing: no block is known to be in.
  EXPECT_EQ(Gauge("chainflow_intents_finalized_block"), std::nullopt);
  BlockEnd(1, 50, 45);
  EXPECT_EQ(Gauge("chainflow_intents_finalized_block"), 30);
  BlockEnd(0, 60, 55);
  EXPECT_EQ(Gauge("chainflow_intents_finalized_block"), 45);
  // A block that is final itself counts as its own finalized block.
  BlockEnd(1, 70, 70);
  EXPECT_EQ(Gauge("chainflow_intents_finalized_block"), 55);
  const auto gauges = metrics_.GaugeValues("chainflow_intents_finalized_block");
  ASSERT_EQ(gauges.size(), 1u);
  EXPECT_EQ(gauges[0].first.at("chain"), "anvil");
  EXPECT_EQ(gauges[0].first.at("task"), "1");
}

}  // namespace
}  // namespace chainflow::engine::processors::intents
