// The ABI JSON loader (every accepted shape, errors naming the entry),
// events (overloads, anonymous, generated names), include lists and
// snake_case column names.

#include "engine/abi/abi_json.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "engine/core/hex.h"
#include "engine/abi/snake_case.h"

namespace chainflow::engine::abi {
namespace {

// An ERC-721-like ABI with a function, an error, an overload and an anonymous event.
constexpr std::string_view kEntries = R"([
  {"type":"constructor","inputs":[{"name":"name_","type":"string"}],"stateMutability":"nonpayable"},
  {"type":"function","name":"ownerOf","inputs":[{"name":"tokenId","type":"uint256"}],
   "outputs":[{"name":"","type":"address"}],"stateMutability":"view"},
  {"type":"error","name":"NotOwner","inputs":[{"name":"who","type":"address"}]},
  {"type":"event","name":"Transfer","anonymous":false,"inputs":[
    {"name":"from","type":"address","indexed":true,"internalType":"address"},
    {"name":"to","type":"address","indexed":true},
    {"name":"tokenId","type":"uint256","indexed":true}]},
  {"type":"event","name":"Purchased","anonymous":false,"inputs":[
    {"name":"buyer","type":"address","indexed":true},
    {"name":"order","type":"tuple","indexed":false,"internalType":"struct Order","components":[
      {"name":"id","type":"uint64"},
      {"name":"items","type":"tuple[]","components":[
        {"name":"sku","type":"bytes8"},{"name":"qty","type":"uint16"}]}]}]},
  {"type":"event","name":"Purchased","anonymous":false,"inputs":[
    {"name":"buyer","type":"address","indexed":true},{"name":"","type":"uint","indexed":false}]},
  {"type":"event","name":"Raw","anonymous":true,"inputs":[
    {"name":"a","type":"bytes32","indexed":true},{"name":"b","type":"uint8[2]","indexed":false}]},
  {"type":"fallback","stateMutability":"payable"},
  {"type":"receive","stateMutability":"payable"}
])";

Abi Parse(std::string_view text, std::string_view source = "abis/Ticket.json") {
  auto abi = ParseAbiJson(text, source);
  EXPECT_TRUE(abi.has_value()) << abi.error().ToString();
  return abi.has_value() ? std::move(abi).value() : Abi{};
}

std::vector<std::string> Signatures(const std::vector<Event>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.signature);
  return out;
}

const std::vector<std::string> kAll = {"Transfer(address,address,uint256)",
                                       "Purchased(address,(uint64,(bytes8,uint16)[]))",
                                       "Purchased(address,uint256)", "Raw(bytes32,uint8[2])"};

