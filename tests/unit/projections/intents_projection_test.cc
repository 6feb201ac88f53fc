// The intents projection against a real PostgreSQL (test_db.h).
#include "projections/intents/intents_projection.h"

#include <gtest/gtest.h>

#include <map>

#include "projections/intents/projector.h"
#include "tests/support/fake_log.h"
#include "tests/unit/projections/dead_letters.h"
#include "tests/unit/projections/events.h"
#include "tests/unit/projections/intent_events.h"
#include "tests/unit/projections/test_db.h"

namespace chainflow::projections::intents {
namespace {

using engine::log::Record;
using testing::FreshSchema;
using testing::IntentIdFor;
using testing::IntentRecord;
using testing::MakeRecord;
using testing::QueryText;
using namespace std::chrono_literals;

const std::string kTopic = "cf.intents";
const std::string kA = IntentIdFor(0xa), kB = IntentIdFor(0xb);

std::string StatusOf(const std::string& id) {
  return QueryText("SELECT status FROM chainflow.intents WHERE intent_id = '" + id + "'");
}

std::string RowOf(const std::string& id) {
  return QueryText(
      "SELECT intent_id, chain, token, payer, payee, amount, kind, memo, status, reason,"
      " submitted_at, decided_at, expires_at, epoch, available"
      " FROM chainflow.intents WHERE intent_id = '" + id + "'");
}

TEST(IntentsProjectionTest, TransitionsAcrossBatchesAndRedeliveryNeverGoesBack) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  IntentsProjection projection(*conn);
  const std::vector<Record> first{
      MakeRecord(kTopic, 0, 0, IntentRecord(kA, v1::INTENT_STATUS_SUBMITTED)),
      MakeRecord(kTopic, 0, 1, IntentRecord(kB, v1::INTENT_STATUS_SUBMITTED)),
  };
  auto report = projection.Apply(first);
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_EQ(report.value().intent_rows, 2);
  const std::string payer = testing::IntentAddr(1).ToHex(), payee = testing::IntentAddr(2).ToHex();
  const std::string token = testing::IntentAddr(9).ToHex();
  EXPECT_EQ(RowOf(kA), kA + "|anvil|" + token + "|" + payer + "|" + payee +
                           "|1000|clap|thanks|submitted||1700000000|NULL|1700086400|472222|NULL");

  const std::vector<Record> second{
      MakeRecord(kTopic, 0, 2, IntentRecord(kA, v1::INTENT_STATUS_APPROVED)),
      MakeRecord(kTopic, 0, 3, IntentRecord(kB, v1::INTENT_STATUS_REJECTED)),
  };
  ASSERT_TRUE(projection.Apply(second).has_value());
  EXPECT_EQ(RowOf(kA), kA + "|anvil|" + token + "|" + payer + "|" + payee +
                           "|1000|clap|thanks|approved||1700000000|1700003600|1700086400"
                           "|472222|5000");
  EXPECT_EQ(QueryText("SELECT status || '/' || reason FROM chainflow.intents "
                      "WHERE intent_id = '" + kB + "'"),
            "rejected/available 5000 < amount 1000000");

  // The first batch again (a consumer restarted before its position moved):
  // below the stored offsets, so nothing goes back to "submitted".
  report = projection.Apply(first);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report.value().skipped, 2u);
  EXPECT_EQ(report.value().intent_rows, 0);
  EXPECT_EQ(StatusOf(kA), "approved");
  EXPECT_EQ(StatusOf(kB), "rejected");

