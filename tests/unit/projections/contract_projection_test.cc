// The contract-events projection against a real PostgreSQL: the parameter
// indexes a bulk load defers (projections/contracts/deferred_indexes.h).
#include <unistd.h>

#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "projections/contracts/contract_view.h"
#include "projections/contracts/deferred_indexes.h"
#include "projections/contracts/schema.h"
#include "tests/unit/projections/contract_abi.h"
#include "tests/unit/projections/test_db.h"

namespace chainflow::projections::contracts {
namespace {

using engine::log::Record;
using projections::testing::FreshSchema;
using projections::testing::QueryText;

constexpr char kTopic[] = "t.contract.shop";
constexpr uint64_t kMinBacklog = 10;

// A Purchased event of block `n` (log index 0) as the processor writes it
// in JSON: ticket n bought by one of three buyers.
Record Purchase(int64_t n) {
  const std::string buyer = fmt::format("0x00000000000000000000000000000000000000b{}", n % 3);
  const std::string value = fmt::format(
      R"j({{"id":"shop/{0}","chain":"anvil","contract":"shop","address":"0x00000000000000000000000000000000000005a0","event":"Purchased","signature":"Purchased(address,uint256,uint256,string,bytes32,bool)","block_number":{0},"block_hash":"0x{1:064x}","block_timestamp":1700000000,"tx_hash":"0x{1:064x}","tx_index":0,"log_index":0,"retracted":false,"params":{{"buyer":"{2}","ticketId":"{0}","amount":"5","memo":"m","ref":"0x{1:064x}","paid":true}}}})j",
      n, n, buyer);
  Record r;
  r.topic = kTopic;
  r.partition = core::PartitionId(0);
  r.offset = core::Offset(n);
  r.key = "anvil:shop";
  r.value = value;
  return r;
}

std::vector<Record> Purchases(int64_t from, int64_t to) {
  std::vector<Record> out;
  for (int64_t n = from; n < to; ++n) out.push_back(Purchase(n));
  return out;
}

pg::BatchContext Context(size_t records, uint64_t applied, uint64_t backlog) {
  return pg::BatchContext{.records = records, .applied = applied, .backlog = backlog};
}

// The parameter indexes schema shop has, by name.
std::string ParameterIndexes() {
  return QueryText(
      "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes "
      "WHERE schemaname = 'shop' AND indexname LIKE '%\\_by\\_%'");
}
constexpr char kAllIndexes[] = "purchased_by_buyer,purchased_by_ticket_id,tagged_by_tag";
constexpr char kNoIndex[] = "NULL";
// The tables autovacuum is off for (while their indexes are dropped).
std::string AutovacuumOff() {
  return QueryText(
      "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_class c JOIN pg_namespace n "
      "ON n.oid = c.relnamespace WHERE n.nspname = 'shop' AND c.relkind = 'r' AND "
      "'autovacuum_enabled=false' = ANY(c.reloptions)");
}
constexpr char kBothTables[] = "purchased,tagged";

class ContractProjectionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           fmt::format("cf_contract_projection_test_{}", ::getpid());
    shop_ = chainflow::testing::LoadShop(dir_, chainflow::testing::kShopAbi, "format = \"json\"\n");
    ASSERT_NE(shop_, nullptr);
    conn_ = FreshSchema();
    ASSERT_TRUE(conn_);
    const std::string projection = ProjectionName("shop");
    ASSERT_TRUE(DropSchema(*conn_, "shop", projection).ok());
    ASSERT_TRUE(EnsureSchema(*conn_, "shop", projection, TableSpecsOf(shop_->shop())).ok());
    ASSERT_EQ(ParameterIndexes(), kAllIndexes);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<ContractProjection> Open(IndexLoadOptions options) {
    return std::make_unique<ContractProjection>(*conn_, shop_->catalog, shop_->shop(), nullptr,
                                                "", options);
  }
  static void Apply(ContractProjection& p, int64_t from, int64_t to, uint64_t backlog) {
    auto report = p.Apply(Purchases(from, to),
                          Context(static_cast<size_t>(to - from), static_cast<uint64_t>(from),
                                  backlog));
    ASSERT_TRUE(report) << report.error().ToString();
  }
  // The rows of shop.purchased as "block:buyer:ticket", in block order.
  static std::string Rows() {
    return QueryText(
        "SELECT string_agg(block_number || ':' || buyer || ':' || ticket_id, ',' "
        "ORDER BY block_number) FROM shop.purchased");
  }

