// Conformance with real node responses and with a peer's expectations, read in
// place from ../shared/data/evm/ (never copied into the repository):
//  - ethereum-etl: the ERC-20/721 transfers LogDecoder finds in ethereum-etl's
//    raw web3 responses equal ethereum-etl's own expected_token_transfers;
//  - chainstorage: every log of its mainnet and Polygon blocks is decoded or
//    deliberately skipped, with counts per kind.

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <tuple>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "engine/core/hex.h"
#include "engine/core/u256.h"
#include "ingest/evm/log_decoder.h"
#include "ingest/evm/rpc_response.h"

namespace chainflow::ingest::evm {
namespace {

namespace fs = std::filesystem;
const fs::path kData = fs::path(CHAINFLOW_SHARED_DIR) / "data/evm";
const fs::path kEtl = kData / "ethereum-etl/tests/resources";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// A token transfer as ethereum-etl exports it: token, from, to, value
// (decimal; the token id for ERC-721), tx hash, log index, block.
using Transfer = std::tuple<std::string, std::string, std::string, std::string, std::string,
                            uint32_t, uint64_t>;

std::string Decimal(const std::string& big_endian) {
  return core::U256ToDecimal(core::U256FromBigEndian(big_endian).value());
}

// Decodes log objects and returns the ERC-20 and ERC-721 transfers; other
// kinds must be skipped ones. Each log is decoded as parsed (as ingest does)
// and from its text (as the file replay does): both must give the same.
std::vector<Transfer> DecodeTransfers(const LogBatch& logs) {
  LogDecoder decoder("mainnet", {});
  std::vector<Transfer> out;
  for (size_t i = 0; i < logs.size(); ++i) {
    const std::string text = logs.Text(i);
    DecodeResult r;
    core::Status status = decoder.Decode(logs, i, &r);
    EXPECT_TRUE(status.ok()) << status.ToString() << "\n" << text;
    if (!status.ok()) continue;
    DecodeResult from_text;
    EXPECT_TRUE(decoder.Decode(text, &from_text).ok()) << text;
    EXPECT_EQ(from_text.kind, r.kind) << text;
    EXPECT_EQ(from_text.events.size(), r.events.size()) << text;
    for (size_t e = 0; e < std::min(r.events.size(), from_text.events.size()); ++e) {
      EXPECT_EQ(from_text.events[e].key, r.events[e].key) << text;
      EXPECT_EQ(from_text.events[e].envelope.SerializeAsString(),
                r.events[e].envelope.SerializeAsString())
          << text;
    }
    for (const auto& event : r.events) {
      const v1::Envelope& e = event.envelope;
      if (e.has_erc20_transfer()) {
        const auto& t = e.erc20_transfer();
        out.emplace_back(core::ToHex(t.log().contract()), core::ToHex(t.from()),
                         core::ToHex(t.to()), Decimal(t.value()), core::ToHex(t.log().tx_hash()),
                         t.log().log_index(), t.log().block_number());
      } else if (e.has_erc721_transfer()) {
        const auto& t = e.erc721_transfer();
        out.emplace_back(core::ToHex(t.log().contract()), core::ToHex(t.from()),
                         core::ToHex(t.to()), Decimal(t.token_id()),
                         core::ToHex(t.log().tx_hash()), t.log().log_index(),
                         t.log().block_number());
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The digits of a JSON number field, read as text: values exceed 64 bits.
std::string NumberText(std::string_view line, std::string_view field) {
  std::string key = "\"" + std::string(field) + "\":";
  size_t at = line.find(key);
  EXPECT_NE(at, std::string_view::npos) << field << " in " << line;
  at += key.size();
  while (at < line.size() && line[at] == ' ') ++at;
  size_t end = at;
  while (end < line.size() && std::isdigit(static_cast<unsigned char>(line[end]))) ++end;
  return std::string(line.substr(at, end - at));
}

// ethereum-etl's expected_token_transfers.json (one JSON object a line).
std::vector<Transfer> ExpectedFromJsonLines(const fs::path& path) {
  std::vector<Transfer> out;
  std::ifstream in(path);
  simdjson::dom::parser parser;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    // simdjson rejects integers beyond 64 bits: take the value as text, then
    // parse the rest with a placeholder in its place.
    std::string value = NumberText(line, "value");
    line.replace(line.find(value, line.find("\"value\":")), value.size(), "0");
    simdjson::dom::element t = parser.parse(line);
    out.emplace_back(std::string(t["token_address"].get_string().value()),
                     std::string(t["from_address"].get_string().value()),
                     std::string(t["to_address"].get_string().value()),
                     value,
                     std::string(t["transaction_hash"].get_string().value()),
                     static_cast<uint32_t>(t["log_index"].get_uint64().value()),
                     t["block_number"].get_uint64().value());
  }
  std::sort(out.begin(), out.end());
  return out;
}

// ethereum-etl's expected_token_transfers.csv (header, then plain fields).
std::vector<Transfer> ExpectedFromCsv(const fs::path& path) {
  std::vector<Transfer> out;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line,
            "token_address,from_address,to_address,value,transaction_hash,log_index,block_number");
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::vector<std::string> f;
    std::stringstream fields(line);
    for (std::string field; std::getline(fields, field, ',');) f.push_back(field);
    EXPECT_EQ(f.size(), 7u) << line;
    if (f.size() != 7) continue;
    out.emplace_back(f[0], f[1], f[2], f[3], f[4], static_cast<uint32_t>(std::stoul(f[5])),
                     std::stoull(f[6]));
  }
  std::sort(out.begin(), out.end());
  return out;
}

TEST(EthereumEtlConformanceTest, GetFilterLogsResponse) {
  fs::path dir = kEtl / "test_export_token_transfers_job/block_with_transfers";
  auto result = ParseRpcResponse(ReadFile(dir / "web3_response.eth_getFilterLogs_0x0.json"),
                                 "eth_getFilterLogs");
  ASSERT_TRUE(result.has_value()) << result.error().ToString();
  auto logs = ParseLogArray(result.value());
  ASSERT_TRUE(logs.has_value()) << logs.error().ToString();
  auto expected = ExpectedFromCsv(dir / "expected_token_transfers.csv");
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(DecodeTransfers(logs.value()), expected);
}

TEST(EthereumEtlConformanceTest, TransactionReceiptResponses) {
  fs::path dir = kEtl / "test_stream/blocks_1755634_1755635";
  LogBatch logs;
  int receipts = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (!name.starts_with("web3_response.eth_getTransactionReceipt_")) continue;
    ++receipts;
    auto result = ParseRpcResponse(ReadFile(entry.path()), "eth_getTransactionReceipt");
    ASSERT_TRUE(result.has_value()) << name << ": " << result.error().ToString();
    simdjson::dom::parser parser;
    simdjson::dom::element receipt = parser.parse(result.value());
    auto receipt_logs = ParseLogArray(simdjson::to_string(receipt["logs"]));
    ASSERT_TRUE(receipt_logs.has_value()) << name;
    logs.Append(std::move(receipt_logs).value());
  }
  EXPECT_EQ(receipts, 2);
  auto expected = ExpectedFromJsonLines(dir / "expected_token_transfers.json");
  ASSERT_FALSE(expected.empty());
  EXPECT_EQ(DecodeTransfers(logs), expected);
}

// blocks_17173049_17173050 ships no raw responses, only ethereum-etl's
// exported logs: rebuilt here into eth_getLogs objects (hex quantities),
// they must give ethereum-etl's 291 transfers (282 ERC-20, 9 ERC-721).
TEST(EthereumEtlConformanceTest, ExportedLogsOfTwoRecentBlocks) {
  fs::path dir = kEtl / "test_stream/blocks_17173049_17173050";
  std::vector<std::string> logs;
  std::ifstream in(dir / "expected_logs.json");
  simdjson::dom::parser parser;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    simdjson::dom::element l = parser.parse(line);
    std::string topics;
    simdjson::dom::array topic_array = l["topics"].get_array().value();
    for (simdjson::dom::element t : topic_array) {
      topics += (topics.empty() ? "\"" : ",\"") + std::string(t.get_string().value()) + "\"";
    }
    logs.push_back(fmt::format(
        R"({{"address":"{}","topics":[{}],"data":"{}","blockNumber":"0x{:x}",)"
        R"("blockHash":"{}","transactionHash":"{}","transactionIndex":"0x{:x}",)"
        R"("logIndex":"0x{:x}","removed":false}})",
        l["address"].get_string().value(), topics, l["data"].get_string().value(),
        l["block_number"].get_uint64().value(), l["block_hash"].get_string().value(),
        l["transaction_hash"].get_string().value(), l["transaction_index"].get_uint64().value(),
        l["log_index"].get_uint64().value()));
  }
  EXPECT_EQ(logs.size(), 681u);
  auto expected = ExpectedFromJsonLines(dir / "expected_token_transfers.json");
  EXPECT_EQ(expected.size(), 291u);
  auto batch = LogBatch::FromTexts(logs);
  ASSERT_TRUE(batch.has_value()) << batch.error().ToString();
  auto decoded = DecodeTransfers(batch.value());
  EXPECT_EQ(decoded, expected);
}

// ---- chainstorage ---------------------------------------------------------------------------

struct ShapeCounts {
  KindCounts kinds;
  uint64_t logs = 0;
  // Counted from the raw JSON by the test itself (topic0 and topic count).
  uint64_t transfer_3_topics = 0, transfer_4_topics = 0, transfer_other = 0;
  uint64_t single = 0, batch = 0, no_topics = 0, other = 0, removed = 0;
};

void CountFile(const fs::path& path, ShapeCounts* counts) {
  std::string text = ReadFile(path);
  simdjson::dom::parser parser;
  simdjson::dom::array logs = parser.parse(text).get_array();
  LogDecoder decoder("chainstorage", {});
  for (simdjson::dom::element log : logs) {
    std::string json = simdjson::to_string(log);
    DecodeResult r;
    core::Status status = decoder.Decode(json, &r);
    ASSERT_TRUE(status.ok()) << path.filename() << ": " << status.ToString();
    counts->kinds.Add(r.kind);
    ++counts->logs;
    if (IsSkipped(r.kind)) {
      EXPECT_TRUE(r.events.empty());
      EXPECT_FALSE(r.skip_reason.empty()) << LogKindName(r.kind);
    } else {
      EXPECT_FALSE(r.events.empty()) << LogKindName(r.kind);
    }
    bool removed = false;
    if (!log["removed"].get_bool().get(removed) && removed) {
      ++counts->removed;
      continue;
    }
    simdjson::dom::array topics = log["topics"].get_array();
    if (topics.size() == 0) {
      ++counts->no_topics;
      continue;
    }
    std::string_view topic0 = topics.at(0).get_string().value();
    if (topic0 == kTransferTopic) {
      if (topics.size() == 3) {
        ++counts->transfer_3_topics;
        // The ERC-20 amount is the data word, read independently.
        std::string_view data = log["data"].get_string().value();
        ASSERT_EQ(r.events.size(), 1u);
        EXPECT_EQ(Decimal(r.events[0].envelope.erc20_transfer().value()),
                  core::U256ToDecimal(core::U256FromHex(data).value()));
      } else if (topics.size() == 4) {
        ++counts->transfer_4_topics;
        std::string_view id = topics.at(3).get_string().value();
        ASSERT_EQ(r.events.size(), 1u);
        EXPECT_EQ(Decimal(r.events[0].envelope.erc721_transfer().token_id()),
                  core::U256ToDecimal(core::U256FromHex(id).value()));
      } else {
        ++counts->transfer_other;
      }
    } else if (topic0 == kTransferSingleTopic) {
      ++counts->single;
    } else if (topic0 == kTransferBatchTopic) {
      ++counts->batch;
    } else {
      ++counts->other;
    }
  }
}

void ExpectClassified(const ShapeCounts& c) {
  EXPECT_EQ(c.kinds[LogKind::kErc20Transfer], c.transfer_3_topics);
  EXPECT_EQ(c.kinds[LogKind::kErc721Transfer], c.transfer_4_topics);
  EXPECT_EQ(c.kinds[LogKind::kSkippedNonStandardTransfer], c.transfer_other);
  EXPECT_EQ(c.kinds[LogKind::kErc1155Single], c.single);
  EXPECT_EQ(c.kinds[LogKind::kErc1155Batch], c.batch);
  EXPECT_EQ(c.kinds[LogKind::kSkippedNoTopics], c.no_topics);
  EXPECT_EQ(c.kinds[LogKind::kSkippedOtherEvent], c.other);
  EXPECT_EQ(c.kinds[LogKind::kSkippedRemoved], c.removed);
  EXPECT_EQ(c.kinds[LogKind::kSkippedContractNotConfigured], 0u);
  uint64_t total = 0;
  for (uint64_t n : c.kinds.counts) total += n;
  EXPECT_EQ(total, c.logs);  // every log has exactly one classification
}

TEST(ChainstorageConformanceTest, EveryLogIsDecodedOrDeliberatelySkipped) {
  fs::path dir = kData / "chainstorage/decoded";
  ShapeCounts mainnet, polygon, other;
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(".logs.json")) continue;
    ++files;
    bool is_polygon = name.starts_with("polygon_");
    bool is_mainnet = name.starts_with("ethereum_") && name.find("goerli") == std::string::npos;
    CountFile(entry.path(), is_polygon ? &polygon : is_mainnet ? &mainnet : &other);
  }
  EXPECT_EQ(files, 16);
  ExpectClassified(mainnet);
  ExpectClassified(polygon);
  // The figures the data README gives for the raw logs.
  EXPECT_EQ(mainnet.logs + polygon.logs + other.logs, 2232u);
  EXPECT_EQ(mainnet.kinds[LogKind::kErc721Transfer], 104u);
  EXPECT_EQ(mainnet.kinds[LogKind::kErc20Transfer], 670u);
  EXPECT_EQ(polygon.kinds[LogKind::kErc721Transfer], 56u);
  EXPECT_EQ(polygon.kinds[LogKind::kErc20Transfer], 72u);
  // Block 7,280,016 holds one pre-standard Transfer with a single topic.
  EXPECT_EQ(mainnet.kinds[LogKind::kSkippedNonStandardTransfer], 1u);
  std::cout << fmt::format(
      "chainstorage mainnet: {} logs, erc20 {}, erc721 {}, 1155 single {} batch {}, "
      "other {}, non-standard {}; polygon: {} logs, erc20 {}, erc721 {}, 1155 {} / {}\n",
      mainnet.logs, mainnet.kinds[LogKind::kErc20Transfer],
      mainnet.kinds[LogKind::kErc721Transfer], mainnet.kinds[LogKind::kErc1155Single],
      mainnet.kinds[LogKind::kErc1155Batch], mainnet.kinds[LogKind::kSkippedOtherEvent],
      mainnet.kinds[LogKind::kSkippedNonStandardTransfer], polygon.logs,
      polygon.kinds[LogKind::kErc20Transfer], polygon.kinds[LogKind::kErc721Transfer],
      polygon.kinds[LogKind::kErc1155Single], polygon.kinds[LogKind::kErc1155Batch]);
}

}  // namespace
}  // namespace chainflow::ingest::evm
