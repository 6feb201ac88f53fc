// Contracts indexed by ABI end to end, from their topics on: ContractEvent
// records (protobuf and JSON, a retraction, hostile strings) appended
// straight to <prefix>.contract.<name>, `chainflow project` writing the
// generic tables, and `chainflow serve` answering GET /v1/events.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "chainflow/v1/events.pb.h"
#include "engine/abi/json_render.h"
#include "engine/abi/proto_value.h"
#include "engine/log/admin.h"
#include "engine/log/producer.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/unit/api/support/test_client.h"
#include "tests/unit/projections/contract_abi.h"

namespace chainflow::testing {
namespace {

namespace abi = engine::abi;
namespace json = boost::json;
namespace log = engine::log;
using api::testing::TestClient;

constexpr char kPurchased[] = "Purchased(address,uint256,uint256,string,bytes32,bool)";
constexpr char kTagged[] = "Tagged(string,int256,bytes,(address,string)[],uint8[2])";
constexpr char kU256Max[] =
    "115792089237316195423570985008687907853269984665640564039457584007913129639935";
constexpr char kI256Min[] =
    "-57896044618658097711785492504343953926634992332820282019728792003956564819968";
constexpr char kHostileBytes[] = "nul\0 \xF0\x9F\x8E\x9F tab\tnl\n bad\xFF";
const std::string kHostile(kHostileBytes, sizeof(kHostileBytes) - 1);
const std::string kHostileStored = "nul \xF0\x9F\x8E\x9F tab\tnl\n bad\xEF\xBF\xBD";

std::string Bytes(char c, size_t n) { return std::string(n, c); }
std::string Hex(const std::string& raw) { return abi::ToHex(raw); }
core::Address Addr(char c) { return core::Address::FromBytes(Bytes(c, 20)).value(); }

// One event as the processor would write it.
struct Event {
  uint64_t block;
  uint32_t log_index;
  char block_hash;  // fill byte of the block hash
  std::string signature;
  std::vector<abi::Value> values;
  std::vector<std::string> names;
  bool retracted = false;
};

abi::Value Uint(core::U256 v) { return abi::Value{abi::UintValue{v, 256}}; }

std::vector<Event> History() {
  auto purchase = [](uint64_t block, uint32_t log, char hash, char buyer, int ticket,
                     core::U256 amount, std::string memo) {
    return Event{block, log, hash, kPurchased,
                 {abi::Value{abi::AddressValue{Addr(buyer)}}, Uint(ticket), Uint(amount),
                  abi::Value{abi::StringValue{std::move(memo)}},
                  abi::Value{abi::FixedBytesValue{Bytes('\x11', 32)}},
                  abi::Value{abi::BoolValue{ticket % 2 == 1}}},
                 {"buyer", "ticketId", "amount", "memo", "ref", "paid"}};
  };
  auto names = std::make_shared<const std::vector<std::string>>(
      std::vector<std::string>{"who", "note"});
  Event tagged{12, 3, 'c', kTagged,
               {abi::Value{abi::TopicHashValue{}},
                abi::Value{abi::IntValue{core::U256(1) << 255, 256}},
                abi::Value{abi::BytesValue{"\x01\x02"}},
                abi::Value{abi::ArrayValue{{abi::Value{abi::TupleValue{
                    {abi::Value{abi::AddressValue{Addr('\xb1')}},
                     abi::Value{abi::StringValue{std::string("a\0b", 3)}}},
                    names}}}}},
                abi::Value{abi::ArrayValue{{abi::Value{abi::UintValue{1, 8}},
                                            abi::Value{abi::UintValue{255, 8}}}}}},
               {"tag", "delta", "data", "items", "blockNumber"}};
  Event retraction = purchase(11, 0, 'a', '\xb1', 3, 9, "reverted");
  retraction.retracted = true;
  return {purchase(10, 0, '\x0a', '\xb1', 1, ~core::U256(0), "plain"),
          purchase(10, 1, '\x0a', '\xb2', 2, 5, kHostile),
          purchase(11, 0, 'a', '\xb1', 3, 9, "reverted"),
          retraction,
          purchase(11, 0, 'b', '\xb2', 4, 7, "new branch"),
          purchase(12, 2, 'c', '\xb1', 5, 0, ""),
          tagged};
}

std::string ProtobufValue(const std::string& contract, const Event& e) {
  v1::Envelope envelope;
  envelope.set_id(fmt::format("{}/{}/{}", contract, e.block, e.log_index));
  v1::ContractEvent* m = envelope.mutable_contract_event();
  m->set_contract(contract);
  m->set_event(e.signature.substr(0, e.signature.find('(')));
  m->set_signature(e.signature);
  m->set_retracted(e.retracted);
  v1::LogRef* log = m->mutable_log();
  log->set_chain("mainnet");
  log->set_block_number(e.block);
  log->set_block_hash(Bytes(e.block_hash, 32));
  log->set_block_timestamp(1700000000 + e.block);
  log->set_tx_hash(Bytes('\x7e', 32));
  log->set_log_index(e.log_index);
  log->set_contract(Addr('\x5a').ToBytes());
  abi::ToProto(e.values, m->mutable_values());
  return envelope.SerializeAsString();
}

std::string JsonValue(const std::string& contract, const Event& e) {
  std::string params = "{";
  for (size_t i = 0; i < e.values.size(); ++i) {
    if (i > 0) params += ",";
    abi::AppendJsonString(e.names[i], &params);
    params += ":" + abi::ToJson(e.values[i]);
  }
  params += "}";
  return fmt::format(
      R"({{"id":"{0}/{1}/{2}","chain":"mainnet","contract":"{0}","address":"{3}",)"
      R"("event":"{4}","signature":"{5}","block_number":{1},"block_hash":"{6}",)"
      R"("block_timestamp":{7},"tx_hash":"{8}","tx_index":0,"log_index":{2},)"
      R"("retracted":{9},"params":{10}}})",
      contract, e.block, e.log_index, Addr('\x5a').ToHex(),
      e.signature.substr(0, e.signature.find('(')), e.signature, Hex(Bytes(e.block_hash, 32)),
      1700000000 + e.block, Hex(Bytes('\x7e', 32)), e.retracted ? "true" : "false", params);
}

class ContractEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
    dir_ = std::filesystem::temp_directory_path() / fmt::format("cf_it_abi_{}", ::getpid());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "Shop.json") << kShopAbi;
    std::string contracts;
    for (const char* format : {"protobuf", "json"}) {
      contracts += fmt::format(
          "[[contracts]]\nchain = \"mainnet\"\nname = \"shop_{0}\"\naddress = \"{1}\"\n"
          "abi = \"{2}\"\nformat = \"{0}\"\n",
          format, Addr('\x5a').ToHex(), (dir_ / "Shop.json").string());
    }
    env_ = std::make_unique<PipelineEnv>("abi", 2, 5000, contracts);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  void Produce() {
    auto admin = log::Admin::Open("127.0.0.1:9092");
    ASSERT_TRUE(admin) << admin.error().ToString();
    std::vector<log::NewTopic> topics;
    for (const char* c : {"shop_protobuf", "shop_json"}) {
      topics.push_back({fmt::format("{}.contract.{}", env_->prefix(), c), 2, 1, {}});
    }
    ASSERT_TRUE(admin.value()->CreateTopics(topics).ok());
    auto producer = log::Producer::Open({.brokers = "127.0.0.1:9092"});
    ASSERT_TRUE(producer) << producer.error().ToString();
    for (const Event& e : History()) {
      for (const char* c : {"shop_protobuf", "shop_json"}) {
        log::OutRecord r;
        r.topic = fmt::format("{}.contract.{}", env_->prefix(), c);
        r.partition = core::PartitionId(0);
        r.key = "mainnet:" + Addr('\x5a').ToHex();
        r.value = std::string(c) == "shop_json" ? JsonValue(c, e) : ProtobufValue(c, e);
        ASSERT_TRUE(producer.value()->Send(r).ok());
      }
    }
    ASSERT_TRUE(producer.value()->Flush(std::chrono::seconds(10)).ok());
  }

