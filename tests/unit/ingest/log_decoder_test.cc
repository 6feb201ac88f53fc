#include "ingest/evm/log_decoder.h"

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "engine/core/hex.h"

namespace chainflow::ingest::evm {
namespace {

const std::string kShared = CHAINFLOW_SHARED_DIR;
const std::string kKongz = kShared + "/data/evm/cyberkongz/transfers.logs.ndjson";
const std::string kKongzContract = "0x57a204aa1042f6e66dd7730813f4024114d74f37";

std::string Word(std::string_view hex_digits) {  // 32-byte topic, left-padded
  return "0x" + std::string(64 - hex_digits.size(), '0') + std::string(hex_digits);
}

std::string Bytes(std::string_view hex) { return core::ToHex(hex); }

// A log object with the given topics and data (JSON text).
std::string LogJson(const std::vector<std::string>& topics, const std::string& data,
                    const std::string& extra = R"("blockTimestamp":"0x6079ec0b",)") {
  std::string t;
  for (size_t i = 0; i < topics.size(); ++i) t += (i ? "," : "") + ("\"" + topics[i] + "\"");
  return R"({"address":"0x57A204aa1042f6e66dd7730813f4024114d74f37","topics":[)" + t +
         R"(],"data":")" + data + R"(","blockNumber":"0xbaf7d6","blockHash":null,)" + extra +
         R"("transactionHash":)"
         R"("0x9608d1cda7c95a77b1c56b1912334876097872c2b52fc0d8c6af469ff063bd79",)"
         R"("transactionIndex":"0x5","logIndex":"0x2","removed":false})";
}

const std::string kFrom = Word("48797808be86aa9786c1f402671192d6b");
const std::string kTo = Word("11");
const std::string kOp = Word("22");

TEST(LogDecoderTest, DecodesErc721Transfer) {
  LogDecoder decoder("mainnet", {});
  DecodeResult r;
  ASSERT_TRUE(decoder.Decode(LogJson({std::string(kTransferTopic), kFrom, kTo, Word("3e9")}, "0x"),
                             &r).ok());
  EXPECT_EQ(r.kind, LogKind::kErc721Transfer);
  ASSERT_EQ(r.events.size(), 1u);
  const auto& e = r.events[0];
  EXPECT_EQ(e.key, "mainnet:" + kKongzContract + ":1001");
  EXPECT_EQ(e.type, "chainflow.evm.Erc721Transfer");
  EXPECT_EQ(e.envelope.id(), "mainnet/12253142/2");
  EXPECT_EQ(e.position, (common::Position{0, 12253142, 2, 0}));
  EXPECT_EQ(e.time_seconds, 0x6079ec0b);
  const auto& t = e.envelope.erc721_transfer();
  EXPECT_EQ(t.log().chain(), "mainnet");
  EXPECT_EQ(t.log().block_number(), 12253142u);
  EXPECT_EQ(t.log().block_hash(), "");
  EXPECT_EQ(t.log().tx_index(), 5u);
  EXPECT_EQ(t.log().log_index(), 2u);
  EXPECT_EQ(core::ToHex(t.log().contract()), kKongzContract);
  EXPECT_EQ(core::ToHex(t.log().tx_hash()),
            "0x9608d1cda7c95a77b1c56b1912334876097872c2b52fc0d8c6af469ff063bd79");
  EXPECT_EQ(core::ToHex(t.from()), "0x000000048797808be86aa9786c1f402671192d6b");
  EXPECT_EQ(t.to().size(), 20u);
  EXPECT_EQ(t.token_id().size(), 32u);
  EXPECT_EQ(static_cast<uint8_t>(t.token_id()[31]), 0xe9);
}

// One DecodeResult for log after log keeps a few spare events for the next
// contract events, never every event it made (standard token events take
// none: a replay of millions would keep them all).
TEST(LogDecoderTest, AReusedResultKeepsBoundedSpares) {
  LogDecoder decoder("mainnet", {});
  DecodeResult r;
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(decoder
                    .Decode(LogJson({std::string(kTransferTopic), kFrom, kTo,
                                     Word(std::to_string(100 + i))},
                                    "0x"),
                            &r)
                    .ok());
    ASSERT_EQ(r.events.size(), 1u);
    EXPECT_LE(r.spare_events.size(), kMaxSpareEvents);
  }
}

TEST(LogDecoderTest, DecodesErc20TransferKeyedByFrom) {
  LogDecoder decoder("mainnet", {});
  DecodeResult r;
  std::string value = Word("5f8f5726107938720000");
  ASSERT_TRUE(decoder.Decode(LogJson({std::string(kTransferTopic), kFrom, kTo}, value), &r).ok());
  EXPECT_EQ(r.kind, LogKind::kErc20Transfer);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].key,
            "mainnet:" + kKongzContract + ":0x000000048797808be86aa9786c1f402671192d6b");
  EXPECT_EQ(r.events[0].type, "chainflow.evm.Erc20Transfer");
  EXPECT_EQ(Bytes(r.events[0].envelope.erc20_transfer().value()), value);
}

