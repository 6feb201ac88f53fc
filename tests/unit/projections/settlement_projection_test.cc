// The settlements and accruals projections (pg::KeyedProjection) against a
// real PostgreSQL (test_db.h).
#include <gtest/gtest.h>

#include <map>

#include "projections/accruals/accruals_view.h"
#include "projections/pg/keyed_projection.h"
#include "projections/settlements/settlements_view.h"
#include "tests/support/fake_log.h"
#include "tests/unit/projections/dead_letters.h"
#include "tests/unit/projections/events.h"
#include "tests/unit/projections/settlement_events.h"
#include "tests/unit/projections/test_db.h"

namespace chainflow::projections {
namespace {

using engine::log::Record;
using testing::AccountSettledMessage;
using testing::AccrualMessage;
using testing::EpochSettledMessage;
using testing::FreshSchema;
using testing::MakeRecord;
using testing::QueryText;
using testing::Serialize;
using testing::SettleAddr;
using namespace std::chrono_literals;

const std::string kSettlements = "cf.settlements";
const std::string kAccruals = "cf.accruals";

std::string Epochs() {
  return QueryText("SELECT epoch, start_at, end_at, settled, rejected, digest"
                   " FROM chainflow.epochs ORDER BY epoch");
}
std::string Totals() {
  return QueryText("SELECT epoch, chain, token, amount, intents FROM chainflow.epoch_totals"
                   " ORDER BY epoch, chain, token");
}
std::string Settlements() {
  return QueryText("SELECT epoch, account, debited, credited, paid, received"
                   " FROM chainflow.settlements ORDER BY epoch, chain, token, account");
}
std::string Offsets(const std::string& projection) {
  return QueryText("SELECT string_agg(partition || ':' || next_offset, ',' ORDER BY partition)"
                   " FROM chainflow.projection_offsets WHERE projection = '" + projection + "'");
}

TEST(SettlementsProjectionTest, EpochsTotalsAndAccountsWithRedeliveryAndTruncation) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  pg::KeyedProjection projection(*conn, settlements::View());
  const std::vector<Record> first{
      // AccountSettled can come before its epoch's record (other partitions).
      MakeRecord(kSettlements, 1, 0, Serialize(AccountSettledMessage(7, 1, 600, 0))),
      MakeRecord(kSettlements, 1, 1, Serialize(AccountSettledMessage(7, 2, 0, 600))),
      MakeRecord(kSettlements, 0, 0,
                 Serialize(EpochSettledMessage(7, {{"anvil", 9, 600, 1}, {"anvil", 3, 5, 2}}))),
  };
  auto report = projection.Apply(first);
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_EQ(report.value().rows, (std::vector<int64_t>{1, 2, 2}));
  const std::string a1 = SettleAddr(1).ToHex(), a2 = SettleAddr(2).ToHex();
  const std::string t3 = SettleAddr(3).ToHex(), t9 = SettleAddr(9).ToHex();
  std::string want_epochs = "7|4233600|4838400|3|1|0x" + [] {
    std::string s;
    for (int i = 0; i < 32; ++i) s += "ab";
    return s;
  }();
  EXPECT_EQ(Epochs(), want_epochs);
  EXPECT_EQ(Totals(), "7|anvil|" + t3 + "|5|2\n7|anvil|" + t9 + "|600|1");
  EXPECT_EQ(Settlements(), "7|" + a1 + "|600|0|1|0\n7|" + a2 + "|0|600|0|1");
  EXPECT_EQ(Offsets("settlements"), "0:1,1:2");

  // Redelivered (below the stored offsets): nothing written again.
  report = projection.Apply(first);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report.value().skipped, 3u);
  EXPECT_EQ(report.value().rows, (std::vector<int64_t>{0, 0, 0}));

  // A re-emission of the same records at new offsets (a processor redoing a
  // batch) rewrites nothing; the next epoch adds rows.
  std::vector<Record> second{
      MakeRecord(kSettlements, 0, 1,
                 Serialize(EpochSettledMessage(7, {{"anvil", 9, 600, 1}, {"anvil", 3, 5, 2}}))),
      MakeRecord(kSettlements, 0, 2, Serialize(EpochSettledMessage(8, {{"anvil", 9, 1, 1}}))),
      MakeRecord(kSettlements, 1, 2, Serialize(AccountSettledMessage(8, 1, 1, 0))),
  };
  report = projection.Apply(second);
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_EQ(report.value().rows, (std::vector<int64_t>{1, 1, 1}));
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.epochs"), "2");
  EXPECT_EQ(Offsets("settlements"), "0:3,1:3");

