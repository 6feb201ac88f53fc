// Head-to-follower latency over ws:// on a private Anvil with 1-second blocks (no Kafka:
// the follower appends into an in-memory sink). A HeadSubscription on ws:// records when
// each newHeads notification arrives; the follower (confirmations 0) is woken by it
// (--mode ws) or only polls every --poll-ms (--mode poll, for comparison). Per block: the
// time from the notification's arrival to the follower having appended the block (its
// ingested() polled every 1 ms), and from the block's timestamp (whole seconds, so coarse).
//
//   build/benchmarks/ws_head_bench --blocks 30 --mode ws
//   build/benchmarks/ws_head_bench --blocks 30 --mode poll --poll-ms 1000
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "ingest/common/appender.h"
#include "ingest/evm/head_subscription.h"
#include "ingest/evm/live_follower.h"
#include "ingest/evm/rpc_client.h"
#include "tests/support/local_anvil.h"
#include "tests/unit/ingest/fakes.h"

namespace {

namespace evm = chainflow::ingest::evm;
using Clock = std::chrono::steady_clock;

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))];
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"newHeads-to-follower latency on a private Anvil"};
  int blocks = 30;
  std::string mode = "ws";
  int poll_ms = 1000;
  app.add_option("--blocks", blocks, "blocks to measure");
  app.add_option("--mode", mode, "ws (woken by newHeads) or poll")
      ->check(CLI::IsMember({"ws", "poll"}));
  app.add_option("--poll-ms", poll_ms, "the follower's poll interval");
  CLI11_PARSE(app, argc, argv);

  std::string why;
  auto anvil = chainflow::testing::LocalAnvil::Start(&why, {"--block-time", "1"});
  if (!anvil) {
    fmt::print(stderr, "{}\n", why);
    return 1;
  }
  std::string ws_url = fmt::format("ws://127.0.0.1:{}", anvil->port());
  auto dir = std::filesystem::temp_directory_path() / fmt::format("cf_ws_head_bench_{}", getpid());
  auto headers = evm::HeaderStore::Open(dir.string()).value();
  auto rpc = evm::RpcClient::Open({.url = anvil->url()}).value();
  chainflow::engine::core::ChainConfig chain;
  chain.name = "anvil";
  chain.poll_interval_ms = static_cast<uint64_t>(poll_ms);
  chainflow::ingest::testing::FakeSink sink;
  chainflow::ingest::testing::FakeTailReader tails;
  evm::LiveFollower follower(chain, evm::LogDecoder("anvil", {}), *rpc, [&]() {
    return chainflow::ingest::common::ChainAppender::Open({"anvil", "cf.anvil.events", 1, "cf.dlq"},
                                                          sink, tails);
  }, *headers);

  std::mutex mu;
  std::map<uint64_t, Clock::time_point> arrived;  // block -> notification arrival
  evm::HeadSubscriptionOptions options;
  options.endpoint.url = ws_url;
  options.chain = "anvil";
  auto heads = evm::HeadSubscription::Open(
                   options,
                   [&](uint64_t n) {
                     {
                       std::lock_guard lock(mu);
                       arrived.emplace(n, Clock::now());
                     }
                     if (mode == "ws") follower.NotifyNewHead(n);
                   },
                   [&](bool live) {
                     if (mode == "ws") follower.SetHeadSubscriptionLive(live);
                   })
                   .value();
  follower.Start();
  heads->Start();

  std::vector<double> from_notification, from_timestamp;
  uint64_t measured_to = 0;
  while (static_cast<int>(from_notification.size()) < blocks) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    uint64_t ingested = follower.ingested();
    if (ingested <= measured_to) continue;
    auto now = Clock::now();
    std::lock_guard lock(mu);
    for (auto it = arrived.upper_bound(measured_to); it != arrived.end() && it->first <= ingested;
         ++it) {
      if (measured_to == 0) continue;  // the catch-up of the first step is not a head
      from_notification.push_back(Ms(now - it->second));
      auto header = rpc->GetBlockHeader(it->first);
      if (header) {
        double wall = std::chrono::duration<double, std::milli>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
        from_timestamp.push_back(wall - 1000.0 * static_cast<double>(header.value().timestamp));
      }
      fmt::print(stderr, "block {}: {:.1f} ms after newHeads\n", it->first,
                 from_notification.back());
    }
    measured_to = ingested;
  }
  heads->Stop();
  follower.Stop();
  headers.reset();
  std::filesystem::remove_all(dir);
  fmt::print("mode {} (poll {} ms), {} blocks\n", mode, poll_ms, from_notification.size());
  fmt::print(
      "newHeads arrival -> follower has the block: p50 {:.1f} ms  p99 {:.1f} ms  max {:.1f} ms\n",
      Percentile(from_notification, 0.5), Percentile(from_notification, 0.99),
      Percentile(from_notification, 1.0));
  fmt::print("block timestamp (whole s) -> follower has the block: p50 {:.0f} ms  p99 {:.0f} ms\n",
             Percentile(from_timestamp, 0.5), Percentile(from_timestamp, 0.99));
  fmt::print("BENCH ws_head mode={} p50_ms={:.1f} p99_ms={:.1f}\n", mode,
             Percentile(from_notification, 0.5), Percentile(from_notification, 0.99));
  return 0;
}
