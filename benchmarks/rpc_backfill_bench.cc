// Backfill over JSON-RPC from a private Anvil: mints N ERC-721 Transfer events with
// tests/support/contracts/TestTransferBurst.sol, then reads them back the way live ingest
// does (eth_getLogs in max_block_range steps, headers of the blocks with events in JSON-RPC
// batches, every log decoded into events by LogDecoder) and reports events/s. With --kafka
// it then runs live ingest itself (LiveFollower + ChainAppender + the idempotent Kafka
// producer, as `chainflow ingest` does) into fresh topics on that broker, and reports its
// events/s too, and the HTTP round trips it made; the topics are deleted at the end.
// --rpc-delay-ms adds that much to each of live ingest's round trips, as a hosted
// provider's distance would.
//
//   build/benchmarks/rpc_backfill_bench --transfers 1000000 --per-tx 20000 --range 5
//   build/benchmarks/rpc_backfill_bench --transfers 1000000 --kafka 127.0.0.1:9092
//   build/benchmarks/rpc_backfill_bench --transfers 20000 --per-tx 20 --range 100
//       --kafka 127.0.0.1:9092 --rpc-delay-ms 30 --runs 1
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>

#include "engine/log/admin.h"
#include "engine/log/producer.h"
#include "ingest/common/admin_tail_reader.h"
#include "ingest/common/appender.h"
#include "ingest/evm/http_transport.h"
#include "ingest/evm/live_follower.h"
#include "ingest/evm/log_decoder.h"
#include "ingest/evm/rpc_client.h"
#include "tests/support/local_anvil.h"
#include "tests/support/subprocess.h"

