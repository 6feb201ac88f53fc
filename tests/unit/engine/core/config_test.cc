#include "engine/core/config.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace chainflow::engine::core {
namespace {

using Env = std::map<std::string, std::string>;

// DESIGN.md §3's example, with a real contract address.
constexpr char kFull[] = R"toml(
[kafka]
brokers = "127.0.0.1:9092"
topic_prefix = "cf"
[postgres]
url = "postgresql://chainflow@127.0.0.1:5433/chainflow"
[state]
dir = "var/state"
[api]
listen = "127.0.0.1:8080"
[[chains]]
name = "anvil"            # the {chain} of topics, tables and API paths
kind = "evm"
chain_id = 31337
rpc = "http://127.0.0.1:8545"
confirmations = 0         # 0: follow the head and handle reorgs
[[contracts]]             # none for a chain: index every standard token event on it
chain = "anvil"
address = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
standard = "erc721"
)toml";

// The error message of parsing `text`, or "OK".
std::string ErrorOf(const std::string& text, const Env& env = {}) {
  auto config = Config::Parse(text, env);
  if (config) return "OK";
  EXPECT_EQ(config.error().code(), StatusCode::kInvalidArgument) << config.error().ToString();
  return config.error().message();
}

TEST(ConfigTest, ParsesDesignExample) {
  auto parsed = Config::Parse(kFull, {});
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  const Config& c = parsed.value();
  EXPECT_EQ(c.kafka.brokers, "127.0.0.1:9092");
  EXPECT_EQ(c.kafka.topic_prefix, "cf");
  EXPECT_EQ(c.postgres.url, "postgresql://chainflow@127.0.0.1:5433/chainflow");
  EXPECT_EQ(c.state.dir, "var/state");
  EXPECT_EQ(c.api.listen, "127.0.0.1:8080");
  ASSERT_EQ(c.chains.size(), 1u);
  EXPECT_EQ(c.chains[0].name, "anvil");
  EXPECT_EQ(c.chains[0].kind, "evm");
  EXPECT_EQ(c.chains[0].chain_id, 31337u);
  EXPECT_EQ(c.chains[0].rpc, "http://127.0.0.1:8545");
  EXPECT_EQ(c.chains[0].confirmations, 0u);
  ASSERT_EQ(c.contracts.size(), 1u);
  EXPECT_EQ(c.contracts[0].chain, "anvil");
  EXPECT_EQ(c.contracts[0].address.ToHex(), "0x5fbdb2315678afecb367f032d93f642f64180aa3");
  EXPECT_EQ(c.contracts[0].standard, "erc721");
  EXPECT_EQ(c.FindChain("anvil"), &c.chains[0]);
  EXPECT_EQ(c.FindChain("mainnet"), nullptr);
  EXPECT_EQ(c.ContractsOf("anvil").size(), 1u);
  EXPECT_TRUE(c.ContractsOf("mainnet").empty());
}

TEST(ConfigTest, EmptyTextGivesDefaults) {
  auto parsed = Config::Parse("", {});
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed.value().kafka.topic_prefix, "cf");
  EXPECT_EQ(parsed.value().kafka.processing_guarantee, "exactly_once");
  EXPECT_TRUE(parsed.value().chains.empty());
}

TEST(ConfigTest, UnknownKeyIsNamed) {
  EXPECT_NE(ErrorOf("[kafka]\nbrokerz = \"x:1\"\n").find("kafka.brokerz"), std::string::npos);
  EXPECT_NE(ErrorOf("[[chains]]\nname = \"a\"\nrcp = \"x\"\n").find("chains[0].rcp"),
            std::string::npos);
}

TEST(ConfigTest, WrongTypeIsNamed) {
  std::string partitions = ErrorOf("[kafka]\npartitions = \"eight\"\n");
  EXPECT_NE(partitions.find("kafka.partitions"), std::string::npos) << partitions;
  EXPECT_NE(partitions.find("integer"), std::string::npos) << partitions;
  EXPECT_NE(ErrorOf("[kafka]\nbrokers = 9092\n").find("kafka.brokers"), std::string::npos);
  EXPECT_NE(ErrorOf("[kafka]\npartitions = 1.5\n").find("kafka.partitions"), std::string::npos);
  EXPECT_NE(ErrorOf("[kafka]\npartitions = 0\n").find("out of range"), std::string::npos);
  EXPECT_EQ(ErrorOf("kafka = 5\n"), "config key kafka: expected a table ([kafka])");
  EXPECT_EQ(ErrorOf("brokers = \"x:1\"\n"), "unknown config key brokers");
  EXPECT_NE(ErrorOf("chains = 5\n").find("chains"), std::string::npos);
}

TEST(ConfigTest, UnknownSectionIsNamed) {
  EXPECT_NE(ErrorOf("[kafkaa]\nbrokers = \"x:1\"\n").find("kafkaa"), std::string::npos);
}

