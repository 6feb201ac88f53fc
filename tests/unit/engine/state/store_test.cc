#include "engine/state/store.h"

#include <filesystem>

#include <gtest/gtest.h>

namespace chainflow::engine::state {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cf_store_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(StoreTest, BatchReadsItsOwnWritesAndCommitsAtomically) {
  auto store = Store::Open(dir_.string()).value();
  auto batch = store->NewBatch();
  batch->Put("a", "1");
  EXPECT_EQ(batch->Get("a").value(), std::optional<std::string>("1"));
  EXPECT_FALSE(store->Get("a").value().has_value()) << "uncommitted write visible";
  ASSERT_TRUE(store->Commit(*batch).ok());
  EXPECT_EQ(store->Get("a").value(), std::optional<std::string>("1"));
}

TEST_F(StoreTest, RollbackToSavePointDropsOnlyLaterWrites) {
  auto store = Store::Open(dir_.string()).value();
  auto batch = store->NewBatch();
  batch->Put("keep", "x");
  batch->SetSavePoint();
  batch->Put("drop", "y");
  batch->Delete("keep");
  batch->RollbackToSavePoint();
  ASSERT_TRUE(store->Commit(*batch).ok());
  EXPECT_EQ(store->Get("keep").value(), std::optional<std::string>("x"));
  EXPECT_FALSE(store->Get("drop").value().has_value());
}

TEST_F(StoreTest, SecondOpenOfSamePathIsUnavailable) {
  auto first = Store::Open(dir_.string());
  ASSERT_TRUE(first.has_value());
  auto second = Store::Open(dir_.string());
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), core::StatusCode::kUnavailable) << second.error().ToString();
}

TEST_F(StoreTest, ScanVisitsPrefixInOrderAndSurvivesReopen) {
  {
    auto store = Store::Open(dir_.string()).value();
    auto batch = store->NewBatch();
    for (const char* k : {"p/3", "p/1", "q/1", "p/2"}) batch->Put(k, k);
    ASSERT_TRUE(store->Commit(*batch).ok());
  }
  auto store = Store::Open(dir_.string()).value();
  std::vector<std::string> keys;
  ASSERT_TRUE(store->Scan("p/", [&](std::string_view k, std::string_view) {
    keys.emplace_back(k);
    return true;
  }).ok());
  EXPECT_EQ(keys, (std::vector<std::string>{"p/1", "p/2", "p/3"}));
}

TEST_F(StoreTest, BatchScanSeesItsOwnWritesOverTheCommittedKeys) {
  auto store = Store::Open(dir_.string()).value();
  auto committed = store->NewBatch();
  for (const char* k : {"p/1", "p/2", "p/4", "q/1"}) committed->Put(k, "old");
  ASSERT_TRUE(store->Commit(*committed).ok());

  auto batch = store->NewBatch();
  batch->Put("p/3", "new");  // added
  batch->Put("p/4", "new");  // overwritten
  batch->Delete("p/2");      // deleted
  batch->Put("q/0", "new");  // another prefix
  std::vector<std::string> seen;
  ASSERT_TRUE(batch->Scan("p/", [&](std::string_view k, std::string_view v) {
    seen.push_back(std::string(k) + "=" + std::string(v));
    batch->Delete(k);  // writing while scanning is allowed
    return k != "p/3";  // stops after p/3
  }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"p/1=old", "p/3=new"}));
  EXPECT_FALSE(batch->Get("p/1").value().has_value());
  EXPECT_EQ(batch->Get("p/4").value(), std::optional<std::string>("new"));
}

TEST_F(StoreTest, BatchScanFromSeeksAndMergesItsOwnWrites) {
  auto store = Store::Open(dir_.string()).value();
  auto committed = store->NewBatch();
  for (const char* k : {"p/1", "p/2", "p/4", "p/6", "q/1"}) committed->Put(k, "old");
  ASSERT_TRUE(store->Commit(*committed).ok());

  auto batch = store->NewBatch();
  batch->Put("p/0", "new");  // before the start
  batch->Put("p/5", "new");  // between committed keys
  batch->Put("p/4", "new");  // overwritten
  batch->Delete("p/2");      // deleted at the start
  std::vector<std::string> seen;
  ASSERT_TRUE(batch->ScanFrom("p/", "p/2", [&](std::string_view k, std::string_view v) {
    seen.push_back(std::string(k) + "=" + std::string(v));
    batch->Delete(k);
    return true;
  }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"p/4=new", "p/5=new", "p/6=old"}));
  seen.clear();
  ASSERT_TRUE(batch->ScanFrom("p/", "p/", [&](std::string_view k, std::string_view v) {
    seen.push_back(std::string(k) + "=" + std::string(v));
    return false;  // stops at once
  }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"p/0=new"}));
}

}  // namespace
}  // namespace chainflow::engine::state