TEST(LogDecoderTest, DecodesTransferSingle) {
  LogDecoder decoder("polygon", {});
  DecodeResult r;
  std::string data = Word("7") + Word("64").substr(2);
  ASSERT_TRUE(decoder.Decode(LogJson({std::string(kTransferSingleTopic), kOp, kFrom, kTo}, data),
                             &r).ok());
  EXPECT_EQ(r.kind, LogKind::kErc1155Single);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].key, "polygon:" + kKongzContract + ":7");
  EXPECT_EQ(r.events[0].type, "chainflow.evm.Erc1155TransferSingle");
  const auto& t = r.events[0].envelope.erc1155_transfer_single();
  EXPECT_EQ(core::ToHex(t.operator_()), "0x0000000000000000000000000000000000000022");
  EXPECT_EQ(Bytes(t.value()), Word("64"));
}

// ABI: head (offset ids, offset values), ids (len, items), values (len, items).
std::string BatchData(const std::vector<std::string>& ids, const std::vector<std::string>& values) {
  std::string d = Word("40").substr(2);
  d += Word(fmt::format("{:x}", 64 + 32 * (1 + ids.size()))).substr(2);
  d += Word(fmt::format("{:x}", ids.size())).substr(2);
  for (const auto& id : ids) d += Word(id).substr(2);
  d += Word(fmt::format("{:x}", values.size())).substr(2);
  for (const auto& v : values) d += Word(v).substr(2);
  return "0x" + d;
}

TEST(LogDecoderTest, SplitsTransferBatchIntoElements) {
  LogDecoder decoder("polygon", {});
  DecodeResult r;
  std::string data = BatchData({"1", "ff", "10000"}, {"5", "6", "7"});
  ASSERT_TRUE(decoder.Decode(LogJson({std::string(kTransferBatchTopic), kOp, kFrom, kTo}, data),
                             &r).ok());
  EXPECT_EQ(r.kind, LogKind::kErc1155Batch);
  ASSERT_EQ(r.events.size(), 3u);
  EXPECT_EQ(r.events[1].key, "polygon:" + kKongzContract + ":255");
  EXPECT_EQ(r.events[2].key, "polygon:" + kKongzContract + ":65536");
  EXPECT_EQ(r.events[2].envelope.id(), "polygon/12253142/2/2");
  EXPECT_EQ(r.events[2].position, (common::Position{0, 12253142, 2, 2}));
  const auto& t = r.events[1].envelope.erc1155_transfer_batch();
  EXPECT_EQ(t.index(), 1u);
  EXPECT_EQ(t.count(), 3u);
  EXPECT_EQ(Bytes(t.value()), Word("6"));
  EXPECT_EQ(r.events[0].type, "chainflow.evm.Erc1155TransferBatch");
}