TEST(AbiJsonTest, BareArrayKeepsEventsOnlyInOrder) {
  Abi abi = Parse(kEntries);
  EXPECT_EQ(abi.name, "Ticket");
  EXPECT_EQ(abi.source, "abis/Ticket.json");
  EXPECT_EQ(Signatures(abi.events), kAll);
  const Event& transfer = abi.events[0];
  EXPECT_EQ(core::ToHex(transfer.topic0),
            "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
  EXPECT_EQ(transfer.indexed_count, 3u);
  EXPECT_EQ(transfer.DisplayName(), "Ticket.Transfer");
  const Event& raw = abi.events[3];
  EXPECT_TRUE(raw.anonymous);
  EXPECT_EQ(raw.indexed_count, 1u);
}

TEST(AbiJsonTest, OverloadsAreDistinct) {
  Abi abi = Parse(kEntries);
  EXPECT_EQ(abi.events[1].name, abi.events[2].name);
  EXPECT_NE(abi.events[1].topic0, abi.events[2].topic0);
  const EventParam& unnamed = abi.events[2].inputs[1];
  EXPECT_EQ(unnamed.name, "arg1");
  EXPECT_TRUE(unnamed.name_generated);
  const AbiType& order = abi.events[1].inputs[1].type;
  EXPECT_EQ(order.component_names(), (std::vector<std::string>{"id", "items"}));
  EXPECT_EQ(order.components()[1].element().component_names(),
            (std::vector<std::string>{"sku", "qty"}));
}

TEST(AbiJsonTest, FoundryAndHardhatArtifacts) {
  std::string foundry = R"({"abi":)" + std::string(kEntries) +
                        R"(,"bytecode":{"object":"0x6080"},"methodIdentifiers":{}})";
  Abi f = Parse(foundry, "out/Ticket.sol/Ticket.json");
  EXPECT_EQ(f.name, "Ticket");
  EXPECT_EQ(Signatures(f.events), kAll);
  std::string hardhat = R"({"_format":"hh-sol-artifact-1","contractName":"TicketSale",)"
                        R"("sourceName":"contracts/Ticket.sol","abi":)" +
                        std::string(kEntries) + R"(,"bytecode":"0x","linkReferences":{}})";
  Abi h = Parse(hardhat, "artifacts/x.json");
  EXPECT_EQ(h.name, "TicketSale");
  EXPECT_EQ(Signatures(h.events), kAll);
}

TEST(AbiJsonTest, EtherscanResponseWithAbiAsString) {
  std::string escaped;
  for (char c : kEntries) {
    if (c == '"') escaped += '\\';
    if (c != '\n') escaped += c;
  }
  std::string response = R"({"status":"1","message":"OK","result":")" + escaped + R"("})";
  EXPECT_EQ(Signatures(Parse(response).events), kAll);
  auto error = ParseAbiJson(
      R"({"status":"0","message":"NOTOK","result":"Contract source code not verified"})",
      "etherscan.json");
  ASSERT_FALSE(error.has_value());
  EXPECT_NE(error.error().message().find("Contract source code not verified"), std::string::npos);
}

void ExpectError(std::string_view text, std::vector<std::string_view> fragments) {
  auto abi = ParseAbiJson(text, "Bad.json");
  ASSERT_FALSE(abi.has_value()) << text;
  EXPECT_EQ(abi.error().code(), core::StatusCode::kInvalidArgument);
  for (auto f : fragments) {
    EXPECT_NE(abi.error().message().find(f), std::string::npos)
        << "`" << f << "` not in: " << abi.error().message();
  }
}

TEST(AbiJsonTest, ErrorsNameFileEntryAndInput) {
  ExpectError(R"([{"type":"function","name":"f"},{"type":"event","name":"Sold","inputs":[
      {"name":"a","type":"uint256"},{"name":"buyer","type":"adress","indexed":true}]}])",
              {"Bad.json", "entry 1 (Sold)", "input 1 (`buyer`)", "unknown type `adress`"});
  ExpectError(R"([{"type":"event","name":"E","inputs":[{"name":"t","type":"tuple"}]}])",
              {"entry 0 (E)", "components"});
  ExpectError(R"([{"type":"event","name":"E","inputs":[{"name":"t","type":"tuple[]",
      "components":[{"name":"x","type":"uint9"}]}]}])",
              {"entry 0 (E)", "component `x`", "uint9"});
  ExpectError(R"([{"type":"event","name":"E","inputs":[{"name":"p","type":"fixed128x18"}]}])",
              {"fixed-point types"});
  ExpectError(R"([{"type":"event","name":"E","inputs":[
      {"name":"a","type":"bool","indexed":true},{"name":"b","type":"bool","indexed":true},
      {"name":"c","type":"bool","indexed":true},{"name":"d","type":"bool","indexed":true}]}])",
              {"entry 0 (E)", "4 indexed parameters, at most 3"});
  ExpectError(R"([{"type":"event","name":"E","inputs":[{"name":"a","type":"bool"},
      {"name":"a","type":"uint8"}]}])", {"two parameters named `a`"});
  ExpectError(R"([{"type":"event","inputs":[]}])", {"entry 0", "without a name"});
  ExpectError("[1]", {"entry 0 is not an object"});
  ExpectError("{\"abi\": 3}", {"Bad.json", "neither"});
  ExpectError("[{", {"Bad.json", "not JSON"});
}

TEST(AbiJsonTest, AnonymousEventsMayIndexFour) {
  Abi abi = Parse(R"([{"type":"event","name":"E","anonymous":true,"inputs":[
      {"name":"a","type":"bool","indexed":true},{"name":"b","type":"bool","indexed":true},
      {"name":"c","type":"bool","indexed":true},{"name":"d","type":"bool","indexed":true}]}])");
  ASSERT_EQ(abi.events.size(), 1u);
  EXPECT_EQ(abi.events[0].indexed_count, 4u);
}