  // Overlapping redelivery: 2-3 again, then the settlement at 4.
  std::vector<Record> third = second;
  third.push_back(MakeRecord(kTopic, 0, 4, IntentRecord(kA, v1::INTENT_STATUS_SETTLED)));
  report = projection.Apply(third);
  ASSERT_TRUE(report.has_value());
  EXPECT_EQ(report.value().skipped, 2u);
  EXPECT_EQ(report.value().intent_rows, 1);
  EXPECT_EQ(StatusOf(kA), "settled");
  EXPECT_EQ(QueryText("SELECT available IS NULL FROM chainflow.intents "
                      "WHERE intent_id = '" + kA + "'"),
            "t");  // a settlement carries no available balance
  EXPECT_EQ(QueryText("SELECT string_agg(partition || ':' || next_offset, ',')"
                      " FROM chainflow.projection_offsets WHERE projection = 'intents'"),
            "0:5");

  ASSERT_TRUE(Truncate(*conn).ok());
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.intents"), "0");
  EXPECT_EQ(QueryText("SELECT count(*) FROM chainflow.projection_offsets "
                      "WHERE projection = 'intents'"),
            "0");
}

TEST(IntentsProjectionTest, DeadLettersBadRecordsAndAppliesTheRest) {
  auto conn = FreshSchema();
  ASSERT_TRUE(conn);
  chainflow::testing::FakeLog dlq;
  IntentsProjection projection(*conn, &dlq, "cf.dlq");
  v1::IntentStatusChanged bad = testing::Intent(kB, v1::INTENT_STATUS_SUBMITTED);
  bad.set_payee("short");
  std::vector<Record> batch{
      MakeRecord(kTopic, 1, 7, IntentRecord(bad)),
      MakeRecord(kTopic, 1, 8, IntentRecord(kA, v1::INTENT_STATUS_SUBMITTED)),
  };
  auto report = projection.Apply(batch);
  ASSERT_TRUE(report.has_value()) << report.error().ToString();
  EXPECT_EQ(report.value().rejected, 1u);
  auto sent = dlq.ReadAll("cf.dlq");
  ASSERT_EQ(sent.size(), 1u);
  testing::ExpectDeadLetterOf(sent[0], batch[0], "projection_intents", "payee");
  EXPECT_EQ(QueryText("SELECT intent_id FROM chainflow.intents"), kA);
  EXPECT_EQ(QueryText("SELECT next_offset FROM chainflow.projection_offsets "
                      "WHERE projection = 'intents' AND partition = 1"),
            "9");
}

TEST(IntentsProjectionTest, RunsInTheSharedProjectorLoop) {
  ASSERT_TRUE(FreshSchema());
  chainflow::testing::FakeLog log;
  log.Append(kTopic, 0, "anvil:t:p1", IntentRecord(kA, v1::INTENT_STATUS_SUBMITTED));
  log.Append(kTopic, 1, "anvil:t:p2", IntentRecord(kB, v1::INTENT_STATUS_SUBMITTED));
  log.Append(kTopic, 0, "anvil:t:p1", IntentRecord(kA, v1::INTENT_STATUS_EXPIRED));
  auto conn = pg::Connection::Open(testing::TestDatabaseUrl());
  ASSERT_TRUE(conn.has_value()) << conn.error().ToString();
  pg::ProjectorOptions options;
  options.name = std::string(kProjectionName);
  options.topic = kTopic;
  options.partitions = 2;
  options.batch_wait = 1ms;
  auto projector = OpenProjector(options, log.NewSource(), std::move(conn).value());
  ASSERT_TRUE(projector.has_value()) << projector.error().ToString();
  ASSERT_TRUE(projector.value()->Start().ok());
  pg::OffsetMap ends{{{kTopic, core::PartitionId(0)}, core::Offset(2)},
                     {{kTopic, core::PartitionId(1)}, core::Offset(1)}};
  core::Status waited = projector.value()->WaitForOffsets(ends, 30s);
  ASSERT_TRUE(waited.ok()) << waited.ToString();
  projector.value()->Stop();
  EXPECT_EQ(QueryText("SELECT intent_id || '=' || status FROM chainflow.intents "
                      "ORDER BY intent_id"),
            kA + "=expired\n" + kB + "=submitted");
}

}  // namespace
}  // namespace chainflow::projections::intents