  std::filesystem::path dir_;
  std::unique_ptr<chainflow::testing::ShopCatalog> shop_;
  std::unique_ptr<pg::Connection> conn_;
};

std::string ExpectedRows(int64_t to) {
  std::string out;
  for (int64_t n = 0; n < to; ++n) {
    if (n > 0) out += ',';
    out += fmt::format("{}:0x00000000000000000000000000000000000000b{}:{}", n, n % 3, n);
  }
  return out;
}

TEST(DecideIndexesTest, BacklogDropsBulkLoadsWaitForTheirEnd) {
  auto decide = [](bool present, uint64_t applied, uint64_t backlog, uint64_t bulk = 0) {
    return DecideIndexes(present, Context(10, applied, backlog), 100, bulk);
  };
  EXPECT_EQ(decide(true, 0, 100), IndexStep::kDrop);
  EXPECT_EQ(decide(true, 0, 99), IndexStep::kKeep);      // not far enough behind
  EXPECT_EQ(decide(true, 111, 100), IndexStep::kKeep);   // more applied than ahead
  EXPECT_EQ(decide(true, 110, 100), IndexStep::kDrop);   // as much ahead (batch included)
  EXPECT_EQ(decide(false, 500, 60), IndexStep::kKeep);   // between the thresholds
  EXPECT_EQ(decide(false, 500, 49), IndexStep::kBuild);  // near the head
  EXPECT_EQ(decide(true, 0, 0, 100), IndexStep::kDrop);  // an announced load, whatever the backlog
  EXPECT_EQ(decide(true, 0, 0, 99), IndexStep::kKeep);
  EXPECT_EQ(decide(true, 101, 0, 100), IndexStep::kKeep);
  EXPECT_EQ(decide(false, 0, 0, 100), IndexStep::kKeep);  // built when the load is over
  // 0 turns deferral off: nothing dropped, what is missing built.
  EXPECT_EQ(DecideIndexes(true, Context(10, 0, 1'000'000), 0, 1'000'000), IndexStep::kKeep);
  EXPECT_EQ(DecideIndexes(false, Context(10, 0, 1'000'000), 0), IndexStep::kBuild);
}

TEST_F(ContractProjectionTest, ABacklogDropsTheParameterIndexesAndTheHeadBuildsThem) {
  auto p = Open({.min_backlog = kMinBacklog});
  EXPECT_EQ(AutovacuumOff(), kNoIndex);
  Apply(*p, 0, 5, 20);
  EXPECT_EQ(ParameterIndexes(), kNoIndex);
  EXPECT_EQ(p->deferred_indexes(), true);
  EXPECT_EQ(AutovacuumOff(), kBothTables);
  Apply(*p, 5, 10, 15);  // still far behind
  EXPECT_EQ(ParameterIndexes(), kNoIndex);
  Apply(*p, 10, 25, 0);  // the head: built in the batch's transaction
  EXPECT_EQ(ParameterIndexes(), kAllIndexes);
  EXPECT_EQ(p->deferred_indexes(), false);
  EXPECT_EQ(AutovacuumOff(), kNoIndex);
  EXPECT_EQ(Rows(), ExpectedRows(25));
  // The built index serves a filter on the parameter.
  EXPECT_EQ(QueryText("SELECT count(*) FROM shop.purchased WHERE buyer = "
                      "'0x00000000000000000000000000000000000000b1'"),
            "8");
  Apply(*p, 25, 30, 1);  // at the head: nothing dropped
  EXPECT_EQ(ParameterIndexes(), kAllIndexes);
  EXPECT_EQ(Rows(), ExpectedRows(30));
}

TEST_F(ContractProjectionTest, HexColumnsCompareBytewiseStringsKeepTheDatabaseCollation) {
  EXPECT_EQ(QueryText("SELECT string_agg(column_name, ',' ORDER BY ordinal_position) FROM "
                      "information_schema.columns WHERE table_schema = 'shop' AND table_name = "
                      "'purchased' AND collation_name = 'C'"),
            "contract,block_hash,tx_hash,buyer");
  auto p = Open({.min_backlog = kMinBacklog});
  Apply(*p, 0, 3, 0);
  EXPECT_EQ(QueryText("SELECT string_agg(buyer, ',' ORDER BY buyer) FROM shop.purchased"),
            "0x00000000000000000000000000000000000000b0,"
            "0x00000000000000000000000000000000000000b1,"
            "0x00000000000000000000000000000000000000b2");
}

TEST_F(ContractProjectionTest, LoadsSmallerThanTheTableKeepTheIndexes) {
  auto p = Open({.min_backlog = kMinBacklog});
  Apply(*p, 0, 30, 0);
  // 12 records ahead of a view that has applied 30: a build would cost more
  // than the load.
  Apply(*p, 30, 32, 12);
  EXPECT_EQ(ParameterIndexes(), kAllIndexes);
  EXPECT_EQ(p->deferred_indexes(), false);
}

TEST_F(ContractProjectionTest, AnAnnouncedBulkLoadBuildsOnlyWhenFinished) {
  auto p = Open({.min_backlog = kMinBacklog, .bulk_load = 40});
  Apply(*p, 0, 5, 0);
  EXPECT_EQ(ParameterIndexes(), kNoIndex);
  Apply(*p, 5, 20, 0);  // the projection caught up with a load still arriving
  ASSERT_TRUE(p->Idle().ok());
  EXPECT_EQ(ParameterIndexes(), kNoIndex);
  EXPECT_EQ(AutovacuumOff(), kBothTables);
  ASSERT_TRUE(FinishBulkLoad(*conn_, shop_->shop()).ok());
  EXPECT_EQ(ParameterIndexes(), kAllIndexes);
  EXPECT_EQ(AutovacuumOff(), kNoIndex);
  EXPECT_EQ(Rows(), ExpectedRows(20));
  ASSERT_TRUE(FinishBulkLoad(*conn_, shop_->shop()).ok());  // nothing left to build
  EXPECT_EQ(ParameterIndexes(), kAllIndexes);
}

TEST_F(ContractProjectionTest, AProjectionStartedAfterAnUnfinishedLoadBuildsAtTheHead) {
  {
    auto killed = Open({.min_backlog = kMinBacklog, .bulk_load = 40});
    Apply(*killed, 0, 10, 30);
  }
  EXPECT_EQ(ParameterIndexes(), kNoIndex);
  auto p = Open({.min_backlog = kMinBacklog});
  ASSERT_TRUE(p->Idle().ok());  // the first empty poll
  EXPECT_EQ(ParameterIndexes(), kAllIndexes);
  EXPECT_EQ(p->deferred_indexes(), false);
  ASSERT_TRUE(p->Idle().ok());
  Apply(*p, 10, 12, 0);
  EXPECT_EQ(Rows(), ExpectedRows(12));
}

TEST_F(ContractProjectionTest, DeferralOffBuildsWhatIsMissingAndDropsNothing) {
  {
    auto killed = Open({.min_backlog = kMinBacklog, .bulk_load = 40});
    Apply(*killed, 0, 10, 30);
  }
  auto p = Open({.min_backlog = 0});
  Apply(*p, 10, 20, 1'000'000);
  EXPECT_EQ(ParameterIndexes(), kAllIndexes);
  Apply(*p, 20, 30, 1'000'000);
  EXPECT_EQ(ParameterIndexes(), kAllIndexes);
  EXPECT_EQ(Rows(), ExpectedRows(30));
}

}  // namespace
}  // namespace chainflow::projections::contracts