TEST(AbiJsonTest, ExactRepeatsAreDroppedButIndexingVariantsKept) {
  std::string erc20 = R"({"type":"event","name":"Transfer","inputs":[
      {"name":"from","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},
      {"name":"value","type":"uint256","indexed":false}]})";
  std::string erc721 = R"({"type":"event","name":"Transfer","inputs":[
      {"name":"from","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},
      {"name":"tokenId","type":"uint256","indexed":true}]})";
  Abi abi = Parse("[" + erc20 + "," + erc721 + "," + erc20 + "]");
  ASSERT_EQ(abi.events.size(), 2u);
  EXPECT_EQ(abi.events[0].topic0, abi.events[1].topic0);
}

TEST(AbiJsonTest, LoadAbiFileReadsAndNamesMissingFiles) {
  auto path = std::filesystem::temp_directory_path() / "chainflow_abi_test_Ticket.json";
  { std::ofstream(path) << kEntries; }
  auto abi = LoadAbiFile(path.string());
  std::filesystem::remove(path);
  ASSERT_TRUE(abi.has_value()) << abi.error().ToString();
  EXPECT_EQ(abi.value().name, "chainflow_abi_test_Ticket");
  auto missing = LoadAbiFile("/nonexistent/Nope.json");
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), core::StatusCode::kNotFound);
  EXPECT_NE(missing.error().message().find("/nonexistent/Nope.json"), std::string::npos);
}

TEST(IncludeListTest, NamesSelectAllOverloadsSignaturesOne) {
  Abi abi = Parse(kEntries);
  EXPECT_EQ(Signatures(SelectEvents(abi.events, {}).value()), kAll);
  EXPECT_EQ(Signatures(SelectEvents(abi.events, {"Purchased"}).value()),
            (std::vector<std::string>{kAll[1], kAll[2]}));
  // Signatures are canonicalized; the result keeps ABI order.
  EXPECT_EQ(Signatures(SelectEvents(abi.events, {"Purchased(address,uint)", "Transfer"}).value()),
            (std::vector<std::string>{kAll[0], kAll[2]}));
  EXPECT_EQ(
      Signatures(
          SelectEvents(abi.events, {"Purchased(address,(uint64,(bytes8,uint16)[]))"}).value()),
      (std::vector<std::string>{kAll[1]}));
}

TEST(IncludeListTest, UnmatchedOrMalformedEntriesAreErrorsNamingThem) {
  Abi abi = Parse(kEntries);
  for (std::string entry : {"Approval", "Transfer(address,address)", "Purchased(address,uint7)",
                            "Purchased(", "(uint256)"}) {
    auto selected = SelectEvents(abi.events, {"Transfer", entry});
    ASSERT_FALSE(selected.has_value()) << entry;
    EXPECT_EQ(selected.error().code(), core::StatusCode::kInvalidArgument);
    EXPECT_NE(selected.error().message().find(entry), std::string::npos)
        << selected.error().message();
  }
}

TEST(SnakeCaseTest, Examples) {
  EXPECT_EQ(SnakeCase("tokenId"), "token_id");
  EXPECT_EQ(SnakeCase("URI"), "uri");
  EXPECT_EQ(SnakeCase("ERC20Token"), "erc20_token");
  EXPECT_EQ(SnakeCase("tokenURI"), "token_uri");
  EXPECT_EQ(SnakeCase("URIValue"), "uri_value");
  EXPECT_EQ(SnakeCase("_from"), "from");
  EXPECT_EQ(SnakeCase("value2"), "value2");
  EXPECT_EQ(SnakeCase("already_snake"), "already_snake");
  EXPECT_EQ(SnakeCase("a__b"), "a_b");
  EXPECT_EQ(SnakeCase("arg0"), "arg0");
}

TEST(SnakeCaseTest, CollisionsAreDetected) {
  auto make = [](std::vector<std::string> names) {
    std::vector<EventParam> inputs;
    for (auto& n : names) inputs.push_back({n, false, AbiType::Bool(), false});
    return MakeEvent("C", "E", std::move(inputs), false).value();
  };
  EXPECT_TRUE(CheckColumnNames(make({"tokenId", "owner"})).ok());
  core::Status s = CheckColumnNames(make({"tokenId", "token_id"}));
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("`tokenId` and `token_id` both become column `token_id`"),
            std::string::npos)
      << s.message();
  EXPECT_FALSE(CheckColumnNames(make({"_from", "from"})).ok());
}

}  // namespace
}  // namespace chainflow::engine::abi
