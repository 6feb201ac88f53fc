// Head-to-view latency of `chainflow run` following a private Anvil with 1-second blocks:
// every block carries one TestTransferBurst.mintBurst transaction of --per-block ERC-721
// Transfers; for each block, the latency is the time from the node first announcing the block
// to its rows being visible in PostgreSQL (polled every 5 ms). Prints per-block figures on
// stderr and p50/p90/p99/max on stdout as a `BENCH head_latency ...` line. Needs Kafka and
// PostgreSQL (ops/infra) and a built chainflow (CHAINFLOW_BINARY, else build/chainflow).
//
// --view nft: the block's LAST transfer's chainflow.nft_owners row (the contract configured
// as standard = "erc721"). --view contract: all of the block's rows in burst.transfer, the
// table of the contract configured by its ABI alone (name "burst").
// --transport http: chainflow's rpc is http:// and it polls every --poll-ms; the block is
// announced when the bench's eth_blockNumber (polled every 5 ms) first reports it.
// --transport ws: chainflow's rpc is ws:// (calls and newHeads); the block is announced when
// the bench's own newHeads subscription (a second ws:// connection) receives it.
// --hops: also reads the chain's topic and the processor's output topic (cf.nft.ownership;
// cf.contract.burst for --view contract), read_committed, and splits each block's latency at
// the moment its last transfer is readable on each: ingest (announcement -> chain topic),
// the processor (nft_ownership or contract_events: -> its topic), projection (-> row).
//
//   build/benchmarks/head_latency_bench --blocks 60 --per-block 200
//   build/benchmarks/head_latency_bench --view contract --transport ws --blocks 100
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <optional>
#include <chrono>
#include <cmath>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include <CLI/CLI.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <pqxx/pqxx>

#include "chainflow/v1/events.pb.h"
#include "engine/log/consumer.h"
#include "ingest/evm/head_subscription.h"
#include "ingest/evm/rpc_client.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/support/http_get.h"
#include "tests/support/local_anvil.h"
#include "tests/support/subprocess.h"

namespace {

namespace json = boost::json;
namespace evm = chainflow::ingest::evm;
using Clock = std::chrono::steady_clock;

json::value Call(evm::RpcClient& rpc, const std::string& method, const std::string& params) {
  auto result = rpc.Call(method, params);
  if (!result) throw std::runtime_error(method + ": " + result.error().ToString());
  return json::parse(result.value());
}

uint64_t Hex(const json::value& v) { return std::stoull(std::string(v.as_string()), nullptr, 16); }

std::string Word(uint64_t v) { return fmt::format("{:064x}", v); }

double Percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(std::ceil(p * static_cast<double>(v.size()))) - 1;
  return v[std::min(i, v.size() - 1)];
}

struct Sent {
  json::value hash;
  uint64_t last_id = 0;
};

struct Options {
  int blocks = 60;
  int per_block = 200;
  int poll_ms = 100;
  int head_poll_ms = 20;
  int warmup = 5;
  std::string view = "nft";         // nft | contract
  std::string transport = "http";  // http | ws
  std::string keep_log;             // where to write chainflow's log (stderr), if anywhere
  bool hops = false;
};

// When each block's last record became readable (read_committed) on one topic: a thread
// that reads every partition from the end and, per record, the block it belongs to.
class HopWatcher {
 public:
  HopWatcher(const std::string& brokers, const std::string& topic, int partitions)
      : thread_([this, brokers, topic, partitions] { Run(brokers, topic, partitions); }) {}
  ~HopWatcher() {
    stop_.store(true);
    thread_.join();
  }
  // When the block's last record so far arrived, if any did.
  std::optional<Clock::time_point> LastArrival(uint64_t block) {
    std::lock_guard lock(mu_);
    auto it = last_.find(block);
    if (it == last_.end()) return std::nullopt;
    return it->second;
  }

