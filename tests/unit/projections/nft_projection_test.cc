#include "projections/nft/nft_projection.h"

#include <chrono>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/core/hex.h"
#include "engine/processors/nft_ownership/nft_ownership.h"
#include "engine/runtime/undo_log.h"
#include "projections/pg/migrate.h"
#include "projections/pg/offsets.h"
#include "projections/pg/upsert.h"
#include "tests/unit/projections/events.h"
#include "tests/support/reorg_history.h"
#include "tests/unit/projections/test_db.h"

namespace chainflow::projections::nft {
namespace {

using core::Status;
using core::U256;
using engine::log::Record;
using testing::Addr;
using testing::FreshSchema;
using testing::MakeLog;
using testing::MakeRecord;
using testing::QueryText;

const std::string kTopic = "cf.nft.ownership";

// key "chain|contract|token_id" -> "owner|block|log_index|tx_hash"
using OwnerView = std::map<std::string, std::string>;
// key "chain|contract|token_id|owner" -> balance
using BalanceView = std::map<std::string, std::string>;

OwnerView ReadOwners() {
  OwnerView out;
  std::string text = QueryText(
      "SELECT chain || '|' || contract || '|' || token_id::text, owner || '|' || block_number "
      "|| '|' || log_index || '|' || tx_hash FROM chainflow.nft_owners");
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto bar = line.find('|', line.find('|', line.find('|') + 1) + 1);
    out[line.substr(0, bar)] = line.substr(bar + 1);
  }
  return out;
}

BalanceView ReadBalances() {
  BalanceView out;
  std::string text = QueryText(
      "SELECT chain || '|' || contract || '|' || token_id::text || '|' || owner, balance::text "
      "FROM chainflow.nft_balances");
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    auto bar = line.rfind('|');
    out[line.substr(0, bar)] = line.substr(bar + 1);
  }
  return out;
}

std::string OffsetsText() {
  return QueryText(
      "SELECT topic, partition, next_offset FROM chainflow.projection_offsets "
      "ORDER BY 1, 2");
}

// A random but reproducible history of ERC-721 mints, transfers and burns
// spread over partitions, and the view it must produce (the model: the
// last change per token wins).
struct History {
  std::vector<Record> records;  // per partition in offset order, interleaved
  OwnerView expected;
};

History MakeHistory(int events, int tokens, int partitions, uint32_t seed) {
  std::mt19937 rng(seed);
  History h;
  std::map<std::string, core::Address> owner_of;
  std::vector<int64_t> next_offset(partitions, 0);
  const std::string chains[] = {"eth", "base"};
  for (int i = 0; i < events; ++i) {
    const std::string& chain = chains[rng() % 2];
    core::Address contract = Addr(static_cast<uint8_t>(1 + rng() % 2));
    U256 token = U256(rng() % tokens) * U256("1000000000000000000000");  // wide ids
    std::string key = fmt::format("{}|{}|{}", chain, contract.ToHex(), core::U256ToDecimal(token));
    core::Address previous = owner_of.count(key) ? owner_of[key] : core::Address();
    // 1 in 6 burns an owned token; otherwise mint/transfer to a random holder.
    core::Address owner = (!previous.IsZero() && rng() % 6 == 0)
                              ? core::Address()
                              : Addr(static_cast<uint8_t>(1 + rng() % 50));
    owner_of[key] = owner;
    uint64_t block = 100 + static_cast<uint64_t>(i);
    uint32_t log_index = rng() % 300;
    v1::LogRef log = MakeLog(chain, contract, block, log_index);
    int partition = static_cast<int>(std::hash<std::string>{}(key) % partitions);
    h.records.push_back(MakeRecord(kTopic, partition, next_offset[partition]++,
                                   testing::OwnerChanged(log, token, previous, owner)));
    h.expected[key] = fmt::format("{}|{}|{}|{}", owner.ToHex(), block, log_index,
                                  core::ToHex(log.tx_hash()));
  }
  return h;
}

Status ApplyInBatches(NftProjection& projection, const std::vector<Record>& records,
                      size_t batch_size) {
  for (size_t i = 0; i < records.size(); i += batch_size) {
    std::vector<Record> batch(records.begin() + i,
                              records.begin() + std::min(records.size(), i + batch_size));
    auto report = projection.Apply(batch);
    if (!report) return report.error();
  }
  return Status::Ok();
}

