// A replay's direct lanes (ingest/README.md "Direct lanes"): the final events
// of a contract by ABI that is neither a factory nor made by one go straight
// to the contract's topic, in the contract_events processor's record, resumed
// from that topic's last position; everything else still takes the chain topic.
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/abi/catalog.h"
#include "engine/core/hex.h"
#include "engine/core/keccak.h"
#include "engine/log/cloud_events.h"
#include "engine/log/record.h"
#include "ingest/evm/file_replay.h"
#include "tests/unit/ingest/fakes.h"

namespace chainflow::ingest::evm {
namespace {

namespace fs = std::filesystem;
using testing::FakeSink;
using testing::FakeTailReader;
using testing::FindHeader;

constexpr char kTicket[] = "0x00000000000000000000000000000000000000a1";
constexpr char kFactory[] = "0x00000000000000000000000000000000000000f1";
constexpr char kInstance[] = "0x00000000000000000000000000000000000000e1";
constexpr char kChainTopic[] = "cf.anvil.events";
constexpr char kTicketsTopic[] = "cf.contract.tickets";
constexpr int kPartitions = 4;

constexpr char kAbi[] = R"([
  {"type":"event","name":"Purchased","anonymous":false,"inputs":[
    {"name":"buyer","type":"address","indexed":true},
    {"name":"amount","type":"uint256","indexed":false}]}])";
constexpr char kMadeAbi[] = R"([
  {"type":"event","name":"Refunded","anonymous":false,"inputs":[
    {"name":"buyer","type":"address","indexed":true},
    {"name":"amount","type":"uint256","indexed":false}]}])";
constexpr char kFactoryAbi[] = R"([
  {"type":"event","name":"Created","anonymous":false,"inputs":[
    {"name":"ticket","type":"address","indexed":true}]}])";

std::string Topic0(std::string_view signature) {
  core::Bytes32 hash = core::Keccak256(signature);
  return core::ToHex(std::string_view(reinterpret_cast<const char*>(hash.data()), 32));
}
std::string AddressWord(std::string_view address) {
  return "0x" + std::string(24, '0') + std::string(address.substr(2));
}

std::string LogLine(std::string_view address, const std::string& topics, uint64_t data,
                    uint64_t block, uint32_t log_index) {
  return fmt::format(
      R"({{"address":"{}","topics":[{}],"data":"0x{:064x}","blockNumber":"0x{:x}",)"
      R"("blockHash":"0x{:064x}","blockTimestamp":"0x{:x}","transactionHash":"0x{}",)"
      R"("transactionIndex":"0x0","logIndex":"0x{:x}","removed":false}})",
      address, topics, data, block, block * 7919, 1700000000 + block * 12,
      std::string(64, 'c'), log_index);
}

// Tails per topic, built from what earlier runs sent (or nothing).
class TopicTails {
 public:
  explicit TopicTails(std::vector<engine::log::OutRecord> records = {})
      : records_(std::move(records)) {}
  DirectLanes Lanes() {
    DirectLanes lanes;
    lanes.topic_prefix = "cf";
    lanes.open = [this](const std::string& topic) -> core::Result<DirectLanes::Tails> {
      opened.push_back(topic);
      std::vector<engine::log::OutRecord> of;
      for (const auto& r : records_) {
        if (r.topic == topic) of.push_back(r);
      }
      return DirectLanes::Tails{std::make_unique<NamedTails>(topic, of), kPartitions};
    };
    return lanes;
  }
  FakeTailReader Chain() const {
    std::vector<engine::log::OutRecord> of;
    for (const auto& r : records_) {
      if (r.topic == kChainTopic) of.push_back(r);
    }
    return FakeTailReader(of);
  }
  std::vector<std::string> opened;

 private:
  // A FakeTailReader that, like AdminTailReader, calls a last record
  // without `cf_pos` data loss.
  class NamedTails : public FakeTailReader {
   public:
    NamedTails(std::string topic, const std::vector<engine::log::OutRecord>& records)
        : FakeTailReader(records), topic_(std::move(topic)) {
      for (const auto& r : records) unpositioned_[r.partition.value()] =
          FindHeader(r, "cf_pos") == nullptr;
    }
    core::Result<std::optional<common::Position>> LastPosition(core::PartitionId p) override {
      if (unpositioned_[p.value()]) {
        return core::DataLossError(fmt::format("{}/{}: last record has no cf_pos", topic_,
                                               p.value()));
      }
      return FakeTailReader::LastPosition(p);
    }