 private:
  void Run(const std::string& brokers, const std::string& topic, int partitions) {
    auto consumer = chainflow::engine::log::Consumer::Open(
        {.brokers = brokers, .client_id = "head-latency-hops", .with_headers = false,
         .properties = {{"fetch.wait.max.ms", "5"}}});
    if (!consumer) throw std::runtime_error(consumer.error().ToString());
    std::vector<chainflow::engine::log::TopicPartitionOffset> from;
    for (int p = 0; p < partitions; ++p) {
      from.push_back({topic, chainflow::core::PartitionId(p), chainflow::engine::log::kOffsetEnd});
    }
    if (auto st = consumer.value()->Assign(from); !st.ok()) {
      throw std::runtime_error(st.ToString());
    }
    while (!stop_.load()) {
      auto records = consumer.value()->Poll(10000, std::chrono::milliseconds(50));
      if (!records) continue;
      auto now = Clock::now();
      for (const auto& r : records.value()) {
        chainflow::v1::Envelope e;
        if (!e.ParseFromString(r.value)) continue;
        uint64_t block = 0;
        if (e.has_erc721_transfer()) block = e.erc721_transfer().log().block_number();
        if (e.has_owner_changed()) block = e.owner_changed().log().block_number();
        if (e.has_contract_event()) block = e.contract_event().log().block_number();
        if (block == 0) continue;
        std::lock_guard lock(mu_);
        last_[block] = now;
      }
    }
  }

  std::atomic<bool> stop_{false};
  std::mutex mu_;
  std::map<uint64_t, Clock::time_point> last_;
  std::thread thread_;
};

// chainflow's [[chains]] and [[contracts]] for the run; writes the ABI file the
// contract view needs into `dir`.
std::string ChainConfig(const Options& o, const chainflow::testing::LocalAnvil& anvil,
                        const chainflow::testing::DeployedContract& burst, uint64_t start,
                        const std::filesystem::path& dir) {
  std::string rpc = o.transport == "ws" ? fmt::format("ws://127.0.0.1:{}", anvil.port())
                                        : anvil.url();
  std::string out = fmt::format(
      "[[chains]]\nname = \"anvil\"\nkind = \"evm\"\nchain_id = 31337\n"
      "rpc = \"{}\"\nconfirmations = 0\nstart_block = {}\npoll_interval_ms = {}\n"
      "head_poll_ms = {}\n",
      rpc, start, o.poll_ms, o.head_poll_ms);
  if (o.view == "nft") {
    return out + fmt::format(
                     "[[contracts]]\nchain = \"anvil\"\naddress = \"{}\"\nstandard = \"erc721\"\n",
                     burst.address);
  }
  std::filesystem::create_directories(dir);
  std::filesystem::path abi = dir / "TestTransferBurst.json";
  std::ofstream(abi) << burst.abis.at("TestTransferBurst");
  return out + fmt::format(
                   "[[contracts]]\nchain = \"anvil\"\nname = \"burst\"\nabi = \"{}\"\n"
                   "address = \"{}\"\nstart_block = {}\n",
                   abi.string(), burst.address, start);
}