  // Runs `chainflow project` until both contracts' offsets cover the 7 records.
  void Project() {
    Subprocess project(env_->Argv({"project"}));
    const std::string applied =
        "SELECT count(*) FROM chainflow.projection_offsets WHERE projection LIKE 'contract.%' "
        "AND next_offset = 7";
    bool done = false;
    for (int i = 0; i < 200 && !done; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ASSERT_TRUE(project.Running()) << project.Stderr();
      try {
        done = env_->QueryScalar(applied) == "2";
      } catch (const std::exception&) {
      }
    }
    project.Kill(SIGTERM);
    EXPECT_EQ(project.Wait(std::chrono::seconds(30)), 0) << project.Stderr();
    ASSERT_TRUE(done) << project.Stderr();
    project_log_ = project.Stderr() + project.Stdout();
  }

  std::filesystem::path dir_;
  std::unique_ptr<PipelineEnv> env_;
  std::string project_log_;
};

TEST_F(ContractEventsTest, BothFormatsBecomeTheSameRowsAndTheApiServesThem) {
  Produce();
  Project();
  for (const std::string schema : {"shop_protobuf", "shop_json"}) {
    SCOPED_TRACE(schema);
    auto rows = [&](const std::string& sql) { return env_->QueryScalar(sql); };
    EXPECT_EQ(
        rows(fmt::format(
            "SELECT string_agg(block_number || '/' || log_index || ':' || ticket_id || ':' "
            "|| buyer || ':' || amount || ':' || coalesce(block_hash, 'null') || ':' || paid, "
            "' ' ORDER BY block_number, log_index) FROM {}.purchased",
            schema)),
        fmt::format("10/0:1:{0}:{1}:{2}:true 10/1:2:{3}:5:{2}:false "
                    "11/0:4:{3}:7:{4}:false 12/2:5:{0}:0:{5}:true",
                    Addr('\xb1').ToHex(), kU256Max, Hex(Bytes('\x0a', 32)), Addr('\xb2').ToHex(),
                    Hex(Bytes('b', 32)), Hex(Bytes('c', 32))));
    EXPECT_EQ(rows(fmt::format("SELECT memo FROM {}.purchased WHERE log_index = 1", schema)),
              kHostileStored);
    EXPECT_EQ(rows(fmt::format("SELECT encode(ref, 'hex') FROM {}.purchased LIMIT 1", schema)),
              std::string(64, '1'));
    EXPECT_EQ(rows(fmt::format("SELECT delta || ' ' || encode(data, 'hex') || ' ' || "
                               "items::text || ' ' || block_number_::text FROM {}.tagged",
                               schema)),
              fmt::format("{} 0102 [{{\"who\": \"{}\", \"note\": \"ab\"}}] [\"1\", \"255\"]",
                          kI256Min, Addr('\xb1').ToHex()));
    EXPECT_EQ(rows(fmt::format("SELECT count(*) FROM chainflow.contract_tables "
                               "WHERE contract = '{}'",
                               schema)),
              "4");
  }
  EXPECT_NE(project_log_.find("NUL removed or invalid UTF-8 replaced"), std::string::npos)
      << project_log_;

  Subprocess serve(env_->Argv({"serve"}));
  TestClient client(static_cast<uint16_t>(env_->api_port()));
  for (int i = 0; i < 300 && client.Get("/healthz").status != 200; ++i) {
    ASSERT_TRUE(serve.Running()) << serve.Stderr();
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  auto page = client.Get("/v1/events/shop_protobuf/purchased?limit=3");
  ASSERT_EQ(page.status, 200) << page.body;
  json::value body = page.Json();
  ASSERT_EQ(body.at("items").as_array().size(), 3u);
  const json::value& first = body.at("items").at(0);
  EXPECT_EQ(first.at("params").at("amount"), json::value(kU256Max));
  EXPECT_EQ(first.at("params").at("paid"), json::value(true));
  EXPECT_EQ(first.at("params").at("ref"), json::value("0x" + std::string(64, '1')));
  EXPECT_EQ(first.at("block_number"), json::value(10));
  EXPECT_EQ(body.at("items").at(1).at("params").at("memo"), json::value(kHostileStored));
  ASSERT_TRUE(body.at("next_cursor").is_string());
  auto next = client.Get("/v1/events/shop_protobuf/purchased?limit=3&cursor=" +
                         std::string(body.at("next_cursor").as_string()));
  ASSERT_EQ(next.status, 200) << next.body;
  ASSERT_EQ(next.Json().at("items").as_array().size(), 1u);
  EXPECT_EQ(next.Json().at("items").at(0).at("log_index"), json::value(2));
  EXPECT_TRUE(next.Json().at("next_cursor").is_null());

  auto by_buyer = client.Get("/v1/events/shop_json/Purchased?buyer=" +
                             std::string("0xB1B1B1B1B1B1B1B1B1B1B1B1B1B1B1B1B1B1B1B1"));
  ASSERT_EQ(by_buyer.status, 200) << by_buyer.body;
  EXPECT_EQ(by_buyer.Json().at("items").as_array().size(), 2u);
  auto by_ticket = client.Get("/v1/events/shop_json/purchased?ticketId=4&chain=mainnet");
  ASSERT_EQ(by_ticket.status, 200) << by_ticket.body;
  ASSERT_EQ(by_ticket.Json().at("items").as_array().size(), 1u);
  EXPECT_EQ(by_ticket.Json().at("items").at(0).at("params").at("memo"), json::value("new branch"));
  auto tagged = client.Get("/v1/events/shop_json/tagged?from_block=12&to_block=12");
  ASSERT_EQ(tagged.status, 200) << tagged.body;
  const json::value tagged_body = tagged.Json();
  const json::value& t = tagged_body.at("items").at(0).at("params");
  EXPECT_EQ(t.at("delta"), json::value(kI256Min));
  EXPECT_EQ(t.at("data"), json::value("0x0102"));
  EXPECT_EQ(t.at("items").at(0).at("note"), json::value("ab"));

  for (const auto& [target, status, field] : std::vector<std::tuple<std::string, int, std::string>>{
           {"/v1/events/shop_json/purchased?seller=1", 400, "seller: "},
           {"/v1/events/shop_json/purchased?memo=x", 400, "memo: "},
           {"/v1/events/shop_json/purchased?ticketId=x", 400, "ticketId: "},
           {"/v1/events/shop_json/purchased?limit=0", 400, "limit: "},
           {"/v1/events/shop_json/purchased?cursor=bogus", 400, "cursor: "},
           {"/v1/events/nope/purchased", 404, ""},
           {"/v1/events/shop_json/refunded", 404, ""},
           {"/v1/events/shop_json/Ping", 404, "overloaded"}}) {
    auto r = client.Get(target);
    EXPECT_EQ(r.status, status) << target << ": " << r.body;
    std::string message(r.Json().at("error").at("message").as_string());
    EXPECT_NE(message.find(field), std::string::npos) << target << ": " << message;
  }
  serve.Kill(SIGTERM);
  EXPECT_EQ(serve.Wait(std::chrono::seconds(30)), 0) << serve.Stderr();

  // A rebuild drops the schema and replays the topic to the same rows.
  const std::string before = env_->QueryScalar(
      "SELECT string_agg(ticket_id || memo, ',' ORDER BY block_number, log_index) "
      "FROM shop_json.purchased");
  RunResult rebuilt = env_->Chainflow({"rebuild", "--view", "contract.shop_json"});
  ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
  EXPECT_EQ(env_->QueryScalar("SELECT string_agg(ticket_id || memo, ',' ORDER BY block_number, "
                              "log_index) FROM shop_json.purchased"),
            before);
}

// The ABI changes under existing tables: a new parameter is a new column, a
// parameter whose column would change type stops start-up naming it.
TEST_F(ContractEventsTest, AbiChangesAddColumnsOrStopNamingTheColumn) {
  // Runs `chainflow project` until `done_sql` answers "t" (its migrations ran).
  auto migrate = [&](const std::string& done_sql) {
    Subprocess project(env_->Argv({"project"}));
    std::string done;
    for (int i = 0; i < 100 && done != "t"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      ASSERT_TRUE(project.Running()) << project.Stderr();
      try {
        done = env_->QueryScalar(done_sql);
      } catch (const std::exception&) {  // no registry yet
      }
    }
    project.Kill(SIGTERM);
    EXPECT_EQ(project.Wait(std::chrono::seconds(30)), 0) << project.Stderr();
    EXPECT_EQ(done, "t") << project.Stderr();
  };
  migrate("SELECT count(*) = 8 FROM chainflow.contract_tables");
  auto columns = [&] {
    return env_->QueryScalar(
        "SELECT string_agg(column_name || ' ' || data_type, ',' ORDER BY ordinal_position) "
        "FROM information_schema.columns WHERE table_schema = 'shop_json' "
        "AND table_name = 'purchased' AND ordinal_position > 8");
  };
  EXPECT_EQ(columns(), "buyer text,ticket_id numeric,amount numeric,memo text,ref bytea,"
                       "paid boolean");

  std::string grown = kShopAbi;
  const std::string paid = R"({"name":"paid","type":"bool","indexed":false})";
  grown.replace(grown.find(paid), paid.size(),
                paid + R"(,{"name":"noteText","type":"string","indexed":false})");
  std::ofstream(dir_ / "Shop.json") << grown;
  migrate("SELECT count(*) = 2 FROM chainflow.contract_tables WHERE columns::text LIKE "
          "'%note_text%'");
  EXPECT_EQ(columns(), "buyer text,ticket_id numeric,amount numeric,memo text,ref bytea,"
                       "paid boolean,note_text text");

  std::string changed = kShopAbi;
  const std::string amount = R"({"name":"amount","type":"uint256","indexed":false})";
  changed.replace(changed.find(amount), amount.size(),
                  R"({"name":"amount","type":"string","indexed":false})");
  std::ofstream(dir_ / "Shop.json") << changed;
  RunResult refused = env_->Chainflow({"project"}, {}, std::chrono::seconds(60));
  EXPECT_NE(refused.exit_code, 0);
  EXPECT_NE(refused.err.find("table \"purchased\", column \"amount\": the table has it as "
                            "numeric(78,0) (uint256), the ABI now makes it text (string"),
            std::string::npos)
      << refused.err;
}


// A contract's ABI is part of the configuration: one that does not parse, a
// type that does not exist or an `events` entry the ABI lacks stops every
// command with exit code 2 and a message naming the contract and the fault,
// before anything connects (the broker here is a closed port).
TEST_F(ContractEventsTest, ABadAbiIsAConfigurationErrorFoundBeforeConnecting) {
  const std::map<std::string, std::string> no_broker = {
      {"CHAINFLOW_KAFKA_BROKERS", "127.0.0.1:1"}};
  struct Case {
    std::string abi;
    std::string events;  // the contract's include list, TOML
    std::string says;
  };
  const std::vector<Case> cases = {
      {"not json", "", "not JSON"},
      {R"([{"type":"event","name":"X","inputs":[{"name":"a","type":"uint257"}]}])", "",
       "`uint257` must have a multiple of 8 bits"},
      {kShopAbi, "events = [\"Refunded\"]\n", "`Refunded` matches no event of the ABI"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.says);
    std::ofstream(dir_ / "Bad.json") << c.abi;
    std::string config = fmt::format(
        "[[contracts]]\nchain = \"mainnet\"\nname = \"bad\"\naddress = \"{}\"\nabi = \"{}\"\n{}",
        Addr('\x5b').ToHex(), (dir_ / "Bad.json").string(), c.events);
    {
      std::ofstream out(dir_ / "bad.toml");
      out << std::ifstream(env_->config_path()).rdbuf() << "\n" << config;
    }
    for (std::vector<std::string> command :
         {std::vector<std::string>{"run"}, {"project"}, {"status"},
          {"replay", "--chain", "mainnet", "--from-file", "/dev/null"}}) {
      command.push_back("-c");
      command.push_back((dir_ / "bad.toml").string());
      command.insert(command.begin(), ChainflowBinary());
      // (Were the broker tried first, `run` would retry it until killed.)
      RunResult r = RunCommand(command, no_broker, std::chrono::seconds(30));
      EXPECT_EQ(r.exit_code, 2) << command[1] << ": " << r.err;
      EXPECT_NE(r.err.find("configuration error: config key contracts[2] (bad)"),
                std::string::npos)
          << command[1] << ": " << r.err;
      EXPECT_NE(r.err.find(c.says), std::string::npos) << command[1] << ": " << r.err;
    }
  }
}
}  // namespace
}  // namespace chainflow::testing
