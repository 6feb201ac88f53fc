// Real mainnet and Polygon logs, read in place from ../shared/data/evm/
// (never copied into the repository), decoded with standard token ABIs:
//  - chainstorage: every Transfer, TransferSingle and TransferBatch log of
//    its blocks decodes; values are checked against the raw topics and data,
//    and the shape counts against the data set's README;
//  - ethereum-etl: the transfers we decode from its logs equal its own
//    expected_token_transfers.

#include <filesystem>
#include <fstream>
#include <sstream>
#include <tuple>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "abi_test_util.h"
#include "engine/abi/json_render.h"

namespace chainflow::engine::abi {
namespace {

namespace fs = std::filesystem;
const fs::path kData = fs::path(CHAINFLOW_SHARED_DIR) / "data/evm";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

constexpr std::string_view kErc20 =
    R"([{"type":"event","name":"Transfer","anonymous":false,"inputs":[
  {"name":"from","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},
  {"name":"value","type":"uint256","indexed":false}]}])";
constexpr std::string_view kErc721 =
    R"([{"type":"event","name":"Transfer","anonymous":false,"inputs":[
  {"name":"from","type":"address","indexed":true},{"name":"to","type":"address","indexed":true},
  {"name":"tokenId","type":"uint256","indexed":true}]}])";
constexpr std::string_view kErc1155 = R"([
  {"type":"event","name":"TransferSingle","anonymous":false,"inputs":[
    {"name":"operator","type":"address","indexed":true},{"name":"from","type":"address","indexed":true},
    {"name":"to","type":"address","indexed":true},{"name":"id","type":"uint256","indexed":false},
    {"name":"value","type":"uint256","indexed":false}]},
  {"type":"event","name":"TransferBatch","anonymous":false,"inputs":[
    {"name":"operator","type":"address","indexed":true},{"name":"from","type":"address","indexed":true},
    {"name":"to","type":"address","indexed":true},{"name":"ids","type":"uint256[]","indexed":false},
    {"name":"values","type":"uint256[]","indexed":false}]}])";

struct Log {
  std::string address;
  std::vector<core::Bytes32> topics;
  std::string data;  // raw bytes
  std::string tx_hash;
  uint64_t log_index = 0, block = 0;
};

// A token transfer as ethereum-etl exports it.
using Transfer = std::tuple<std::string, std::string, std::string, std::string, std::string,
                            uint64_t, uint64_t>;

class TokenDecoders {
 public:
  // The transfer in `log`, if it is an ERC-20 or ERC-721 Transfer of standard shape.
  std::optional<Transfer> DecodeTransfer(const Log& log) const {
    const EventDecoder& d = log.topics.size() == 4 ? erc721_ : erc20_;
    auto r = d.Decode(log.topics, log.data);
    if (!r.has_value()) return std::nullopt;
    const auto& v = r.value().values;
    return Transfer{log.address, ToHex(v[0].as<AddressValue>()), ToHex(v[1].as<AddressValue>()),
                    ToDecimal(v[2].as<UintValue>()), log.tx_hash, log.log_index, log.block};
  }
  EventDecoder erc20_ = testing::DecoderFor(kErc20, "ERC20.json");
  EventDecoder erc721_ = testing::DecoderFor(kErc721, "ERC721.json");
  EventDecoder erc1155_ = testing::DecoderFor(kErc1155, "ERC1155.json");
};

Log ToLog(simdjson::dom::element l, std::string_view tx_key, std::string_view index_key,
          std::string_view block_key) {
  Log log;
  log.address = std::string(l["address"].get_string().value());
  for (simdjson::dom::element t : l["topics"].get_array()) {
    log.topics.push_back(testing::Topic(t.get_string().value()));
  }
  log.data = testing::Unhex(l["data"].get_string().value());
  log.tx_hash = std::string(l[tx_key].get_string().value());
  simdjson::dom::element index = l[index_key], block = l[block_key];
  log.log_index = index.is_string() ? core::ParseHexQuantity(index.get_string().value()).value()
                                    : index.get_uint64().value();
  log.block = block.is_string() ? core::ParseHexQuantity(block.get_string().value()).value()
                                : block.get_uint64().value();
  return log;
}

std::string WordHex(const std::string& data, size_t word) {
  return core::ToHex(std::string_view(data).substr(word * 32, 32));
}

struct ShapeCounts {
  int erc20 = 0, erc721 = 0, nonstandard = 0, single = 0, batch = 0;
};

