// Ingest of contracts by ABI: which logs become ContractEvents, their keys,
// ids and positions, and the eth_getLogs address filter.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/abi/catalog.h"
#include "engine/core/hex.h"
#include "engine/core/keccak.h"
#include "ingest/evm/log_decoder.h"

namespace chainflow::ingest::evm {
namespace {

namespace fs = std::filesystem;

constexpr char kTicket[] = "0x00000000000000000000000000000000000000a1";
constexpr char kFactory[] = "0x00000000000000000000000000000000000000f1";
constexpr char kStranger[] = "0x00000000000000000000000000000000000000b2";

constexpr char kAbi[] = R"([
  {"type":"event","name":"Purchased","anonymous":false,"inputs":[
    {"name":"buyer","type":"address","indexed":true},
    {"name":"amount","type":"uint256","indexed":false}]},
  {"type":"event","name":"Transfer","anonymous":false,"inputs":[
    {"name":"from","type":"address","indexed":true},
    {"name":"to","type":"address","indexed":true},
    {"name":"value","type":"uint256","indexed":false}]}])";

constexpr char kFactoryAbi[] = R"([
  {"type":"event","name":"Created","anonymous":false,"inputs":[
    {"name":"ticket","type":"address","indexed":true}]}])";

std::string Hex32(const core::Bytes32& b) {
  return core::ToHex(std::string_view(reinterpret_cast<const char*>(b.data()), 32));
}
std::string Topic0(std::string_view signature) { return Hex32(core::Keccak256(signature)); }
std::string Word(uint64_t v) { return fmt::format("{:064x}", v); }
std::string AddressWord(std::string_view address) {
  return "0x" + std::string(24, '0') + std::string(address.substr(2));
}

std::string LogJson(std::string_view address, const std::vector<std::string>& topics,
                    const std::string& data, uint64_t block = 100, uint32_t log_index = 2) {
  std::string t;
  for (size_t i = 0; i < topics.size(); ++i) t += (i ? "," : "") + ("\"" + topics[i] + "\"");
  return fmt::format(
      R"({{"address":"{}","topics":[{}],"data":"{}","blockNumber":"0x{:x}","blockHash":"0x{}",)"
      R"("blockTimestamp":"0x10","transactionHash":"0x{}","transactionIndex":"0x1",)"
      R"("logIndex":"0x{:x}","removed":false}})",
      address, t, data, block, std::string(64, 'b'), std::string(64, 'c'), log_index);
}

class AbiLogDecoderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("cf_abi_ingest_{}", ::getpid());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "Ticket.json") << kAbi;
    std::ofstream(dir_ / "Factory.json") << kFactoryAbi;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // A config of chain "anvil" with `contracts` (TOML), its catalog and decoder.
  LogDecoder Decoder(const std::string& contracts) {
    auto config = core::Config::Parse(
        fmt::format("[[chains]]\nname = \"anvil\"\n{}", contracts), {});
    EXPECT_TRUE(config) << config.error().ToString();
    config_ = std::make_unique<core::Config>(std::move(config).value());
    auto catalog = engine::abi::Catalog::Load(*config_);
    EXPECT_TRUE(catalog) << catalog.error().ToString();
    return LogDecoder::ForChain(*config_, "anvil", catalog.value());
  }
  std::string Tickets(const std::string& extra = "") const {
    return fmt::format("[[contracts]]\nchain = \"anvil\"\nname = \"tickets\"\naddress = \"{}\"\n"
                       "abi = \"{}\"\n{}",
                       kTicket, (dir_ / "Ticket.json").string(), extra);
  }
  std::string FactoryMade() const {
    return fmt::format(
        "[[contracts]]\nchain = \"anvil\"\nname = \"factory\"\naddress = \"{}\"\nabi = \"{}\"\n"
        "[[contracts]]\nchain = \"anvil\"\nname = \"tickets\"\nabi = \"{}\"\n"
        "factory = {{ contract = \"factory\", event = \"Created\", parameter = \"ticket\" }}\n",
        kFactory, (dir_ / "Factory.json").string(), (dir_ / "Ticket.json").string());
  }

  fs::path dir_;
  std::unique_ptr<core::Config> config_;
};