namespace {

namespace json = boost::json;
namespace evm = chainflow::ingest::evm;
using Clock = std::chrono::steady_clock;

// This process's user + system CPU seconds so far.
double CpuSeconds() {
  rusage usage{};
  ::getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

json::value Call(evm::RpcClient& rpc, const std::string& method, const std::string& params) {
  auto result = rpc.Call(method, params);
  if (!result) throw std::runtime_error(method + ": " + result.error().ToString());
  return json::parse(result.value());
}

json::value WaitReceipt(evm::RpcClient& rpc, const json::value& hash) {
  json::value receipt;
  while (!receipt.is_object()) {
    receipt = Call(rpc, "eth_getTransactionReceipt", "[" + json::serialize(hash) + "]");
    if (!receipt.is_object()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (receipt.as_object().at("status").as_string() != "0x1") {
    throw std::runtime_error("mint transaction reverted");
  }
  return receipt;
}

// Mints `transfers` tokens in transactions of `per_tx`, one transaction (and
// so one block) at a time; returns the last block.
uint64_t Mint(evm::RpcClient& rpc, const chainflow::testing::DeployedContract& contract,
              uint64_t transfers, uint64_t per_tx) {
  std::string from(Call(rpc, "eth_accounts", "[]").as_array()[0].as_string());
  std::string selector = contract.selectors.at("mintBurst(address,uint256,uint256)");
  uint64_t last = 0;
  for (uint64_t first = 1; first <= transfers; first += per_tx) {
    uint64_t count = std::min(per_tx, transfers - first + 1);
    std::string data = fmt::format("0x{}{:064x}{:064x}{:064x}", selector, 0x1000 + first, first,
                                   count);
    json::value hash = Call(rpc, "eth_sendTransaction",
                            fmt::format(R"([{{"from":"{}","to":"{}","data":"{}","gas":"0x{:x}"}}])",
                                        from, contract.address, data, 2'600 * count + 100'000));
    json::value receipt = WaitReceipt(rpc, hash);
    last = std::stoull(std::string(receipt.as_object().at("blockNumber").as_string()), nullptr, 16);
  }
  return last;
}

struct Backfill {
  uint64_t logs = 0, events = 0, blocks_with_events = 0;
  double seconds = 0;
  double cpu_seconds = 0;  // ours (HTTP, JSON, decoding); the rest of the wall time is Anvil
};

Backfill ReadBack(evm::RpcClient& rpc, uint64_t from, uint64_t to, uint64_t range,
                  const std::string& contract) {
  Backfill out;
  evm::LogDecoder decoder("bench", {chainflow::engine::core::Address::FromHex(contract).value()});
  auto started = Clock::now();
  double cpu_started = CpuSeconds();
  for (uint64_t b = from; b <= to; b += range) {
    uint64_t end = std::min(to, b + range - 1);
    auto logs = rpc.GetLogs(b, end, {});
    if (!logs) throw std::runtime_error(logs.error().ToString());
    uint64_t first_block = UINT64_MAX, last_block = 0;
    evm::DecodeResult r;
    for (size_t i = 0; i < logs.value().size(); ++i) {
      auto status = decoder.Decode(logs.value(), i, &r);
      if (!status.ok()) throw std::runtime_error(status.ToString());
      out.events += r.events.size();
      first_block = std::min(first_block, r.log.block_number);
      last_block = std::max(last_block, r.log.block_number);
    }
    out.logs += logs.value().size();
    if (last_block >= first_block) {
      auto headers = rpc.GetBlockHeaders(first_block, last_block);
      if (!headers) throw std::runtime_error(headers.error().ToString());
      out.blocks_with_events += headers.value().size();
    }
  }
  out.seconds = Seconds(started);
  out.cpu_seconds = CpuSeconds() - cpu_started;
  return out;
}

// A transport that counts its round trips and makes each `delay` longer.
class DistantTransport : public evm::HttpTransport {
 public:
  DistantTransport(std::unique_ptr<evm::HttpTransport> inner, std::chrono::milliseconds delay)
      : inner_(std::move(inner)), delay_(delay) {}
  chainflow::engine::core::Result<evm::HttpReply> Post(const std::string& body) override {
    ++posts;
    std::this_thread::sleep_for(delay_);
    return inner_->Post(body);
  }
  uint64_t posts = 0;

 private:
  std::unique_ptr<evm::HttpTransport> inner_;
  std::chrono::milliseconds delay_;
};

struct Ingested {
  double seconds = 0;
  uint64_t round_trips = 0;
};

// Live ingest of [first, last] into fresh topics.
Ingested IngestToKafka(const std::string& brokers, const std::string& rpc_url, uint64_t first,
                       uint64_t last, uint64_t range, const std::string& contract,
                       std::chrono::milliseconds rpc_delay) {
  namespace core = chainflow::engine::core;
  namespace log = chainflow::engine::log;
  namespace common = chainflow::ingest::common;
  auto check = [](const core::Status& s) {
    if (!s.ok()) throw std::runtime_error(s.ToString());
  };
  std::string prefix = fmt::format("bench_rpc_{}_{}", ::getpid(), std::time(nullptr));
  std::string topic = prefix + ".anvil.events", dlq = prefix + ".dlq";
  auto admin = log::Admin::Open(brokers);
  if (!admin) throw std::runtime_error(admin.error().ToString());
  check(admin.value()->CreateTopic(topic, 8, 1));
  check(admin.value()->CreateTopic(dlq, 1, 1));
  struct DropTopics {
    log::Admin& admin;
    std::vector<std::string> names;
    ~DropTopics() { admin.DeleteTopics(names).IgnoreError(); }
  } drop{*admin.value(), {topic, dlq}};
  auto producer = log::Producer::Open({.brokers = brokers, .client_id = "rpc-backfill-bench"});
  if (!producer) throw std::runtime_error(producer.error().ToString());
  common::AdminTailReader tails(*admin.value(), topic);
  common::AppenderOptions options{.chain = "anvil", .topic = topic, .partitions = 8,
                                  .dlq_topic = dlq};
  log::Producer* sink = producer.value().get();
  evm::AppenderFactory factory = [options, sink, &tails]() {
    return common::ChainAppender::Open(options, *sink, tails);
  };
  core::ChainConfig chain;
  chain.name = "anvil";
  chain.rpc = rpc_url;
  chain.start_block = first;
  chain.max_block_range = range;
  auto transport = evm::OpenBeastTransport(rpc_url, std::chrono::milliseconds(60'000));
  if (!transport) throw std::runtime_error(transport.error().ToString());
  auto distant = std::make_unique<DistantTransport>(std::move(transport).value(), rpc_delay);
  DistantTransport* counted = distant.get();
  auto rpc = evm::RpcClient::Open(evm::RpcOptionsFor(chain), std::move(distant));
  if (!rpc) throw std::runtime_error(rpc.error().ToString());
  evm::LogDecoder decoder("anvil", {core::Address::FromHex(contract).value()});
  // Its own header store, removed afterwards.
  std::string headers_dir = fmt::format("/tmp/cf_backfill_headers_{}", ::getpid());
  std::filesystem::remove_all(headers_dir);
  auto headers = evm::HeaderStore::Open(headers_dir);
  if (!headers) throw std::runtime_error(headers.error().ToString());
  struct DropDir {
    std::string path;
    ~DropDir() { std::filesystem::remove_all(path); }
  } drop_headers{headers_dir};
  evm::LiveFollower follower(chain, std::move(decoder), *rpc.value(), factory, *headers.value());
  auto started = Clock::now();
  while (follower.ingested() < last) {
    auto blocks = follower.RunOnce();
    if (!blocks) throw std::runtime_error(blocks.error().ToString());
  }
  return {Seconds(started), counted->posts};
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app("JSON-RPC backfill benchmark against a private Anvil");
  uint64_t transfers = 1'000'000, per_tx = 20'000, range = 5;
  int runs = 3;
  std::string kafka;
  int rpc_delay_ms = 0;
  app.add_option("--transfers", transfers, "ERC-721 Transfer events to mint");
  app.add_option("--per-tx", per_tx, "events per transaction (one block each)");
  app.add_option("--range", range, "blocks per eth_getLogs (max_block_range)");
  app.add_option("--runs", runs, "read-back runs (median reported)");
  app.add_option("--kafka", kafka, "also time live ingest into this Kafka broker");
  app.add_option("--rpc-delay-ms", rpc_delay_ms,
                 "added to each of live ingest's HTTP round trips (a provider's distance)");
  CLI11_PARSE(app, argc, argv);
  try {
    std::string why;
    auto anvil = chainflow::testing::LocalAnvil::Start(
        &why, {"--gas-limit", "1000000000"});
    if (!anvil) throw std::runtime_error(why);
    auto rpc = evm::RpcClient::Open({.url = anvil->url(), .timeout = std::chrono::minutes(5)});
    if (!rpc) throw std::runtime_error(rpc.error().ToString());
    auto contract = chainflow::testing::DeployContract(anvil->url(), "TestTransferBurst", &why);
    if (!contract) throw std::runtime_error(why);
    uint64_t first = rpc.value()->BlockNumber().value() + 1;
    auto mint_start = Clock::now();
    uint64_t last = Mint(*rpc.value(), *contract, transfers, per_tx);
    std::fprintf(stderr, "minted %llu transfers in blocks %llu..%llu in %.1f s\n",
                 static_cast<unsigned long long>(transfers), static_cast<unsigned long long>(first),
                 static_cast<unsigned long long>(last), Seconds(mint_start));
    std::vector<double> rates;
    for (int run = 0; run < runs; ++run) {
      Backfill b = ReadBack(*rpc.value(), first, last, range, contract->address);
      if (b.events != transfers) {
        throw std::runtime_error(fmt::format("read back {} events, minted {}", b.events,
                                             transfers));
      }
      double rate = static_cast<double>(b.events) / b.seconds;
      rates.push_back(rate);
      std::fprintf(stderr,
                   "run %d: %llu events, %llu blocks, %.2f s (client CPU %.2f s), %.0f events/s\n",
                   run + 1, static_cast<unsigned long long>(b.events),
                   static_cast<unsigned long long>(b.blocks_with_events), b.seconds,
                   b.cpu_seconds, rate);
    }
    std::sort(rates.begin(), rates.end());
    std::printf("BENCH rpc_backfill transfers=%llu per_tx=%llu range=%llu runs=%d "
                "median_events_per_s=%.0f\n",
                static_cast<unsigned long long>(transfers), static_cast<unsigned long long>(per_tx),
                static_cast<unsigned long long>(range), runs, rates[rates.size() / 2]);
    if (!kafka.empty()) {
      std::vector<double> ingest_rates;
      for (int run = 0; run < runs; ++run) {
        Ingested in = IngestToKafka(kafka, anvil->url(), first, last, range, contract->address,
                                    std::chrono::milliseconds(rpc_delay_ms));
        ingest_rates.push_back(static_cast<double>(transfers) / in.seconds);
        std::fprintf(stderr, "ingest run %d: %.2f s, %.0f events/s, %llu HTTP round trips\n",
                     run + 1, in.seconds, ingest_rates.back(),
                     static_cast<unsigned long long>(in.round_trips));
      }
      std::sort(ingest_rates.begin(), ingest_rates.end());
      std::printf("BENCH rpc_ingest transfers=%llu per_tx=%llu range=%llu runs=%d "
                  "median_events_per_s=%.0f\n",
                  static_cast<unsigned long long>(transfers),
                  static_cast<unsigned long long>(per_tx), static_cast<unsigned long long>(range),
                  runs, ingest_rates[ingest_rates.size() / 2]);
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rpc_backfill_bench: %s\n", e.what());
    return 1;
  }
}