TEST(ConfigTest, SyntaxErrorNamesSource) {
  auto parsed = Config::Parse("[kafka\n", {}, "test.toml");
  ASSERT_FALSE(parsed);
  EXPECT_NE(parsed.error().message().find("test.toml:1"), std::string::npos)
      << parsed.error().message();
}

TEST(ConfigTest, BadValues) {
  std::string standard = ErrorOf(std::string(kFull) + "[[contracts]]\nchain = \"anvil\"\n"
                                 "address = \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"\n"
                                 "standard = \"erc9999\"\n");
  EXPECT_NE(standard.find("contracts[1].standard"), std::string::npos) << standard;
  EXPECT_NE(standard.find("erc9999"), std::string::npos) << standard;

  std::string duplicate =
      ErrorOf(std::string(kFull) + "[[chains]]\nname = \"anvil\"\nchain_id = 1\n");
  EXPECT_NE(duplicate.find("duplicate chain \"anvil\""), std::string::npos) << duplicate;
  EXPECT_NE(duplicate.find("chains[1]"), std::string::npos) << duplicate;

  std::string address = ErrorOf(
      "[[chains]]\nname = \"a\"\n[[contracts]]\nchain = \"a\"\naddress = \"0x12\"\n"
      "standard = \"erc20\"\n");
  EXPECT_NE(address.find("contracts[0].address"), std::string::npos) << address;
  EXPECT_NE(ErrorOf("[[contracts]]\nchain = \"nope\"\nstandard = \"erc20\"\n").find("nope"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[[chains]]\nname = \"Main Net\"\n").find("chains[0].name"),
            std::string::npos);
  EXPECT_NE(ErrorOf("[kafka]\nprocessing_guarantee = \"maybe\"\n")
                .find("kafka.processing_guarantee"),
            std::string::npos);
}

TEST(ConfigTest, EnvironmentOverrides) {
  Env env = {{"CHAINFLOW_KAFKA_BROKERS", "10.0.0.1:9092"},
             {"CHAINFLOW_CHAINS_ANVIL_RPC", "http://10.0.0.2:8545"},
             {"CHAINFLOW_KAFKA_PARTITIONS", "3"},
             {"PATH", "/usr/bin"}};
  auto parsed = Config::Parse(kFull, env);
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed.value().kafka.brokers, "10.0.0.1:9092");
  EXPECT_EQ(parsed.value().kafka.partitions, 3);
  EXPECT_EQ(parsed.value().chains[0].rpc, "http://10.0.0.2:8545");
}

TEST(ConfigTest, EnvironmentErrorsAreNamed) {
  std::string unknown = ErrorOf(kFull, {{"CHAINFLOW_KAFKA_NOPE", "1"}});
  EXPECT_NE(unknown.find("CHAINFLOW_KAFKA_NOPE"), std::string::npos) << unknown;
  std::string chain_key = ErrorOf(kFull, {{"CHAINFLOW_CHAINS_ANVIL_RCP", "x"}});
  EXPECT_NE(chain_key.find("CHAINFLOW_CHAINS_ANVIL_RCP"), std::string::npos) << chain_key;
  std::string type = ErrorOf(kFull, {{"CHAINFLOW_KAFKA_PARTITIONS", "many"}});
  EXPECT_NE(type.find("CHAINFLOW_KAFKA_PARTITIONS"), std::string::npos) << type;
  // Overrides are validated like the file.
  std::string value = ErrorOf(kFull, {{"CHAINFLOW_KAFKA_PROCESSING_GUARANTEE", "maybe"}});
  EXPECT_NE(value.find("kafka.processing_guarantee"), std::string::npos) << value;
}

TEST(ConfigTest, EnvironmentChainNamesThatPrefixOthers) {
  // "a" is a prefix of "a_b": CHAINFLOW_CHAINS_A_B_RPC is chain a_b's rpc.
  std::string text = "[[chains]]\nname = \"a\"\n[[chains]]\nname = \"a_b\"\n";
  auto parsed = Config::Parse(text, {{"CHAINFLOW_CHAINS_A_B_RPC", "http://b"},
                                     {"CHAINFLOW_CHAINS_A_RPC", "http://a"}});
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed.value().chains[0].rpc, "http://a");
  EXPECT_EQ(parsed.value().chains[1].rpc, "http://b");
}

TEST(ConfigTest, EnvironmentChainNameWithDash) {
  auto parsed = Config::Parse("[[chains]]\nname = \"base-sepolia\"\n",
                              {{"CHAINFLOW_CHAINS_BASE_SEPOLIA_CONFIRMATIONS", "12"}});
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed.value().chains[0].confirmations, 12u);
}