TEST(LogDecoderTest, TransferBatchAbiValidation) {
  std::vector<core::Bytes32> ids, values;
  auto decode = [&](const std::string& hex) {
    auto bytes = core::FromHex(hex).value();
    return DecodeTransferBatchData(
        std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), &ids, &values);
  };
  ASSERT_TRUE(decode(BatchData({"1", "2"}, {"3", "4"})).ok());
  EXPECT_EQ(ids.size(), 2u);
  EXPECT_EQ(values[1][31], 4);
  ASSERT_TRUE(decode(BatchData({}, {})).ok());
  EXPECT_TRUE(ids.empty());

  std::string good = BatchData({"1", "2"}, {"3", "4"});
  auto expect_bad = [&](const std::string& hex, std::string_view what) {
    core::Status s = decode(hex);
    EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument) << what;
    EXPECT_NE(s.message().find("\"data\""), std::string::npos) << s.message();
  };
  expect_bad(good.substr(0, good.size() - 64), "truncated values");
  expect_bad(BatchData({"1", "2"}, {"3"}), "length mismatch");
  std::string bad_offset = good;
  bad_offset.replace(2 + 62, 2, "41");  // ids offset 0x41: not word aligned
  expect_bad(bad_offset, "unaligned offset");
  std::string huge_offset = good;
  huge_offset.replace(2, 2, "ff");  // high byte set
  expect_bad(huge_offset, "offset too large");
  std::string huge_len = good;
  huge_len.replace(2 + 128 + 60, 4, "ffff");  // ids length 0xffff
  expect_bad(huge_len, "length past the end");
  expect_bad("0x" + Word("40").substr(2), "head only");
  expect_bad("0x", "empty");
}

TEST(LogDecoderTest, SkipsWhatIsNotAStandardTokenEvent) {
  LogDecoder decoder("mainnet", {});
  DecodeResult r;
  ASSERT_TRUE(decoder.Decode(LogJson({Word("1234"), kFrom}, "0x"), &r).ok());
  EXPECT_EQ(r.kind, LogKind::kSkippedOtherEvent);
  EXPECT_EQ(r.skip_reason, "not a standard token event");
  EXPECT_TRUE(r.events.empty());
  ASSERT_TRUE(decoder.Decode(LogJson({}, "0x"), &r).ok());
  EXPECT_EQ(r.kind, LogKind::kSkippedNoTopics);
  // CryptoKitties-style Transfer: nothing indexed.
  ASSERT_TRUE(decoder.Decode(LogJson({std::string(kTransferTopic)}, "0x" + std::string(192, '0')),
                             &r).ok());
  EXPECT_EQ(r.kind, LogKind::kSkippedNonStandardTransfer);
  std::string removed = LogJson({std::string(kTransferTopic), kFrom, kTo, Word("1")}, "0x");
  removed.replace(removed.find("\"removed\":false"), 15, "\"removed\":true");
  ASSERT_TRUE(decoder.Decode(removed, &r).ok());
  EXPECT_EQ(r.kind, LogKind::kSkippedRemoved);
}

TEST(LogDecoderTest, ContractFilter) {
  LogDecoder only_other("mainnet", {core::Address::FromHex(Word("99").substr(26)).value()});
  DecodeResult r;
  std::string log = LogJson({std::string(kTransferTopic), kFrom, kTo, Word("1")}, "0x");
  ASSERT_TRUE(only_other.Decode(log, &r).ok());
  EXPECT_EQ(r.kind, LogKind::kSkippedContractNotConfigured);
  EXPECT_EQ(r.skip_reason, "contract not configured");
  LogDecoder kongz("mainnet", {core::Address::FromHex(kKongzContract).value()});
  ASSERT_TRUE(kongz.Decode(log, &r).ok());
  EXPECT_EQ(r.kind, LogKind::kErc721Transfer);
}

TEST(LogDecoderTest, ForChainUsesConfiguredContracts) {
  auto config = core::Config::Parse(R"(
[[chains]]
name = "mainnet"
chain_id = 1
[[contracts]]
chain = "mainnet"
address = "0x57a204aa1042f6e66dd7730813f4024114d74f37"
standard = "erc721"
)", {});
  ASSERT_TRUE(config.has_value()) << config.error().ToString();
  LogDecoder decoder = LogDecoder::ForChain(config.value(), "mainnet");
  EXPECT_EQ(decoder.log_filter().size(), 1u);
  EXPECT_TRUE(LogDecoder::ForChain(config.value(), "other").log_filter().empty());
}

