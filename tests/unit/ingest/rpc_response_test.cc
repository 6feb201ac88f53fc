// The JSON-RPC response parsers over hand-written answers, real providers'
// range-refusal messages, and every eth_getLogs / eth_getBlockByNumber case of
// the Ethereum execution-apis conformance suite (../shared/data/evm/execution-apis).

#include "ingest/evm/rpc_response.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <simdjson.h>

#include "engine/core/hex.h"
#include "ingest/evm/log_decoder.h"

namespace chainflow::ingest::evm {
namespace {

TEST(RangeRefusalTest, RecognisesProvidersWording) {
  for (std::string_view message : {
           "query returned more than 10000 results",  // geth, Infura -32005
           "Log response size exceeded. You can make eth_getLogs requests with up to a 2K block "
           "range and no limit on the response size, or you can request any block range with a "
           "cap of 10K logs in the response. Based on your parameters, this block range should "
           "work: [0x1e8480, 0x1e8c4f]",  // Alchemy
           "block range is too wide",  // QuickNode and others
           "exceed maximum block range: 5000",
           "eth_getLogs is limited to a 10,000 range",
           "Block range too large, maximum 1000 blocks",
           "query exceeds max results 20000, retry with the range 100-200",
       }) {
    EXPECT_TRUE(IsRangeRefusal(message)) << message;
    EXPECT_EQ(RpcErrorStatus(-32000, message, "eth_getLogs").code(),
              core::StatusCode::kResourceExhausted)
        << message;
  }
  for (std::string_view message : {"invalid block range params", "header not found",
                                   "block range extends beyond current head block",
                                   "execution reverted"}) {
    EXPECT_FALSE(IsRangeRefusal(message)) << message;
  }
}

TEST(RangeRefusalTest, SuggestedRange) {
  auto range = SuggestedRange("... this block range should work: [0x1e8480, 0x1e8c4f]");
  ASSERT_TRUE(range.has_value());
  EXPECT_EQ(range->first, 0x1e8480u);
  EXPECT_EQ(range->second, 0x1e8c4fu);
  using Range = std::pair<uint64_t, uint64_t>;
  EXPECT_EQ(SuggestedRange("[0x10,0x20]").value(), Range(16, 32));
  EXPECT_FALSE(SuggestedRange("query returned more than 10000 results").has_value());
  EXPECT_FALSE(SuggestedRange("should work: [0x20, 0x10]").has_value());  // reversed
  EXPECT_FALSE(SuggestedRange("should work: [0x20, 0x").has_value());     // truncated
  EXPECT_FALSE(SuggestedRange("should work: [20, 30]").has_value());      // not hex quantities
}

TEST(RpcErrorStatusTest, Classes) {
  EXPECT_EQ(RpcErrorStatus(-32602, "invalid params", "eth_getLogs").code(),
            core::StatusCode::kInvalidArgument);
  EXPECT_EQ(RpcErrorStatus(-32601, "the method foo does not exist", "foo").code(),
            core::StatusCode::kInvalidArgument);
  core::Status limited = RpcErrorStatus(-32005, "daily request count exceeded", "eth_call");
  EXPECT_TRUE(IsRateLimited(limited));
  EXPECT_TRUE(IsRateLimited(RpcErrorStatus(429, "Too Many Requests", "eth_blockNumber")));
  EXPECT_FALSE(IsRateLimited(
      RpcErrorStatus(-32005, "query returned more than 10000 results", "eth_getLogs")));
  core::Status other = RpcErrorStatus(-32000, "header not found", "eth_getBlockByNumber");
  EXPECT_EQ(other.code(), core::StatusCode::kUnavailable);
  EXPECT_NE(other.message().find("eth_getBlockByNumber"), std::string::npos);
  EXPECT_NE(other.message().find("-32000"), std::string::npos);
  EXPECT_NE(other.message().find("header not found"), std::string::npos);
}

TEST(ParseRpcResponseTest, ResultErrorAndGarbage) {
  EXPECT_EQ(ParseRpcResponse(R"({"jsonrpc":"2.0","id":3,"result": "0x10" })", "m").value(),
            "\"0x10\"");
  EXPECT_EQ(ParseRpcResponse(R"({"jsonrpc":"2.0","id":3,"result":null})", "m").value(), "null");
  auto error = ParseRpcResponse(
      R"({"jsonrpc":"2.0","id":3,"error":{"code":-32601,"message":"no such method"}})", "m");
  ASSERT_FALSE(error.has_value());
  EXPECT_EQ(error.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRpcResponse("<html>502</html>", "m").error().code(),
            core::StatusCode::kUnavailable);
  EXPECT_EQ(ParseRpcResponse(R"({"jsonrpc":"2.0","id":3})", "m").error().code(),
            core::StatusCode::kUnavailable);
}

TEST(ParseLogsResponseTest, GivesWhatTheTwoStepParseGives) {
  const std::string response = R"({ "jsonrpc" : "2.0", "id" : 7,
    "result" : [
      { "address" : "0x01", "topics" : [ "0xaa", "0xbb" ], "data" : "0x\u0030" },
      {"address":"0x02","topics":[],"data":"0x"}
    ] })";
  auto logs = ParseLogsResponse(response);
  ASSERT_TRUE(logs.has_value()) << logs.error().ToString();
  EXPECT_EQ(logs.value().Texts(),
            (std::vector<std::string>{R"({"address":"0x01","topics":["0xaa","0xbb"],"data":"0x0"})",
                                      R"({"address":"0x02","topics":[],"data":"0x"})"}));
  EXPECT_EQ(logs.value().Texts(),
            ParseLogArray(ParseRpcResponse(response, "eth_getLogs").value()).value().Texts());
  // An element that is not an object is handed on for the decoder to refuse.
  auto odd = ParseLogsResponse(R"({"id":1,"result":[7,"x",[1],{"a":1}]})");
  ASSERT_TRUE(odd.has_value()) << odd.error().ToString();
  EXPECT_EQ(odd.value().Texts(), (std::vector<std::string>{"7", "\"x\"", "[1]", R"({"a":1})"}));
  EXPECT_TRUE(ParseLogsResponse(R"({"result":[],"id":1})").value().empty());
}

