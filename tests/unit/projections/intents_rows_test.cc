// Decoding and staging of <prefix>.intents records: no database.
#include "projections/intents/rows.h"

#include <gtest/gtest.h>

#include <limits>

#include "projections/intents/intents_projection.h"
#include "tests/unit/projections/events.h"
#include "tests/unit/projections/intent_events.h"

namespace chainflow::projections::intents {
namespace {

using engine::log::Record;
using testing::Intent;
using testing::IntentAddr;
using testing::IntentIdFor;
using testing::IntentRecord;
using testing::MakeRecord;

const std::string kTopic = "cf.intents";

TEST(IntentsRowsTest, DecodesEveryColumn) {
  std::vector<Record> batch{
      MakeRecord(kTopic, 0, 4, IntentRecord(IntentIdFor(1), v1::INTENT_STATUS_APPROVED))};
  StagedBatch staged = StageBatch(batch, {});
  ASSERT_EQ(staged.intents.size(), 1u);
  ASSERT_TRUE(staged.rejected.empty()) << staged.rejected[0].why.ToString();
  const IntentRow& row = staged.intents[0];
  EXPECT_EQ(row.intent_id, IntentIdFor(1));
  EXPECT_EQ(row.kind, "clap");
  EXPECT_EQ(row.chain, "anvil");
  EXPECT_EQ(row.token, "0xab00000000000000000000000000000000000009");  // lowercase
  EXPECT_EQ(row.payer, IntentAddr(1).ToHex());
  EXPECT_EQ(row.payee, IntentAddr(2).ToHex());
  EXPECT_EQ(row.amount, "1000");
  EXPECT_EQ(row.memo, "thanks");
  EXPECT_EQ(row.status, "approved");
  EXPECT_EQ(row.reason, "");
  EXPECT_EQ(row.submitted_at, 1700000000);
  EXPECT_EQ(row.decided_at, 1700003600);
  EXPECT_EQ(row.expires_at, 1700086400);
  EXPECT_EQ(row.epoch, 472222);
  EXPECT_EQ(row.available, "5000");
  EXPECT_EQ((staged.next_offsets.at({kTopic, core::PartitionId(0)})), core::Offset(5));
}

TEST(IntentsRowsTest, AbsentTimesAndBalanceBecomeEmptyNullableFields) {
  v1::IntentStatusChanged m = Intent(IntentIdFor(2), v1::INTENT_STATUS_SUBMITTED);
  m.set_expires_at(0);
  std::vector<Record> batch{MakeRecord(kTopic, 0, 0, IntentRecord(m))};
  StagedBatch staged = StageBatch(batch, {});
  ASSERT_EQ(staged.intents.size(), 1u);
  const IntentRow& row = staged.intents[0];
  EXPECT_FALSE(row.decided_at.has_value());
  EXPECT_FALSE(row.expires_at.has_value());
  EXPECT_FALSE(row.available.has_value());

  std::vector<std::string> fields = row.Fields();
  ASSERT_EQ(fields.size(), IntentColumns().size());
  for (size_t i = 0; i < fields.size(); ++i) {
    const std::string& column = IntentColumns()[i];
    bool nullable = std::find(NullableIntentColumns().begin(), NullableIntentColumns().end(),
                              column) != NullableIntentColumns().end();
    // Only nullable columns may be empty ("" is NULL there): memo and
    // reason are text and stay '' (reason is empty here).
    if (fields[i].empty()) {
      EXPECT_TRUE(nullable || column == "reason") << column;
    }
    if (nullable) {
      EXPECT_TRUE(fields[i].empty()) << column;
    }
  }
  EXPECT_EQ(fields[0], IntentIdFor(2));
  EXPECT_EQ(fields[8], "submitted");
  EXPECT_EQ(fields[10], "1700000000");
}

TEST(IntentsRowsTest, LaterTransitionOfAnIntentWinsWithinABatch) {
  const std::string a = IntentIdFor(0xa), b = IntentIdFor(0xb);
  std::vector<Record> batch{
      MakeRecord(kTopic, 0, 10, IntentRecord(a, v1::INTENT_STATUS_SUBMITTED)),
      MakeRecord(kTopic, 1, 3, IntentRecord(b, v1::INTENT_STATUS_SUBMITTED)),
      MakeRecord(kTopic, 0, 11, IntentRecord(a, v1::INTENT_STATUS_APPROVED)),
      MakeRecord(kTopic, 1, 4, IntentRecord(b, v1::INTENT_STATUS_REJECTED)),
      MakeRecord(kTopic, 0, 12, IntentRecord(a, v1::INTENT_STATUS_SETTLED)),
  };
  StagedBatch staged = StageBatch(batch, {});
  ASSERT_EQ(staged.intents.size(), 2u);
  EXPECT_EQ(staged.intents[0].intent_id, a);
  EXPECT_EQ(staged.intents[0].status, "settled");
  EXPECT_EQ(staged.intents[1].intent_id, b);
  EXPECT_EQ(staged.intents[1].status, "rejected");
  EXPECT_EQ(staged.intents[1].reason, "available 5000 < amount 1000000");
  EXPECT_EQ(staged.records, 5u);
  EXPECT_EQ((staged.next_offsets.at({kTopic, core::PartitionId(0)})), core::Offset(13));
  EXPECT_EQ((staged.next_offsets.at({kTopic, core::PartitionId(1)})), core::Offset(5));
}

TEST(IntentsRowsTest, RedeliveredRecordsBelowTheStoredOffsetsAreLeftOut) {
  const std::string a = IntentIdFor(0xa);
  // Offset 11 (settled) was applied; offsets 10-11 come again, then 12.
  std::vector<Record> batch{
      MakeRecord(kTopic, 0, 10, IntentRecord(a, v1::INTENT_STATUS_SUBMITTED)),
      MakeRecord(kTopic, 0, 11, IntentRecord(a, v1::INTENT_STATUS_SETTLED)),
      MakeRecord(kTopic, 0, 12, IntentRecord(IntentIdFor(0xc), v1::INTENT_STATUS_SUBMITTED)),
  };
  StagedBatch staged = StageBatch(batch, {{{kTopic, core::PartitionId(0)}, core::Offset(12)}});
  EXPECT_EQ(staged.skipped, 2u);
  EXPECT_EQ(staged.records, 1u);
  ASSERT_EQ(staged.intents.size(), 1u);
  EXPECT_EQ(staged.intents[0].intent_id, IntentIdFor(0xc));
}

// One malformation each; every one is rejected and none stages a row.
TEST(IntentsRowsTest, MalformedIntentsAreRejectedNamingTheProblem) {
  using Edit = void (*)(v1::IntentStatusChanged&);
  const std::vector<std::pair<Edit, std::string>> cases = {
      {[](auto& m) { m.set_intent_id("ABCDEF0123456789ABCDEF0123456789"); }, "intent_id"},
      {[](auto& m) { m.set_intent_id("abc"); }, "intent_id"},
      {[](auto& m) { m.set_chain(""); }, "chain"},
      {[](auto& m) { m.set_token(std::string(19, 'x')); }, "token"},
      {[](auto& m) { m.set_payer(""); }, "payer"},
      {[](auto& m) { m.set_payee(std::string(21, 'x')); }, "payee"},
      {[](auto& m) { m.set_amount(std::string(31, '\0')); }, "amount"},
      {[](auto& m) { m.set_available(std::string(5, '\1')); }, "available"},
      {[](auto& m) { m.set_kind(v1::INTENT_KIND_UNSPECIFIED); }, "kind"},
      {[](auto& m) { m.set_status(v1::INTENT_STATUS_UNSPECIFIED); }, "status"},
      {[](auto& m) { m.set_status(static_cast<v1::IntentStatus>(42)); }, "status"},
      {[](auto& m) { m.set_memo(std::string("a\0b", 3)); }, "memo"},
      {[](auto& m) { m.set_reason(std::string("\0", 1)); }, "reason"},
      {[](auto& m) { m.set_submitted_at(std::numeric_limits<uint64_t>::max()); }, "submitted_at"},
      {[](auto& m) { m.set_decided_at(uint64_t{1} << 63); }, "decided_at"},
      {[](auto& m) { m.set_epoch(uint64_t{1} << 63); }, "epoch"},
  };
  std::vector<Record> batch;
  for (size_t i = 0; i < cases.size(); ++i) {
    v1::IntentStatusChanged m = Intent(IntentIdFor(static_cast<uint32_t>(i)),
                                       v1::INTENT_STATUS_APPROVED);
    cases[i].first(m);
    batch.push_back(MakeRecord(kTopic, 0, static_cast<int64_t>(i), IntentRecord(m)));
  }
  StagedBatch staged = StageBatch(batch, {});
  EXPECT_TRUE(staged.intents.empty());
  ASSERT_EQ(staged.rejected.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    EXPECT_EQ(staged.rejected[i].record, &batch[i]);
    EXPECT_EQ(staged.rejected[i].why.code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(staged.rejected[i].why.ToString().find(cases[i].second), std::string::npos)
        << cases[i].second << ": " << staged.rejected[i].why.ToString();
  }
  EXPECT_EQ((staged.next_offsets.at({kTopic, core::PartitionId(0)})),
            core::Offset(static_cast<int64_t>(cases.size())));
}

TEST(IntentsRowsTest, UndecodableRecordsAreRejectedAndOtherPayloadsIgnored) {
  v1::Envelope marker;
  marker.mutable_block_end()->set_number(7);
  v1::IntentStatusChanged bad_utf8 = Intent(IntentIdFor(1), v1::INTENT_STATUS_SUBMITTED);
  bad_utf8.set_memo("\xff\xfe");
  std::string bad_utf8_bytes;
  // Serialization logs the UTF-8 violation but still writes the bytes: this
  // is what a buggy or foreign producer could append.
  bad_utf8.SerializeToString(&bad_utf8_bytes);
  v1::Envelope env;
  env.set_id("x");
  std::vector<Record> batch{
      MakeRecord(kTopic, 0, 0, "not protobuf \xff"),
      MakeRecord(kTopic, 0, 1, marker.SerializeAsString()),
      MakeRecord(kTopic, 0, 2, IntentRecord(bad_utf8)),
      MakeRecord(kTopic, 0, 3, env.SerializeAsString()),  // no payload
  };
  StagedBatch staged = StageBatch(batch, {});
  EXPECT_TRUE(staged.intents.empty());
  ASSERT_EQ(staged.rejected.size(), 2u);
  EXPECT_EQ(staged.rejected[0].record, &batch[0]);
  EXPECT_EQ(staged.rejected[1].record, &batch[2]);  // PostgreSQL text must be UTF-8
  EXPECT_EQ(staged.ignored, 2u);
  EXPECT_EQ(staged.records, 4u);
}

}  // namespace
}  // namespace chainflow::projections::intents