   private:
    std::string topic_;
    std::map<int32_t, bool> unpositioned_;
  };
  std::vector<engine::log::OutRecord> records_;
};

class DirectLanesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / fmt::format("cf_direct_lanes_{}", ::getpid());
    fs::create_directories(dir_);
    std::ofstream(dir_ / "Ticket.json") << kAbi;
    std::ofstream(dir_ / "Factory.json") << kFactoryAbi;
    std::ofstream(dir_ / "Made.json") << kMadeAbi;
    // Tickets sold at a1 (direct), a factory announcing e1 and e1's refunds
    // (both through the chain topic), 3 a block over 20 blocks.
    std::ofstream out(history());
    const std::string purchased = Topic0("Purchased(address,uint256)");
    const std::string refunded = Topic0("Refunded(address,uint256)");
    for (uint64_t block = 100; block < 120; ++block) {
      std::string buyer = AddressWord(fmt::format("0x{:040x}", block));
      out << LogLine(kTicket, fmt::format("\"{}\",\"{}\"", purchased, buyer), block, block, 0)
          << '\n';
      if (block == 105) {
        out << LogLine(kFactory,
                       fmt::format("\"{}\",\"{}\"", Topic0("Created(address)"),
                                   AddressWord(kInstance)),
                       0, block, 1)
            << '\n';
      }
      out << LogLine(kInstance, fmt::format("\"{}\",\"{}\"", refunded, buyer), 2 * block, block,
                     2)
          << '\n';
      out << LogLine(kTicket, fmt::format("\"{}\",\"{}\"", purchased, buyer), 3 * block, block,
                     3)
          << '\n';
    }
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string history() const { return (dir_ / "history.ndjson").string(); }

  core::Config Config(const std::string& tickets_extra = "") const {
    auto config = core::Config::Parse(
        fmt::format(
            "[kafka]\ntopic_prefix = \"cf\"\npartitions = {}\n[[chains]]\nname = \"anvil\"\n"
            "[[contracts]]\nchain = \"anvil\"\nname = \"tickets\"\naddress = \"{}\"\n"
            "abi = \"{}\"\n{}"
            "[[contracts]]\nchain = \"anvil\"\nname = \"factory\"\naddress = \"{}\"\n"
            "abi = \"{}\"\n"
            "[[contracts]]\nchain = \"anvil\"\nname = \"made\"\nabi = \"{}\"\n"
            "factory = {{ contract = \"factory\", event = \"Created\", parameter = \"ticket\" }}\n",
            kPartitions, kTicket, (dir_ / "Ticket.json").string(), tickets_extra, kFactory,
            (dir_ / "Factory.json").string(), (dir_ / "Made.json").string()),
        {});
    CF_CHECK(config.has_value(), "{}", config.error().ToString());
    return config.value();
  }

  // One replay of the history over `earlier` (what the topics already hold).
  core::Result<ReplaySummary> Replay(const core::Config& config, FakeSink& sink,
                                     const std::vector<engine::log::OutRecord>& earlier = {}) {
    TopicTails tails(earlier);
    FakeTailReader chain = tails.Chain();
    DirectLanes lanes = tails.Lanes();
    auto summary = ReplayFile(config, "anvil", history(), sink, chain, {}, nullptr, &lanes);
    opened_ = tails.opened;
    return summary;
  }

  fs::path dir_;
  std::vector<std::string> opened_;
};

TEST_F(DirectLanesTest, OnlyContractsWithoutFactoriesAreDirect) {
  core::Config config = Config();
  auto catalog = engine::abi::Catalog::Load(config).value();
  auto direct = DirectContracts(*catalog, "anvil");
  ASSERT_EQ(direct.size(), 1u);
  EXPECT_EQ(direct[0]->name(), "tickets");
  EXPECT_TRUE(DirectContracts(*catalog, "mainnet").empty());
}