void CheckChainstorageFile(const fs::path& path, const TokenDecoders& d, ShapeCounts* counts) {
  std::string text = ReadFile(path);
  simdjson::dom::parser parser;
  for (simdjson::dom::element l : parser.parse(text).get_array()) {
    Log log = ToLog(l, "transactionHash", "logIndex", "blockNumber");
    if (log.topics.empty()) continue;
    std::string topic0 = core::ToHex(log.topics[0]);
    if (topic0 == core::ToHex(d.erc20_.events()[0].topic0)) {
      auto t = d.DecodeTransfer(log);
      if (log.topics.size() < 3) {
        EXPECT_FALSE(t.has_value());  // pre-standard shapes: InvalidArgument for these ABIs
        ++counts->nonstandard;
        continue;
      }
      ASSERT_TRUE(t.has_value()) << path.filename() << " log " << log.log_index;
      EXPECT_EQ(std::get<1>(*t),
                core::ToHex(std::span<const uint8_t>(log.topics[1].data() + 12, 20)));
      std::string amount = log.topics.size() == 4
          ? core::U256ToDecimal(core::U256FromBytes32(log.topics[3]))
          : core::U256ToDecimal(core::U256FromHex(core::ToHex(log.data)).value());
      EXPECT_EQ(std::get<3>(*t), amount);
      ++(log.topics.size() == 4 ? counts->erc721 : counts->erc20);
      continue;
    }
    for (size_t e = 0; e < 2; ++e) {
      if (topic0 != core::ToHex(d.erc1155_.events()[e].topic0)) continue;
      auto r = d.erc1155_.Decode(log.topics, log.data);
      ASSERT_TRUE(r.has_value()) << path.filename() << ": " << r.error().ToString();
      const auto& v = r.value().values;
      if (e == 0) {
        EXPECT_EQ(core::ToHex(core::U256ToBytes32(v[3].as<UintValue>().value)),
                  WordHex(log.data, 0));
        ++counts->single;
      } else {
        EXPECT_EQ(v[3].as<ArrayValue>().elements.size(), v[4].as<ArrayValue>().elements.size());
        ++counts->batch;
      }
    }
  }
}

TEST(RealLogsTest, ChainstorageTokenEventsDecode) {
  TokenDecoders d;
  ShapeCounts mainnet, polygon;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(kData / "chainstorage/decoded")) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(".logs.json")) continue;
    ++files;
    CheckChainstorageFile(entry.path(), d, name.starts_with("polygon") ? &polygon : &mainnet);
  }
  EXPECT_EQ(files, 16);
  // The data set's README: 104 ERC-721-shaped and 670 ERC-20-shaped Transfers on
  // mainnet, 56 and 72 on Polygon.
  EXPECT_EQ(mainnet.erc721, 104);
  EXPECT_EQ(mainnet.erc20, 670);
  EXPECT_EQ(polygon.erc721, 56);
  EXPECT_EQ(polygon.erc20, 72);
  std::cout << "chainstorage: mainnet " << mainnet.erc20 << " ERC-20, " << mainnet.erc721
            << " ERC-721, " << mainnet.single << " TransferSingle, " << mainnet.batch
            << " TransferBatch, " << mainnet.nonstandard << " pre-standard; polygon "
            << polygon.single << " TransferSingle, " << polygon.batch << " TransferBatch\n";
}

std::vector<Transfer> Sorted(std::vector<Transfer> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// The digits of a JSON number field, read as text: values exceed 64 bits.
std::string NumberText(const std::string& line, std::string_view field) {
  size_t at = line.find("\"" + std::string(field) + "\": ") + field.size() + 4;
  size_t end = line.find_first_not_of("0123456789", at);
  return line.substr(at, end - at);
}

TEST(RealLogsTest, EthereumEtlExportedLogsOfTwoBlocks) {
  fs::path dir = kData / "ethereum-etl/tests/resources/test_stream/blocks_17173049_17173050";
  TokenDecoders d;
  std::vector<Transfer> decoded;
  simdjson::dom::parser parser;
  std::ifstream logs(dir / "expected_logs.json");
  int lines = 0;
  for (std::string line; std::getline(logs, line);) {
    if (line.empty()) continue;
    ++lines;
    Log log = ToLog(parser.parse(line), "transaction_hash", "log_index", "block_number");
    if (log.topics.empty() || log.topics[0] != d.erc20_.events()[0].topic0) continue;
    if (auto t = d.DecodeTransfer(log)) decoded.push_back(*t);
  }
  EXPECT_EQ(lines, 681);
  std::vector<Transfer> expected;
  std::ifstream in(dir / "expected_token_transfers.json");
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    std::string value = NumberText(line, "value");
    line.replace(line.find(value, line.find("\"value\": ")), value.size(), "0");
    simdjson::dom::element t = parser.parse(line);
    expected.emplace_back(std::string(t["token_address"].get_string().value()),
                          std::string(t["from_address"].get_string().value()),
                          std::string(t["to_address"].get_string().value()), value,
                          std::string(t["transaction_hash"].get_string().value()),
                          t["log_index"].get_uint64().value(),
                          t["block_number"].get_uint64().value());
  }
  EXPECT_EQ(expected.size(), 291u);
  EXPECT_EQ(Sorted(decoded), Sorted(expected));
}

TEST(RealLogsTest, EthereumEtlFilterLogsResponse) {
  fs::path dir =
      kData / "ethereum-etl/tests/resources/test_export_token_transfers_job/block_with_transfers";
  TokenDecoders d;
  simdjson::dom::parser parser;
  std::string text = ReadFile(dir / "web3_response.eth_getFilterLogs_0x0.json");
  std::vector<Transfer> decoded;
  for (simdjson::dom::element l : parser.parse(text)["result"].get_array()) {
    if (auto t = d.DecodeTransfer(ToLog(l, "transactionHash", "logIndex", "blockNumber"))) {
      decoded.push_back(*t);
    }
  }
  std::vector<Transfer> expected;
  std::ifstream csv(dir / "expected_token_transfers.csv");
  std::string line;
  std::getline(csv, line);
  while (std::getline(csv, line)) {
    std::vector<std::string> f;
    std::stringstream fields(line);
    for (std::string field; std::getline(fields, field, ',');) f.push_back(field);
    if (f.size() != 7) continue;
    expected.emplace_back(f[0], f[1], f[2], f[3], f[4], std::stoull(f[5]), std::stoull(f[6]));
  }
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(Sorted(decoded), Sorted(expected));
}

}  // namespace
}  // namespace chainflow::engine::abi
