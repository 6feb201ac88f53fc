// Which processors a configuration starts: the nft and token ones only where
// some chain has standard token events (or, for the token ones, intents).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "app/processor_role.h"
#include "engine/log/admin.h"

namespace chainflow::app {
namespace {

namespace core = engine::core;
namespace fs = std::filesystem;

constexpr const char* kAbi = R"([{"type":"event","name":"Voted","anonymous":false,"inputs":[
    {"name":"voter","type":"address","indexed":true},
    {"name":"support","type":"bool","indexed":false}]}])";

class ConfiguredProcessorsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("cf_configured_{}", ::getpid());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "Dao.json") << kAbi;
  }
  void TearDown() override { fs::remove_all(dir_); }

  core::Config Parse(const std::string& toml) {
    auto config = core::Config::Parse(toml, {});
    EXPECT_TRUE(config) << config.error().ToString();
    return config ? std::move(config).value() : core::Config{};
  }
  std::string Dao(const std::string& chain) const {
    return fmt::format(
        "[[contracts]]\nchain = \"{}\"\nname = \"dao_{}\"\n"
        "address = \"0x00000000000000000000000000000000000000d0\"\nabi = \"{}\"\n",
        chain, chain, (dir_ / "Dao.json").string());
  }
  // The names ConfiguredProcessors gives, in order. The admin client is
  // never asked (no intents here), so it points at a closed port.
  std::vector<std::string> Names(const core::Config& config) {
    auto admin = engine::log::Admin::Open("127.0.0.1:1");
    EXPECT_TRUE(admin) << admin.error().ToString();
    auto specs = ConfiguredProcessors(config, *admin.value());
    EXPECT_TRUE(specs) << specs.error().ToString();
    std::vector<std::string> names;
    if (specs) {
      for (const LeveledSpec& s : specs.value()) names.push_back(s.spec.name);
    }
    return names;
  }

  fs::path dir_;
};

TEST_F(ConfiguredProcessorsTest, AChainWithoutContractsIndexesEveryStandardEvent) {
  core::Config config = Parse("[[chains]]\nname = \"anvil\"\n");
  EXPECT_TRUE(config.IndexesStandardTokens());
  EXPECT_TRUE(config.StandardTokensOf("anvil").all);
  EXPECT_EQ(Names(config),
            (std::vector<std::string>{"nft_ownership", "token_splitter", "token_balances"}));
}

TEST_F(ConfiguredProcessorsTest, ContractsByAbiAloneStartOnlyTheirProcessor) {
  core::Config config =
      Parse("[[chains]]\nname = \"anvil\"\n[[chains]]\nname = \"base\"\n" + Dao("anvil") +
            Dao("base"));
  EXPECT_FALSE(config.IndexesStandardTokens());
  EXPECT_FALSE(config.StandardTokensOf("anvil").all);
  EXPECT_TRUE(config.StandardTokensOf("base").addresses.empty());
  EXPECT_EQ(Names(config), (std::vector<std::string>{"contract_events"}));
}

TEST_F(ConfiguredProcessorsTest, OneStandardContractOrOneChainWithoutContractsBringsThemBack) {
  core::Config standard = Parse(
      "[[chains]]\nname = \"anvil\"\n" + Dao("anvil") +
      "[[contracts]]\nchain = \"anvil\"\n"
      "address = \"0x00000000000000000000000000000000000000e2\"\nstandard = \"erc20\"\n");
  EXPECT_TRUE(standard.IndexesStandardTokens());
  EXPECT_FALSE(standard.StandardTokensOf("anvil").all);
  EXPECT_EQ(standard.StandardTokensOf("anvil").addresses.size(), 1u);
  EXPECT_EQ(Names(standard), (std::vector<std::string>{"nft_ownership", "token_splitter",
                                                       "token_balances", "contract_events"}));

  // The second chain lists nothing: every standard token event on it.
  core::Config open_chain =
      Parse("[[chains]]\nname = \"anvil\"\n[[chains]]\nname = \"base\"\n" + Dao("anvil"));
  EXPECT_TRUE(open_chain.IndexesStandardTokens());
  EXPECT_TRUE(open_chain.StandardTokensOf("base").all);
}

}  // namespace
}  // namespace chainflow::app
