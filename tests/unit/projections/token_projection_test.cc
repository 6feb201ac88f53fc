// The token projection against a real PostgreSQL (test_db.h).
#include "projections/token/token_projection.h"

#include <gtest/gtest.h>

#include "projections/token/rows.h"
#include "tests/unit/projections/events.h"
#include "tests/unit/projections/test_db.h"

namespace chainflow::projections::token {
namespace {

using core::U256;
using engine::log::Record;
using testing::Addr;
using testing::FreshSchema;
using testing::MakeLog;
using testing::MakeRecord;
using testing::QueryText;

const std::string kTopic = "cf.token.balances";

std::string BalanceChanged(const core::Address& token, const core::Address& account,
                           const U256& balance, uint64_t block) {
  v1::Envelope env;
  auto* ev = env.mutable_token_balance_changed();
  *ev->mutable_log() = MakeLog("anvil", token, block, 0);
  ev->set_token(token.ToBytes());
  ev->set_account(account.ToBytes());
  ev->set_balance(core::U256ToBigEndianString(balance));
  ev->set_previous_balance(core::U256ToBigEndianString(0));
  ev->set_block_number(block);
  return env.SerializeAsString();
}

std::string SupplyChanged(const core::Address& token, const U256& supply, uint64_t block) {
  v1::Envelope env;
  auto* ev = env.mutable_total_supply_changed();
  *ev->mutable_log() = MakeLog("anvil", token, block, 0);
  ev->set_token(token.ToBytes());
  ev->set_total_supply(core::U256ToBigEndianString(supply));
  ev->set_previous_total_supply(core::U256ToBigEndianString(0));
  ev->set_block_number(block);
  return env.SerializeAsString();
}

// A retraction (reorg undo): `balance` / `total_supply` restored; `removed`
// when nothing is left of the row.
std::string Retracted(std::string value, bool removed) {
  v1::Envelope env;
  EXPECT_TRUE(env.ParseFromString(value));
  if (env.has_token_balance_changed()) {
    env.mutable_token_balance_changed()->set_retracted(true);
    env.mutable_token_balance_changed()->set_removed(removed);
  } else {
    env.mutable_total_supply_changed()->set_retracted(true);
    env.mutable_total_supply_changed()->set_removed(removed);
  }
  return env.SerializeAsString();
}

TEST(TokenRowsTest, LaterRecordOfAKeyWinsAndBadRecordsAreRejected) {
  const U256 max = std::numeric_limits<U256>::max();
  std::vector<Record> batch{
      MakeRecord(kTopic, 0, 0, BalanceChanged(Addr(1), Addr(2), 5, 10)),
      MakeRecord(kTopic, 0, 1, BalanceChanged(Addr(1), Addr(2), max, 11)),
      MakeRecord(kTopic, 0, 2, SupplyChanged(Addr(1), 9, 11)),
      MakeRecord(kTopic, 0, 3, "not protobuf \xff"),
      MakeRecord(kTopic, 1, 7, BalanceChanged(Addr(1), Addr(3), 1, 12)),
  };
  StagedBatch staged = StageBatch(batch, {{{kTopic, core::PartitionId(1)}, core::Offset(8)}});
  ASSERT_EQ(staged.balances.size(), 1u);
  EXPECT_EQ(staged.balances[0].balance, core::U256ToDecimal(max));
  EXPECT_EQ(staged.balances[0].block_number, 11);
  EXPECT_EQ(staged.balances[0].account, Addr(2).ToHex());
  ASSERT_EQ(staged.supplies.size(), 1u);
  EXPECT_EQ(staged.rejected.size(), 1u);
  EXPECT_EQ(staged.skipped, 1u);  // partition 1 already applied up to 8
  EXPECT_EQ((staged.next_offsets.at({kTopic, core::PartitionId(0)})), core::Offset(4));
}

TEST(TokenProjectionTest, UpsertsRowsWithOffsetsAndSkipsWhatWasApplied) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  TokenProjection projection(*conn);
  std::vector<Record> batch{
      MakeRecord(kTopic, 0, 0, BalanceChanged(Addr(1), Addr(2), 700, 10)),
      MakeRecord(kTopic, 0, 1, BalanceChanged(Addr(1), Addr(3), 300, 10)),
      MakeRecord(kTopic, 1, 0, SupplyChanged(Addr(1), 1000, 10)),
  };
  auto report = projection.Apply(batch);
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_EQ(report.value().balance_rows, 2);
  EXPECT_EQ(report.value().supply_rows, 1);
  EXPECT_EQ(QueryText("SELECT account || '=' || balance || '@' || block_number FROM "
                      "chainflow.token_balances ORDER BY account"),
            Addr(2).ToHex() + "=700@10\n" + Addr(3).ToHex() + "=300@10");
  EXPECT_EQ(QueryText("SELECT total_supply FROM chainflow.token_supply"), "1000");

  // Redelivered: nothing changes, nothing is counted.
  report = projection.Apply(batch);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report.value().skipped, 3u);
  EXPECT_EQ(report.value().balance_rows, 0);

  batch = {MakeRecord(kTopic, 0, 2, BalanceChanged(Addr(1), Addr(2), 0, 12))};
  ASSERT_TRUE(projection.Apply(batch).has_value());
  EXPECT_EQ(QueryText("SELECT balance || '@' || block_number FROM chainflow.token_balances "
                      "WHERE account = '" + Addr(2).ToHex() + "'"),
            "0@12");
  EXPECT_EQ(QueryText("SELECT string_agg(partition || ':' || next_offset, ',' ORDER BY partition)"
                      " FROM chainflow.projection_offsets WHERE projection = 'token'"),
            "0:3,1:1");

  // Retractions: one restores a balance, one removes a row, one removes the
  // supply; a removal staged before a later change of the same key is void.
  batch = {
      MakeRecord(kTopic, 0, 3, Retracted(BalanceChanged(Addr(1), Addr(2), 650, 11), false)),
      MakeRecord(kTopic, 0, 4, Retracted(BalanceChanged(Addr(1), Addr(3), 0, 0), true)),
      MakeRecord(kTopic, 0, 5, Retracted(BalanceChanged(Addr(1), Addr(4), 0, 0), true)),
      MakeRecord(kTopic, 0, 6, BalanceChanged(Addr(1), Addr(4), 8, 13)),
      MakeRecord(kTopic, 1, 1, Retracted(SupplyChanged(Addr(1), 0, 0), true)),
  };
  report = projection.Apply(batch);
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_EQ(report.value().balance_rows, 3);  // 2 updated or inserted, 1 deleted
  EXPECT_EQ(report.value().supply_rows, 1);
  EXPECT_EQ(QueryText("SELECT string_agg(account || '=' || balance || '@' || block_number, ','"
                      " ORDER BY account) FROM chainflow.token_balances"),
            Addr(2).ToHex() + "=650@11," + Addr(4).ToHex() + "=8@13");
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.token_supply"), "0");

  ASSERT_TRUE(Truncate(*conn).ok());
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.token_balances"), "0");
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.projection_offsets "
                      "WHERE projection = 'token'"),
            "0");
}

}  // namespace
}  // namespace chainflow::projections::token