TEST(MigrateTest, IsIdempotentAndRecordsEveryVersion) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(pg::Migrate(*conn).ok());
  ASSERT_TRUE(pg::Migrate(*conn).ok());
  // Every version of the list, once: a new migration needs no edit here.
  std::vector<std::string> versions;
  for (const pg::Migration& m : pg::Migrations()) versions.push_back(std::to_string(m.version));
  ASSERT_GE(versions.size(), 6u);  // 1, 2, 3 (nft), 10 (token), 20 (intents), 30 (settlements)
  EXPECT_EQ(QueryText("SELECT string_agg(version::text, ',' ORDER BY version) "
                      "FROM chainflow.schema_migrations"),
            fmt::format("{}", fmt::join(versions, ",")));
  EXPECT_EQ(QueryText("SELECT count(*) FROM pg_indexes WHERE schemaname = 'chainflow' AND "
                      "indexname IN ('nft_owners_by_owner', 'nft_balances_by_owner')"),
            "2");
  // Migration 3 reorders the primary keys, token_id first.
  EXPECT_EQ(QueryText("SELECT indexdef FROM pg_indexes WHERE schemaname = 'chainflow' AND "
                      "indexname = 'nft_owners_pkey'"),
            "CREATE UNIQUE INDEX nft_owners_pkey ON chainflow.nft_owners USING btree "
            "(token_id, contract, chain)");
}

TEST(MigrateTest, ConcurrentProcessesApplyEachVersionOnce) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->ExecuteInTransaction("DROP SCHEMA chainflow CASCADE").ok());
  std::vector<Status> results(4);
  std::vector<std::thread> threads;
  for (auto& result : results) {
    threads.emplace_back([&result] {
      auto c = pg::Connection::Open(testing::TestDatabaseUrl());
      result = c ? pg::Migrate(*c.value()) : c.error();
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_TRUE(r.ok()) << r.ToString();
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.schema_migrations"),
            std::to_string(pg::Migrations().size()));
}

TEST(UpsertTest, CopyCarriesAnyTextAndMergesByKey) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->ExecuteInTransaction(
                      "CREATE TABLE chainflow.t (k text PRIMARY KEY, v text, n numeric(78,0))")
                  .ok());
  pg::UpsertSpec spec{"chainflow.t", {"k", "v", "n"}, {"k"}};
  const std::string odd = "tab\there\nnewline back\\slash 'quote' \"dq\" \\N é€";
  auto tx = conn->Begin();
  ASSERT_TRUE(tx);
  auto n = pg::Upsert(*tx.value(), spec, {{"a", odd, "1"}, {"b", "x", "2"}});
  ASSERT_TRUE(n) << n.error().ToString();
  EXPECT_EQ(n.value(), 2);
  // A second upsert into the same table in one transaction.
  n = pg::Upsert(*tx.value(), spec, {{"b", "y", "3"}});
  ASSERT_TRUE(n) << n.error().ToString();
  ASSERT_TRUE(tx.value()->Commit().ok());
  tx = conn->Begin();
  ASSERT_TRUE(tx);
  auto rows = tx.value()->Query("SELECT k, v, n::text FROM chainflow.t ORDER BY k");
  ASSERT_TRUE(rows);
  ASSERT_EQ(rows.value().size(), 2u);
  EXPECT_EQ(*rows.value()[0][1], odd);
  EXPECT_EQ(*rows.value()[1][1], "y");
  EXPECT_EQ(*rows.value()[1][2], "3");
}

TEST(UpsertTest, DuplicateKeysInOneCallAreAnError) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->ExecuteInTransaction("CREATE TABLE chainflow.t (k text PRIMARY KEY, v text)")
                  .ok());
  auto tx = conn->Begin();
  ASSERT_TRUE(tx);
  auto n = pg::Upsert(*tx.value(), {"chainflow.t", {"k", "v"}, {"k"}}, {{"a", "1"}, {"a", "2"}});
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().code(), core::StatusCode::kInternal) << n.error().ToString();
}

