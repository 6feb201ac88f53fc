// Both token processors through the real runtime (Task, ProcessorRunner)
// over an in-memory log: a randomized history of thousands of ERC-20
// transfers must conserve value (per token, supply == sum of balances), match
// an independent model, give the same state for any partitioning, and carry
// every block marker to every partition of the repartition topic.
#include <filesystem>
#include <map>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/core/address.h"
#include "engine/core/u256.h"
#include "engine/processors/token_balances/balances.h"
#include "engine/processors/token_balances/splitter.h"
#include "engine/runtime/runner.h"
#include "engine/runtime/state_digest.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"
#include "tests/support/fake_log.h"

namespace chainflow::engine::processors::token_balances {
namespace {

using core::Address;
using core::U256;

constexpr char kPrefix[] = "t";
constexpr char kChain[] = "mainnet";

Address Addr(uint64_t n) {
  std::array<uint8_t, 20> bytes{};
  for (int i = 19; i >= 12; --i, n >>= 8) bytes[i] = static_cast<uint8_t>(n & 0xff);
  return Address(bytes);
}

struct Transfer {
  uint64_t block;
  Address token, from, to;
  U256 value;
};

// A valid chain history (nobody spends more than they hold, in chain order)
// and the balances and supplies it leads to, computed here with plain maps.
struct History {
  std::vector<std::vector<Transfer>> blocks;
  std::map<std::pair<Address, Address>, U256> balances;  // (token, account)
  std::map<Address, U256> supply;
  size_t transfers = 0;
};

History Generate(uint64_t seed, int blocks, int per_block) {
  std::mt19937_64 rng(seed);
  History h;
  std::vector<Address> tokens, accounts;
  for (int i = 1; i <= 4; ++i) tokens.push_back(Addr(0x7000 + i));
  for (int i = 1; i <= 40; ++i) accounts.push_back(Addr(0xa000 + i));
  // Small and large magnitudes (up to 2^240), never above `cap`. Cumulative
  // mints stay below 2^256: out of order, a token's mints may all land
  // before its burns, and a net beyond uint256 is poison (README.md).
  auto amount = [&rng](U256 cap) {
    U256 v = U256(rng()) << static_cast<unsigned>(rng() % 3 * 88);
    return cap == 0 ? U256(0) : v % (cap + 1);
  };
  for (int b = 1; b <= blocks; ++b) {
    std::vector<Transfer>& block = h.blocks.emplace_back();
    for (int i = 0; i < per_block; ++i) {
      const Address& token = tokens[rng() % tokens.size()];
      const Address& a = accounts[rng() % accounts.size()];
      const Address& c = accounts[rng() % accounts.size()];
      U256& supply = h.supply[token];
      int kind = static_cast<int>(rng() % 10);
      Transfer t{static_cast<uint64_t>(b), token, a, c, 0};
      if (kind < 2 || supply == 0) {  // mint, never past uint256
        t.from = Address();
        t.value = amount(std::numeric_limits<U256>::max() >> 8);
        supply += t.value;
        h.balances[{token, t.to}] += t.value;
      } else {
        U256& held = h.balances[{token, a}];
        t.value = amount(held);
        held -= t.value;
        if (kind == 2) {  // burn
          t.to = Address();
          supply -= t.value;
        } else {
          h.balances[{token, c}] += t.value;
        }
      }
      block.push_back(t);
      ++h.transfers;
    }
  }
  return h;
}

v1::Envelope TransferEnvelope(const Transfer& t, uint32_t log_index) {
  v1::Envelope env;
  env.set_id(fmt::format("{}/{}/{}", kChain, t.block, log_index));
  auto* m = env.mutable_erc20_transfer();
  m->mutable_log()->set_chain(kChain);
  m->mutable_log()->set_block_number(t.block);
  m->mutable_log()->set_block_timestamp(1'700'000'000 + t.block * 12);
  m->mutable_log()->set_log_index(log_index);
  m->mutable_log()->set_contract(t.token.ToBytes());
  m->set_from(t.from.ToBytes());
  m->set_to(t.to.ToBytes());
  m->set_value(core::U256ToBigEndianString(t.value));
  return env;
}

// Appends one block's transfers keyed "<chain>:<token>:<from>" as ingest
// does, then its BlockEnd (finalized = `finalized`) on every partition.
void AppendBlock(testing::FakeLog& log, uint64_t number, const std::vector<Transfer>& transfers,
                 uint64_t finalized, int partitions) {
  const std::string topic = engine::wire::ChainEventsTopic(kPrefix, kChain);
  uint32_t index = 0;
  for (Transfer t : transfers) {
    t.block = number;
    std::string key = fmt::format("{}:{}:{}", kChain, t.token.ToHex(), t.from.ToHex());
    log.Append(topic, engine::log::PartitionForKey(key, partitions).value(), key,
               TransferEnvelope(t, index++).SerializeAsString());
  }
  v1::Envelope end;
  end.set_id(fmt::format("{}/{}/end", kChain, number));
  end.mutable_block_end()->set_chain(kChain);
  end.mutable_block_end()->set_number(number);
  end.mutable_block_end()->set_finalized(finalized);
  for (int p = 0; p < partitions; ++p) log.Append(topic, p, kChain, end.SerializeAsString());
}

// Appends the history to the events topic as ingest does: transfers keyed
// "<chain>:<token>:<from>", a BlockEnd on every partition after each block.
void AppendHistory(testing::FakeLog& log, const History& h, int partitions) {
  for (const auto& block : h.blocks) AppendBlock(log, block.front().block, block, 0, partitions);
}

// The same history as a live chain shows it: blocks not final when read,
// finality `lag` blocks behind, and every `every` blocks a branch of `depth`
// blocks of `abandoned`'s transfers that is then reverted (BlockReverted on
// every partition, newest first) before the canonical chain goes on. A last
// BlockEnd finalizes everything.
void AppendLiveHistory(testing::FakeLog& log, const History& h, const History& abandoned,
                       int partitions, uint64_t lag, uint64_t every, uint64_t depth) {
  const std::string topic = engine::wire::ChainEventsTopic(kPrefix, kChain);
  size_t spare = 0;
  uint64_t last = 0;
  for (const auto& block : h.blocks) {
    const uint64_t number = block.front().block;
    last = number;
    AppendBlock(log, number, block, number > lag ? number - lag : 0, partitions);
    if (number % every != 0 || number + depth > h.blocks.size()) continue;
    for (uint64_t b = number + 1; b <= number + depth; ++b) {
      AppendBlock(log, b, abandoned.blocks[spare++ % abandoned.blocks.size()],
                  number > lag ? number - lag : 0, partitions);
    }
    for (uint64_t b = number + depth; b > number; --b) {
      v1::Envelope reverted;
      reverted.set_id(fmt::format("{}/{}/reverted", kChain, b));
      reverted.mutable_block_reverted()->set_chain(kChain);
      reverted.mutable_block_reverted()->set_number(b);
      reverted.mutable_block_reverted()->set_ancestor(number);
      for (int p = 0; p < partitions; ++p) {
        log.Append(topic, p, kChain, reverted.SerializeAsString());
      }
    }
  }
  AppendBlock(log, last + 1, {}, last + 1, partitions);
}

class TokenPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            fmt::format("cf_tokens_{}_{}", ::getpid(),
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // Runs spec over every partition of its input until nothing is left.
  void RunStage(testing::FakeLog& log, const runtime::ProcessorSpec& spec, int in_partitions,
                int out_partitions, size_t batch, const std::string& dir) {
    runtime::RunnerOptions options;
    options.state_dir = dir;
    options.batch_size = batch;
    options.routing.partitions = {{spec.output_topics[0], out_partitions}, {"t.dlq", 1}};
    options.routing.dlq_topic = "t.dlq";
    std::vector<engine::log::TopicPartition> inputs;
    for (int p = 0; p < in_partitions; ++p) {
      inputs.push_back({spec.input_topics[0], core::PartitionId(p)});
    }
    auto runner = runtime::ProcessorRunner::Open(spec, options, inputs, log.NewSource(), log);
    ASSERT_TRUE(runner.has_value()) << runner.error().ToString();
    for (;;) {
      auto n = runner.value()->RunOnce();
      ASSERT_TRUE(n.has_value()) << n.error().ToString();
      if (n.value() == 0) break;
    }
  }

  // The whole pipeline with `partitions` partitions per topic; returns the
  // balances processor's state digest.
  std::string Run(testing::FakeLog& log, const History& h, int partitions, size_t batch) {
    AppendHistory(log, h, partitions);
    return RunAppended(log, partitions, batch, std::to_string(partitions));
  }

  // The pipeline over what `log` holds already.
  std::string RunAppended(testing::FakeLog& log, int partitions, size_t batch,
                          const std::string& name) {
    std::string dir = (root_ / name).string();
    RunStage(log, MakeSplitterSpec(kPrefix, {kChain}), partitions, partitions, batch,
             dir + "/token_splitter");
    RunStage(log, MakeBalancesSpec(kPrefix), partitions, partitions, batch,
             dir + "/token_balances");
    auto digest = runtime::StateDigest(dir + "/token_balances");
    EXPECT_TRUE(digest.has_value()) << digest.error().ToString();
    return digest.has_value() ? digest.value() : std::string();
  }

  std::filesystem::path root_;
};

// The last TokenBalanceChanged per account and TotalSupplyChanged per token,
// a `removed` retraction taking the row away: all changes of one key are on
// one partition, in order.
struct Views {
  std::map<std::pair<Address, Address>, U256> balances;
  std::map<Address, U256> supply;
  std::map<std::pair<Address, Address>, uint64_t> balance_blocks;
  size_t retractions = 0;
};

Views ReadViews(const testing::FakeLog& log) {
  Views v;
  for (const auto& record : log.ReadAll(engine::wire::TokenBalancesTopic(kPrefix))) {
    v1::Envelope env;
    EXPECT_TRUE(env.ParseFromString(record.value));
    if (env.has_token_balance_changed()) {
      const auto& m = env.token_balance_changed();
      std::pair key{Address::FromBytes(m.token()).value(), Address::FromBytes(m.account()).value()};
      v.retractions += m.retracted() ? 1 : 0;
      if (m.removed()) {
        v.balances.erase(key);
        v.balance_blocks.erase(key);
        continue;
      }
      v.balances[key] = core::U256FromBigEndian(m.balance()).value();
      v.balance_blocks[key] = m.block_number();
    } else if (env.has_total_supply_changed()) {
      const auto& m = env.total_supply_changed();
      v.retractions += m.retracted() ? 1 : 0;
      if (m.removed()) {
        v.supply.erase(Address::FromBytes(m.token()).value());
        continue;
      }
      v.supply[Address::FromBytes(m.token()).value()] =
          core::U256FromBigEndian(m.total_supply()).value();
    } else {
      ADD_FAILURE() << "unexpected output " << env.ShortDebugString();
    }
  }
  return v;
}

TEST_F(TokenPipelineTest, RandomHistoryConservesSupplyAndMatchesModel) {
  History h = Generate(/*seed=*/42, /*blocks=*/120, /*per_block=*/40);
  ASSERT_GE(h.transfers, 4000u);
  testing::FakeLog log;
  Run(log, h, /*partitions=*/8, /*batch=*/97);
  EXPECT_TRUE(log.ReadAll("t.dlq").empty());

  Views v = ReadViews(log);
  std::map<Address, U256> sums;
  for (const auto& [key, balance] : v.balances) {
    U256 sum = sums[key.first] + balance;
    ASSERT_GE(sum, sums[key.first]) << "sum of balances of a token overflowed uint256";
    sums[key.first] = sum;
  }
  ASSERT_EQ(v.supply.size(), h.supply.size());
  for (const auto& [token, supply] : h.supply) {
    EXPECT_EQ(v.supply[token], supply) << token.ToHex();
    EXPECT_EQ(sums[token], supply) << "conservation broken for " << token.ToHex();
  }
  for (const auto& [key, balance] : h.balances) {
    if (balance == 0 && !v.balances.count(key)) continue;
    EXPECT_EQ(v.balances[key], balance) << key.first.ToHex() << " " << key.second.ToHex();
  }
}

TEST_F(TokenPipelineTest, StateIsTheSameForAnyPartitioningAndBatchSize) {
  History h = Generate(/*seed=*/7, /*blocks=*/60, /*per_block=*/30);
  testing::FakeLog one, eight, three;
  std::string d1 = Run(one, h, 1, 5000);
  std::string d8 = Run(eight, h, 8, 13);
  std::string d3 = Run(three, h, 3, 1);
  EXPECT_EQ(d1, d8);
  EXPECT_EQ(d1, d3);
  ASSERT_FALSE(d1.empty());
}

// A live chain with a reorg every 7 blocks (3 blocks of other transfers
// reverted) ends where its canonical branch alone ends: the same views
// (balances, their block numbers, supplies), nothing removed that exists,
// and the same state digest, for 1, 3 and 8 partitions: retractions add up
// the same whatever order the upstream partitions interleave in.
TEST_F(TokenPipelineTest, ReorgedLiveHistoryEndsLikeItsCanonicalBranch) {
  History h = Generate(/*seed=*/11, /*blocks=*/60, /*per_block=*/25);
  History abandoned = Generate(/*seed=*/12, /*blocks=*/30, /*per_block=*/25);
  testing::FakeLog canonical_log;
  AppendLiveHistory(canonical_log, h, abandoned, 4, /*lag=*/6, /*every=*/1000, /*depth=*/3);
  std::string canonical = RunAppended(canonical_log, 4, 50, "canonical");
  Views want = ReadViews(canonical_log);
  EXPECT_EQ(want.retractions, 0u);
  ASSERT_FALSE(canonical.empty());

  for (int partitions : {1, 3, 8}) {
    SCOPED_TRACE(fmt::format("{} partitions", partitions));
    testing::FakeLog log;
    AppendLiveHistory(log, h, abandoned, partitions, /*lag=*/6, /*every=*/7, /*depth=*/3);
    std::string digest = RunAppended(log, partitions, partitions == 3 ? 1 : 61,
                                     fmt::format("reorged{}", partitions));
    EXPECT_TRUE(log.ReadAll("t.dlq").empty());
    Views got = ReadViews(log);
    EXPECT_GT(got.retractions, 100u);
    EXPECT_EQ(got.supply, want.supply);
    EXPECT_EQ(got.balances, want.balances);
    EXPECT_EQ(got.balance_blocks, want.balance_blocks);
    for (const auto& [token, supply] : h.supply) EXPECT_EQ(got.supply[token], supply);
    EXPECT_EQ(digest, canonical);
  }
}

// The upstream (events) partition an output came through: ids are
// "<source topic>/<partition>/<offset>/<seq>".
int UpstreamOf(const std::string& id) {
  size_t seq = id.rfind('/');
  size_t offset = id.rfind('/', seq - 1);
  size_t partition = id.rfind('/', offset - 1);
  return std::stoi(id.substr(partition + 1, offset - partition - 1));
}

TEST_F(TokenPipelineTest, EveryDeltaIsFollowedByABlockEndFromItsUpstreamPartition) {
  History h = Generate(/*seed=*/3, /*blocks=*/25, /*per_block=*/5);
  testing::FakeLog log;
  constexpr int kPartitions = 4;
  Run(log, h, kPartitions, 10);
  size_t deltas = 0;
  for (int p = 0; p < kPartitions; ++p) {
    // Per upstream partition: the highest delta block not yet followed by a
    // BlockEnd of that block or later.
    std::map<int, uint64_t> open;
    for (const auto& record : log.Read(engine::wire::TokenDeltasTopic(kPrefix), p)) {
      v1::Envelope env;
      ASSERT_TRUE(env.ParseFromString(record.value));
      int upstream = UpstreamOf(env.id());
      if (env.has_block_end()) {
        auto it = open.find(upstream);
        if (it != open.end() && env.block_end().number() >= it->second) open.erase(it);
      } else if (env.has_balance_delta() || env.has_supply_delta()) {
        ++deltas;
        uint64_t block = env.has_balance_delta() ? env.balance_delta().log().block_number()
                                                 : env.supply_delta().log().block_number();
        open[upstream] = std::max(open[upstream], block);
      }
    }
    EXPECT_TRUE(open.empty()) << "partition " << p << ": " << open.size()
                              << " upstream partitions with deltas no BlockEnd closed";
  }
  EXPECT_GT(deltas, 0u);
}

}  // namespace
}  // namespace chainflow::engine::processors::token_balances
