// The contract_events processor on its own: records on the contract topics
// (protobuf and JSON), factory instances, retractions and pruning.
#include "engine/processors/contract_events/contract_events.h"

#include <filesystem>
#include <fstream>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/abi/proto_value.h"
#include "tests/support/map_state.h"

namespace chainflow::engine::processors::contract_events {
namespace {

namespace fs = std::filesystem;
using core::Address;

constexpr char kFactoryAbi[] = R"([{"type":"event","name":"Created","anonymous":false,"inputs":[
    {"name":"ticket","type":"address","indexed":true}]}])";
constexpr char kTicketAbi[] = R"([{"type":"event","name":"Bought","anonymous":false,"inputs":[
    {"name":"buyer","type":"address","indexed":true},
    {"name":"note","type":"string","indexed":false}]}])";

Address Addr(uint8_t last) {
  std::array<uint8_t, 20> bytes{};
  bytes[19] = last;
  return Address(bytes);
}

class Collect : public runtime::Emitter {
 public:
  void Emit(runtime::OutputEvent event) override { events.push_back(std::move(event)); }
  std::vector<runtime::OutputEvent> events;
};

class ContractEventsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("cf_contract_events_{}", ::getpid());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "Factory.json") << kFactoryAbi;
    std::ofstream(dir_ / "Ticket.json") << kTicketAbi;
    auto config = core::Config::Parse(
        fmt::format("[[chains]]\nname = \"anvil\"\n"
                    "[[contracts]]\nchain = \"anvil\"\nname = \"factory\"\naddress = \"{}\"\n"
                    "abi = \"{}\"\nformat = \"json\"\n"
                    "[[contracts]]\nchain = \"anvil\"\nname = \"tickets\"\nabi = \"{}\"\n"
                    "factory = {{ contract = \"factory\", event = \"Created\", "
                    "parameter = \"ticket\" }}\n",
                    Addr(0xf1).ToHex(), (dir_ / "Factory.json").string(),
                    (dir_ / "Ticket.json").string()),
        {});
    ASSERT_TRUE(config) << config.error().ToString();
    config_ = std::make_unique<core::Config>(std::move(config).value());
    auto catalog = abi::Catalog::Load(*config_);
    ASSERT_TRUE(catalog) << catalog.error().ToString();
    processor_ = std::make_unique<ContractEventsProcessor>("cf", catalog.value(), metrics_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  static v1::Envelope Event(const std::string& contract, const std::string& event,
                            const std::string& signature, const Address& emitter, uint64_t block,
                            uint32_t log_index, std::vector<v1::AbiValue> values,
                            bool finalized = false) {
    v1::Envelope envelope;
    envelope.set_id(fmt::format("anvil/{}/{}/{}", block, log_index, contract));
    v1::ContractEvent* e = envelope.mutable_contract_event();
    e->set_contract(contract);
    e->set_event(event);
    e->set_signature(signature);
    v1::LogRef* log = e->mutable_log();
    log->set_chain("anvil");
    log->set_block_number(block);
    log->set_block_hash(std::string(32, '\xab'));
    log->set_block_timestamp(1000 + block);
    log->set_tx_hash(std::string(32, '\x01'));
    log->set_log_index(log_index);
    log->set_contract(emitter.ToBytes());
    log->set_finalized(finalized);
    for (auto& v : values) *e->add_values() = std::move(v);
    return envelope;
  }
  static v1::AbiValue AddressValue(const Address& a) {
    v1::AbiValue v;
    v.set_address_value(a.ToBytes());
    return v;
  }
  static v1::AbiValue StringValue(std::string s) {
    v1::AbiValue v;
    v.set_string_value(std::move(s));
    return v;
  }

  std::vector<runtime::OutputEvent> Apply(const v1::Envelope& envelope) {
    log::Record record;
    Collect out;
    core::Status s = processor_->Apply({record, envelope}, state_, out);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return std::move(out.events);
  }

  fs::path dir_;
  std::unique_ptr<core::Config> config_;
  core::MetricsRegistry metrics_;
  std::unique_ptr<ContractEventsProcessor> processor_;
  chainflow::tests::MapState state_;
};