TEST(NftProjectionTest, MintTransferBurnHistoryMatchesTheModel) {
  History h = MakeHistory(/*events=*/600, /*tokens=*/40, /*partitions=*/3, /*seed=*/7);
  for (size_t batch_size : {7u, 600u}) {
    auto conn = FreshSchema();
    ASSERT_TRUE(conn);
    NftProjection projection(*conn);
    ASSERT_TRUE(ApplyInBatches(projection, h.records, batch_size).ok());
    EXPECT_EQ(ReadOwners(), h.expected) << "batch size " << batch_size;
    // Burned tokens stay, owned by the zero address.
    EXPECT_NE(QueryText("SELECT count(*) FROM chainflow.nft_owners WHERE owner = "
                        "'0x0000000000000000000000000000000000000000'"),
              "0");
    std::map<int, int64_t> ends;
    for (const Record& r : h.records) ends[r.partition.value()] = r.offset.value() + 1;
    auto offsets = pg::ReadOffsets(*conn, kProjectionName);
    ASSERT_TRUE(offsets);
    ASSERT_EQ(offsets.value().size(), ends.size());
    for (const auto& [p, end] : ends) {
      EXPECT_EQ(offsets.value().at({kTopic, core::PartitionId(p)}), core::Offset(end));
    }
  }
}

TEST(NftProjectionTest, DuplicatesWithinABatchKeepTheLast) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  NftProjection projection(*conn);
  auto c = Addr(1);
  std::vector<Record> batch;
  for (int i = 0; i < 5; ++i) {
    batch.push_back(MakeRecord(kTopic, 0, i,
                               testing::OwnerChanged(MakeLog("eth", c, 10 + i, i), 42,
                                                     Addr(i), Addr(i + 1))));
  }
  auto report = projection.Apply(batch);
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_EQ(report.value().owner_rows, 1);
  EXPECT_EQ(QueryText("SELECT owner, block_number, log_index FROM chainflow.nft_owners"),
            Addr(5).ToHex() + "|14|4");
}

TEST(NftProjectionTest, AFailedTransactionChangesNeitherRowsNorOffsets) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  NftProjection projection(*conn);
  auto c = Addr(1);
  ASSERT_TRUE(projection
                  .Apply({MakeRecord(kTopic, 0, 0,
                                     testing::OwnerChanged(MakeLog("eth", c, 1, 0), 1, Addr(0),
                                                           Addr(1)))})
                  .has_value());
  // The database fails the batch's second statement (balances), after its
  // owner rows were written in the same transaction.
  ASSERT_TRUE(conn->ExecuteInTransaction(R"sql(
CREATE FUNCTION chainflow.fail_666() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.balance = 666 THEN RAISE EXCEPTION 'injected failure'; END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER fail_666 BEFORE INSERT OR UPDATE ON chainflow.nft_balances
  FOR EACH ROW EXECUTE FUNCTION chainflow.fail_666();
)sql")
                  .ok());
  const OwnerView owners_before = ReadOwners();
  const std::string offsets_before = OffsetsText();
  std::vector<Record> batch = {
      MakeRecord(kTopic, 0, 1,
                 testing::OwnerChanged(MakeLog("eth", c, 2, 0), 1, Addr(1), Addr(2))),
      MakeRecord(kTopic, 0, 2,
                 testing::OwnerChanged(MakeLog("eth", c, 2, 1), 2, Addr(0), Addr(2))),
      MakeRecord(kTopic, 1, 0,
                 testing::BalanceChanged(MakeLog("eth", c, 2, 2), 3, Addr(3), 666, 0)),
  };
  auto report = projection.Apply(batch);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code(), core::StatusCode::kInternal) << report.error().ToString();
  EXPECT_EQ(ReadOwners(), owners_before);
  EXPECT_EQ(OffsetsText(), offsets_before);
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.nft_balances"), "0");

  // A serialization failure is Aborted (the loop redoes the batch).
  ASSERT_TRUE(conn->ExecuteInTransaction(R"sql(
CREATE OR REPLACE FUNCTION chainflow.fail_666() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.balance = 666 THEN
    RAISE EXCEPTION 'injected' USING ERRCODE = 'serialization_failure';
  END IF;
  RETURN NEW;
END $$;
)sql")
                  .ok());
  report = projection.Apply(batch);
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code(), core::StatusCode::kAborted) << report.error().ToString();
  EXPECT_EQ(OffsetsText(), offsets_before);
}

