// The token splitter and the intents processor through the real runtime
// (Task, ProcessorRunner, co-partitioned tasks) over an in-memory log: a
// randomized ERC-20 history and a few hundred intents must be decided as an
// independent model decides them (hourly approvals against the balance as of
// each deadline, minus reservations), and the state digest and every
// decision must be the same for 1, 3 and 8 partitions, any batch size, and a
// processor restarted mid-way. With daily accruals on, and the epochs
// processor adding up the tasks' parts: the epoch records, per-account
// settlements and accruals match the model too, value is conserved (supply
// = the sum of balances), and the epoch digest is what the documented
// formula gives from the intents' own records.
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <boost/multiprecision/cpp_int.hpp>

#include "engine/core/address.h"
#include "engine/core/crypto.h"
#include "engine/core/u256.h"
#include "engine/processors/epochs/epochs.h"
#include "engine/processors/intents/intents.h"
#include "engine/processors/token_balances/splitter.h"
#include "engine/runtime/runner.h"
#include "engine/runtime/state_digest.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"
#include "tests/support/fake_log.h"

namespace chainflow::engine::processors::intents {
namespace {

using core::Address;
using boost::multiprecision::cpp_int;
using core::U256;

constexpr char kPrefix[] = "t";
constexpr char kChain[] = "mainnet";
constexpr uint64_t kGenesis = 1'699'999'200;  // a multiple of 3600
constexpr uint64_t kBlockTime = 97;
constexpr uint64_t kInterval = 3600;
constexpr uint64_t kEpoch = 2 * 3600;  // several epochs in a scenario
constexpr uint64_t kDay = 3 * 3600;    // accrual days straddle epochs
constexpr uint32_t kRateBps = 40;

Address Addr(uint64_t n) {
  std::array<uint8_t, 20> bytes{};
  for (int i = 19; i >= 12; --i, n >>= 8) bytes[i] = static_cast<uint8_t>(n & 0xff);
  return Address(bytes);
}

const Address kToken = Addr(0x70cc);

struct Transfer {
  uint64_t block;
  Address from, to;
  U256 value;
};

struct Intent {
  std::string id;
  uint64_t at;
  Address payer, payee;
  U256 amount;
};

struct Scenario {
  std::vector<std::vector<Transfer>> blocks;  // blocks[i] is block i + 1
  std::vector<Intent> intents;                // in time order
  uint64_t end_time = 0;
};

uint64_t BlockTime(uint64_t block) { return kGenesis + block * kBlockTime; }

Scenario Generate(uint64_t seed, int blocks, int per_block, int intents) {
  std::mt19937_64 rng(seed);
  Scenario s;
  std::vector<Address> accounts;
  for (int i = 1; i <= 12; ++i) accounts.push_back(Addr(0xa000 + i));
  std::map<Address, U256> held;
  for (int b = 1; b <= blocks; ++b) {
    auto& block = s.blocks.emplace_back();
    for (int i = 0; i < per_block; ++i) {
      Transfer t{static_cast<uint64_t>(b), accounts[rng() % accounts.size()],
                 accounts[rng() % accounts.size()], 0};
      if (rng() % 4 == 0 || held[t.from] == 0) {
        t.from = Address();
        t.value = rng() % 1000;
      } else {
        t.value = rng() % (held[t.from] + 1);
        held[t.from] -= t.value;
      }
      held[t.to] += t.value;
      block.push_back(t);
    }
  }
  const uint64_t span = blocks * kBlockTime;
  std::vector<uint64_t> times;
  for (int i = 0; i < intents; ++i) times.push_back(kGenesis + 1 + rng() % span);
  std::sort(times.begin(), times.end());
  for (int i = 0; i < intents; ++i) {
    Intent in{fmt::format("{:032x}", 0x1000 + i), times[i], accounts[rng() % accounts.size()],
              accounts[rng() % accounts.size()], 1 + rng() % 700};
    s.intents.push_back(in);
  }
  s.end_time = BlockTime(blocks) + 2 * kInterval;
  return s;
}

struct Expected {
  std::map<std::string, v1::IntentStatus> status;
  // (epoch end, account) -> (debited, credited)
  std::map<std::pair<uint64_t, Address>, std::pair<U256, U256>> settled;
  // (day end, account) -> (balance, accrued, carry)
  std::map<std::pair<uint64_t, Address>, std::tuple<U256, U256, uint32_t>> accruals;
};

// The decisions, computed without the processor: every approval deadline
// up to the end in order; at each, its intents by (time, id) against the
// payer's balance from every transfer stamped before it plus the
// settlements of earlier epochs, less what approvals reserve; at an epoch's
// end (after its approvals), its approved intents settle by (time, id) if
// the payer still holds them, moving value from payer to payee; at a day's
// end (after that), every account with a balance accrues rate_bps of it,
// rounded down with the remainder carried, for every later deadline.
Expected ModelAll(const Scenario& s, uint32_t rate_bps) {
  Expected expected;
  std::map<std::string, v1::IntentStatus>& out = expected.status;
  auto deadline_after = [](uint64_t t, uint64_t step) {
    return kGenesis + ((t - kGenesis) / step + 1) * step;
  };
  std::map<uint64_t, std::vector<const Intent*>> by_deadline, by_epoch_end;
  for (const Intent& in : s.intents) {
    if (in.payer == in.payee) {
      out[in.id] = v1::INTENT_STATUS_REJECTED;
    } else {
      by_deadline[deadline_after(in.at, kInterval)].push_back(&in);
    }
  }
  auto in_order = [](std::vector<const Intent*>& list) {
    std::sort(list.begin(), list.end(), [](const Intent* a, const Intent* b) {
      return std::tie(a->at, a->id) < std::tie(b->at, b->id);
    });
  };
  std::map<Address, U256> reserved;
  std::map<Address, std::vector<std::pair<uint64_t, cpp_int>>> settled;  // (time, +/-)
  std::map<Address, uint32_t> carry;
  std::set<Address> accounts;
  for (const auto& block : s.blocks) {
    for (const Transfer& t : block) {
      if (!t.to.IsZero()) accounts.insert(t.to);
    }
  }
  for (const Intent& in : s.intents) accounts.insert(in.payee);
  auto balance = [&](const Address& account, uint64_t deadline) {
    cpp_int b = 0;
    for (const auto& block : s.blocks) {
      if (BlockTime(block.front().block) >= deadline) break;
      for (const Transfer& t : block) {
        if (t.to == account) b += cpp_int(t.value);
        if (t.from == account) b -= cpp_int(t.value);
      }
    }
    for (const auto& [t, v] : settled[account]) {
      if (t < deadline) b += v;
    }
    return b < 0 ? U256(0) : U256(b);
  };
  for (uint64_t d = kGenesis + kInterval; d <= s.end_time; d += kInterval) {
    in_order(by_deadline[d]);
    for (const Intent* in : by_deadline[d]) {
      U256 held = balance(in->payer, d);
      U256 available = held > reserved[in->payer] ? held - reserved[in->payer] : U256(0);
      if (available >= in->amount) {
        reserved[in->payer] += in->amount;
        out[in->id] = v1::INTENT_STATUS_APPROVED;
        by_epoch_end[deadline_after(in->at, kEpoch)].push_back(in);
      } else {
        out[in->id] = v1::INTENT_STATUS_REJECTED;
      }
    }
    in_order(by_epoch_end[d]);
    std::map<Address, U256> moved;
    for (const Intent* in : by_epoch_end[d]) {
      U256 held = balance(in->payer, d);
      held = held > moved[in->payer] ? held - moved[in->payer] : U256(0);
      reserved[in->payer] -= in->amount;
      if (held >= in->amount) {
        moved[in->payer] += in->amount;
        settled[in->payer].push_back({d, -cpp_int(in->amount)});
        settled[in->payee].push_back({d, cpp_int(in->amount)});
        expected.settled[{d, in->payer}].first += in->amount;
        expected.settled[{d, in->payee}].second += in->amount;
        out[in->id] = v1::INTENT_STATUS_SETTLED;
      } else {
        out[in->id] = v1::INTENT_STATUS_REJECTED;
      }
    }
    if (rate_bps == 0 || (d - kGenesis) % kDay != 0) continue;
    std::vector<std::pair<Address, U256>> accrued_today;
    for (const Address& account : accounts) {
      const U256 b = balance(account, d);
      if (b == 0) continue;
      const cpp_int scaled = cpp_int(b) * rate_bps + carry[account];
      const U256 accrued = U256(scaled / 10000);
      carry[account] = static_cast<uint32_t>(scaled % 10000);
      expected.accruals[{d, account}] = {b, accrued, carry[account]};
      accrued_today.push_back({account, accrued});
    }
    for (const auto& [account, accrued] : accrued_today) {
      if (accrued != 0) settled[account].push_back({d, cpp_int(accrued)});
    }
  }
  return expected;
}

std::map<std::string, v1::IntentStatus> Model(const Scenario& s) { return ModelAll(s, 0).status; }

std::string Key(const Address& account) {
  return fmt::format("{}:{}:{}", kChain, kToken.ToHex(), account.ToHex());
}

// Chain events as ingest appends them (transfers keyed by `from`, a BlockEnd
// on every partition after each block, one more block at the end so every
// deadline is passed), and user events as the API does (intents keyed by the
// payer, a clock tick to every partition every 500 s and at the end).
// How the chain reaches the log: history (every block final as it ends), or
// live with finality `lag` blocks behind the head and, every `every` blocks,
// a branch of `depth` blocks of `abandoned`'s transfers that is reverted
// (BlockReverted on every partition, newest first) before the chain goes on.
struct Live {
  uint64_t lag = 0;
  uint64_t every = 0;
  uint64_t depth = 0;
  const Scenario* abandoned = nullptr;
};

void Append(testing::FakeLog& log, const Scenario& s, int partitions, const Live* live = nullptr) {
  const std::string events = engine::wire::ChainEventsTopic(kPrefix, kChain);
  auto block_end = [&](uint64_t number, uint64_t ts, uint64_t finalized) {
    v1::Envelope end;
    end.set_id(fmt::format("{}/{}/end", kChain, number));
    end.mutable_block_end()->set_chain(kChain);
    end.mutable_block_end()->set_number(number);
    end.mutable_block_end()->set_timestamp(ts);
    end.mutable_block_end()->set_finalized(finalized);
    end.mutable_block_end()->set_finalized_timestamp(finalized == number ? ts
                                                                         : BlockTime(finalized));
    for (int p = 0; p < partitions; ++p) log.Append(events, p, kChain, end.SerializeAsString());
  };
  auto append_block = [&](uint64_t number, const std::vector<Transfer>& transfers) {
    uint32_t index = 0;
    for (const Transfer& t : transfers) {
      v1::Envelope env;
      env.set_id(fmt::format("{}/{}/{}", kChain, number, index));
      auto* m = env.mutable_erc20_transfer();
      m->mutable_log()->set_chain(kChain);
      m->mutable_log()->set_block_number(number);
      m->mutable_log()->set_block_timestamp(BlockTime(number));
      m->mutable_log()->set_log_index(index++);
      m->mutable_log()->set_contract(kToken.ToBytes());
      m->mutable_log()->set_finalized(live == nullptr);
      m->set_from(t.from.ToBytes());
      m->set_to(t.to.ToBytes());
      m->set_value(core::U256ToBigEndianString(t.value));
      std::string key = Key(t.from);
      log.Append(events, engine::log::PartitionForKey(key, partitions).value(), key,
                 env.SerializeAsString());
    }
    uint64_t finalized = live == nullptr ? number : (number > live->lag ? number - live->lag : 0);
    block_end(number, BlockTime(number), finalized);
  };
  size_t spare = 0;
  for (const auto& block : s.blocks) {
    const uint64_t number = block.front().block;
    append_block(number, block);
    if (live == nullptr || live->every == 0 || number % live->every != 0 ||
        number + live->depth > s.blocks.size()) {
      continue;
    }
    for (uint64_t b = number + 1; b <= number + live->depth; ++b) {
      append_block(b, live->abandoned->blocks[spare++ % live->abandoned->blocks.size()]);
    }
    for (uint64_t b = number + live->depth; b > number; --b) {
      v1::Envelope reverted;
      reverted.set_id(fmt::format("{}/{}/reverted", kChain, b));
      reverted.mutable_block_reverted()->set_chain(kChain);
      reverted.mutable_block_reverted()->set_number(b);
      reverted.mutable_block_reverted()->set_ancestor(number);
      for (int p = 0; p < partitions; ++p) {
        log.Append(events, p, kChain, reverted.SerializeAsString());
      }
    }
  }
  block_end(s.blocks.size() + 1, s.end_time, s.blocks.size() + 1);

  const std::string users = std::string(kPrefix) + ".user.events";
  auto tick = [&](uint64_t time) {
    v1::Envelope env;
    env.set_id(fmt::format("clock/api/{}", time));
    env.mutable_user_clock()->set_time(time);
    for (int p = 0; p < partitions; ++p) log.Append(users, p, "clock/api", env.SerializeAsString());
  };
  uint64_t next_tick = kGenesis;
  for (const Intent& in : s.intents) {
    while (next_tick <= in.at) {
      tick(next_tick);
      next_tick += 500;
    }
    v1::Envelope env;
    env.set_id("intent/" + in.id);
    auto* m = env.mutable_intent_submitted();
    m->set_intent_id(in.id);
    m->set_kind(v1::INTENT_KIND_GIFT);
    m->set_chain(kChain);
    m->set_token(kToken.ToBytes());
    m->set_payer(in.payer.ToBytes());
    m->set_payee(in.payee.ToBytes());
    m->set_amount(core::U256ToBigEndianString(in.amount));
    m->set_received_at(in.at);
    std::string key = Key(in.payer);
    log.Append(users, engine::log::PartitionForKey(key, partitions).value(), key,
               env.SerializeAsString());
  }
  tick(s.end_time);
}

IntentsOptions Options(int partitions, uint32_t rate_bps = 0) {
  IntentsOptions o;
  o.topic_prefix = kPrefix;
  o.chains = {kChain};
  o.upstream_partitions = partitions;
  o.partitions = partitions;
  o.approval_interval_s = kInterval;
  o.ttl_s = 86'400;
  o.epoch_genesis = kGenesis;
  o.epoch_length_s = kEpoch;
  o.accrual_tokens = {{kChain, kToken}};
  o.accrual_rate_bps = rate_bps;
  o.accrual_period_s = kDay;
  return o;
}

class IntentsPipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            fmt::format("cf_intents_{}_{}", ::getpid(),
                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  // Runs `spec` over every partition of each input until nothing is left;
  // with `restart_after` > 0, closes and reopens the runner (a restart from
  // the committed state) after that many batches.
  void RunStage(testing::FakeLog& log, const runtime::ProcessorSpec& spec, int partitions,
                size_t batch, const std::string& dir, int restart_after = 0) {
    runtime::RunnerOptions options;
    options.state_dir = dir;
    options.batch_size = batch;
    for (const auto& t : spec.output_topics) options.routing.partitions[t] = partitions;
    options.routing.partitions["t.dlq"] = 1;
    options.routing.dlq_topic = "t.dlq";
    std::vector<engine::log::TopicPartition> inputs;
    for (const auto& topic : spec.input_topics) {
      for (int p = 0; p < partitions; ++p) inputs.push_back({topic, core::PartitionId(p)});
    }
    for (int round = 0;; ++round) {
      auto runner = runtime::ProcessorRunner::Open(spec, options, inputs, log.NewSource(), log);
      ASSERT_TRUE(runner.has_value()) << runner.error().ToString();
      int batches = 0;
      bool done = false;
      while (!done) {
        auto n = runner.value()->RunOnce();
        ASSERT_TRUE(n.has_value()) << n.error().ToString();
        done = n.value() == 0;
        if (!done && restart_after > 0 && round == 0 && ++batches == restart_after) break;
      }
      if (done) return;
    }
  }

  struct Result {
    std::string digest;
    std::map<std::string, v1::IntentStatus> final_status;  // from the output topic
    std::map<std::string, std::pair<U256, U256>> settlement_sides;  // debits, credits
    std::map<uint64_t, std::string> epochs;            // epoch -> EpochSettled bytes
    std::map<std::string, std::string> account_settled;  // id -> AccountSettled bytes
    std::map<std::string, std::string> accruals;       // id -> AccrualRecorded bytes
    std::map<uint64_t, U256> digests_from_intents;     // epoch end -> the formula's sum
    std::map<uint64_t, uint64_t> settled_at;           // epoch end -> intents settled
    std::map<uint64_t, uint64_t> decided_at_end;       // ... settled or rejected there
    cpp_int balances_total = 0;                        // credits - debits on the deltas topic
    cpp_int supply_total = 0;                          // mints - burns
    size_t retracted = 0;                              // retracted deltas on the deltas topic
    std::map<std::string, std::string> intent_records;  // id -> IntentStatusChanged bytes
  };

  Result Run(const Scenario& s, int partitions, size_t batch, int restart_after = 0,
             uint32_t rate_bps = 0, const Live* live = nullptr) {
    testing::FakeLog log;
    Append(log, s, partitions, live);
    std::string dir = (root_ / fmt::format("p{}b{}r{}{}", partitions, batch, restart_after,
                                           live ? "live" : ""))
                          .string();
    RunStage(log,
             token_balances::MakeSplitterSpec(kPrefix, {kChain}, {kChain}, kInterval, kGenesis),
             partitions, batch, dir + "/token_splitter");
    RunStage(log, MakeIntentsSpec(Options(partitions, rate_bps)), partitions, batch,
             dir + "/intents", restart_after);
    RunStage(log, epochs::MakeEpochsSpec({kPrefix, partitions}), partitions, batch,
             dir + "/epochs");
    EXPECT_TRUE(log.ReadAll("t.dlq").empty()) << "dead letters";
    Result r;
    auto digest = runtime::StateDigest(dir + "/intents");
    EXPECT_TRUE(digest.has_value()) << digest.error().ToString();
    if (digest.has_value()) r.digest = digest.value();
    for (const auto& record : log.ReadAll(engine::wire::TokenDeltasTopic(kPrefix))) {
      v1::Envelope env;
      EXPECT_TRUE(env.ParseFromString(record.value));
      if (env.has_supply_delta()) {
        const cpp_int amount(core::U256FromBigEndian(env.supply_delta().amount()).value());
        r.supply_total += env.supply_delta().direction() == v1::SupplyDelta::DIRECTION_MINT
                              ? amount
                              : cpp_int(-amount);
      }
      if (!env.has_balance_delta()) continue;
      const auto& d = env.balance_delta();
      r.retracted += d.retracted() ? 1 : 0;
      const cpp_int amount(core::U256FromBigEndian(d.amount()).value());
      r.balances_total +=
          d.direction() == v1::BalanceDelta::DIRECTION_CREDIT ? amount : cpp_int(-amount);
      if (d.intent_id().empty()) continue;
      auto& pair = r.settlement_sides[d.intent_id()];
      (d.direction() == v1::BalanceDelta::DIRECTION_DEBIT ? pair.first : pair.second) +=
          core::U256FromBigEndian(d.amount()).value();
    }
    for (const auto& record : log.ReadAll(engine::wire::IntentsTopic(kPrefix))) {
      v1::Envelope env;
      EXPECT_TRUE(env.ParseFromString(record.value));
      if (!env.has_intent_status_changed()) continue;
      const auto& c = env.intent_status_changed();
      EXPECT_EQ(env.id().rfind("intent/" + c.intent_id() + "/", 0), 0u) << env.id();
      r.intent_records[env.id()] = c.SerializeAsString();
      r.final_status[c.intent_id()] = c.status();
      // Decisions at an epoch's end: the digest formula of README.md.
      if (c.previous_status() == v1::INTENT_STATUS_APPROVED) {
        std::string bytes = c.intent_id();
        bytes.push_back(static_cast<char>(c.status()));
        bytes += c.chain() + std::string(1, '\0') + c.token() + c.payer() + c.payee() + c.amount();
        for (int shift = 56; shift >= 0; shift -= 8) {
          bytes.push_back(static_cast<char>((c.decided_at() >> shift) & 0xff));
        }
        r.settled_at[c.decided_at()] += c.status() == v1::INTENT_STATUS_SETTLED;
        ++r.decided_at_end[c.decided_at()];
        r.digests_from_intents[c.decided_at()] +=
            core::U256FromBigEndian(core::Sha256(bytes)).value();
      }
    }
    for (const auto& record : log.ReadAll(engine::wire::SettlementsTopic(kPrefix))) {
      v1::Envelope env;
      EXPECT_TRUE(env.ParseFromString(record.value));
      if (env.has_epoch_settled()) {
        EXPECT_TRUE(r.epochs.emplace(env.epoch_settled().epoch(), record.value).second)
            << "epoch " << env.epoch_settled().epoch() << " sent twice";
      } else {
        EXPECT_TRUE(env.has_account_settled()) << env.ShortDebugString();
        EXPECT_TRUE(r.account_settled.emplace(env.id(), record.value).second) << env.id();
      }
    }
    for (const auto& record : log.ReadAll(engine::wire::AccrualsTopic(kPrefix))) {
      v1::Envelope env;
      EXPECT_TRUE(env.ParseFromString(record.value));
      EXPECT_TRUE(r.accruals.emplace(env.id(), record.value).second) << env.id();
    }
    return r;
  }

  std::filesystem::path root_;
};

TEST_F(IntentsPipelineTest, DecisionsMatchTheModelAndSettlementsMoveValueWithoutCreatingIt) {
  Scenario s = Generate(/*seed=*/11, /*blocks=*/150, /*per_block=*/20, /*intents=*/300);
  Result r = Run(s, /*partitions=*/8, /*batch=*/61);
  std::map<std::string, v1::IntentStatus> model = Model(s);
  ASSERT_EQ(r.final_status.size(), s.intents.size());
  std::map<v1::IntentStatus, size_t> counts;
  for (const auto& [id, status] : model) {
    EXPECT_EQ(r.final_status[id], status) << "intent " << id;
    ++counts[status];
  }
  // The scenario exercises every outcome.
  EXPECT_GT(counts[v1::INTENT_STATUS_SETTLED], 30u);
  EXPECT_GT(counts[v1::INTENT_STATUS_REJECTED], 30u);
  // Each settled intent is exactly one debit and one credit of its amount.
  std::map<std::string, std::pair<U256, U256>> sides;  // intent -> (debits, credits)
  size_t settled = 0;
  for (const auto& [id, status] : r.final_status) settled += status == v1::INTENT_STATUS_SETTLED;
  for (const auto& [id, pair] : r.settlement_sides) sides[id] = pair;
  EXPECT_EQ(sides.size(), settled);
  for (const Intent& in : s.intents) {
    if (r.final_status[in.id] != v1::INTENT_STATUS_SETTLED) continue;
    EXPECT_EQ(sides[in.id].first, in.amount) << in.id;
    EXPECT_EQ(sides[in.id].second, in.amount) << in.id;
  }
}

TEST_F(IntentsPipelineTest, SameStateAndDecisionsForAnyPartitioningBatchAndRestart) {
  Scenario s = Generate(/*seed=*/5, /*blocks=*/80, /*per_block=*/15, /*intents=*/150);
  Result one = Run(s, 1, 5000);
  Result three = Run(s, 3, 7);
  Result eight = Run(s, 8, 1);
  Result restarted = Run(s, 8, 29, /*restart_after=*/3);
  ASSERT_FALSE(one.digest.empty());
  EXPECT_EQ(one.digest, three.digest);
  EXPECT_EQ(one.digest, eight.digest);
  EXPECT_EQ(one.digest, restarted.digest);
  EXPECT_EQ(one.final_status, three.final_status);
  EXPECT_EQ(one.final_status, eight.final_status);
  EXPECT_EQ(one.final_status, restarted.final_status);
  EXPECT_EQ(one.final_status, Model(s));
}

TEST_F(IntentsPipelineTest, EpochRecordsAccrualsAndConservationMatchTheModel) {
  Scenario s = Generate(/*seed=*/23, /*blocks=*/150, /*per_block=*/20, /*intents=*/300);
  Result r = Run(s, /*partitions=*/8, /*batch=*/53, /*restart_after=*/0, kRateBps);
  Expected model = ModelAll(s, kRateBps);
  EXPECT_EQ(r.final_status, model.status);

  // Accruals: one record per (day, account with a balance), as the model.
  ASSERT_FALSE(model.accruals.empty());
  std::map<std::pair<uint64_t, Address>, std::tuple<U256, U256, uint32_t>> accruals;
  U256 accrued_total = 0;
  for (const auto& [id, bytes] : r.accruals) {
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(bytes));
    const v1::AccrualRecorded& a = env.accrual_recorded();
    EXPECT_EQ(a.rate_bps(), kRateBps);
    accruals[{a.end(), Address::FromBytes(a.account()).value()}] = {
        core::U256FromBigEndian(a.balance()).value(), core::U256FromBigEndian(a.accrued()).value(),
        a.carry()};
    accrued_total += core::U256FromBigEndian(a.accrued()).value();
  }
  EXPECT_EQ(accruals, model.accruals);
  EXPECT_GT(accrued_total, 0u);

