// What one processor transaction costs on the local broker, outside the
// pipeline: begin, `--records` outputs and as many changelog records over
// `--partitions` partitions of two topics, optionally the group offsets
// (send_offsets_to_transaction, no member: generation -1), commit. Per
// transaction the time of each step; p50/p90/p99 over `--transactions`.
// `--gap-ms` between transactions (0: back to back, as a busy processor;
// 1000: one per block, as a processor following a chain at its head).
//
//   ops/infra start
//   build/benchmarks/txn_round_trip_bench --transactions 100 --gap-ms 200
//   build/benchmarks/txn_round_trip_bench --transactions 100 --gap-ms 0 --no-offsets
//
// A `BENCH txn_round_trip ...` line goes to stdout.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "engine/log/admin.h"
#include "engine/log/producer.h"

namespace {

using chainflow::engine::log::Admin;
using chainflow::engine::log::GroupMetadata;
using chainflow::engine::log::OutRecord;
using chainflow::engine::log::Producer;
using chainflow::engine::log::ProducerOptions;
using chainflow::engine::log::TopicPartitionOffset;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string brokers = "127.0.0.1:9092";
  int transactions = 100;
  int records = 200;
  int partitions = 4;
  int gap_ms = 200;
  bool offsets = true;
  std::string producer_linger_ms;  // empty: the product's default
  std::vector<std::string> properties;  // name=value, librdkafka producer properties
};

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

template <typename T>
T OrDie(chainflow::engine::core::Result<T> r) {
  if (!r.has_value()) throw std::runtime_error(r.error().ToString());
  return std::move(r).value();
}

void OrDie(const chainflow::engine::core::Status& st) {
  if (!st.ok()) throw std::runtime_error(st.ToString());
}

int Main(const Options& o) {
  const std::string prefix = fmt::format("bench_txn_{}", static_cast<long>(getpid()));
  const std::string outputs = prefix + ".out";
  const std::string changelog = prefix + ".changelog";
  const std::string inputs = prefix + ".in";  // only its offsets are committed
  auto admin = OrDie(Admin::Open(o.brokers));
  OrDie(admin->CreateTopics({{inputs, o.partitions, 1, {}},
                             {outputs, o.partitions, 1, {}},
                             {changelog, o.partitions, 1, {{"cleanup.policy", "compact"}}}}));
  ProducerOptions options{.brokers = o.brokers, .client_id = "txn-round-trip-bench"};
  options.transactional_id = prefix;
  options.properties["transaction.timeout.ms"] = "10000";
  options.properties["retry.backoff.ms"] = "10";  // as app/processor_role.cc
  if (!o.producer_linger_ms.empty()) options.properties["linger.ms"] = o.producer_linger_ms;
  for (const std::string& property : o.properties) {
    size_t eq = property.find('=');
    if (eq == std::string::npos) throw std::runtime_error("--property wants name=value");
    options.properties[property.substr(0, eq)] = property.substr(eq + 1);
  }
  auto producer = OrDie(Producer::Open(options));

  std::map<std::string, std::vector<double>> steps;
  const GroupMetadata group{.group_id = prefix + ".group", .membership = ""};
  const std::string value(120, 'v');  // about an OwnerChanged record
  for (int t = 0; t < o.transactions; ++t) {
    auto t0 = Clock::now();
    OrDie(producer->BeginTransaction());
    for (int i = 0; i < o.records; ++i) {
      auto partition = chainflow::core::PartitionId(i % o.partitions);
      std::string key = fmt::format("k{}-{}", t, i);
      OrDie(producer->Send(OutRecord{.topic = outputs, .partition = partition, .key = key,
                                     .value = value}));
      OrDie(producer->Send(OutRecord{.topic = changelog, .partition = partition, .key = key,
                                     .value = value}));
    }
    auto t1 = Clock::now();
    if (o.offsets) {
      std::vector<TopicPartitionOffset> positions;
      for (int p = 0; p < o.partitions; ++p) {
        positions.push_back({inputs, chainflow::core::PartitionId(p),
                             chainflow::core::Offset((t + 1) * 100)});
      }
      OrDie(producer->SendOffsetsToTransaction(positions, group, std::chrono::seconds(30)));
    }
    auto t2 = Clock::now();
    OrDie(producer->CommitTransaction(std::chrono::seconds(30)));
    auto t3 = Clock::now();
    steps["send"].push_back(Ms(t1 - t0));
    steps["offsets"].push_back(Ms(t2 - t1));
    steps["commit"].push_back(Ms(t3 - t2));
    steps["total"].push_back(Ms(t3 - t0));
    if (o.gap_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(o.gap_ms));
  }
  producer.reset();
  OrDie(admin->DeleteTopics({inputs, outputs, changelog}));

  for (const char* step : {"send", "offsets", "commit", "total"}) {
    const auto& v = steps[step];
    fmt::print("{:>8}: p50 {:.1f} ms, p90 {:.1f} ms, p99 {:.1f} ms\n", step, Percentile(v, 0.5),
               Percentile(v, 0.9), Percentile(v, 0.99));
  }
  fmt::print("BENCH txn_round_trip transactions={} records={} partitions={} gap_ms={} offsets={} "
             "p50_ms={:.1f} p99_ms={:.1f}\n",
             o.transactions, o.records, o.partitions, o.gap_ms, o.offsets ? 1 : 0,
             Percentile(steps["total"], 0.5), Percentile(steps["total"], 0.99));
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"the cost of one processor-sized Kafka transaction on the local broker"};
  Options o;
  app.add_option("--brokers", o.brokers, "bootstrap servers");
  app.add_option("--transactions", o.transactions, "transactions measured")
      ->check(CLI::PositiveNumber);
  app.add_option("--records", o.records, "outputs per transaction (as many changelog records)");
  app.add_option("--partitions", o.partitions, "partitions of each topic")
      ->check(CLI::PositiveNumber);
  app.add_option("--gap-ms", o.gap_ms, "pause between transactions (0: back to back)");
  app.add_flag("!--no-offsets", o.offsets, "leave out send_offsets_to_transaction");
  app.add_option("--producer-linger-ms", o.producer_linger_ms, "override the producer's linger.ms");
  app.add_option("--property", o.properties,
                 "a librdkafka producer property, name=value (repeatable)");
  CLI11_PARSE(app, argc, argv);
  try {
    return Main(o);
  } catch (const std::exception& e) {
    fmt::print(stderr, "txn_round_trip_bench: {}\n", e.what());
    return 1;
  }
}