TEST(NftProjectionTest, ReapplyingACoveredBatchIsANoOp) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  NftProjection projection(*conn);
  History h = MakeHistory(50, 10, 2, 3);
  auto first = projection.Apply(h.records);
  ASSERT_TRUE(first);
  EXPECT_EQ(first.value().records, 50u);
  // Tamper with the view: a reapplied record would overwrite this.
  ASSERT_TRUE(conn->ExecuteInTransaction("UPDATE chainflow.nft_owners SET owner = 'tampered'")
                  .ok());
  const std::string offsets = OffsetsText();
  auto again = projection.Apply(h.records);
  ASSERT_TRUE(again);
  EXPECT_EQ(again.value().records, 0u);
  EXPECT_EQ(again.value().skipped, 50u);
  EXPECT_EQ(QueryText("SELECT DISTINCT owner FROM chainflow.nft_owners"), "tampered");
  EXPECT_EQ(OffsetsText(), offsets);
}

TEST(NftProjectionTest, Uint256TokenIdsRoundTrip) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  NftProjection projection(*conn);
  const U256 max = ~U256(0);  // 2^256 - 1
  const std::vector<U256> ids = {max, max - 1, U256(1) << 255, U256(0), U256(1)};
  std::vector<Record> batch;
  for (size_t i = 0; i < ids.size(); ++i) {
    batch.push_back(MakeRecord(kTopic, 0, static_cast<int64_t>(i),
                               testing::OwnerChanged(MakeLog("eth", Addr(1), 1, i), ids[i],
                                                     Addr(0), Addr(2))));
    batch.push_back(MakeRecord(kTopic, 1, static_cast<int64_t>(i),
                               testing::BalanceChanged(MakeLog("eth", Addr(1), 1, i), ids[i],
                                                       Addr(2), max - i, 0)));
  }
  ASSERT_TRUE(projection.Apply(batch).has_value());
  std::string expected_ids, expected_balances;
  for (const U256& id : {U256(0), U256(1), U256(1) << 255, max - 1, max}) {
    expected_ids += (expected_ids.empty() ? "" : "\n") + core::U256ToDecimal(id);
  }
  EXPECT_EQ(QueryText("SELECT token_id::text AS id FROM chainflow.nft_owners ORDER BY token_id"),
            expected_ids);
  EXPECT_EQ(QueryText("SELECT balance::text FROM chainflow.nft_balances WHERE token_id = " +
                      core::U256ToDecimal(max)),
            core::U256ToDecimal(max));
  EXPECT_EQ(core::U256ToDecimal(max),
            "115792089237316195423570985008687907853269984665640564039457584007913129639935");
}

TEST(NftProjectionTest, Erc1155BalancesAreAbsoluteAndZeroRowsStay) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  NftProjection projection(*conn);
  std::mt19937 rng(11);
  std::vector<Record> records;
  BalanceView expected;
  std::map<std::string, U256> balance;
  for (int i = 0; i < 300; ++i) {
    core::Address holder = Addr(static_cast<uint8_t>(1 + rng() % 5));
    U256 token = rng() % 4;
    std::string key = fmt::format("eth|{}|{}|{}", Addr(7).ToHex(), core::U256ToDecimal(token),
                                  holder.ToHex());
    U256 previous = balance[key];
    U256 next = rng() % 3 == 0 ? U256(0) : U256(rng() % 1000) * U256("1000000000000000000");
    bool retracted = rng() % 10 == 0;
    // A retraction restores previous_balance.
    balance[key] = retracted ? previous : next;
    records.push_back(MakeRecord(kTopic, i % 2, i / 2,
                                 testing::BalanceChanged(MakeLog("eth", Addr(7), i, 0), token,
                                                         holder, next, previous, retracted)));
    expected[key] = core::U256ToDecimal(balance[key]);
  }
  ASSERT_TRUE(ApplyInBatches(projection, records, 64).ok());
  EXPECT_EQ(ReadBalances(), expected);
}