TEST(ParseLogsResponseTest, ErrorsAsTheTwoStepParse) {
  const std::vector<std::string> responses = {
      R"({"jsonrpc":"2.0","id":3,"error":{"code":-32005,"message":"query returned more than )"
      R"(10000 results. Try with this block range [0x10, 0x20]."}})",
      R"({"jsonrpc":"2.0","id":3,"error":{"code":-32602,"message":"invalid params"}})",
      R"({"id":3,"result":null,"error":{"code":-32000,"message":"header not found"}})",
      R"({"jsonrpc":"2.0","id":3,"result":null})",
      R"({"jsonrpc":"2.0","id":3})",
      R"([{"jsonrpc":"2.0","id":3,"result":[]}])",
      "<html>502 Bad Gateway</html>",
      R"({"jsonrpc":"2.0","id":3,"result":[{"address":"0x01"})",
  };
  for (const std::string& response : responses) {
    SCOPED_TRACE(response);
    auto one = ParseLogsResponse(response);
    ASSERT_FALSE(one.has_value());
    auto result = ParseRpcResponse(response, "eth_getLogs");
    core::Status two = result ? ParseLogArray(result.value()).error() : result.error();
    EXPECT_EQ(one.error().code(), two.code()) << one.error().ToString() << " / " << two.ToString();
    if (result || two.message().find("node error") != std::string::npos) {
      EXPECT_EQ(one.error().message(), two.message());
    }
  }
}

TEST(ParseBatchResponseTest, MatchesById) {
  auto results = ParseBatchResponse(
      R"([{"jsonrpc":"2.0","id":12,"result":"0xc"},)"
      R"({"jsonrpc":"2.0","id":10,"error":{"code":-32000,"message":"header not found"}},)"
      R"({"jsonrpc":"2.0","id":11,"result":{"a":1}}])",
      {10, 11, 12}, "eth_getBlockByNumber");
  ASSERT_TRUE(results.has_value()) << results.error().ToString();
  ASSERT_EQ(results.value().size(), 3u);
  EXPECT_FALSE(results.value()[0].has_value());
  EXPECT_NE(results.value()[0].error().message().find("header not found"), std::string::npos);
  EXPECT_EQ(results.value()[1].value(), R"({"a":1})");
  EXPECT_EQ(results.value()[2].value(), "\"0xc\"");
}

TEST(ParseBatchResponseTest, RejectsMissingDuplicateAndUnknownIds) {
  std::string_view one = R"({"jsonrpc":"2.0","id":1,"result":"0x1"})";
  std::string_view two = R"({"jsonrpc":"2.0","id":2,"result":"0x2"})";
  auto missing = ParseBatchResponse("[" + std::string(one) + "]", {1, 2}, "m");
  EXPECT_NE(missing.error().message().find("no response for id 2"), std::string::npos);
  auto twice = ParseBatchResponse("[" + std::string(one) + "," + std::string(one) + "]", {1, 2},
                                  "m");
  EXPECT_NE(twice.error().message().find("id 1 answered twice"), std::string::npos);
  auto unknown = ParseBatchResponse("[" + std::string(two) + "]", {1}, "m");
  EXPECT_NE(unknown.error().message().find("unexpected id 2"), std::string::npos);
  // A node that refuses batches answers with one error object.
  auto refused = ParseBatchResponse(
      R"({"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"batch too large"}})", {1},
      "m");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), core::StatusCode::kInvalidArgument);
}

// ---- execution-apis conformance cases ------------------------------------------------------

const std::filesystem::path kCases =
    std::filesystem::path(CHAINFLOW_SHARED_DIR) / "data/evm/execution-apis/tests";

struct IoCase {
  std::string name;
  std::string request;
  std::string response;
};