  // Per-account settlements, as the model.
  std::map<std::pair<uint64_t, Address>, std::pair<U256, U256>> settled;
  for (const auto& [id, bytes] : r.account_settled) {
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(bytes));
    const v1::AccountSettled& a = env.account_settled();
    auto amount = [](const std::string& b) {
      return b.empty() ? U256(0) : core::U256FromBigEndian(b).value();
    };
    settled[{a.end(), Address::FromBytes(a.account()).value()}] = {amount(a.debited()),
                                                                    amount(a.credited())};
  }
  EXPECT_EQ(settled, model.settled);

  // Epoch records: one per epoch with decisions; digest = the formula.
  ASSERT_FALSE(r.epochs.empty());
  EXPECT_EQ(r.epochs.size(), r.digests_from_intents.size());
  for (const auto& [epoch, bytes] : r.epochs) {
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(bytes));
    const v1::EpochSettled& e = env.epoch_settled();
    EXPECT_EQ(e.end(), kGenesis + (epoch + 1) * kEpoch);
    EXPECT_EQ(core::U256FromBigEndian(e.digest()).value(), r.digests_from_intents[e.end()])
        << "epoch " << epoch;
    EXPECT_EQ(e.settled(), r.settled_at[e.end()]) << "epoch " << epoch;
    EXPECT_EQ(e.settled() + e.rejected(), r.decided_at_end[e.end()]) << "epoch " << epoch;
  }

  // Conservation: the deltas topic's balances add up to its supply.
  EXPECT_EQ(r.balances_total, r.supply_total);
}

