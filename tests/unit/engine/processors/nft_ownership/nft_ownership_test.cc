#include "engine/processors/nft_ownership/nft_ownership.h"

#include <gtest/gtest.h>

namespace chainflow::engine::processors::nft_ownership {
namespace {

TEST(NftOwnershipSpecTest, TopicsFollowThePrefix) {
  runtime::ProcessorSpec spec = MakeSpec("cf", {"mainnet", "anvil"});
  EXPECT_EQ(spec.name, "nft_ownership");
  EXPECT_EQ(spec.input_topics, (std::vector<std::string>{"cf.mainnet.events", "cf.anvil.events"}));
  EXPECT_EQ(spec.output_topics, (std::vector<std::string>{"cf.nft.ownership"}));
  ASSERT_TRUE(spec.make);
  std::unique_ptr<runtime::Processor> processor = spec.make();
  ASSERT_NE(processor, nullptr);
  EXPECT_EQ(processor->Name(), "nft_ownership");
}

TEST(NftOwnershipSpecTest, OtherPrefix) {
  runtime::ProcessorSpec spec = MakeSpec("test1", {"anvil"});
  EXPECT_EQ(spec.input_topics, (std::vector<std::string>{"test1.anvil.events"}));
  EXPECT_EQ(spec.output_topics, (std::vector<std::string>{"test1.nft.ownership"}));
}

}  // namespace
}  // namespace chainflow::engine::processors::nft_ownership