std::vector<IoCase> CasesOf(const std::string& method) {
  std::vector<IoCase> out;
  for (const auto& entry : std::filesystem::directory_iterator(kCases / method)) {
    if (entry.path().extension() != ".io") continue;
    IoCase c{entry.path().filename().string(), {}, {}};
    std::ifstream in(entry.path());
    for (std::string line; std::getline(in, line);) {
      if (line.starts_with(">> ")) c.request = line.substr(3);
      if (line.starts_with("<< ")) c.response = line.substr(3);
    }
    out.push_back(std::move(c));
  }
  std::sort(out.begin(), out.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return out;
}

bool IsErrorResponse(const std::string& response) {
  simdjson::dom::parser parser;
  simdjson::dom::element error;
  return !parser.parse(response)["error"].get(error);
}

TEST(ExecutionApisConformanceTest, GetLogsCases) {
  auto cases = CasesOf("eth_getLogs");
  ASSERT_GE(cases.size(), 9u) << kCases;
  int ok = 0, errors = 0;
  LogDecoder decoder("conformance", {});
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto result = ParseRpcResponse(c.response, "eth_getLogs");
    if (IsErrorResponse(c.response)) {
      ASSERT_FALSE(result.has_value());
      auto sliced = ParseLogsResponse(c.response);
      ASSERT_FALSE(sliced.has_value());
      EXPECT_EQ(sliced.error().message(), result.error().message());
      // Every error case is a bad request (InvalidArgument, never split or
      // retried) but a range past the head: the follower asked for blocks
      // the node had when it read the head, so the head moved back (a
      // reorg, a lagging backend) and the next step sees it: Unavailable.
      bool past_head = c.name == "filter-error-future-block-range.io";
      EXPECT_EQ(IsBlockPastHead(result.error().message()), past_head);
      EXPECT_EQ(result.error().code(), past_head ? core::StatusCode::kUnavailable
                                                 : core::StatusCode::kInvalidArgument);
      EXPECT_NE(result.error().message().find("eth_getLogs: node error -32602"),
                std::string::npos)
          << result.error().message();
      ++errors;
      continue;
    }
    ASSERT_TRUE(result.has_value()) << result.error().ToString();
    auto logs = ParseLogArray(result.value());
    ASSERT_TRUE(logs.has_value()) << logs.error().ToString();
    ASSERT_FALSE(logs.value().empty());
    // The one-parse version RpcClient uses gives the same logs.
    EXPECT_EQ(ParseLogsResponse(c.response).value().Texts(), logs.value().Texts());
    for (size_t i = 0; i < logs.value().size(); ++i) {
      const std::string text = logs.value().Text(i);
      DecodeResult decoded;
      ASSERT_TRUE(decoder.Decode(logs.value(), i, &decoded).ok()) << text;
      // The test chain's contract emits its own event, not a token transfer.
      EXPECT_EQ(decoded.kind, LogKind::kSkippedOtherEvent);
      EXPECT_EQ(decoded.log.address.ToHex(), "0x7dcd17433742f4c0ca53122ab541d0ba67fc27df");
      EXPECT_EQ(decoded.log.block_hash.size(), 32u);
    }
    ++ok;
  }
  EXPECT_EQ(ok, 6);
  EXPECT_EQ(errors, 3);
}

TEST(ExecutionApisConformanceTest, GetBlockByNumberCases) {
  auto cases = CasesOf("eth_getBlockByNumber");
  ASSERT_GE(cases.size(), 10u) << kCases;
  int parsed = 0, not_found = 0;
  simdjson::dom::parser parser;
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    auto result = ParseRpcResponse(c.response, "eth_getBlockByNumber");
    ASSERT_TRUE(result.has_value()) << result.error().ToString();
    auto header = ParseBlockHeader(result.value(), c.name);
    if (result.value() == "null") {
      ASSERT_FALSE(header.has_value());
      EXPECT_EQ(header.error().code(), core::StatusCode::kUnavailable);
      EXPECT_NE(header.error().message().find("not found"), std::string::npos);
      ++not_found;
      continue;
    }
    ASSERT_TRUE(header.has_value()) << header.error().ToString();
    // Independently of our parser: the fields as the response spells them.
    simdjson::dom::element block = parser.parse(c.response)["result"];
    std::string_view number = block["number"].get_string().value();
    EXPECT_EQ(header.value().number, std::stoull(std::string(number), nullptr, 16));
    EXPECT_EQ(core::ToHex(header.value().hash), block["hash"].get_string().value());
    EXPECT_EQ(core::ToHex(header.value().parent_hash), block["parentHash"].get_string().value());
    std::string_view ts = block["timestamp"].get_string().value();
    EXPECT_EQ(header.value().timestamp, std::stoll(std::string(ts), nullptr, 16));
    // A requested number comes back as asked.
    std::string_view asked = parser.parse(c.request)["params"].at(0).get_string().value();
    if (asked.starts_with("0x")) {
      EXPECT_EQ(header.value().number, std::stoull(std::string(asked), nullptr, 16));
    }
    ++parsed;
  }
  EXPECT_EQ(parsed, 9);
  EXPECT_EQ(not_found, 1);
}

}  // namespace
}  // namespace chainflow::ingest::evm