TEST_F(AbiLogDecoderTest, AConfiguredAddressGivesAContractEvent) {
  LogDecoder decoder = Decoder(Tickets());
  EXPECT_EQ(decoder.log_filter().size(), 1u);
  DecodeResult r;
  const std::string buyer = "0x00000000000000000000000000000000000000cc";
  ASSERT_TRUE(decoder
                  .Decode(LogJson(kTicket, {Topic0("Purchased(address,uint256)"),
                                            AddressWord(buyer)},
                                  "0x" + Word(7)),
                          &r)
                  .ok());
  EXPECT_EQ(r.kind, LogKind::kContractEvent);
  ASSERT_EQ(r.events.size(), 1u);
  const common::ChainEvent& e = r.events[0];
  EXPECT_EQ(e.key, "anvil:tickets");
  EXPECT_EQ(e.envelope.id(), "anvil/100/2/tickets");
  EXPECT_EQ(e.type, "chainflow.evm.ContractEvent");
  EXPECT_EQ(e.position, (common::Position{0, 100, 2, 0x80000000u}));
  const v1::ContractEvent& c = e.envelope.contract_event();
  EXPECT_EQ(c.contract(), "tickets");
  EXPECT_EQ(c.event(), "Purchased");
  EXPECT_EQ(c.signature(), "Purchased(address,uint256)");
  ASSERT_EQ(c.values_size(), 2);
  EXPECT_EQ(core::ToHex(c.values(0).address_value()), buyer);
  EXPECT_EQ(c.values(1).uint_value(), std::string(31, '\0') + "\x07");
  EXPECT_EQ(c.log().block_number(), 100u);
  EXPECT_EQ(c.log().log_index(), 2u);
  EXPECT_EQ(core::ToHex(c.log().contract()), kTicket);

  // Its ERC-20-shaped Transfer is a contract event only: the chain lists
  // contracts, and no standard erc20 one.
  ASSERT_TRUE(decoder
                  .Decode(LogJson(kTicket, {Topic0("Transfer(address,address,uint256)"),
                                            AddressWord(buyer), AddressWord(kStranger)},
                                  "0x" + Word(1)),
                          &r)
                  .ok());
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_TRUE(r.events[0].envelope.has_contract_event());
  // Another address's log is nobody's.
  ASSERT_TRUE(decoder.Decode(LogJson(kStranger, {Topic0("Purchased(address,uint256)"),
                                                 AddressWord(buyer)},
                                     "0x" + Word(7)),
                             &r)
                  .ok());
  EXPECT_TRUE(r.events.empty());
  EXPECT_EQ(r.kind, LogKind::kSkippedOtherEvent);
}

TEST_F(AbiLogDecoderTest, AStandardTokenByAbiGivesBothEventsInPositionOrder) {
  LogDecoder decoder = Decoder(Tickets() + fmt::format(
      "[[contracts]]\nchain = \"anvil\"\naddress = \"{}\"\nstandard = \"erc20\"\n", kTicket));
  DecodeResult r;
  ASSERT_TRUE(decoder
                  .Decode(LogJson(kTicket, {Topic0("Transfer(address,address,uint256)"),
                                            AddressWord(kStranger), AddressWord(kFactory)},
                                  "0x" + Word(5)),
                          &r)
                  .ok());
  EXPECT_EQ(r.kind, LogKind::kErc20Transfer);
  ASSERT_EQ(r.events.size(), 2u);
  EXPECT_TRUE(r.events[0].envelope.has_erc20_transfer());
  EXPECT_TRUE(r.events[1].envelope.has_contract_event());
  EXPECT_LT(r.events[0].position, r.events[1].position);
}