TEST_F(DirectLanesTest, ADirectContractsEventsTakeItsTopicInTheProcessorsRecord) {
  core::Config config = Config();
  FakeSink sink;
  auto summary = Replay(config, sink);
  ASSERT_TRUE(summary.has_value()) << summary.error().ToString();
  EXPECT_EQ(opened_, std::vector<std::string>{kTicketsTopic});
  EXPECT_EQ(summary.value().events_appended, 20u * 3 + 1);
  EXPECT_EQ(summary.value().rejected, 0u);

  const auto lane = sink.On(kTicketsTopic);
  ASSERT_EQ(lane.size(), 40u);
  const auto partition = engine::log::PartitionForKey("anvil:tickets", kPartitions);
  for (size_t i = 0; i < lane.size(); ++i) {
    const auto& r = lane[i];
    const uint64_t block = 100 + i / 2;
    const uint32_t log_index = i % 2 == 0 ? 0 : 3;
    EXPECT_EQ(r.partition, partition);
    EXPECT_EQ(r.key, "anvil:tickets");
    // Ids as contract_events gives them: block hash's first 4 bytes.
    const std::string hash8 = fmt::format("{:064x}", block * 7919).substr(0, 8);
    const std::string id = fmt::format("anvil/{}/{}/tickets/{}", block, log_index, hash8);
    EXPECT_EQ(*FindHeader(r, "ce_id"), id);
    EXPECT_EQ(*FindHeader(r, "ce_type"), "chainflow.contract.tickets.Purchased");
    EXPECT_EQ(*FindHeader(r, "ce_source"), "chainflow/contract_events");
    EXPECT_EQ(*FindHeader(r, "content-type"), "application/protobuf");
    EXPECT_EQ(*FindHeader(r, "cf_pos"), fmt::format("{}:{}:2147483648", block, log_index));
    // The replay writes one record over the last: no header twice, the
    // time of this block's.
    EXPECT_EQ(r.headers.size(), engine::log::kCloudEventHeaderCount + 1);
    EXPECT_EQ(*FindHeader(r, "ce_time"),
              engine::log::FormatRfc3339(static_cast<int64_t>(1700000000 + block * 12)));
    EXPECT_EQ(r.timestamp_ms, static_cast<int64_t>(1700000000 + block * 12) * 1000);
    v1::Envelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(r.value));
    EXPECT_EQ(envelope.id(), id);
    ASSERT_TRUE(envelope.has_contract_event());
    const v1::ContractEvent& event = envelope.contract_event();
    EXPECT_EQ(event.contract(), "tickets");
    EXPECT_EQ(event.signature(), "Purchased(address,uint256)");
    EXPECT_TRUE(event.log().finalized());
    EXPECT_EQ(event.log().block_number(), block);
    EXPECT_FALSE(event.retracted());
    ASSERT_EQ(event.values_size(), 2);
    // Each record its own log's values (the decoder refills one message).
    const std::string buyer = AddressWord(fmt::format("0x{:040x}", block));
    EXPECT_EQ(core::ToHex(event.values(0).address_value()), "0x" + buyer.substr(26));
    EXPECT_EQ(core::ToHex(event.values(1).uint_value()),
              fmt::format("0x{:064x}", log_index == 0 ? block : 3 * block));
  }
  // The chain topic keeps the factory's announcement and its instance's
  // sales (contract_events needs them) and the markers, but no ticket sale.
  size_t chain_events = 0;
  for (const auto& r : sink.On(kChainTopic)) {
    v1::Envelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(r.value));
    if (!envelope.has_contract_event()) continue;
    ++chain_events;
    EXPECT_NE(envelope.contract_event().contract(), "tickets");
  }
  EXPECT_EQ(chain_events, 21u);
  EXPECT_EQ(sink.On(kChainTopic).size(), 21u + 20 * kPartitions);
}

TEST_F(DirectLanesTest, JsonContractsGetJsonRecords) {
  core::Config config = Config("format = \"json\"\n");
  FakeSink sink;
  ASSERT_TRUE(Replay(config, sink).has_value());
  const auto lane = sink.On(kTicketsTopic);
  ASSERT_EQ(lane.size(), 40u);
  EXPECT_EQ(*FindHeader(lane[0], "content-type"), "application/json");
  EXPECT_EQ(lane[0].value.rfind("{\"id\":\"anvil/100/0/tickets/", 0), 0u) << lane[0].value;
}