TEST(NftProjectionTest, RetractedOwnerChangeRestoresThePreviousOwner) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  NftProjection projection(*conn);
  auto log = MakeLog("eth", Addr(1), 5, 0);
  ASSERT_TRUE(projection
                  .Apply({MakeRecord(kTopic, 0, 0, testing::OwnerChanged(log, 9, Addr(3), Addr(4))),
                          MakeRecord(kTopic, 0, 1,
                                     testing::OwnerChanged(log, 9, Addr(3), Addr(4), true))})
                  .has_value());
  EXPECT_EQ(QueryText("SELECT owner FROM chainflow.nft_owners"), Addr(3).ToHex());
}

TEST(NftProjectionTest, RetractionToNothingDeletesTheRowWithItsOffsets) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  NftProjection projection(*conn);
  auto log = MakeLog("eth", Addr(1), 5, 0);
  ASSERT_TRUE(
      projection
          .Apply({MakeRecord(kTopic, 0, 0, testing::OwnerChanged(log, 9, Addr(0), Addr(4))),
                  MakeRecord(kTopic, 0, 1, testing::OwnerChanged(log, 8, Addr(0), Addr(4)))})
          .has_value());
  std::vector<Record> revert = {
      MakeRecord(kTopic, 0, 2, testing::OwnerRetractedToNothing("eth", Addr(1), 9, Addr(4))),
      MakeRecord(kTopic, 0, 3, testing::OwnerRetractedToNothing("eth", Addr(1), 7, Addr(4)))};
  auto report = projection.Apply(revert);
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_EQ(report.value().owner_rows_deleted, 1);  // token 7 had no row
  EXPECT_EQ(QueryText("SELECT token_id::text FROM chainflow.nft_owners"), "8");
  EXPECT_EQ(OffsetsText(), kTopic + "|0|4");
  // Redelivered: a no-op.
  report = projection.Apply(revert);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report.value().skipped, 2u);
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.nft_owners"), "1");
}

// The nft_ownership processor's outputs for `input`, applied through the
// runtime's undo log as a Task would, as records of kTopic spread over two
// partitions by key (offset order per partition).
std::vector<Record> ProcessorOutputs(const std::vector<v1::Envelope>& input) {
  class MapState : public engine::state::StateView {
   public:
    core::Result<std::optional<std::string>> Get(std::string_view key) override {
      auto it = map.find(std::string(key));
      if (it == map.end()) return std::optional<std::string>();
      return std::optional<std::string>(it->second);
    }
    void Put(std::string_view key, std::string_view value) override {
      map[std::string(key)] = std::string(value);
    }
    void Delete(std::string_view key) override { map.erase(std::string(key)); }
    std::map<std::string, std::string> map;
  };
  class Collect : public engine::runtime::Emitter {
   public:
    void Emit(engine::runtime::OutputEvent event) override { events.push_back(std::move(event)); }
    std::vector<engine::runtime::OutputEvent> events;
  };
  core::MetricsRegistry metrics;
  engine::processors::nft_ownership::NftOwnershipProcessor processor("cf", metrics);
  engine::runtime::UndoLog undo("nft_ownership");
  MapState state;
  Collect out;
  for (const v1::Envelope& env : input) {
    Record in = MakeRecord("cf.mainnet.events", 0, 0, env.SerializeAsString());
    size_t retractions = 0;
    Status s = engine::runtime::ApplyWithUndo({in, env}, state, processor, undo, out, retractions);
    undo.EndRecord(s.ok());
    EXPECT_TRUE(s.ok()) << s.ToString();
    undo.Flush(state);
  }
  std::vector<Record> records;
  int64_t next[2] = {0, 0};
  for (auto& ev : out.events) {
    int p = static_cast<int>(std::hash<std::string>{}(ev.key) % 2);
    records.push_back(MakeRecord(kTopic, p, next[p]++, ev.envelope.SerializeAsString()));
  }
  return records;
}