// A replay decodes every log into one DecodeResult, which refills the
// messages of the last log's events: each log must decode to exactly what a
// fresh result gives, whatever came before it (other events, other value
// kinds, a standard event beside a contract event, a malformed log, none).
TEST_F(AbiLogDecoderTest, AReusedResultDecodesEachLogAsAFreshOneDoes) {
  LogDecoder decoder = Decoder(Tickets() + fmt::format(
      "[[contracts]]\nchain = \"anvil\"\naddress = \"{}\"\nstandard = \"erc20\"\n", kTicket));
  const std::string purchased = Topic0("Purchased(address,uint256)");
  const std::string transfer = Topic0("Transfer(address,address,uint256)");
  std::vector<std::string> logs;
  for (uint32_t i = 0; i < 12; ++i) {
    const std::string who = AddressWord(fmt::format("0x{:040x}", 0xc0 + i));
    switch (i % 4) {
      case 0: logs.push_back(LogJson(kTicket, {purchased, who}, "0x" + Word(i), 100 + i, i)); break;
      case 1:
        logs.push_back(LogJson(kTicket, {transfer, who, AddressWord(kStranger)},
                               "0x" + Word(1000 + i), 100 + i, i));
        break;
      case 2:
        logs.push_back(LogJson(kStranger, {purchased, who}, "0x" + Word(i), 100 + i, i));
        break;
      default: logs.push_back(LogJson(kTicket, {purchased, who}, "0x01", 100 + i, i)); break;
    }
  }
  DecodeResult reused;
  for (size_t i = 0; i < logs.size(); ++i) {
    DecodeResult fresh;
    const core::Status want = decoder.Decode(logs[i], &fresh);
    const core::Status got = decoder.Decode(logs[i], &reused);
    ASSERT_EQ(got.ok(), want.ok()) << "log " << i << ": " << got.ToString();
    if (!want.ok()) continue;
    EXPECT_EQ(reused.kind, fresh.kind) << "log " << i;
    ASSERT_EQ(reused.events.size(), fresh.events.size()) << "log " << i;
    for (size_t k = 0; k < fresh.events.size(); ++k) {
      EXPECT_EQ(reused.events[k].key, fresh.events[k].key) << "log " << i;
      EXPECT_EQ(reused.events[k].type, fresh.events[k].type) << "log " << i;
      EXPECT_EQ(reused.events[k].position, fresh.events[k].position) << "log " << i;
      EXPECT_EQ(reused.events[k].envelope.SerializeAsString(),
                fresh.events[k].envelope.SerializeAsString())
          << "log " << i << ", event " << k;
    }
  }
}

TEST_F(AbiLogDecoderTest, MalformedDataIsAnErrorNamingTheContract) {
  LogDecoder decoder = Decoder(Tickets());
  DecodeResult r;
  core::Status s = decoder.Decode(
      LogJson(kTicket, {Topic0("Purchased(address,uint256)"), AddressWord(kStranger)}, "0x01"),
      &r);
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("tickets"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("amount"), std::string::npos) << s.message();
}

TEST_F(AbiLogDecoderTest, LogsBeforeTheStartBlockAreIgnored) {
  LogDecoder decoder = Decoder(Tickets("start_block = 101\n"));
  DecodeResult r;
  const std::string log =
      LogJson(kTicket, {Topic0("Purchased(address,uint256)"), AddressWord(kStranger)},
              "0x" + Word(1), 100);
  ASSERT_TRUE(decoder.Decode(log, &r).ok());
  EXPECT_TRUE(r.events.empty());
}

TEST_F(AbiLogDecoderTest, FactoryMadeContractsTakeCandidatesFromAnyAddress) {
  LogDecoder decoder = Decoder(FactoryMade());
  // Instances are unknown to ingest: no address filter.
  EXPECT_TRUE(decoder.log_filter().empty());
  DecodeResult r;
  // The factory's announcement.
  ASSERT_TRUE(decoder.Decode(LogJson(kFactory, {Topic0("Created(address)"), AddressWord(kTicket)},
                                     "0x", 50),
                             &r)
                  .ok());
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].key, "anvil:factory");
  EXPECT_EQ(r.events[0].envelope.contract_event().contract(), "factory");
  // Any address's Purchased is a candidate, keyed with its factory.
  ASSERT_TRUE(decoder
                  .Decode(LogJson(kStranger, {Topic0("Purchased(address,uint256)"),
                                              AddressWord(kTicket)},
                                  "0x" + Word(3)),
                          &r)
                  .ok());
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].key, "anvil:factory");
  EXPECT_EQ(r.events[0].envelope.contract_event().contract(), "tickets");
  // A candidate that does not decode is someone else's event: skipped.
  ASSERT_TRUE(decoder
                  .Decode(LogJson(kStranger, {Topic0("Purchased(address,uint256)"),
                                              AddressWord(kTicket)},
                                  "0x01"),
                          &r)
                  .ok());
  EXPECT_TRUE(r.events.empty());
}

}  // namespace
}  // namespace chainflow::ingest::evm
