#include "api/handlers/dedup_store.h"

#include <unistd.h>

#include <filesystem>

#include <gtest/gtest.h>

namespace chainflow::api::handlers {
namespace {

TEST(DedupEntryTest, EncodesAndDecodes) {
  DedupEntry entry{true, 1700000000, "abcd", "intent/0123"};
  EXPECT_EQ(EncodeDedupEntry(entry), "d 1700000000 abcd intent/0123");
  auto decoded = DecodeDedupEntry(EncodeDedupEntry(entry));
  ASSERT_TRUE(decoded);
  EXPECT_TRUE(decoded.value().done);
  EXPECT_EQ(decoded.value().received_at, 1700000000);
  EXPECT_EQ(decoded.value().digest, "abcd");
  EXPECT_EQ(decoded.value().record_id, "intent/0123");
  entry.done = false;
  EXPECT_FALSE(DecodeDedupEntry(EncodeDedupEntry(entry)).value().done);
}

TEST(DedupEntryTest, RejectsGarbage) {
  for (std::string bad : {"", "x 1 a b", "d", "d x a b", "d 1 a", "d 1"}) {
    auto decoded = DecodeDedupEntry(bad);
    ASSERT_FALSE(decoded) << bad;
    EXPECT_EQ(decoded.error().code(), core::StatusCode::kDataLoss);
  }
}

class RocksDedupStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("cf_dedup_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(RocksDedupStoreTest, SurvivesReopen) {
  {
    auto store = RocksDedupStore::Open(dir_.string());
    ASSERT_TRUE(store) << store.error().ToString();
    EXPECT_FALSE(store.value()->Get("intent/a").value().has_value());
    ASSERT_TRUE(store.value()->Put("intent/a", {true, 5, "d1", "a"}).ok());
    ASSERT_TRUE(store.value()->Put("intent/b", {false, 6, "d2", "b"}).ok());
  }
  auto store = RocksDedupStore::Open(dir_.string());
  ASSERT_TRUE(store) << store.error().ToString();
  auto a = store.value()->Get("intent/a").value();
  ASSERT_TRUE(a.has_value());
  EXPECT_TRUE(a->done);
  EXPECT_EQ(a->received_at, 5);
  auto b = store.value()->Get("intent/b").value();
  ASSERT_TRUE(b.has_value());
  EXPECT_FALSE(b->done);
  EXPECT_EQ(b->digest, "d2");
}

TEST_F(RocksDedupStoreTest, SecondOpenOfTheSameDirectoryFails) {
  auto first = RocksDedupStore::Open(dir_.string());
  ASSERT_TRUE(first);
  auto second = RocksDedupStore::Open(dir_.string());
  EXPECT_FALSE(second);
}

}  // namespace
}  // namespace chainflow::api::handlers