TEST_F(IntentsPipelineTest, SameEpochRecordsAndAccrualsForAnyPartitioningBatchAndRestart) {
  Scenario s = Generate(/*seed=*/9, /*blocks=*/80, /*per_block=*/15, /*intents=*/150);
  Result one = Run(s, 1, 5000, 0, kRateBps);
  Result eight = Run(s, 8, 3, 0, kRateBps);
  Result restarted = Run(s, 3, 29, /*restart_after=*/4, kRateBps);
  ASSERT_FALSE(one.epochs.empty());
  ASSERT_FALSE(one.accruals.empty());
  EXPECT_EQ(one.digest, eight.digest);
  EXPECT_EQ(one.digest, restarted.digest);
  EXPECT_EQ(one.epochs, eight.epochs);
  EXPECT_EQ(one.epochs, restarted.epochs);
  EXPECT_EQ(one.account_settled, eight.account_settled);
  EXPECT_EQ(one.account_settled, restarted.account_settled);
  EXPECT_EQ(one.accruals, eight.accruals);
  EXPECT_EQ(one.accruals, restarted.accruals);
}

// The rule of README.md "Reorgs": decisions, settlements and accruals use
// only final blocks. The same chain delivered live (finality 5 blocks
// behind, a 3-block branch reverted every 4 blocks, its transfers other
// than the canonical ones) decides exactly as its history does: the same
// transitions (with the available balance each decision saw), settlement
// moves, epoch records (digests included), account
// settlements and accruals, for 1 and 4 partitions.
TEST_F(IntentsPipelineTest, ReorgedLiveChainDecidesAsItsCanonicalHistory) {
  // A branch of 3 blocks in every 4 is reverted: most deadlines (one every
  // 37 blocks) fall while one is the head.
  Scenario s = Generate(/*seed=*/21, /*blocks=*/300, /*per_block=*/6, /*intents=*/300);
  Scenario abandoned = Generate(/*seed=*/22, /*blocks=*/60, /*per_block=*/12, /*intents=*/0);
  Live live{.lag = 5, .every = 4, .depth = 3, .abandoned = &abandoned};
  Live canonical_live{.lag = 5};
  Result history = Run(s, 4, 61, 0, kRateBps);
  Result canonical = Run(s, 4, 61, 0, kRateBps, &canonical_live);
  ASSERT_FALSE(history.epochs.empty());
  ASSERT_FALSE(history.accruals.empty());
  for (int partitions : {1, 4}) {
    SCOPED_TRACE(fmt::format("{} partitions", partitions));
    Result reorged = Run(s, partitions, partitions == 1 ? 5000 : 13, 0, kRateBps, &live);
    EXPECT_GT(reorged.retracted, 100u);
    EXPECT_EQ(reorged.digest, canonical.digest);
    EXPECT_EQ(reorged.final_status, history.final_status);
    EXPECT_EQ(reorged.intent_records, history.intent_records);  // `available` included
    EXPECT_EQ(reorged.settlement_sides, history.settlement_sides);
    EXPECT_EQ(reorged.epochs, history.epochs);
    EXPECT_EQ(reorged.account_settled, history.account_settled);
    EXPECT_EQ(reorged.accruals, history.accruals);
  }
}

}  // namespace
}  // namespace chainflow::engine::processors::intents