void ExpectInvalid(const std::string& json, std::string_view field) {
  LogDecoder decoder("mainnet", {});
  DecodeResult r;
  core::Status s = decoder.Decode(json, &r);
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument) << json;
  EXPECT_NE(s.message().find(field), std::string::npos) << s.message();
}

TEST(LogDecoderTest, MalformedInputIsInvalidArgumentNamingTheField) {
  const std::string t = std::string(kTransferTopic);
  std::string good = LogJson({t, kFrom, kTo, Word("1")}, "0x");
  ExpectInvalid("{\"address\":", "not valid JSON");
  ExpectInvalid(good.substr(0, good.size() / 2), "not valid JSON");  // truncated line
  ExpectInvalid("[1,2]", "not a JSON object");
  std::string s = good;
  s.replace(s.find("0x57A2"), 6, "0xZZA2");
  ExpectInvalid(s, "\"address\"");
  s = good;
  s.erase(s.find(R"("logIndex":"0x2",)"), 17);
  ExpectInvalid(s, "\"logIndex\": is missing");
  s = good;
  s.replace(s.find(R"("blockNumber":"0xbaf7d6")"), 24, R"("blockNumber":"12")");
  ExpectInvalid(s, "\"blockNumber\"");
  s = good;
  s.replace(s.find(R"("blockNumber":"0xbaf7d6")"), 24, R"("blockNumber":"0xbaf7g6")");
  ExpectInvalid(s, "\"blockNumber\"");
  ExpectInvalid(LogJson({t, kFrom, kTo, Word("1")}, "0x123"), "\"data\"");
  ExpectInvalid(LogJson({t, kFrom, kTo, Word("1")}, "0x00"), "\"data\"");   // 721 with data
  ExpectInvalid(LogJson({t, kFrom, kTo}, "0x00"), "\"data\"");              // 20 without a word
  ExpectInvalid(LogJson({t, kFrom, kTo, Word("1"), Word("2")}, "0x"), "\"topics\"");
  ExpectInvalid(LogJson({std::string(kTransferSingleTopic), kFrom, kTo}, "0x"), "\"topics\"");
  ExpectInvalid(LogJson({std::string(kTransferBatchTopic), kOp, kFrom, kTo, kTo}, "0x"),
                "\"topics\"");
  ExpectInvalid(LogJson({t, Word("1" + std::string(40, '0')), kTo, Word("1")}, "0x"),
                "\"topics[1]\"");  // address topic with non-zero high bytes
  ExpectInvalid(LogJson({t, kFrom.substr(0, 60), kTo, Word("1")}, "0x"), "\"topics[1]\"");
  ExpectInvalid(LogJson({t, kFrom, kTo, Word("1")}, "0x", R"("blockTimestamp":"soon",)"),
                "\"blockTimestamp\"");
  s = good;
  s.replace(s.find(R"("logIndex":"0x2")"), 16, R"("logIndex":"0xffffffff")");
  ExpectInvalid(s, "\"logIndex\"");
}

TEST(LogDecoderTest, OptionalFieldsMayBeAbsentOrNull) {
  LogDecoder decoder("mainnet", {});
  DecodeResult r;
  std::string log = LogJson({std::string(kTransferTopic), kFrom, kTo, Word("1")}, "0x", "");
  log.replace(log.find(R"("transactionIndex":"0x5")"), 24, R"("transactionIndex":null)");
  ASSERT_TRUE(decoder.Decode(log, &r).ok());
  EXPECT_EQ(r.log.block_timestamp, 0u);
  EXPECT_EQ(r.log.tx_index, 0u);
  EXPECT_TRUE(r.log.block_hash.empty());
}

std::vector<std::string> ArrayElements(const std::string& path) {
  simdjson::dom::parser parser;
  simdjson::dom::array array = parser.load(path).get_array().value();
  std::vector<std::string> out;
  for (auto element : array) out.push_back(simdjson::to_string(element));
  return out;
}

