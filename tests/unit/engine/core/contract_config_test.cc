// [[contracts]] by ABI: parsing, defaults, and errors that name the key.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/core/config.h"

namespace chainflow::engine::core {
namespace {

namespace fs = std::filesystem;

constexpr char kTicket[] = "0x5fbdb2315678afecb367f032d93f642f64180aa3";
constexpr char kFactory[] = "0xe7f1725e7734ce288f8367e1bb143e90bb3f0512";

class ContractConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("cf_contract_config_{}", ::getpid());
    fs::create_directories(dir_ / "abi");
    std::ofstream(dir_ / "abi" / "Ticket.json") << "[]";
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes `text` after a chain "anvil" to config.toml and loads it.
  Result<Config> Load(const std::string& text) {
    std::ofstream(dir_ / "config.toml") << "[[chains]]\nname = \"anvil\"\n" << text;
    return Config::Load((dir_ / "config.toml").string(), {});
  }
  std::string ErrorOf(const std::string& text) {
    auto config = Load(text);
    if (config) return "OK";
    EXPECT_EQ(config.error().code(), StatusCode::kInvalidArgument);
    return config.error().message();
  }

  fs::path dir_;
};

TEST_F(ContractConfigTest, AnAbiContractWithEveryKey) {
  auto config = Load(fmt::format(
      "[[contracts]]\nname = \"ticket_factory\"\nchain = \"anvil\"\naddress = \"{}\"\n"
      "abi = \"abi/Ticket.json\"\n"
      "[[contracts]]\nname = \"tickets\"\nchain = \"anvil\"\naddress = [\"{}\", \"{}\"]\n"
      "abi = \"abi/Ticket.json\"\nevents = [\"CheckIn\", \"Purchased(address,uint256)\"]\n"
      "start_block = 12\nformat = \"json\"\n"
      "factory = {{ contract = \"ticket_factory\", event = \"EventCreated\", "
      "parameter = \"ticket\" }}\n",
      kFactory, kTicket, kFactory));
  ASSERT_TRUE(config) << config.error().ToString();
  ASSERT_EQ(config.value().contracts.size(), 2u);
  const ContractConfig& tickets = config.value().contracts[1];
  EXPECT_TRUE(tickets.ByAbi());
  EXPECT_EQ(tickets.name, "tickets");
  // A relative ABI path is the config file's directory's.
  EXPECT_EQ(tickets.abi, (dir_ / "abi" / "Ticket.json").string());
  ASSERT_EQ(tickets.addresses.size(), 2u);
  EXPECT_EQ(tickets.addresses[1].ToHex(), kFactory);
  EXPECT_EQ(tickets.address.ToHex(), kTicket);
  EXPECT_EQ(tickets.events, (std::vector<std::string>{"CheckIn", "Purchased(address,uint256)"}));
  EXPECT_EQ(tickets.start_block, 12u);
  EXPECT_EQ(tickets.format, "json");
  ASSERT_TRUE(tickets.factory.has_value());
  EXPECT_EQ(tickets.factory->contract, "ticket_factory");
  EXPECT_EQ(tickets.factory->event, "EventCreated");
  EXPECT_EQ(tickets.factory->parameter, "ticket");
  EXPECT_EQ(config.value().FindContract("tickets"), &tickets);
  EXPECT_EQ(config.value().FindContract("nope"), nullptr);
  // Defaults.
  const ContractConfig& factory = config.value().contracts[0];
  EXPECT_EQ(factory.format, "protobuf");
  EXPECT_TRUE(factory.events.empty());
  EXPECT_FALSE(factory.factory.has_value());
}

TEST_F(ContractConfigTest, ErrorsNameTheKey) {
  const std::string base =
      fmt::format("[[contracts]]\nchain = \"anvil\"\naddress = \"{}\"\n", kTicket);
  auto expect = [&](const std::string& text, const std::string& want) {
    std::string error = ErrorOf(base + text);
    EXPECT_NE(error.find(want), std::string::npos) << "got: " << error;
  };
  expect("name = \"TicketFactory\"\nabi = \"abi/Ticket.json\"\n", "contracts[0].name");
  expect("name = \"t\"\nabi = \"abi/Missing.json\"\n", "contracts[0].abi: cannot read");
  expect("name = \"t\"\nabi = \"abi/Ticket.json\"\nformat = \"avro\"\n", "contracts[0].format");
  expect("name = \"t\"\n", "either standard");
  expect("standard = \"erc20\"\nabi = \"abi/Ticket.json\"\n", "either standard");
  expect("standard = \"erc20\"\nname = \"t\"\n", "for contracts by abi");
  expect("name = \"t\"\nabi = \"abi/Ticket.json\"\nevents = 3\n", "contracts[0].events");
  expect("name = \"t\"\nabi = \"abi/Ticket.json\"\nfactory = \"f\"\n", "contracts[0].factory");
  expect("name = \"t\"\nabi = \"abi/Ticket.json\"\nfactory = { contract = \"nope\", "
         "event = \"E\", parameter = \"p\" }\n",
         "no contract by abi named \"nope\"");
  expect("name = \"t\"\nabi = \"abi/Ticket.json\"\nfactory = { contract = \"t\" }\n",
         "contracts[0].factory.event is missing");
  expect("name = \"t\"\nabi = \"abi/Ticket.json\"\n[[contracts]]\nchain = \"anvil\"\n"
         "name = \"t\"\nabi = \"abi/Ticket.json\"\naddress = \"" +
             std::string(kFactory) + "\"\n",
         "contracts[1].name: \"t\" is used by another contract");
  std::string no_address = ErrorOf("[[contracts]]\nchain = \"anvil\"\nname = \"t\"\n"
                                   "abi = \"abi/Ticket.json\"\n");
  EXPECT_NE(no_address.find("needs an address"), std::string::npos) << no_address;
  std::string bad_item = ErrorOf(
      "[[contracts]]\nchain = \"anvil\"\nname = \"t\"\nabi = \"abi/Ticket.json\"\n"
      "address = [\"" + std::string(kTicket) + "\", \"0x12\"]\n");
  EXPECT_NE(bad_item.find("contracts[0].address[1]"), std::string::npos) << bad_item;
}

}  // namespace
}  // namespace chainflow::engine::core
