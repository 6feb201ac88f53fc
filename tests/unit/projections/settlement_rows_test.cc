// The settlements and accruals views' decoding and the shared staging
// (pg::StageRows): no database.
#include <gtest/gtest.h>

#include "projections/accruals/accruals_view.h"
#include "projections/pg/keyed_rows.h"
#include "projections/settlements/settlements_view.h"
#include "tests/unit/projections/events.h"
#include "tests/unit/projections/settlement_events.h"

namespace chainflow::projections {
namespace {

using engine::log::Record;
using testing::AccountSettledMessage;
using testing::AccrualMessage;
using testing::EpochSettledMessage;
using testing::MakeRecord;
using testing::Serialize;
using testing::SettleAddr;
using Rows = std::vector<std::vector<std::string>>;

const std::string kSettlements = "cf.settlements";
const std::string kAccruals = "cf.accruals";

pg::StagedRows Stage(const pg::KeyedView& view, const std::vector<Record>& batch,
                     const pg::OffsetMap& applied = {}) {
  return pg::StageRows(batch, applied, view.tables, view.decode);
}

pg::StagedRows StageSettlements(const std::vector<Record>& batch,
                                const pg::OffsetMap& applied = {}) {
  return Stage(settlements::View(), batch, applied);
}

TEST(SettlementRowsTest, EpochSettledBecomesAnEpochRowAndOneTotalPerToken) {
  const std::vector<Record> batch{MakeRecord(
      kSettlements, 0, 0,
      Serialize(EpochSettledMessage(7, {{"anvil", 1, 1500, 2}, {"anvil", 2, 40, 1}})))};
  pg::StagedRows staged = StageSettlements(batch);
  ASSERT_TRUE(staged.rejected.empty()) << staged.rejected[0].why.ToString();
  std::string digest = "0x";
  for (int i = 0; i < 32; ++i) digest += "ab";
  EXPECT_EQ(staged.tables[settlements::kEpochs].rows(),
            (Rows{{"7", "4233600", "4838400", "3", "1", digest}}));
  EXPECT_EQ(staged.tables[settlements::kEpochTotals].rows(),
            (Rows{{"7", "anvil", SettleAddr(1).ToHex(), "1500", "2"},
                  {"7", "anvil", SettleAddr(2).ToHex(), "40", "1"}}));
  EXPECT_TRUE(staged.tables[settlements::kSettlements].rows().empty());
  EXPECT_EQ(staged.records, 1u);
  EXPECT_EQ((staged.next_offsets.at({kSettlements, core::PartitionId(0)})), core::Offset(1));
}

TEST(SettlementRowsTest, AnEmptyDebitOrCreditIsZero) {
  // What the intents processor sends for a payer (nothing credited) and a
  // payee (nothing debited): the absent sum is empty bytes.
  v1::AccountSettled payer = AccountSettledMessage(7, 1, 600, 0);
  v1::AccountSettled payee = AccountSettledMessage(7, 2, 0, 600);
  ASSERT_TRUE(payer.credited().empty());
  ASSERT_TRUE(payee.debited().empty());
  pg::StagedRows staged = StageSettlements({MakeRecord(kSettlements, 0, 0, Serialize(payer)),
                                            MakeRecord(kSettlements, 0, 1, Serialize(payee))});
  ASSERT_TRUE(staged.rejected.empty()) << staged.rejected[0].why.ToString();
  const std::string token = SettleAddr(9).ToHex();
  EXPECT_EQ(staged.tables[settlements::kSettlements].rows(),
            (Rows{{"7", "anvil", token, SettleAddr(1).ToHex(), "600", "0", "1", "0"},
                  {"7", "anvil", token, SettleAddr(2).ToHex(), "0", "600", "0", "1"}}));
}

TEST(SettlementRowsTest, AccountSettledRowsCoalesceByEpochAndAccountLaterWins) {
  const std::vector<Record> batch{
      MakeRecord(kSettlements, 1, 10, Serialize(AccountSettledMessage(7, 1, 600, 0))),
      MakeRecord(kSettlements, 1, 11, Serialize(AccountSettledMessage(7, 2, 0, 600))),
      MakeRecord(kSettlements, 1, 12, Serialize(AccountSettledMessage(8, 1, 5, 0))),
      // The same (epoch, account) again (a re-emission after a crash): replaces.
      MakeRecord(kSettlements, 1, 13, Serialize(AccountSettledMessage(7, 1, 650, 0))),
  };
  pg::StagedRows staged = StageSettlements(batch);
  const std::string token = SettleAddr(9).ToHex();
  EXPECT_EQ(staged.tables[settlements::kSettlements].rows(),
            (Rows{{"7", "anvil", token, SettleAddr(1).ToHex(), "650", "0", "1", "0"},
                  {"7", "anvil", token, SettleAddr(2).ToHex(), "0", "600", "0", "1"},
                  {"8", "anvil", token, SettleAddr(1).ToHex(), "5", "0", "1", "0"}}));
  EXPECT_EQ(staged.records, 4u);
  EXPECT_EQ((staged.next_offsets.at({kSettlements, core::PartitionId(1)})), core::Offset(14));
}

TEST(SettlementRowsTest, RecordsBelowTheStoredOffsetsAreSkippedOthersIgnored) {
  v1::Envelope marker;
  marker.mutable_block_end()->set_number(5);
  const std::vector<Record> batch{
      MakeRecord(kSettlements, 0, 3, Serialize(AccountSettledMessage(7, 1, 1, 0))),
      MakeRecord(kSettlements, 0, 4, marker.SerializeAsString()),
      MakeRecord(kSettlements, 0, 5, Serialize(AccountSettledMessage(7, 2, 1, 0))),
  };
  pg::StagedRows staged = StageSettlements(batch, {{{kSettlements, core::PartitionId(0)},
                                                    core::Offset(4)}});
  EXPECT_EQ(staged.skipped, 1u);
  EXPECT_EQ(staged.ignored, 1u);
  EXPECT_EQ(staged.records, 2u);
  ASSERT_EQ(staged.tables[settlements::kSettlements].rows().size(), 1u);
  EXPECT_EQ(staged.tables[settlements::kSettlements].rows()[0][3], SettleAddr(2).ToHex());
  EXPECT_EQ((staged.next_offsets.at({kSettlements, core::PartitionId(0)})), core::Offset(6));
}

TEST(SettlementRowsTest, UndecodableRecordsAreRejectedWholeAndStillMoveTheOffset) {
  v1::EpochSettled bad_total = EpochSettledMessage(7, {{"anvil", 1, 10, 1}, {"anvil", 2, 20, 1}});
  bad_total.mutable_totals(1)->set_amount("\x01");  // not 32 bytes
  v1::EpochSettled short_digest = EpochSettledMessage(8, {});
  short_digest.set_digest(std::string(31, 'x'));
  v1::EpochSettled huge_epoch = EpochSettledMessage(9, {});
  huge_epoch.set_epoch(uint64_t{1} << 63);
  v1::AccountSettled bad_account = AccountSettledMessage(7, 1, 1, 0);
  bad_account.set_account("short");
  v1::AccountSettled short_credit = AccountSettledMessage(7, 1, 1, 0);
  short_credit.set_credited("\x05");  // present but not 32 bytes
  v1::AccountSettled empty_chain = AccountSettledMessage(7, 1, 1, 0);
  empty_chain.set_chain("");
  v1::AccountSettled nul_chain = AccountSettledMessage(7, 1, 1, 0);
  nul_chain.set_chain(std::string("an\0vil", 6));
  const std::vector<Record> batch{
      MakeRecord(kSettlements, 0, 0, "not protobuf \xff\xff"),
      MakeRecord(kSettlements, 0, 1, Serialize(bad_total)),
      MakeRecord(kSettlements, 0, 2, Serialize(short_digest)),
      MakeRecord(kSettlements, 0, 3, Serialize(huge_epoch)),
      MakeRecord(kSettlements, 0, 4, Serialize(bad_account)),
      MakeRecord(kSettlements, 0, 5, Serialize(empty_chain)),
      MakeRecord(kSettlements, 0, 6, Serialize(nul_chain)),
      MakeRecord(kSettlements, 0, 7, Serialize(short_credit)),
  };
  pg::StagedRows staged = StageSettlements(batch);
  ASSERT_EQ(staged.rejected.size(), 8u);
  // A record with one bad total leaves no row at all (not even its epoch's).
  for (const auto& table : staged.tables) EXPECT_TRUE(table.rows().empty());
  const std::vector<std::string> want = {"Envelope", "totals.amount", "digest", "epoch",
                                         "account",  "chain",         "chain",  "credited"};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(staged.rejected[i].record, &batch[i]);
    EXPECT_EQ(staged.rejected[i].why.code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(staged.rejected[i].why.ToString().find(want[i]), std::string::npos)
        << staged.rejected[i].why.ToString();
  }
  EXPECT_EQ((staged.next_offsets.at({kSettlements, core::PartitionId(0)})), core::Offset(8));
}

TEST(AccrualRowsTest, AccrualsAreRowsByDayAndAccountWithTheirRounding) {
  const std::vector<Record> batch{
      MakeRecord(kAccruals, 0, 0, Serialize(AccrualMessage(3, 1, 1'000'001))),
      MakeRecord(kAccruals, 0, 1, Serialize(AccrualMessage(3, 2, 7))),
      MakeRecord(kAccruals, 0, 2, Serialize(AccrualMessage(4, 1, 1'002'501))),
  };
  pg::StagedRows staged = Stage(accruals::View(), batch);
  ASSERT_TRUE(staged.rejected.empty());
  const std::string token = SettleAddr(9).ToHex();
  EXPECT_EQ(staged.tables[0].rows(),
            (Rows{{"3", "anvil", token, SettleAddr(1).ToHex(), "345600", "1000001", "25", "2500",
                   "25", "10000"},
                  {"3", "anvil", token, SettleAddr(2).ToHex(), "345600", "7", "25", "0", "175",
                   "0"},
                  {"4", "anvil", token, SettleAddr(1).ToHex(), "432000", "1002501", "25", "2506",
                   "2525", "12530"}}));
}

TEST(AccrualRowsTest, MalformedAccrualsAreRejected) {
  v1::AccrualRecorded carry = AccrualMessage(3, 1, 10);
  carry.set_carry(10000);
  v1::AccrualRecorded token = AccrualMessage(3, 1, 10);
  token.set_token(std::string(21, 'x'));
  v1::AccrualRecorded total = AccrualMessage(3, 1, 10);
  total.set_total_accrued(std::string(33, '\0'));
  v1::AccrualRecorded day = AccrualMessage(3, 1, 10);
  day.set_day(~uint64_t{0});
  const std::vector<Record> batch{
      MakeRecord(kAccruals, 0, 0, Serialize(carry)), MakeRecord(kAccruals, 0, 1, Serialize(token)),
      MakeRecord(kAccruals, 0, 2, Serialize(total)), MakeRecord(kAccruals, 0, 3, Serialize(day)),
      // A settlement record on the accruals topic: not this view's, ignored.
      MakeRecord(kAccruals, 0, 4, Serialize(AccountSettledMessage(7, 1, 1, 0)))};
  pg::StagedRows staged = Stage(accruals::View(), batch);
  ASSERT_EQ(staged.rejected.size(), 4u);
  const std::vector<std::string> want = {"carry", "token", "total_accrued", "day"};
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_NE(staged.rejected[i].why.ToString().find(want[i]), std::string::npos)
        << staged.rejected[i].why.ToString();
  }
  EXPECT_EQ(staged.ignored, 1u);
  EXPECT_TRUE(staged.tables[0].rows().empty());
}

}  // namespace
}  // namespace chainflow::projections