namespace chainflow::projections::contracts {
namespace {

// A batch decoded ahead of its transaction (pg::Projector's second thread)
// is used when the stored offsets skip none of it, and decoded again when
// they do: another writer of the view applied some of it first.
TEST_F(ContractProjectionTest, ABatchDecodedAheadIsUsedOnlyWhenNoneOfItWasApplied) {
  auto p = Open({});
  const std::vector<Record> first = Purchases(0, 10);
  std::unique_ptr<pg::PreparedBatch> prepared = p->Prepare(first);
  ASSERT_NE(prepared, nullptr);
  pg::BatchContext context = Context(10, 0, 0);
  context.prepared = prepared.get();
  auto applied = p->Apply(first, context);
  ASSERT_TRUE(applied.has_value()) << applied.error().ToString();
  EXPECT_EQ(applied.value().records, 10u);
  EXPECT_EQ(Rows(), ExpectedRows(10));

  // Records 5-14, decoded ahead as if none were applied; 5-9 are.
  const std::vector<Record> overlapping = Purchases(5, 15);
  prepared = p->Prepare(overlapping);
  context = Context(10, 10, 0);
  context.prepared = prepared.get();
  ASSERT_TRUE(conn_->ExecuteInTransaction("UPDATE shop.purchased SET memo = 'kept'").ok());
  applied = p->Apply(overlapping, context);
  ASSERT_TRUE(applied.has_value()) << applied.error().ToString();
  EXPECT_EQ(applied.value().skipped, 5u);
  EXPECT_EQ(applied.value().records, 5u);
  // The applied ones were not written again.
  EXPECT_EQ(QueryText("SELECT count(*) FROM shop.purchased WHERE memo = 'kept'"), "10");
  EXPECT_EQ(QueryText("SELECT count(*) FROM shop.purchased"), "15");
}

}  // namespace
}  // namespace chainflow::projections::contracts