TEST_F(DirectLanesTest, ARerunSendsNothingAndAnInterruptedOneSendsExactlyTheRest) {
  core::Config config = Config();
  FakeSink first;
  ASSERT_TRUE(Replay(config, first).has_value());

  FakeSink again;
  auto rerun = Replay(config, again, first.records);
  ASSERT_TRUE(rerun.has_value());
  EXPECT_EQ(rerun.value().events_appended, 0u);
  EXPECT_EQ(rerun.value().events_skipped, 61u);
  EXPECT_TRUE(again.records.empty());

  // Cut after n records in send order: each topic partition holds a prefix
  // of what it was sent, as an idempotent producer leaves it. The lane may
  // be behind the chain topic's markers or ahead of them.
  const auto& all = first.records;
  for (size_t n : {size_t{1}, size_t{30}, size_t{70}, all.size() - 1}) {
    for (bool lane_behind : {false, true}) {
      std::vector<engine::log::OutRecord> held;
      size_t lane_kept = 0;
      for (size_t i = 0; i < all.size(); ++i) {
        const bool on_lane = all[i].topic == kTicketsTopic;
        if (i < n && !(lane_behind && on_lane && lane_kept >= 5)) {
          held.push_back(all[i]);
          if (on_lane) ++lane_kept;
        }
      }
      FakeSink rest;
      ASSERT_TRUE(Replay(config, rest, held).has_value());
      // Together: every record once, the lane in order.
      std::vector<std::string> lane_ids;
      for (const auto* part : {&held, &rest.records}) {
        for (const auto& r : *part) {
          if (r.topic == kTicketsTopic) lane_ids.push_back(*FindHeader(r, "ce_id"));
        }
      }
      std::vector<std::string> expected;
      for (const auto& r : first.On(kTicketsTopic)) expected.push_back(*FindHeader(r, "ce_id"));
      EXPECT_EQ(lane_ids, expected) << n << (lane_behind ? " lane behind" : "");
      EXPECT_EQ(held.size() + rest.records.size(), all.size()) << n;
    }
  }
}

TEST_F(DirectLanesTest, ALaneResumesAfterWhatContractEventsRelayed) {
  // The topic's last record came from contract_events (block 109's second
  // sale, its position forwarded): the replay sends only what follows.
  core::Config config = Config();
  FakeSink first;
  ASSERT_TRUE(Replay(config, first).has_value());
  std::vector<engine::log::OutRecord> relayed;
  for (const auto& r : first.On(kTicketsTopic)) {
    relayed.push_back(r);
    if (*FindHeader(r, "cf_pos") == "109:3:2147483648") break;
  }
  FakeSink rest;
  auto summary = Replay(config, rest, relayed);
  ASSERT_TRUE(summary.has_value());
  const auto lane = rest.On(kTicketsTopic);
  ASSERT_EQ(lane.size(), 20u);
  EXPECT_EQ(*FindHeader(lane[0], "cf_pos"), "110:0:2147483648");
}

TEST_F(DirectLanesTest, ATopicWhoseLastRecordHasNoPositionTakesTheChainTopic) {
  core::Config config = Config();
  FakeSink first;
  ASSERT_TRUE(Replay(config, first).has_value());
  // As an older contract_events left it: the records, without `cf_pos`.
  std::vector<engine::log::OutRecord> old = first.On(kTicketsTopic);
  for (auto& r : old) {
    std::erase_if(r.headers, [](const engine::log::Header& h) { return h.key == "cf_pos"; });
  }
  FakeSink sink;
  ASSERT_TRUE(Replay(config, sink, old).has_value());
  EXPECT_TRUE(sink.On(kTicketsTopic).empty());
  size_t tickets_on_chain = 0;
  for (const auto& r : sink.On(kChainTopic)) {
    v1::Envelope envelope;
    ASSERT_TRUE(envelope.ParseFromString(r.value));
    tickets_on_chain += envelope.has_contract_event() &&
                        envelope.contract_event().contract() == "tickets";
  }
  EXPECT_EQ(tickets_on_chain, 40u);
}

}  // namespace
}  // namespace chainflow::ingest::evm