// The README's numbers: 104 ERC-721- and 670 ERC-20-shaped Transfers on
// mainnet, 56 and 72 on Polygon. The expected counts are computed from the
// files by shape (topic0 and topic count), independently of the decoder.
TEST(LogDecoderTest, ChainstorageCountsMatchTheReadme) {
  namespace fs = std::filesystem;
  const fs::path dir = kShared + "/data/evm/chainstorage/decoded";
  ASSERT_TRUE(fs::exists(dir)) << dir;
  struct Tally { KindCounts kinds; uint64_t shaped721 = 0, shaped20 = 0, logs = 0; };
  std::map<std::string, Tally> by_chain;
  simdjson::dom::parser shape_parser;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (!name.ends_with(".logs.json")) continue;
    std::string chain = name.starts_with("polygon") ? "polygon"
                        : name.find("goerli") != std::string::npos ? "goerli" : "mainnet";
    Tally& tally = by_chain[chain];
    LogDecoder decoder(chain, {});
    for (const std::string& json : ArrayElements(entry.path().string())) {
      ++tally.logs;
      simdjson::dom::array topics = shape_parser.parse(json)["topics"].get_array().value();
      if (topics.size() > 0 &&
          std::string_view(topics.at(0).get_string().value()) == kTransferTopic) {
        if (topics.size() == 4) ++tally.shaped721;
        if (topics.size() == 3) ++tally.shaped20;
      }
      DecodeResult r;
      core::Status s = decoder.Decode(json, &r);
      ASSERT_TRUE(s.ok()) << name << ": " << s.ToString() << "\n" << json;
      tally.kinds.Add(r.kind);
      if (!evm::IsSkipped(r.kind)) {
        EXPECT_FALSE(r.events.empty());
      }
    }
  }
  const Tally& mainnet = by_chain["mainnet"];
  EXPECT_EQ(mainnet.shaped721, 104u);
  EXPECT_EQ(mainnet.shaped20, 670u);
  EXPECT_EQ(mainnet.kinds[LogKind::kErc721Transfer], mainnet.shaped721);
  EXPECT_EQ(mainnet.kinds[LogKind::kErc20Transfer], mainnet.shaped20);
  // CryptoKitties' Transfer in block 7280016 indexes nothing: skipped.
  EXPECT_EQ(mainnet.kinds[LogKind::kSkippedNonStandardTransfer], 1u);
  const Tally& polygon = by_chain["polygon"];
  EXPECT_EQ(polygon.shaped721, 56u);
  EXPECT_EQ(polygon.shaped20, 72u);
  EXPECT_EQ(polygon.kinds[LogKind::kErc721Transfer], 56u);
  EXPECT_EQ(polygon.kinds[LogKind::kErc20Transfer], 72u);
  EXPECT_EQ(polygon.kinds[LogKind::kErc1155Single], 39u);
  EXPECT_EQ(polygon.kinds[LogKind::kErc1155Batch], 4u);
  uint64_t total = 0;
  for (const auto& [chain, tally] : by_chain) total += tally.logs;
  EXPECT_EQ(total, 2232u);
}

TEST(LogDecoderTest, DecodesCyberKongzLines) {
  std::ifstream in(kKongz);
  ASSERT_TRUE(in) << kKongz;
  LogDecoder decoder("mainnet", {});
  std::string line;
  std::getline(in, line);
  DecodeResult r;
  ASSERT_TRUE(decoder.Decode(line, &r).ok());
  ASSERT_EQ(r.kind, LogKind::kErc721Transfer);
  EXPECT_EQ(r.events[0].key, "mainnet:" + kKongzContract + ":1001");
  EXPECT_EQ(r.events[0].envelope.id(), "mainnet/12253142/0");
  EXPECT_EQ(r.events[0].time_seconds, 0x6079ec0b);
  EXPECT_TRUE(r.events[0].envelope.erc721_transfer().from() == std::string(20, '\0'));  // mint
  for (int i = 0; i < 50 && std::getline(in, line); ++i) {
    ASSERT_TRUE(decoder.Decode(line, &r).ok()) << line;
    EXPECT_EQ(r.kind, LogKind::kErc721Transfer);
  }
}