TEST(NftProjectionTest, RetractionsLeaveTheViewsOfTheCanonicalChain) {
  for (uint32_t seed : {1u, 2u}) {
    chainflow::testing::ReorgHistory h = chainflow::testing::MakeReorgHistory(seed, 150, 200);
    ASSERT_GT(h.reverted_blocks, 10);
    auto conn = FreshSchema();
    ASSERT_TRUE(conn);
    NftProjection canonical(*conn);
    ASSERT_TRUE(ApplyInBatches(canonical, ProcessorOutputs(h.canonical), 1000).ok());
    const OwnerView owners = ReadOwners();
    const std::string balances = QueryText(
        "SELECT chain, contract, token_id, owner, balance FROM chainflow.nft_balances "
        "WHERE balance > 0 ORDER BY 1, 2, 3, 4");
    ASSERT_FALSE(owners.empty());
    std::vector<Record> with_reorgs = ProcessorOutputs(h.with_reorgs);
    for (size_t batch : {size_t{5}, size_t{100000}}) {
      conn = FreshSchema();
      ASSERT_TRUE(conn);
      NftProjection projection(*conn);
      ASSERT_TRUE(ApplyInBatches(projection, with_reorgs, batch).ok());
      EXPECT_EQ(ReadOwners(), owners) << "seed " << seed << " batch " << batch;
      EXPECT_EQ(QueryText("SELECT chain, contract, token_id, owner, balance FROM "
                          "chainflow.nft_balances WHERE balance > 0 ORDER BY 1, 2, 3, 4"),
                balances)
          << "seed " << seed << " batch " << batch;
    }
  }
}

TEST(NftProjectionTest, UndecodableRecordsAreSkippedAndCounted) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  NftProjection projection(*conn);
  auto report = projection.Apply(
      {MakeRecord(kTopic, 0, 0, "garbage\xff"),
       MakeRecord(kTopic, 0, 1,
                  testing::OwnerChanged(MakeLog("eth", Addr(1), 1, 0), 1, Addr(0), Addr(1)))});
  ASSERT_TRUE(report);
  EXPECT_EQ(report.value().rejected, 1u);
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.nft_owners"), "1");
  EXPECT_EQ(OffsetsText(), kTopic + "|0|2");
}

TEST(NftProjectionTest, TruncateEmptiesTheViewsAndTheirOffsets) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  NftProjection projection(*conn);
  History h = MakeHistory(30, 10, 2, 5);
  ASSERT_TRUE(projection.Apply(h.records).has_value());
  ASSERT_TRUE(conn->ExecuteInTransaction("INSERT INTO chainflow.projection_offsets VALUES "
                                         "('other', 't', 0, 5)")
                  .ok());
  ASSERT_TRUE(Truncate(*conn).ok());
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.nft_owners"), "0");
  EXPECT_EQ(QueryText("SELECT projection FROM chainflow.projection_offsets"), "other");
  // Rebuild: the same records apply again from scratch.
  ASSERT_TRUE(projection.Apply(h.records).has_value());
  EXPECT_EQ(ReadOwners(), h.expected);
}

// Throughput of the batch upsert: 100,000 distinct tokens in batches of 5,000.
TEST(NftProjectionThroughputTest, DistinctTokensInBatchesOf5000) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  NftProjection projection(*conn);
  constexpr int kTokens = 100000;
  constexpr size_t kBatch = 5000;
  auto make = [&](int generation) {
    std::vector<Record> records;
    records.reserve(kTokens);
    for (int i = 0; i < kTokens; ++i) {
      records.push_back(MakeRecord(
          kTopic, i % 8, generation * kTokens + i / 8,
          testing::OwnerChanged(MakeLog("eth", Addr(1), 1000 + i / 100, i % 100),
                                U256(i) * U256("1000000000000000000000000"), Addr(0),
                                Addr(static_cast<uint8_t>(1 + (i + generation) % 200)))));
    }
    return records;
  };
  auto measure = [&](const char* what, const std::vector<Record>& records) {
    auto start = std::chrono::steady_clock::now();
    ASSERT_TRUE(ApplyInBatches(projection, records, kBatch).ok());
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ throughput ] %d %s in batches of %zu: %.2f s, %.0f rows/s\n", kTokens, what,
                kBatch, seconds, kTokens / seconds);
  };
  measure("new tokens", make(0));
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.nft_owners"), std::to_string(kTokens));
  measure("owner changes", make(1));  // every row updated
  std::vector<Record> replay = make(1);
  for (auto& r : replay) r.offset = core::Offset(r.offset.value() + kTokens);
  measure("unchanged rows", replay);  // same values again: no row rewritten
  EXPECT_EQ(QueryText("SELECT count(DISTINCT owner) FROM chainflow.nft_owners"), "200");
}

}  // namespace
}  // namespace chainflow::projections::nft