TEST(ConfigTest, StandbyReplicasDefaultOverrideAndRange) {
  auto parsed = Config::Parse(kFull, {});
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed.value().engine.num_standby_replicas, 0);
  parsed = Config::Parse(std::string(kFull) + "[engine]\nnum_standby_replicas = 2\n", {});
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed.value().engine.num_standby_replicas, 2);
  parsed = Config::Parse(kFull, {{"CHAINFLOW_ENGINE_NUM_STANDBY_REPLICAS", "1"}});
  ASSERT_TRUE(parsed) << parsed.error().ToString();
  EXPECT_EQ(parsed.value().engine.num_standby_replicas, 1);
  for (const char* bad : {"-1", "17"}) {
    std::string error =
        ErrorOf(std::string(kFull) + "[engine]\nnum_standby_replicas = " + bad + "\n");
    EXPECT_NE(error.find("engine.num_standby_replicas"), std::string::npos) << error;
  }
  std::string env = ErrorOf(kFull, {{"CHAINFLOW_ENGINE_NUM_STANDBY_REPLICAS", "one"}});
  EXPECT_NE(env.find("CHAINFLOW_ENGINE_NUM_STANDBY_REPLICAS"), std::string::npos) << env;
}

TEST(ConfigTest, LoadMissingFile) {
  auto loaded = Config::Load("/nonexistent/chainflow.toml", {});
  ASSERT_FALSE(loaded);
  EXPECT_EQ(loaded.error().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace chainflow::engine::core

namespace chainflow::engine::core {
namespace {

TEST(ConfigCompressionTest, KnownCodecsAreAcceptedOthersNamed) {
  auto zstd = Config::Parse("[kafka]\ncompression = \"zstd\"\n", {});
  ASSERT_TRUE(zstd.has_value()) << zstd.error().ToString();
  EXPECT_EQ(zstd.value().kafka.compression, "zstd");
  EXPECT_EQ(Config::Parse("", {}).value().kafka.compression, "lz4");

  auto bad = Config::Parse("", {{"CHAINFLOW_KAFKA_COMPRESSION", "brotli"}});
  ASSERT_FALSE(bad.has_value());
  EXPECT_NE(bad.error().message().find("kafka.compression"), std::string::npos)
      << bad.error().ToString();
}

TEST(ConfigCompressionTest, BothProcessingGuaranteesAreAccepted) {
  for (const char* guarantee : {"exactly_once", "at_least_once"}) {
    auto parsed = Config::Parse(
        fmt::format("[kafka]\nprocessing_guarantee = \"{}\"\n", guarantee), {});
    ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
    EXPECT_EQ(parsed.value().kafka.processing_guarantee, guarantee);
  }
}

TEST(ConfigRpcTest, DefaultsFileValuesAndEnvironment) {
  auto defaults = Config::Parse("[[chains]]\nname = \"a\"\n", {});
  ASSERT_TRUE(defaults.has_value()) << defaults.error().ToString();
  const ChainConfig& d = defaults.value().chains[0];
  EXPECT_EQ(d.rpc_timeout_ms, 10'000u);
  EXPECT_EQ(d.rpc_max_retries, 5u);
  EXPECT_EQ(d.rpc_requests_per_second, 0u);  // unlimited
  EXPECT_EQ(d.rpc_batch_size, 100u);

  auto set = Config::Parse(
      "[[chains]]\nname = \"a\"\nrpc_timeout_ms = 2500\nrpc_max_retries = 0\n"
      "rpc_requests_per_second = 25\nrpc_batch_size = 10\n",
      {{"CHAINFLOW_CHAINS_A_RPC_BATCH_SIZE", "7"}});
  ASSERT_TRUE(set.has_value()) << set.error().ToString();
  const ChainConfig& c = set.value().chains[0];
  EXPECT_EQ(c.rpc_timeout_ms, 2500u);
  EXPECT_EQ(c.rpc_max_retries, 0u);
  EXPECT_EQ(c.rpc_requests_per_second, 25u);
  EXPECT_EQ(c.rpc_batch_size, 7u);  // the environment wins
}

TEST(ConfigRpcTest, BadValuesAreNamed) {
  std::string zero_batch = ErrorOf("[[chains]]\nname = \"a\"\nrpc_batch_size = 0\n");
  EXPECT_NE(zero_batch.find("chains[0].rpc_batch_size"), std::string::npos) << zero_batch;
  std::string timeout = ErrorOf("[[chains]]\nname = \"a\"\nrpc_timeout_ms = 5\n");
  EXPECT_NE(timeout.find("chains[0].rpc_timeout_ms"), std::string::npos) << timeout;
  std::string rate = ErrorOf("[[chains]]\nname = \"a\"\nrpc_requests_per_second = -1\n");
  EXPECT_NE(rate.find("chains[0].rpc_requests_per_second"), std::string::npos) << rate;
  std::string env = ErrorOf("[[chains]]\nname = \"a\"\n",
                            {{"CHAINFLOW_CHAINS_A_RPC_MAX_RETRIES", "lots"}});
  EXPECT_NE(env.find("CHAINFLOW_CHAINS_A_RPC_MAX_RETRIES"), std::string::npos) << env;
}

}  // namespace
}  // namespace chainflow::engine::core