// Where each processor's committing cycles spent their time over the whole run (warm-up
// included): the mean per batch of every loop stage but the poll (which includes the idle
// wait for records), from chainflow's own counters; and ingest's JSON-RPC calls by method,
// per block of the run (`blocks`, warm-up included).
void PrintStageSplit(int api_port, size_t blocks) {
  auto reply = chainflow::testing::HttpGet(api_port, "/metrics");
  if (reply.status != 200) {
    fmt::print("  (no stage split: /metrics answered {}: {})\n", reply.status, reply.body);
    return;
  }
  // processor -> stage -> microseconds, and processor -> batches.
  std::map<std::string, std::map<std::string, double>> stages;
  std::map<std::string, double> batches;
  std::map<std::string, double> rpc_calls;  // method -> calls
  auto label = [](const std::string& line, const std::string& name) {
    auto at = line.find(name + "=\"");
    if (at == std::string::npos) return std::string();
    at += name.size() + 2;
    return line.substr(at, line.find('"', at) - at);
  };
  std::istringstream lines(reply.body);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty() || line[0] == '#') continue;
    double value = std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
    if (line.rfind("chainflow_processor_stage_microseconds_total{", 0) == 0) {
      stages[label(line, "processor")][label(line, "stage")] = value;
    } else if (line.rfind("chainflow_processor_batches_total{", 0) == 0) {
      batches[label(line, "processor")] = value;
    } else if (line.rfind("chainflow_rpc_requests_total{", 0) == 0) {
      rpc_calls[label(line, "method")] += value;
    }
  }
  for (const auto& [processor, by_stage] : stages) {
    double n = batches[processor];
    if (n == 0) continue;
    std::string split;
    for (const auto& [stage, us] : by_stage) {
      if (stage == "poll") continue;
      split += fmt::format(" {} {:.2f} ms", stage, us / n / 1000.0);
    }
    fmt::print("  {} ({:.0f} batches), mean per batch:{}\n", processor, n, split);
  }
  std::string calls;
  for (const auto& [method, n] : rpc_calls) {
    calls += fmt::format(" {} {:.1f}", method, n / static_cast<double>(std::max<size_t>(blocks, 1)));
  }
  if (!calls.empty()) fmt::print("  JSON-RPC calls per block ({} blocks):{}\n", blocks, calls);
}

// Whether the block's rows are all in the view yet.
bool Visible(pqxx::connection& pg, const Options& o, uint64_t block, uint64_t last_id) {
  pqxx::nontransaction tx(pg);
  if (o.view == "nft") {
    return !tx.exec(fmt::format("SELECT 1 FROM chainflow.nft_owners WHERE token_id = {} AND "
                                "block_number = {}",
                                last_id, block))
                .empty();
  }
  // The table appears once the projector has opened; until then nothing is visible.
  if (tx.exec("SELECT to_regclass('burst.transfer')")[0][0].is_null()) return false;
  pqxx::result r =
      tx.exec(fmt::format("SELECT count(*) FROM burst.transfer WHERE block_number = {}", block));
  return r[0][0].as<int64_t>() >= o.per_block;
}

