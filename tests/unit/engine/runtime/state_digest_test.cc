// StateDigest and its per-store views: runtime keys ('\0'-prefixed: offsets,
// the changelog checkpoint) never count, and a store that differs is named.
#include "engine/runtime/state_digest.h"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "engine/state/store.h"
#include "tests/unit/engine/runtime/runner_test_util.h"

namespace chainflow::engine::runtime {
namespace {

class StateDigestTest : public test::ScratchDirTest {
 protected:
  // Writes `pairs` into the store at root/<store> (created if missing).
  void Put(const std::filesystem::path& root, const std::string& store,
           const std::map<std::string, std::string>& pairs) {
    std::filesystem::create_directories(root / store);
    auto opened = state::Store::Open((root / store).string(), {.create_if_missing = true});
    ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
    auto batch = opened.value()->NewBatch();
    for (const auto& [k, v] : pairs) batch->Put(k, v);
    ASSERT_TRUE(opened.value()->Commit(*batch).ok());
  }
};

TEST_F(StateDigestTest, PerStoreDigestsNameTheStoreThatDiffersAndIgnoreRuntimeKeys) {
  const auto a = root_ / "a";
  const auto b = root_ / "b";
  for (const auto& root : {a, b}) {
    Put(root, "nft_ownership/cf.events-0", {{"owner/1", "alice"}});
    Put(root, "nft_ownership/cf.events-1", {{"owner/2", "bob"}});
  }
  // Runtime keys differ between instances (their own offsets) and are left out.
  Put(a, "nft_ownership/cf.events-1", {{std::string("\0changelog/next", 15), "7"}});
  Put(b, "nft_ownership/cf.events-1", {{std::string("\0changelog/next", 15), "9"}});
  EXPECT_EQ(StateDigest(a.string()).value(), StateDigest(b.string()).value());
  EXPECT_EQ(StoreDigests(a.string()).value().stores, StoreDigests(b.string()).value().stores);
  EXPECT_EQ(StoreDigests(a.string()).value().all, StateDigest(a.string()).value());

  Put(b, "nft_ownership/cf.events-1", {{"owner/2", "carol"}});
  EXPECT_NE(StateDigest(a.string()).value(), StateDigest(b.string()).value());
  auto in_a = StoreDigests(a.string()).value().stores;
  auto in_b = StoreDigests(b.string()).value().stores;
  EXPECT_EQ(StoreDigests(b.string()).value().all, StateDigest(b.string()).value());
  ASSERT_EQ(in_a.size(), 2u);
  EXPECT_EQ(in_a.at("nft_ownership/cf.events-0"), in_b.at("nft_ownership/cf.events-0"));
  EXPECT_NE(in_a.at("nft_ownership/cf.events-1"), in_b.at("nft_ownership/cf.events-1"));

  std::vector<std::string> seen;
  ASSERT_TRUE(ForEachDigestedPair(b.string(), [&](const std::string& store, std::string_view k,
                                                  std::string_view v) {
                seen.push_back(store + " " + std::string(k) + "=" + std::string(v));
              }).ok());
  EXPECT_EQ(seen, (std::vector<std::string>{"nft_ownership/cf.events-0 owner/1=alice",
                                            "nft_ownership/cf.events-1 owner/2=carol"}));
}

TEST_F(StateDigestTest, AMissingRootIsNotFound) {
  EXPECT_EQ(StoreDigests((root_ / "nowhere").string()).error().code(), core::StatusCode::kNotFound);
}

}  // namespace
}  // namespace chainflow::engine::runtime
