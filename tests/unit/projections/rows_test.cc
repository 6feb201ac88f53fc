#include "projections/nft/rows.h"

#include <gtest/gtest.h>

#include "projections/pg/connection.h"
#include "projections/pg/internal/errors.h"
#include "tests/unit/projections/events.h"

namespace chainflow::projections::nft {
namespace {

using testing::Addr;
using testing::MakeLog;
using testing::MakeRecord;

const std::string kTopic = "cf.nft.ownership";

TEST(StageBatchTest, LaterRecordOfAKeyWins) {
  auto contract = Addr(9);
  std::vector<engine::log::Record> batch = {
      MakeRecord(kTopic, 0, 10, testing::OwnerChanged(MakeLog("eth", contract, 1, 0), 7,
                                                      Addr(0), Addr(1))),
      MakeRecord(kTopic, 0, 11, testing::OwnerChanged(MakeLog("eth", contract, 2, 0), 7,
                                                      Addr(1), Addr(2))),
      MakeRecord(kTopic, 0, 12, testing::OwnerChanged(MakeLog("eth", contract, 3, 5), 8,
                                                      Addr(0), Addr(3))),
  };
  StagedBatch staged = StageBatch(batch, {});
  ASSERT_EQ(staged.owners.size(), 2u);
  EXPECT_EQ(staged.owners[0].token_id, "7");
  EXPECT_EQ(staged.owners[0].owner, Addr(2).ToHex());
  EXPECT_EQ(staged.owners[0].block_number, 2);
  EXPECT_EQ(staged.owners[1].owner, Addr(3).ToHex());
  EXPECT_EQ(staged.owners[1].log_index, 5u);
  EXPECT_EQ(staged.records, 3u);
  EXPECT_EQ(staged.next_offsets.at({kTopic, core::PartitionId(0)}), core::Offset(13));
}

TEST(StageBatchTest, AddressesAndHashesAreLowercaseHex) {
  std::vector<engine::log::Record> batch = {MakeRecord(
      kTopic, 0, 0, testing::OwnerChanged(MakeLog("eth", Addr(0xCD), 0xAB, 0), 1, Addr(0),
                                          Addr(0xEF)))};
  StagedBatch staged = StageBatch(batch, {});
  ASSERT_EQ(staged.owners.size(), 1u);
  EXPECT_EQ(staged.owners[0].contract, "0xab000000000000000000000000000000000000cd");
  EXPECT_EQ(staged.owners[0].owner, "0xab000000000000000000000000000000000000ef");
  std::string hash = "0x";
  for (int i = 0; i < 32; ++i) hash += "ab";  // MakeLog: 32 bytes of the block number's low byte
  EXPECT_EQ(staged.owners[0].tx_hash, hash);
}

TEST(StageBatchTest, RetractionRestoresPreviousOwnerAndBalance) {
  auto c = Addr(9);
  std::vector<engine::log::Record> batch = {
      MakeRecord(kTopic, 0, 0,
                 testing::OwnerChanged(MakeLog("eth", c, 5, 0), 1, Addr(1), Addr(2), true)),
      MakeRecord(kTopic, 0, 1,
                 testing::BalanceChanged(MakeLog("eth", c, 5, 1), 2, Addr(3), 10, 4, true)),
  };
  StagedBatch staged = StageBatch(batch, {});
  ASSERT_EQ(staged.owners.size(), 1u);
  EXPECT_EQ(staged.owners[0].owner, Addr(1).ToHex());
  ASSERT_EQ(staged.balances.size(), 1u);
  EXPECT_EQ(staged.balances[0].balance, "4");
}

TEST(StageBatchTest, RetractionToNothingDeletesAndTheLastChangeOfAKeyWins) {
  auto contract = Addr(9);
  auto mint = [&](int64_t offset, uint64_t token, uint64_t block) {
    return MakeRecord(kTopic, 0, offset,
                      testing::OwnerChanged(MakeLog("eth", contract, block, 0), token, Addr(0),
                                            Addr(1)));
  };
  auto gone = [&](int64_t offset, uint64_t token) {
    return MakeRecord(kTopic, 0, offset,
                      testing::OwnerRetractedToNothing("eth", contract, token, Addr(1)));
  };
  // Token 1: mint, retracted to nothing, minted again on the new branch.
  // Token 2: mint then retracted to nothing. Token 3: only retracted.
  StagedBatch staged =
      StageBatch({mint(0, 1, 5), mint(1, 2, 5), gone(2, 2), gone(3, 1), mint(4, 1, 6), gone(5, 3)},
                 {});
  ASSERT_EQ(staged.owners.size(), 1u);
  EXPECT_EQ(staged.owners[0].token_id, "1");
  EXPECT_EQ(staged.owners[0].block_number, 6);
  EXPECT_FALSE(staged.owners[0].deleted);
  ASSERT_EQ(staged.owner_deletes.size(), 2u);
  EXPECT_EQ(staged.owner_deletes[0].token_id, "2");
  EXPECT_EQ(staged.owner_deletes[1].token_id, "3");
  EXPECT_TRUE(staged.rejected.empty());
}

TEST(StageBatchTest, SkipsRecordsBelowAppliedOffsets) {
  auto c = Addr(9);
  std::vector<engine::log::Record> batch;
  for (int i = 0; i < 6; ++i) {
    batch.push_back(MakeRecord(kTopic, i % 2, i / 2,
                               testing::OwnerChanged(MakeLog("eth", c, 1, i), i, Addr(0),
                                                     Addr(1))));
  }
  pg::OffsetMap applied{{{kTopic, core::PartitionId(0)}, core::Offset(2)},
                        {{kTopic, core::PartitionId(1)}, core::Offset(3)}};
  StagedBatch staged = StageBatch(batch, applied);
  EXPECT_EQ(staged.skipped, 5u);
  EXPECT_EQ(staged.records, 1u);
  ASSERT_EQ(staged.owners.size(), 1u);
  EXPECT_EQ(staged.owners[0].token_id, "4");
  EXPECT_EQ(staged.next_offsets.size(), 1u);
}

TEST(StageBatchTest, RejectsUndecodableAndIgnoresOtherPayloads) {
  v1::Envelope marker;
  marker.mutable_block_end()->set_chain("eth");
  v1::LogRef bad_chain = MakeLog("et\x01h", Addr(9), 1, 0);
  std::vector<engine::log::Record> batch = {
      MakeRecord(kTopic, 0, 0, "not a protobuf \xff\xff\xff"),
      MakeRecord(kTopic, 0, 1, marker.SerializeAsString()),
      MakeRecord(kTopic, 0, 2, testing::OwnerChanged(bad_chain, 1, Addr(0), Addr(1))),
      MakeRecord(kTopic, 0, 3, [] {
        v1::Envelope e;
        e.mutable_owner_changed()->set_token_id("x");  // no log
        return e.SerializeAsString();
      }()),
      MakeRecord(kTopic, 0, 4, [] {
        v1::Envelope e;
        auto* ev = e.mutable_owner_changed();
        *ev->mutable_log() = MakeLog("eth", Addr(9), 1, 0);
        ev->set_token_id(std::string(33, '\x01'));  // > 32 bytes
        ev->set_owner(Addr(1).ToBytes());
        return e.SerializeAsString();
      }()),
      MakeRecord(kTopic, 0, 5, [] {
        v1::Envelope e;
        auto* ev = e.mutable_owner_changed();
        *ev->mutable_log() = MakeLog("eth", Addr(9), 1, 0);
        ev->set_token_id("\x01");
        ev->set_owner("short");  // not 20 bytes
        return e.SerializeAsString();
      }()),
  };
  StagedBatch staged = StageBatch(batch, {});
  EXPECT_EQ(staged.records, 6u);
  EXPECT_EQ(staged.ignored, 1u);
  ASSERT_EQ(staged.rejected.size(), 5u);
  for (const Rejected& r : staged.rejected) {
    EXPECT_EQ(r.why.code(), core::StatusCode::kInvalidArgument) << r.why.ToString();
  }
  EXPECT_EQ(staged.rejected[0].record, &batch[0]);
  EXPECT_TRUE(staged.owners.empty());
  EXPECT_EQ(staged.next_offsets.at({kTopic, core::PartitionId(0)}), core::Offset(6));
}

TEST(StageBatchTest, ZeroBalanceKeepsItsRow) {
  auto c = Addr(9);
  std::vector<engine::log::Record> batch = {
      MakeRecord(kTopic, 0, 0, testing::BalanceChanged(MakeLog("eth", c, 1, 0), 5, Addr(1), 3, 0)),
      MakeRecord(kTopic, 0, 1, testing::BalanceChanged(MakeLog("eth", c, 2, 0), 5, Addr(1), 0, 3)),
  };
  StagedBatch staged = StageBatch(batch, {});
  ASSERT_EQ(staged.balances.size(), 1u);
  EXPECT_EQ(staged.balances[0].balance, "0");
}

TEST(SqlStateTest, CodesFollowTheSupervisorTable) {
  using core::StatusCode;
  using pg::internal::CodeForSqlState;
  EXPECT_EQ(CodeForSqlState("40001"), StatusCode::kAborted);
  EXPECT_EQ(CodeForSqlState("40P01"), StatusCode::kAborted);
  EXPECT_EQ(CodeForSqlState("08006"), StatusCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState("57P01"), StatusCode::kUnavailable);
  EXPECT_EQ(CodeForSqlState("53100"), StatusCode::kResourceExhausted);
  EXPECT_EQ(CodeForSqlState("22003"), StatusCode::kInvalidArgument);
  EXPECT_EQ(CodeForSqlState("23505"), StatusCode::kInternal);
  EXPECT_EQ(CodeForSqlState("42P01"), StatusCode::kInternal);
}

// The status collector's connections give up on a server that does not
// answer (SIGSTOP) after a few seconds: the timeout joins either URL form.
TEST(WithConnectTimeoutTest, AddsTheTimeoutToEitherUrlForm) {
  using pg::WithConnectTimeout;
  EXPECT_EQ(WithConnectTimeout("postgresql://chainflow@127.0.0.1:5433/chainflow", 2),
            "postgresql://chainflow@127.0.0.1:5433/chainflow?connect_timeout=2");
  EXPECT_EQ(WithConnectTimeout("postgres://h/db?sslmode=disable", 3),
            "postgres://h/db?sslmode=disable&connect_timeout=3");
  EXPECT_EQ(WithConnectTimeout("host=h dbname=db", 2), "host=h dbname=db connect_timeout=2");
  EXPECT_EQ(WithConnectTimeout("", 2), "connect_timeout=2");
  // One the operator chose stays.
  EXPECT_EQ(WithConnectTimeout("postgresql://h/db?connect_timeout=10", 2),
            "postgresql://h/db?connect_timeout=10");
}

}  // namespace
}  // namespace chainflow::projections::nft