// Decode speed over the whole CyberKongz file (printed; not asserted).
TEST(LogDecoderTest, DecodeSpeedCyberKongz) {
  std::ifstream in(kKongz);
  ASSERT_TRUE(in);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 15188u);
  LogDecoder decoder("mainnet", {});
  DecodeResult r;
  auto start = std::chrono::steady_clock::now();
  constexpr int kRounds = 5;
  for (int round = 0; round < kRounds; ++round) {
    for (const auto& line : lines) ASSERT_TRUE(decoder.Decode(line, &r).ok());
  }
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::printf("[decode speed] %.0f lines/s (%zu lines x %d in %.3f s)\n",
              lines.size() * kRounds / seconds, lines.size(), kRounds, seconds);
}


// Ingest decodes the logs of an eth_getLogs answer as parsed (LogBatch), the
// file replay from text: both must give the same events and the same errors,
// also after the batch was moved and assembled from several answers.
TEST(LogDecoderTest, AParsedBatchDecodesAsItsTextsDo) {
  std::vector<std::string> texts;
  {
    std::ifstream in(kKongz);
    ASSERT_TRUE(in) << kKongz;
    for (std::string line; texts.size() < 3000 && std::getline(in, line);) {
      if (!line.empty()) texts.push_back(line);
    }
  }
  ASSERT_EQ(texts.size(), 3000u);
  // Malformed ones, each refused naming what is wrong.
  const std::string good = LogJson({std::string(kTransferTopic), kFrom, kTo, Word("7")}, "0x");
  texts.push_back("7");
  texts.push_back(R"({"address":"0x57a204aa1042f6e66dd7730813f4024114d74f37"})");
  texts.push_back(good.substr(0, good.find("\"data\"")) + R"("data":"0xzz",)" +
                  good.substr(good.find("\"blockNumber\"")));
  texts.push_back(LogJson({std::string(kTransferTopic), kFrom, kTo, Word("7"), Word("8")}, "0x"));

  LogBatch batch;
  for (size_t begin = 0; begin < texts.size(); begin += 700) {
    std::vector<std::string> part(texts.begin() + begin,
                                  texts.begin() + std::min(texts.size(), begin + 700));
    auto parsed = LogBatch::FromTexts(part);
    ASSERT_TRUE(parsed.has_value()) << parsed.error().ToString();
    batch.Append(std::move(parsed).value());
  }
  LogBatch moved = std::move(batch);
  ASSERT_EQ(moved.size(), texts.size());

  LogDecoder decoder("mainnet", {});
  size_t events = 0, errors = 0;
  for (size_t i = 0; i < texts.size(); ++i) {
    SCOPED_TRACE(texts[i]);
    DecodeResult parsed, from_text;
    core::Status a = decoder.Decode(moved, i, &parsed);
    core::Status b = decoder.Decode(texts[i], &from_text);
    ASSERT_EQ(a.ok(), b.ok()) << a.ToString() << " / " << b.ToString();
    if (!a.ok()) {
      EXPECT_EQ(a.ToString(), b.ToString());
      ++errors;
      continue;
    }
    EXPECT_EQ(parsed.kind, from_text.kind);
    ASSERT_EQ(parsed.events.size(), from_text.events.size());
    for (size_t e = 0; e < parsed.events.size(); ++e) {
      EXPECT_EQ(parsed.events[e].key, from_text.events[e].key);
      EXPECT_EQ(parsed.events[e].envelope.SerializeAsString(),
                from_text.events[e].envelope.SerializeAsString());
    }
    events += parsed.events.size();
  }
  EXPECT_EQ(errors, 4u);
  EXPECT_GT(events, 2900u);
  // The text a dead letter carries is the log's JSON.
  EXPECT_EQ(moved.Text(texts.size() - 4), "7");
  EXPECT_FALSE(LogBatch::FromTexts({"{\"a\":"}).has_value());
  EXPECT_FALSE(LogBatch::FromTexts({"1,2"}).has_value());
}
}  // namespace
}  // namespace chainflow::ingest::evm