int Main(const Options& o) {
  const int blocks = o.blocks;
  const int per_block = o.per_block;
  const int warmup = o.warmup;
  std::string why;
  if (!chainflow::testing::PipelineEnv::InfraAvailable(&why)) throw std::runtime_error(why);
  auto anvil = chainflow::testing::LocalAnvil::Start(&why, {"--block-time", "1"});
  if (!anvil) throw std::runtime_error(why);
  auto opened = evm::RpcClient::Open({.url = anvil->url(), .timeout = std::chrono::seconds(20)});
  if (!opened) throw std::runtime_error(opened.error().ToString());
  evm::RpcClient& rpc = *opened.value();
  auto burst = chainflow::testing::DeployContract(anvil->url(), "TestTransferBurst", &why);
  if (!burst) throw std::runtime_error(why);
  std::string from(Call(rpc, "eth_accounts", "[]").as_array()[0].as_string());
  uint64_t start = Hex(Call(rpc, "eth_blockNumber", "[]"));

  auto dir = std::filesystem::temp_directory_path() /
             fmt::format("cf_head_latency_{}", static_cast<long>(getpid()));
  // The contract view is a deployment of contracts by ABI alone: no file
  // replay chain beside Anvil, so no nft and token processors either.
  chainflow::testing::PipelineEnv env("head_latency", 8, 5000,
                                      ChainConfig(o, *anvil, *burst, start, dir),
                                      /*with_mainnet=*/o.view == "nft");
  chainflow::testing::Subprocess chainflow(
      env.Argv(o.keep_log.empty() ? std::vector<std::string>{"run"}
                                  : std::vector<std::string>{"run", "--log-level", "debug"}));
  pqxx::connection pg(env.db_url());
  std::unique_ptr<HopWatcher> ingested, owned;
  if (o.hops) {
    // `run` creates the topics; wait for them before reading from their ends.
    for (int i = 0; i < 300 && !ingested; ++i) {
      pqxx::nontransaction tx(pg);
      if (!tx.exec("SELECT to_regclass('chainflow.nft_owners')")[0][0].is_null()) {
        ingested =
            std::make_unique<HopWatcher>("127.0.0.1:9092", env.prefix() + ".anvil.events", 8);
        owned = std::make_unique<HopWatcher>(
            "127.0.0.1:9092",
            env.prefix() + (o.view == "nft" ? ".nft.ownership" : ".contract.burst"), 8);
      } else {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
    }
  }
  struct Hops {
    std::vector<double> ingest, process, project;
  } hops;
  const char* processor = o.view == "nft" ? "nft_ownership" : "contract_events";

  std::map<uint64_t, Clock::time_point> seen;  // block -> when the node first reported it
  // Over ws, the announcement is the bench's own newHeads notification.
  std::mutex announced_mu;
  std::map<uint64_t, Clock::time_point> announced;
  std::unique_ptr<evm::HeadSubscription> heads;
  if (o.transport == "ws") {
    evm::HeadSubscriptionOptions options;
    options.endpoint.url = fmt::format("ws://127.0.0.1:{}", anvil->port());
    options.chain = "anvil";
    auto opened_heads = evm::HeadSubscription::Open(
        options,
        [&](uint64_t n) {
          auto now = Clock::now();
          std::lock_guard lock(announced_mu);
          announced.try_emplace(n, now);
        },
        [](bool) {});
    if (!opened_heads) throw std::runtime_error(opened_heads.error().ToString());
    heads = std::move(opened_heads).value();
    heads->Start();
  }
  auto announced_at = [&](uint64_t block) {
    Clock::time_point t = seen.at(block);
    std::lock_guard lock(announced_mu);
    auto it = announced.find(block);
    return it != announced.end() ? std::min(t, it->second) : t;
  };
  std::deque<Sent> unmined;
  std::map<uint64_t, uint64_t> last_id;  // block -> id of its last transfer (still pending)
  std::vector<double> latencies_ms;
  uint64_t next_id = 1;
  uint64_t head = start;
  int sent = 0;
  auto deadline = Clock::now() + std::chrono::seconds(blocks + warmup + 120);
  while (static_cast<int>(latencies_ms.size()) < blocks) {
    if (Clock::now() > deadline) throw std::runtime_error("timed out");
    if (!chainflow.Running()) throw std::runtime_error("chainflow exited: " + chainflow.Stderr());
    uint64_t now_head = Hex(Call(rpc, "eth_blockNumber", "[]"));
    auto now = Clock::now();
    if (now_head > head) {
      for (uint64_t b = head + 1; b <= now_head; ++b) seen[b] = now;
      head = now_head;
      // One burst per block: sent right after a block, so it lands in the next one.
      if (sent < blocks + warmup) {
        std::string data = fmt::format("0x{}{:0>64}{}{}", burst->selectors.at(
                                           "mintBurst(address,uint256,uint256)"),
                                       from.substr(2), Word(next_id), Word(per_block));
        json::value hash = Call(rpc, "eth_sendTransaction",
                                fmt::format(R"([{{"from":"{}","to":"{}","data":"{}",)"
                                            R"("gas":"0x1c9c380"}}])",
                                            from, burst->address, data));
        next_id += per_block;
        unmined.push_back({hash, next_id - 1});
        ++sent;
      }
    }
    while (!unmined.empty()) {
      json::value receipt = Call(rpc, "eth_getTransactionReceipt",
                                 "[" + json::serialize(unmined.front().hash) + "]");
      if (!receipt.is_object()) break;
      last_id[Hex(receipt.as_object().at("blockNumber"))] = unmined.front().last_id;
      unmined.pop_front();
    }
    while (!last_id.empty()) {
      auto [block, id] = *last_id.begin();
      if (!Visible(pg, o, block, id)) break;
      double ms =
          std::chrono::duration<double, std::milli>(Clock::now() - announced_at(block)).count();
      bool counted = block > start + 1 + static_cast<uint64_t>(warmup);
      fmt::print(stderr, "block {} ({} transfers): {:.1f} ms{}\n", block, per_block, ms,
                 counted ? "" : " (warm-up)");
      if (counted) latencies_ms.push_back(ms);
      if (counted && ingested) {
        auto t0 = announced_at(block);
        auto t1 = ingested->LastArrival(block);
        auto t2 = owned->LastArrival(block);
        if (t1 && t2) {
          auto ms_between = [](Clock::time_point a, Clock::time_point b) {
            return std::chrono::duration<double, std::milli>(b - a).count();
          };
          hops.ingest.push_back(ms_between(t0, *t1));
          hops.process.push_back(ms_between(*t1, *t2));
          hops.project.push_back(ms - ms_between(t0, *t2));
          fmt::print(stderr, "  ingest {:.1f} ms, {} {:.1f} ms, projection {:.1f} ms\n",
                     hops.ingest.back(), processor, hops.process.back(), hops.project.back());
        }
      }
      last_id.erase(last_id.begin());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (heads) heads->Stop();
  for (auto [name, v] : {std::pair{"ingest", &hops.ingest}, {processor, &hops.process},
                         {"projection", &hops.project}}) {
    if (v->empty()) continue;
    fmt::print("  {}: p50 {:.0f} ms, p90 {:.0f} ms, p99 {:.0f} ms ({} blocks)\n", name,
               Percentile(*v, 0.5), Percentile(*v, 0.9), Percentile(*v, 0.99), v->size());
  }
  if (o.hops) PrintStageSplit(env.api_port(), latencies_ms.size() + o.warmup);
  ingested.reset();
  owned.reset();
  chainflow.Kill(SIGTERM);
  chainflow.Wait(std::chrono::seconds(30));
  if (!o.keep_log.empty()) std::ofstream(o.keep_log) << chainflow.Stderr();
  std::filesystem::remove_all(dir);
  fmt::print("head-to-view latency over {} blocks of {} transfers: p50 {:.0f} ms, p90 {:.0f} ms, "
             "p99 {:.0f} ms, max {:.0f} ms\n",
             latencies_ms.size(), per_block, Percentile(latencies_ms, 0.5),
             Percentile(latencies_ms, 0.9), Percentile(latencies_ms, 0.99),
             Percentile(latencies_ms, 1.0));
  fmt::print("BENCH head_latency view={} transport={} blocks={} per_block={} poll_ms={} "
             "head_poll_ms={} p50_ms={:.0f} p99_ms={:.0f}\n",
             o.view, o.transport, latencies_ms.size(), per_block, o.poll_ms, o.head_poll_ms,
             Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.99));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"head-to-view latency of chainflow run on Anvil with 1-second blocks"};
  Options o;
  app.add_option("--blocks", o.blocks, "blocks measured");
  app.add_option("--per-block", o.per_block, "ERC-721 transfers per block");
  app.add_option("--poll-ms", o.poll_ms, "the chain's poll_interval_ms");
  app.add_option("--head-poll-ms", o.head_poll_ms,
                 "the chain's head_poll_ms (0: plain polling)");
  app.add_option("--warmup", o.warmup, "blocks not counted at the start");
  app.add_option("--view", o.view, "nft (nft_owners) or contract (a table by ABI)")
      ->check(CLI::IsMember({"nft", "contract"}));
  app.add_option("--keep-log", o.keep_log, "write chainflow's log (its stderr) to this file");
  app.add_option("--transport", o.transport, "chainflow's rpc: http (polling) or ws (newHeads)")
      ->check(CLI::IsMember({"http", "ws"}));
  app.add_flag("--hops", o.hops, "split the latency at the chain topic and the processor's");
  CLI11_PARSE(app, argc, argv);
  try {
    return Main(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "head_latency_bench: {}\n", e.what());
    return 1;
  }
}
