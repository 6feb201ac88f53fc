// RpcClient's retry, batching, range-splitting and rate-limit logic over a
// scripted transport and a fake clock: no sockets, no real sleeps.

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <simdjson.h>

#include "engine/core/metrics.h"
#include "ingest/evm/rpc_client.h"
#include "tests/unit/ingest/rpc_fakes.h"

namespace chainflow::ingest::evm {
namespace {

using testing::FakeClock;
using testing::FakeTransport;
using testing::Ok;
using testing::ScriptedNode;

constexpr char kUrl[] = "http://node.test:8545";

struct Harness {
  explicit Harness(int max_retries = 4, double rps = 0, int batch_size = 100,
                   std::string chain = "faults") {
    node = std::make_shared<ScriptedNode>();
    RpcOptions options;
    options.url = kUrl;
    options.max_retries = max_retries;
    options.requests_per_second = rps;
    options.batch_size = batch_size;
    options.chain = std::move(chain);
    options.clock = &clock;
    options.jitter_seed = 42;
    client = RpcClient::Open(options, std::make_unique<FakeTransport>(node)).value();
  }
  FakeClock clock;
  std::shared_ptr<ScriptedNode> node;
  std::unique_ptr<RpcClient> client;
};

std::string Result(std::string_view id_and_result) {
  return std::string(R"({"jsonrpc":"2.0",)") + std::string(id_and_result) + "}";
}

// The numeric "id" of a single request body.
uint64_t IdOf(const std::string& body) {
  size_t at = body.find("\"id\":") + 5;
  return std::stoull(body.substr(at));
}

// "fromBlock"/"toBlock" of an eth_getLogs body.
std::pair<uint64_t, uint64_t> RangeOf(const std::string& body) {
  auto field = [&](std::string_view name) {
    size_t at = body.find(name) + name.size() + 3;  // past "":"
    return std::stoull(body.substr(at + 2, body.find('"', at) - at - 2), nullptr, 16);
  };
  return {field("fromBlock"), field("toBlock")};
}

// One log object per block in [from, to], as a node would answer.
std::string LogsFor(uint64_t from, uint64_t to) {
  std::string out = "[";
  for (uint64_t b = from; b <= to; ++b) {
    if (b > from) out += ',';
    out += fmt::format(R"({{"blockNumber":"0x{:x}","logIndex":"0x0"}})", b);
  }
  return out + "]";
}

TEST(RpcClientFaultsTest, RetriesTransientFailuresThenSucceeds) {
  Harness h;
  int calls = 0;
  h.node->answer = [&](const std::string& body) -> core::Result<HttpReply> {
    switch (calls++) {
      case 0:
        return core::UnavailableError("connect: connection refused");
      case 1:
        return core::DeadlineExceededError("read timed out");
      case 2:
        return HttpReply{502, "bad gateway", std::nullopt};
      default:
        return Ok(Result(fmt::format(R"("id":{},"result":"0x2a")", IdOf(body))));
    }
  };
  auto head = h.client->BlockNumber();
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  EXPECT_EQ(head.value(), 42u);
  EXPECT_EQ(calls, 4);
  ASSERT_EQ(h.clock.sleeps.size(), 3u);
  // Full jitter: each pause is within its exponential ceiling (100, 200, 400 ms).
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_LE(h.clock.sleeps[i], std::chrono::milliseconds(100 << i)) << i;
  }
}

TEST(RpcClientFaultsTest, HonoursRetryAfterOn429) {
  Harness h;
  int calls = 0;
  h.node->answer = [&](const std::string& body) -> core::Result<HttpReply> {
    if (calls++ == 0) return HttpReply{429, "slow down", "7"};
    return Ok(Result(fmt::format(R"("id":{},"result":"0x1")", IdOf(body))));
  };
  ASSERT_TRUE(h.client->BlockNumber().has_value());
  ASSERT_EQ(h.clock.sleeps.size(), 1u);
  EXPECT_EQ(h.clock.sleeps[0], std::chrono::seconds(7));
}

TEST(RpcClientFaultsTest, RetryAfterIsCappedAndAlsoHonouredOn503) {
  Harness h;
  int calls = 0;
  h.node->answer = [&](const std::string& body) -> core::Result<HttpReply> {
    switch (calls++) {
      case 0:
        return HttpReply{503, "maintenance", "2"};
      case 1:
        return HttpReply{429, "slow down", "3600"};  // an hour: capped at backoff_max
      default:
        return Ok(Result(fmt::format(R"("id":{},"result":"0x1")", IdOf(body))));
    }
  };
  ASSERT_TRUE(h.client->BlockNumber().has_value());
  ASSERT_EQ(h.clock.sleeps.size(), 2u);
  EXPECT_EQ(h.clock.sleeps[0], std::chrono::seconds(2));
  EXPECT_EQ(h.clock.sleeps[1], std::chrono::seconds(10));  // RpcOptions::backoff_max
}

TEST(RpcClientFaultsTest, GivesUpAfterMaxRetriesNamingMethodUrlAndFailure) {
  Harness h(/*max_retries=*/3);
  h.node->answer = [](const std::string&) -> core::Result<HttpReply> {
    return HttpReply{503, "upstream down", std::nullopt};
  };
  auto head = h.client->BlockNumber();
  ASSERT_FALSE(head.has_value());
  EXPECT_EQ(head.error().code(), core::StatusCode::kUnavailable);
  const std::string& message = head.error().message();
  EXPECT_NE(message.find("eth_blockNumber"), std::string::npos) << message;
  EXPECT_NE(message.find(kUrl), std::string::npos) << message;
  EXPECT_NE(message.find("4 attempt"), std::string::npos) << message;
  EXPECT_NE(message.find("HTTP 503"), std::string::npos) << message;
  EXPECT_EQ(h.node->bodies.size(), 4u);
}

TEST(RpcClientFaultsTest, GetLogsRateLimitedPastTheRetriesIsUnavailableNotRangeTooLarge) {
  Harness h(/*max_retries=*/2);
  h.node->answer = [](const std::string&) -> core::Result<HttpReply> {
    return HttpReply{429, "slow down", std::nullopt};
  };
  auto logs = h.client->GetLogs(1, 100, {});
  ASSERT_FALSE(logs.has_value());
  EXPECT_EQ(logs.error().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(logs.error().message().find("HTTP 429"), std::string::npos);
  EXPECT_EQ(h.node->bodies.size(), 3u);  // no splitting: the range was never refused
  // Other calls keep the canonical code for exhausted quota.
  EXPECT_EQ(h.client->BlockNumber().error().code(), core::StatusCode::kResourceExhausted);
}

TEST(RpcClientFaultsTest, BadRequestsAreNotRetried) {
  Harness h;
  h.node->answer = [](const std::string& body) -> core::Result<HttpReply> {
    return Ok(Result(fmt::format(
        R"("id":{},"error":{{"code":-32602,"message":"invalid block range params"}})",
        IdOf(body))));
  };
  auto logs = h.client->GetLogs(0x32, 0x2f, {});
  ASSERT_FALSE(logs.has_value());
  EXPECT_EQ(logs.error().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(h.node->bodies.size(), 1u);

  // An HTTP 4xx without a JSON-RPC body (a wrong path, missing key) neither.
  h.node->answer = [](const std::string&) -> core::Result<HttpReply> {
    return HttpReply{403, "forbidden", std::nullopt};
  };
  auto head = h.client->BlockNumber();
  ASSERT_FALSE(head.has_value());
  EXPECT_EQ(head.error().code(), core::StatusCode::kPermissionDenied);
  EXPECT_EQ(h.node->bodies.size(), 2u);
  EXPECT_TRUE(h.clock.sleeps.empty());
}

TEST(RpcClientFaultsTest, JsonRpcRateLimitIsRetried) {
  Harness h;
  int calls = 0;
  h.node->answer = [&](const std::string& body) -> core::Result<HttpReply> {
    if (calls++ < 2) {
      return Ok(Result(fmt::format(
          R"("id":{},"error":{{"code":-32005,"message":"project ID request rate exceeded"}})",
          IdOf(body))));
    }
    return Ok(Result(fmt::format(R"("id":{},"result":"0x5")", IdOf(body))));
  };
  auto head = h.client->BlockNumber();
  ASSERT_TRUE(head.has_value()) << head.error().ToString();
  EXPECT_EQ(head.value(), 5u);
  EXPECT_EQ(calls, 3);
}

// A node refusing ranges wider than `max_blocks`, in a provider's words.
void RefuseWide(Harness& h, uint64_t max_blocks, const std::string& words, bool suggest) {
  h.node->answer = [&h, max_blocks, words, suggest](const std::string& body)
      -> core::Result<HttpReply> {
    auto [from, to] = RangeOf(body);
    if (to - from + 1 > max_blocks) {
      std::string message = words;
      if (suggest) {
        message += fmt::format(" this block range should work: [0x{:x}, 0x{:x}]", from,
                               from + max_blocks - 1);
      }
      return Ok(Result(fmt::format(R"("id":{},"error":{{"code":-32602,"message":"{}"}})",
                                   IdOf(body), message)));
    }
    return Ok(Result(fmt::format(R"("id":{},"result":{})", IdOf(body), LogsFor(from, to))));
  };
}

std::vector<uint64_t> BlocksOf(const LogBatch& logs) {
  std::vector<uint64_t> out;
  simdjson::dom::parser parser;
  for (const auto& text : logs.Texts()) {
    std::string_view number = parser.parse(text)["blockNumber"].get_string().value();
    out.push_back(std::stoull(std::string(number), nullptr, 16));
  }
  return out;
}

std::vector<uint64_t> Iota(uint64_t from, uint64_t to) {
  std::vector<uint64_t> out;
  for (uint64_t b = from; b <= to; ++b) out.push_back(b);
  return out;
}

TEST(RpcClientFaultsTest, SplitsARefusedRangeAtTheProvidersSuggestion) {
  Harness h;
  RefuseWide(h, 7, "Log response size exceeded. You can make eth_getLogs requests with up to a "
                   "2K block range and no limit on the response size.", true);
  auto logs = h.client->GetLogs(100, 130, {});
  ASSERT_TRUE(logs.has_value()) << logs.error().ToString();
  EXPECT_EQ(BlocksOf(logs.value()), Iota(100, 130));
  // One refusal, then pieces of exactly the suggested 7 blocks: 1 + 5 requests.
  EXPECT_EQ(h.node->bodies.size(), 6u);
  EXPECT_TRUE(h.clock.sleeps.empty());  // a refusal is not a failure to wait out
}

TEST(RpcClientFaultsTest, HalvesARefusedRangeWithoutASuggestion) {
  for (const std::string words :
       {"query returned more than 10000 results", "block range is too wide",
        "exceed maximum block range: 5000", "eth_getLogs is limited to a 10,000 range"}) {
    Harness h;
    RefuseWide(h, 5, words, false);
    auto logs = h.client->GetLogs(0, 40, {});
    ASSERT_TRUE(logs.has_value()) << words << ": " << logs.error().ToString();
    EXPECT_EQ(BlocksOf(logs.value()), Iota(0, 40)) << words;
    EXPECT_GT(h.node->bodies.size(), 9u) << words;  // at least ceil(41 / 5) pieces
  }
}

TEST(RpcClientFaultsTest, ASingleRefusedBlockIsAnError) {
  Harness h;
  RefuseWide(h, 0, "query returned more than 10000 results", false);
  auto logs = h.client->GetLogs(10, 13, {});
  ASSERT_FALSE(logs.has_value());
  EXPECT_EQ(logs.error().code(), core::StatusCode::kResourceExhausted);
  EXPECT_NE(logs.error().message().find("block 10 alone"), std::string::npos)
      << logs.error().message();
}

// Answers a batch of eth_getBlockByNumber calls in reverse order.
std::string ReversedBatchAnswer(const std::string& body, int* batches) {
  ++*batches;
  simdjson::dom::parser parser;
  std::vector<std::string> answers;
  simdjson::dom::array calls = parser.parse(body).get_array().value();
  for (simdjson::dom::element call : calls) {
    uint64_t id = call["id"].get_uint64().value();
    std::string_view number = call["params"].at(0).get_string().value();
    uint64_t n = std::stoull(std::string(number), nullptr, 16);
    answers.push_back(fmt::format(
        R"({{"jsonrpc":"2.0","id":{},"result":{{"number":"{}","hash":"0x{:064x}",)"
        R"("parentHash":"0x{:064x}","timestamp":"0x{:x}"}}}})",
        id, number, n + 1000, n + 999, 1'700'000'000 + n));
  }
  std::string out = "[";
  for (size_t i = answers.size(); i-- > 0;) {
    out += answers[i];
    if (i > 0) out += ',';
  }
  return out + "]";
}

TEST(RpcClientFaultsTest, GetBlockHeadersBatchesAndMatchesResponsesById) {
  Harness h(4, 0, /*batch_size=*/4);
  int batches = 0;
  h.node->answer = [&](const std::string& body) -> core::Result<HttpReply> {
    return Ok(ReversedBatchAnswer(body, &batches));
  };
  auto headers = h.client->GetBlockHeaders(20, 29);
  ASSERT_TRUE(headers.has_value()) << headers.error().ToString();
  ASSERT_EQ(headers.value().size(), 10u);
  for (uint64_t i = 0; i < 10; ++i) {
    const BlockHeader& header = headers.value()[i];
    EXPECT_EQ(header.number, 20 + i);
    EXPECT_EQ(static_cast<uint8_t>(header.hash[31]), (20 + i + 1000) & 0xff);
    EXPECT_EQ(header.timestamp, static_cast<int64_t>(1'700'000'000 + 20 + i));
  }
  EXPECT_EQ(batches, 3);  // 4 + 4 + 2
}

// Scattered blocks (a backfill's blocks with events): batched the same way,
// each answer matched to the block it was asked for.
TEST(RpcClientFaultsTest, GetBlockHeadersOfBatchesScatteredBlocks) {
  Harness h(4, 0, /*batch_size=*/4);
  int batches = 0;
  h.node->answer = [&](const std::string& body) -> core::Result<HttpReply> {
    return Ok(ReversedBatchAnswer(body, &batches));
  };
  const std::vector<uint64_t> numbers = {3, 17, 18, 40, 41, 99};
  auto headers = h.client->GetBlockHeadersOf(numbers);
  ASSERT_TRUE(headers.has_value()) << headers.error().ToString();
  ASSERT_EQ(headers.value().size(), numbers.size());
  for (size_t i = 0; i < numbers.size(); ++i) {
    EXPECT_EQ(headers.value()[i].number, numbers[i]);
    EXPECT_EQ(headers.value()[i].timestamp, static_cast<int64_t>(1'700'000'000 + numbers[i]));
  }
  EXPECT_EQ(batches, 2);  // 4 + 2
}

TEST(RpcClientFaultsTest, GetBlockHeadersReportsAMissingBlock) {
  Harness h;
  h.node->answer = [](const std::string& body) -> core::Result<HttpReply> {
    simdjson::dom::parser parser;
    std::string out = "[";
    simdjson::dom::array calls = parser.parse(body).get_array().value();
    for (simdjson::dom::element call : calls) {
      if (out.size() > 1) out += ',';
      out += fmt::format(R"({{"jsonrpc":"2.0","id":{},"result":null}})",
                         call["id"].get_uint64().value());
    }
    return Ok(out + "]");
  };
  auto headers = h.client->GetBlockHeaders(5, 6);
  ASSERT_FALSE(headers.has_value());
  EXPECT_EQ(headers.error().code(), core::StatusCode::kUnavailable);
  EXPECT_NE(headers.error().message().find("block 5 not found"), std::string::npos);
}

TEST(RpcClientFaultsTest, RateLimitSpacesCallsAndCountsEachCallOfABatch) {
  Harness h(4, /*rps=*/10, /*batch_size=*/5);
  int batches = 0;
  h.node->answer = [&](const std::string& body) -> core::Result<HttpReply> {
    if (body.front() == '[') return Ok(ReversedBatchAnswer(body, &batches));
    return Ok(Result(fmt::format(R"("id":{},"result":"0x1")", IdOf(body))));
  };
  auto start = h.clock.now;
  for (int i = 0; i < 30; ++i) ASSERT_TRUE(h.client->BlockNumber().has_value());
  // A burst of 10, then one call per 100 ms: 20 more take 2 s.
  EXPECT_NEAR(std::chrono::duration<double>(h.clock.now - start).count(), 2.0, 0.01);
  start = h.clock.now;
  ASSERT_TRUE(h.client->GetBlockHeaders(1, 20).has_value());
  // 20 calls in 4 batches of 5 = 20 tokens = 2 s.
  EXPECT_NEAR(std::chrono::duration<double>(h.clock.now - start).count(), 2.0, 0.01);
}

TEST(RpcClientFaultsTest, ExportsMetrics) {
  Harness h(2, 0, 100, "metrics-chain");
  int calls = 0;
  h.node->answer = [&](const std::string& body) -> core::Result<HttpReply> {
    if (calls++ == 0) return HttpReply{500, "oops", std::nullopt};
    return Ok(Result(fmt::format(R"("id":{},"result":"0x1")", IdOf(body))));
  };
  ASSERT_TRUE(h.client->BlockNumber().has_value());
  auto& registry = core::MetricsRegistry::Global();
  EXPECT_EQ(registry
                .GetCounter("chainflow_rpc_requests_total", "",
                            {{"chain", "metrics-chain"}, {"method", "eth_blockNumber"}})
                .Value(),
            2u);
  EXPECT_EQ(registry.GetCounter("chainflow_rpc_retries_total", "", {{"chain", "metrics-chain"}})
                .Value(),
            1u);
  EXPECT_EQ(registry
                .GetCounter("chainflow_rpc_errors_total", "",
                            {{"chain", "metrics-chain"}, {"kind", "http_5xx"}})
                .Value(),
            1u);
  std::string text = registry.RenderText();
  EXPECT_NE(text.find("chainflow_rpc_request_duration_seconds_count{chain=\"metrics-chain\""),
            std::string::npos);
}

}  // namespace
}  // namespace chainflow::ingest::evm
