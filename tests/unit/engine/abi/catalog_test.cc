// The contract catalog: tables and columns, factories, and load errors that
// name the contract; values through their protobuf form and back.
#include "engine/abi/catalog.h"

#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/abi/json_render.h"
#include "engine/abi/proto_value.h"
#include "tests/unit/engine/abi/abi_test_util.h"

namespace chainflow::engine::abi {
namespace {

namespace fs = std::filesystem;

constexpr char kFactoryAbi[] = R"([
  {"type":"event","name":"EventCreated","anonymous":false,"inputs":[
    {"name":"ticket","type":"address","indexed":true},
    {"name":"title","type":"string","indexed":false}]},
  {"type":"event","name":"Paused","anonymous":false,"inputs":[
    {"name":"by","type":"uint256","indexed":false}]}])";

constexpr char kTicketAbi[] = R"([
  {"type":"event","name":"Purchased","anonymous":false,"inputs":[
    {"name":"buyer","type":"address","indexed":true},
    {"name":"blockNumber","type":"uint256","indexed":false},
    {"name":"seat","type":"tuple","indexed":false,"components":[
      {"name":"row","type":"uint8"},{"name":"label","type":"string"}]}]},
  {"type":"event","name":"Moved","anonymous":false,"inputs":[
    {"name":"id","type":"uint256","indexed":false}]},
  {"type":"event","name":"Moved","anonymous":false,"inputs":[
    {"name":"id","type":"uint256","indexed":false},
    {"name":"to","type":"address","indexed":false}]}])";

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("cf_catalog_{}", ::getpid());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "Factory.json") << kFactoryAbi;
    std::ofstream(dir_ / "Ticket.json") << kTicketAbi;
  }
  void TearDown() override { fs::remove_all(dir_); }

  core::Result<core::Config> Config(const std::string& factory_extra,
                                    const std::string& ticket_extra) {
    return core::Config::Parse(
        fmt::format("[[chains]]\nname = \"anvil\"\n"
                    "[[contracts]]\nchain = \"anvil\"\nname = \"ticket_factory\"\n"
                    "address = \"0x00000000000000000000000000000000000000f1\"\n"
                    "abi = \"{}\"\n{}"
                    "[[contracts]]\nchain = \"anvil\"\nname = \"tickets\"\nabi = \"{}\"\n{}",
                    (dir_ / "Factory.json").string(), factory_extra,
                    (dir_ / "Ticket.json").string(), ticket_extra),
        {});
  }
  std::string LoadError(const std::string& factory_extra, const std::string& ticket_extra) {
    auto config = Config(factory_extra, ticket_extra);
    if (!config) return "config: " + config.error().ToString();
    auto catalog = Catalog::Load(config.value());
    return catalog ? "OK" : catalog.error().ToString();
  }

  fs::path dir_;
};

constexpr char kFactory[] =
    "factory = { contract = \"ticket_factory\", event = \"EventCreated\", parameter = \"ticket\" "
    "}\n";

TEST_F(CatalogTest, TablesColumnsAndTheFactory) {
  auto config = Config("", kFactory);
  ASSERT_TRUE(config) << config.error().ToString();
  auto loaded = Catalog::Load(config.value());
  ASSERT_TRUE(loaded) << loaded.error().ToString();
  const Catalog& catalog = *loaded.value();
  ASSERT_EQ(catalog.contracts().size(), 2u);
  const CatalogContract* tickets = catalog.Find("tickets");
  ASSERT_NE(tickets, nullptr);
  EXPECT_EQ(tickets->family, "ticket_factory");
  EXPECT_EQ(catalog.Find("ticket_factory")->family, "ticket_factory");
  EXPECT_EQ(tickets->announced_by, "EventCreated(address,string)");
  EXPECT_EQ(tickets->announced_parameter, 0u);
  ASSERT_EQ(tickets->tables.size(), 3u);
  EXPECT_EQ(tickets->tables[0].table, "purchased");
  // `blockNumber` would be a fixed column: it gets a trailing underscore.
  EXPECT_EQ(tickets->tables[0].columns,
            (std::vector<std::string>{"buyer", "block_number_", "seat"}));
  // Overloads: the table names carry 8 hex digits of their topic0.
  const auto& events = tickets->decoder.events();
  EXPECT_EQ(tickets->tables[1].table,
            "moved_" + core::ToHex(std::string_view(
                           reinterpret_cast<const char*>(events[1].topic0.data()), 4)).substr(2));
  EXPECT_NE(tickets->tables[1].table, tickets->tables[2].table);
  EXPECT_EQ(catalog.OfChain("anvil").size(), 2u);
  EXPECT_TRUE(catalog.OfChain("base").empty());
  EXPECT_EQ(catalog.Find("nope"), nullptr);
}

TEST_F(CatalogTest, LoadErrorsNameTheContract) {
  auto expect = [&](const std::string& f, const std::string& t, const std::string& want) {
    std::string error = LoadError(f, t);
    EXPECT_NE(error.find(want), std::string::npos) << "got: " << error;
  };
  expect("", "events = [\"Nope\"]\naddress = \"0x00000000000000000000000000000000000000a1\"\n",
         "contracts[1] (tickets)");
  expect("",
         "factory = { contract = \"ticket_factory\", event = \"Missing\", parameter = \"t\" }\n",
         "factory.event");
  expect("", "factory = { contract = \"ticket_factory\", event = \"EventCreated\", "
             "parameter = \"title\" }\n",
         "not an address");
  expect("", "factory = { contract = \"ticket_factory\", event = \"EventCreated\", "
             "parameter = \"nobody\" }\n",
         "no parameter `nobody`");
  // The factory's include list leaves its announcing event out.
  expect("events = [\"Paused\"]\n", kFactory, "among the events contract \"ticket_factory\"");
}