TEST_F(ContractEventsTest, InstancesCountFromTheirAnnouncementOn) {
  const v1::Envelope bought = Event("tickets", "Bought", "Bought(address,string)", Addr(0xa1), 9,
                                    0, {AddressValue(Addr(0xcc)), StringValue("early")});
  EXPECT_TRUE(Apply(bought).empty()) << "not an instance yet";

  // The factory announces 0xa1 (its own event goes out as JSON).
  auto created = Apply(Event("factory", "Created", "Created(address)", Addr(0xf1), 10, 1,
                             {AddressValue(Addr(0xa1))}));
  ASSERT_EQ(created.size(), 1u);
  EXPECT_EQ(created[0].topic, "cf.contract.factory");
  EXPECT_EQ(created[0].key, "anvil:factory");  // one partition per contract
  EXPECT_EQ(created[0].ce_type, "chainflow.contract.factory.Created");
  EXPECT_EQ(created[0].id, "anvil/10/1/factory/abababab");
  ASSERT_TRUE(created[0].json.has_value());
  const auto json = boost::json::parse(*created[0].json).as_object();
  EXPECT_EQ(json.at("id").as_string(), created[0].id);
  EXPECT_EQ(json.at("block_number").as_int64(), 10);
  EXPECT_EQ(json.at("retracted").as_bool(), false);
  EXPECT_EQ(json.at("params").at("ticket").as_string(), Addr(0xa1).ToHex());

  auto later = Apply(Event("tickets", "Bought", "Bought(address,string)", Addr(0xa1), 11, 0,
                           {AddressValue(Addr(0xcc)), StringValue("seat 4")}));
  ASSERT_EQ(later.size(), 1u);
  EXPECT_EQ(later[0].topic, "cf.contract.tickets");
  EXPECT_FALSE(later[0].json.has_value());
  ASSERT_TRUE(later[0].serialized.has_value());
  v1::Envelope sent;
  ASSERT_TRUE(sent.ParseFromString(*later[0].serialized));
  EXPECT_EQ(sent.id(), later[0].id);
  EXPECT_EQ(sent.contract_event().contract(), "tickets");
  EXPECT_EQ(sent.contract_event().log().block_number(), 11u);
  EXPECT_EQ(sent.contract_event().values(1).string_value(), "seat 4");
  // Another address with the same event is not an instance.
  EXPECT_TRUE(Apply(Event("tickets", "Bought", "Bought(address,string)", Addr(0xa2), 11, 1,
                          {AddressValue(Addr(0xcc)), StringValue("x")}))
                  .empty());
}

TEST_F(ContractEventsTest, ARevertedEventIsRetractedAndFinalOnesAreForgotten) {
  Apply(Event("factory", "Created", "Created(address)", Addr(0xf1), 20, 0,
              {AddressValue(Addr(0xa1))}));
  // The runtime's undo log hands the retained value to Retract on a revert.
  std::optional<std::string> retained;
  std::string retained_key;
  for (const auto& [key, value] : state_.entries) {
    if (key.starts_with(std::string("\0retained/", 10))) {
      retained_key = key;
      retained = value;
    }
  }
  ASSERT_TRUE(retained.has_value());
  const std::optional<std::string> restored;
  runtime::RevertedWrite write{retained_key, retained, restored, 1020};
  Collect out;
  v1::BlockReverted marker;
  marker.set_chain("anvil");
  marker.set_number(20);
  ASSERT_TRUE(processor_->Retract(write, marker, state_, out).ok());
  ASSERT_EQ(out.events.size(), 1u);
  EXPECT_EQ(out.events[0].id, "anvil/20/0/factory/abababab/retracted");
  EXPECT_EQ(boost::json::parse(*out.events[0].json).at("retracted").as_bool(), true);

  // A BlockEnd that finalizes block 20 drops what was kept for it.
  v1::Envelope end;
  end.set_id("end");
  end.mutable_block_end()->set_chain("anvil");
  end.mutable_block_end()->set_number(25);
  end.mutable_block_end()->set_finalized(20);
  Apply(end);
  EXPECT_EQ(state_.entries.count(retained_key), 0u);
  // Final blocks are never kept.
  Apply(Event("factory", "Created", "Created(address)", Addr(0xf1), 30, 0,
              {AddressValue(Addr(0xa3))}, /*finalized=*/true));
  for (const auto& [key, value] : state_.entries) {
    EXPECT_FALSE(key.starts_with(std::string("\0retained/", 10))) << "kept a final event";
  }
}

TEST_F(ContractEventsTest, AnnouncementWithoutAnAddressIsPoison) {
  log::Record record;
  Collect out;
  v1::Envelope bad = Event("factory", "Created", "Created(address)", Addr(0xf1), 10, 1,
                           {StringValue("not an address")});
  core::Status s = processor_->Apply({record, bad}, state_, out);
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("tickets"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace chainflow::engine::processors::contract_events