  ASSERT_TRUE(pg::TruncateView(*conn, settlements::View()).ok());
  EXPECT_EQ(QueryText("SELECT (SELECT count(*) FROM chainflow.epochs) +"
                      " (SELECT count(*) FROM chainflow.epoch_totals) +"
                      " (SELECT count(*) FROM chainflow.settlements)"),
            "0");
  EXPECT_EQ(Offsets("settlements"), "NULL");
}

TEST(SettlementsProjectionTest, DeadLettersBadRecordsWithHeadersAndAppliesTheRest) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  chainflow::testing::FakeLog dlq;
  pg::KeyedProjection projection(*conn, settlements::View(), &dlq, "cf.dlq");
  v1::EpochSettled bad = EpochSettledMessage(7, {});
  bad.set_digest("short");
  const std::vector<Record> batch{
      MakeRecord(kSettlements, 2, 4, Serialize(bad)),
      MakeRecord(kSettlements, 2, 5, Serialize(AccountSettledMessage(7, 1, 1, 0))),
  };
  auto report = projection.Apply(batch);
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_EQ(report.value().rejected, 1u);
  auto sent = dlq.ReadAll("cf.dlq");
  ASSERT_EQ(sent.size(), 1u);
  testing::ExpectDeadLetterOf(sent[0], batch[0], "projection_settlements", "digest");
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.epochs"), "0");
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.settlements"), "1");
  EXPECT_EQ(Offsets("settlements"), "2:6");
}

TEST(SettlementsProjectionTest, AFailedFlushOfDeadLettersWritesNothing) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  chainflow::testing::FakeLog dlq;
  dlq.FailNextFlush(core::UnavailableError("broker down"));
  pg::KeyedProjection projection(*conn, accruals::View(), &dlq, "cf.dlq");
  const std::vector<Record> batch{
      MakeRecord(kAccruals, 0, 0, "garbage \xff"),
      MakeRecord(kAccruals, 0, 1, Serialize(AccrualMessage(3, 1, 10'000))),
  };
  auto report = projection.Apply(batch);
  ASSERT_FALSE(report.has_value());
  EXPECT_EQ(report.error().code(), core::StatusCode::kUnavailable);
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.accruals"), "0");
  EXPECT_EQ(Offsets("accruals"), "NULL");
  // Redone: applied.
  report = projection.Apply(batch);
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.accruals"), "1");
}

TEST(AccrualsProjectionTest, RunsInTheSharedProjectorLoop) {
  ASSERT_TRUE(FreshSchema());
  chainflow::testing::FakeLog log;
  log.Append(kAccruals, 0, "k1", Serialize(AccrualMessage(3, 1, 1'000'001)));
  log.Append(kAccruals, 1, "k2", Serialize(AccrualMessage(3, 2, 7)));
  log.Append(kAccruals, 0, "k1", Serialize(AccrualMessage(4, 1, 1'002'501)));
  auto conn = pg::Connection::Open(testing::TestDatabaseUrl());
  ASSERT_TRUE(conn.has_value()) << conn.error().ToString();
  pg::ProjectorOptions options;
  options.name = std::string(accruals::kProjectionName);
  options.topic = kAccruals;
  options.partitions = 2;
  options.batch_wait = 1ms;
  auto projector = pg::OpenKeyedProjector(options, accruals::View(), log.NewSource(),
                                          std::move(conn).value());
  ASSERT_TRUE(projector.has_value()) << projector.error().ToString();
  ASSERT_TRUE(projector.value()->Start().ok());
  pg::OffsetMap ends{{{kAccruals, core::PartitionId(0)}, core::Offset(2)},
                     {{kAccruals, core::PartitionId(1)}, core::Offset(1)}};
  core::Status waited = projector.value()->WaitForOffsets(ends, 30s);
  ASSERT_TRUE(waited.ok()) << waited.ToString();
  projector.value()->Stop();
  const std::string t = SettleAddr(9).ToHex();
  EXPECT_EQ(QueryText("SELECT day, account, end_at, balance, rate_bps, accrued, carry,"
                      " total_accrued FROM chainflow.accruals ORDER BY day, account"),
            "3|" + SettleAddr(1).ToHex() + "|345600|1000001|25|2500|25|10000\n3|" +
                SettleAddr(2).ToHex() + "|345600|7|25|0|175|0\n4|" + SettleAddr(1).ToHex() +
                "|432000|1002501|25|2506|2525|12530");
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.accruals WHERE token = '" + t + "'"), "3");
}

}  // namespace
}  // namespace chainflow::projections