// The ABI files are read once, with the configuration: a file changed or
// removed afterwards changes no catalog the process builds, so all its roles
// decode and project with one version.
TEST_F(CatalogTest, EveryLoadParsesTheBytesTheConfigurationRead) {
  auto config = Config("", kFactory);
  ASSERT_TRUE(config) << config.error().ToString();
  std::ofstream(dir_ / "Ticket.json", std::ios::trunc) << "not an ABI";
  fs::remove(dir_ / "Factory.json");
  for (int i = 0; i < 2; ++i) {
    auto loaded = Catalog::Load(config.value());
    ASSERT_TRUE(loaded) << loaded.error().ToString();
    ASSERT_NE(loaded.value()->Find("tickets"), nullptr);
    EXPECT_EQ(loaded.value()->Find("tickets")->decoder.events().size(), 3u);
    EXPECT_EQ(loaded.value()->Find("ticket_factory")->decoder.events().size(), 2u);
  }
}

TEST(ProtoValueTest, EveryKindGoesThroughItsProtobufFormAndBack) {
  const std::string abi = R"([{"type":"event","name":"E","anonymous":false,"inputs":[
    {"name":"who","type":"address","indexed":true},
    {"name":"tags","type":"string","indexed":true},
    {"name":"n","type":"int8","indexed":false},
    {"name":"ok","type":"bool","indexed":false},
    {"name":"code","type":"bytes3","indexed":false},
    {"name":"blob","type":"bytes","indexed":false},
    {"name":"text","type":"string","indexed":false},
    {"name":"pair","type":"uint16[2]","indexed":false},
    {"name":"s","type":"tuple","indexed":false,"components":[
      {"name":"a","type":"uint256"},{"name":"b","type":"string[]"}]}]}])";
  EventDecoder decoder = testing::DecoderFor(abi);
  const Event& event = decoder.events()[0];
  // Values as the decoder makes them, built by hand.
  std::vector<Value> values;
  values.push_back(Value{AddressValue{core::Address::FromHex(
                                          "0x00000000000000000000000000000000000000aa").value()}});
  values.push_back(Value{TopicHashValue{testing::Topic(
      "0x1111111111111111111111111111111111111111111111111111111111111111")}});
  values.push_back(Value{IntValue{~core::U256(0), 8}});  // -1
  values.push_back(Value{BoolValue{true}});
  values.push_back(Value{FixedBytesValue{"abc"}});
  values.push_back(Value{BytesValue{std::string("\0\xff", 2)}});
  values.push_back(Value{StringValue{std::string("tab\there\0nul", 12)}});
  values.push_back(Value{ArrayValue{{Value{UintValue{1, 16}}, Value{UintValue{65535, 16}}}}});
  values.push_back(Value{TupleValue{
      {Value{UintValue{~core::U256(0), 256}}, Value{ArrayValue{{Value{StringValue{"x"}}}}}},
      event.inputs[8].type.shared_names()}});
  google::protobuf::RepeatedPtrField<v1::AbiValue> proto;
  ToProto(values, &proto);
  ASSERT_EQ(proto.size(), 9);
  EXPECT_EQ(proto[2].int_value(), std::string(32, '\xff'));
  EXPECT_EQ(proto[0].address_value().size(), 20u);
  DecodedEvent original{&event, values};
  DecodedEvent back{&event, {}};
  for (int i = 0; i < proto.size(); ++i) {
    auto v = FromProto(proto[i], event.inputs[static_cast<size_t>(i)].type);
    ASSERT_TRUE(v) << i << ": " << v.error().ToString();
    back.values.push_back(std::move(v).value());
  }
  EXPECT_EQ(EventToJson(back), EventToJson(original));
  // A value that does not fit its type is refused, naming the type.
  auto wrong = FromProto(proto[3], event.inputs[0].type);
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message().find("address"), std::string::npos);
  v1::AbiValue short_word;
  short_word.set_uint_value("\x01");
  EXPECT_FALSE(FromProto(short_word, AbiType::Uint(256)));
}

// Ingest refills one message for log after log: what ToProto writes over
// earlier values (of other kinds, more or fewer of them, nested deeper) is
// exactly what it writes into an empty field.
TEST(ProtoValueTest, WritingOverEarlierValuesEqualsWritingFresh) {
  auto uint = [](uint64_t v) { return Value{UintValue{core::U256(v), 256}}; };
  const std::vector<std::vector<Value>> rounds = {
      {uint(7), Value{StringValue{"seat-1"}}, Value{BoolValue{true}}},
      {Value{StringValue{"now a string"}}, uint(8)},
      {Value{ArrayValue{{uint(1), Value{ArrayValue{{uint(2)}}}}}}, Value{BytesValue{"\x01"}},
       Value{TopicHashValue{}}, Value{IntValue{~core::U256(0), 8}}},
      {Value{AddressValue{}}, Value{ArrayValue{{Value{StringValue{"x"}}}}}},
      {},
      {uint(9), uint(10), uint(11), uint(12), uint(13)},
  };
  google::protobuf::RepeatedPtrField<v1::AbiValue> reused;
  for (size_t r = 0; r < rounds.size(); ++r) {
    google::protobuf::RepeatedPtrField<v1::AbiValue> fresh;
    ToProto(rounds[r], &fresh);
    ToProto(rounds[r], &reused);
    ASSERT_EQ(reused.size(), fresh.size()) << "round " << r;
    for (int i = 0; i < fresh.size(); ++i) {
      EXPECT_EQ(reused[i].SerializeAsString(), fresh[i].SerializeAsString())
          << "round " << r << ", value " << i;
    }
  }
}

}  // namespace
}  // namespace chainflow::engine::abi
