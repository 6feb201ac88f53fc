// FutureDeltas against the list it replaced (README.md "Balances as of a
// deadline"): every entry at or after the watermark is kept, a balance as of
// D subtracts those at or after D, and dropped entries never count again.
#include "engine/processors/intents/future_deltas.h"

#include <array>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tests/support/map_state.h"

namespace chainflow::engine::processors::intents {
namespace {

using core::U256;

struct Timed {
  uint64_t time;
  NetAmount amount;
};

NetAmount Sum(const std::vector<Timed>& list, uint64_t from) {
  NetAmount sum;
  for (const Timed& t : list) {
    if (t.time >= from) sum = Add(sum, t.amount).value();
  }
  return sum;
}

TEST(FutureDeltasTest, MatchesTheListModelAndDropsWhatIsPast) {
  std::mt19937_64 rng(7);
  tests::MapState state;
  std::array<uint8_t, 20> bytes{};
  bytes[19] = 0xcc;
  FutureDeltas future("mainnet", core::Address(), core::Address(bytes));
  std::vector<Timed> model;
  uint64_t watermark = 0;
  for (int step = 0; step < 3000; ++step) {
    if (rng() % 4 == 0) {
      watermark += rng() % 50;  // a deadline at the watermark
      NetAmount expected = Sum(model, watermark);
      std::erase_if(model, [&](const Timed& t) { return t.time < watermark; });
      EXPECT_EQ(future.SumFrom(watermark, state).value(), expected) << "step " << step;
    } else {
      const uint64_t time = watermark + rng() % 200;
      NetAmount amount{rng() % 3 == 0, U256(rng() % 1000 + 1)};
      std::erase_if(model, [&](const Timed& t) { return t.time < watermark; });
      model.push_back({time, amount});
      ASSERT_TRUE(future.Add(time, amount, watermark, state).ok());
    }
    size_t entries = 0;
    for (const auto& [key, value] : state.entries) {
      entries += key.rfind(std::string("\0t/f/", 5), 0) == 0;
    }
    ASSERT_EQ(entries, model.size()) << "step " << step;  // dropped entries are deleted
  }
  watermark += 1000;
  EXPECT_EQ(future.SumFrom(watermark, state).value(), NetAmount{});
  EXPECT_TRUE(state.entries.empty());  // the summary goes with the last entry
}

TEST(FutureDeltasTest, EntriesAtOneTimeAllCount) {
  tests::MapState state;
  FutureDeltas future("mainnet", core::Address(), core::Address());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(future.Add(100, NetAmount{false, U256(5)}, 0, state).ok());
  }
  ASSERT_TRUE(future.Add(50, NetAmount{true, U256(1)}, 0, state).ok());
  EXPECT_EQ(future.SumFrom(100, state).value(), (NetAmount{false, U256(15)}));
  EXPECT_EQ(future.SumFrom(101, state).value(), NetAmount{});
}

}  // namespace
}  // namespace chainflow::engine::processors::intents
