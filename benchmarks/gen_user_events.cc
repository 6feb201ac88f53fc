// Appends synthetic user events for an ERC-20 history (gen_history --standard
// erc20, or any NDJSON history of ERC-20 Transfers) to <prefix>.user.events,
// as the API would have written them had it run alongside that chain:
//
//   gen_user_events -c CONFIG --history FILE --chain mainnet --intents 100000
//       [--epochs 10] [--seed 11]
//
// - `--intents` IntentSubmitted records (kinds clap and gift, about half
//   each) between the history's accounts, received_at uniform over the
//   `--epochs` whole epochs ([intents] epoch_genesis / epoch_length_s) that
//   start at or after the history's first block. Amounts follow the payer's
//   balance in the history at that time: 75 % at most a fifth of it, 15 %
//   1.5-3 times it (rejected), 9 % in between, 1 % with a delegation that
//   expires at once (expired).
// - UserClock ticks at every approval deadline (epoch_genesis + k *
//   approval_interval_s) from the first block's time to the last one's, on
//   every partition, so the user clock follows chain time.
//
// Records come from the API's own builders (IntentRecord, UserClockRecords)
// in time order, so no intent is late. Topics are created first (with the
// configuration's partitions), as `chainflow` would. Deterministic for a
// seed and a history. Prints one summary line.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "api/handlers/intent_request.h"
#include "api/handlers/user_clock.h"
#include "app/topics.h"
#include "engine/core/address.h"
#include "engine/core/config.h"
#include "engine/core/u256.h"
#include "engine/log/admin.h"
#include "engine/log/producer.h"
#include "ingest/evm/log_decoder.h"

namespace {

namespace core = chainflow::engine::core;
namespace log = chainflow::engine::log;
namespace handlers = chainflow::api::handlers;
namespace v1 = chainflow::v1;

struct Transfer {
  uint64_t time = 0;
  uint32_t from = 0;  // index into History::accounts; 0: the zero address
  uint32_t to = 0;
  core::U256 amount;
};

struct History {
  core::Address token;                  // the first ERC-20 Transfer's contract
  std::vector<core::Address> accounts;  // [0] is the zero address
  std::vector<Transfer> transfers;      // in file (chain) order
};

// The ERC-20 Transfers of one token (the first one seen) in `path`, read with
// the replay's own decoder (lines it rejects or skips are left out).
core::Result<History> ReadHistory(const std::string& path) {
  std::ifstream in(path);
  if (!in) return core::NotFoundError("cannot read " + path);
  History h;
  h.accounts.push_back(core::Address());
  std::map<core::Address, uint32_t> index{{core::Address(), 0}};
  auto account = [&](const core::Bytes32& word) -> core::Result<uint32_t> {
    ASSIGN_OR_RETURN(core::Address a, core::Address::FromWord(
        std::string_view(reinterpret_cast<const char*>(word.data()), word.size())));
    auto [it, added] = index.emplace(a, static_cast<uint32_t>(h.accounts.size()));
    if (added) h.accounts.push_back(a);
    return it->second;
  };
  chainflow::ingest::evm::LogDecoder decoder("history", {});
  chainflow::ingest::evm::DecodeResult decoded;
  for (std::string line; std::getline(in, line);) {
    if (!decoder.Decode(line, &decoded).ok() ||
        decoded.kind != chainflow::ingest::evm::LogKind::kErc20Transfer) {
      continue;
    }
    const auto& log = decoded.log;
    if (h.transfers.empty()) h.token = log.address;
    if (log.address != h.token) continue;
    Transfer tr;
    tr.time = log.block_timestamp;
    ASSIGN_OR_RETURN(tr.from, account(log.topics[1]));
    ASSIGN_OR_RETURN(tr.to, account(log.topics[2]));
    ASSIGN_OR_RETURN(tr.amount, core::U256FromBigEndian(log.data));
    h.transfers.push_back(std::move(tr));
  }
  if (h.transfers.empty()) return core::InvalidArgumentError(path + ": no ERC-20 Transfer");
  return h;
}

struct Plan {
  uint64_t first_epoch_start = 0;
  uint64_t epochs = 10;
  uint64_t intents = 100'000;
  uint64_t seed = 11;
  std::string chain;
  std::string writer = "gen";
};

// The intents, in received_at order, with amounts from the payers' balances
// at that time in the history.
std::vector<std::pair<int64_t, handlers::IntentRequest>> MakeIntents(
    const core::Config& config, const History& h, const Plan& plan) {
  std::mt19937_64 rng(plan.seed);
  const uint64_t span = plan.epochs * config.intents.epoch_length_s;
  std::vector<uint64_t> times(plan.intents);
  for (auto& t : times) t = plan.first_epoch_start + rng() % span;
  std::sort(times.begin(), times.end());

  const auto n = static_cast<uint32_t>(h.accounts.size() - 1);  // without the zero address
  std::vector<core::U256> balance(h.accounts.size());
  size_t next = 0;
  std::vector<std::pair<int64_t, handlers::IntentRequest>> out;
  out.reserve(times.size());
  for (uint64_t t : times) {
    for (; next < h.transfers.size() && h.transfers[next].time < t; ++next) {
      const Transfer& tr = h.transfers[next];
      if (tr.from != 0) balance[tr.from] -= std::min(balance[tr.from], tr.amount);
      if (tr.to != 0) balance[tr.to] += tr.amount;
    }
    handlers::IntentRequest r;
    r.kind = rng() % 2 ? v1::INTENT_KIND_CLAP : v1::INTENT_KIND_GIFT;
    uint32_t payer = 1 + static_cast<uint32_t>(rng() % n);
    uint32_t payee = 1 + static_cast<uint32_t>(rng() % (n - 1));
    if (payee >= payer) ++payee;  // never the payer
    r.payer = h.accounts[payer];
    r.payee = h.accounts[payee];
    r.chain = plan.chain;
    r.token = h.token;
    const core::U256& b = balance[payer];
    uint64_t pick = rng() % 100;
    if (pick < 75) {
      r.amount = b * (1 + rng() % 20) / 100;
    } else if (pick < 90) {
      r.amount = b * (150 + rng() % 151) / 100 + 1;
    } else {
      r.amount = b * (20 + rng() % 131) / 100;
    }
    if (r.amount == 0) r.amount = 1;
    if (pick == 99) {
      r.delegation = handlers::IntentDelegation{r.payee, std::string(65, '\x01'), t};
    }
    out.emplace_back(static_cast<int64_t>(t), std::move(r));
  }
  return out;
}

// Send with one retry after a flush when the producer's queue is full.
core::Status Send(log::Producer& producer, const log::OutRecord& record) {
  core::Status st = producer.Send(record);
  if (st.code() == core::StatusCode::kResourceExhausted) {
    RETURN_IF_ERROR(producer.Flush(std::chrono::seconds(60)));
    st = producer.Send(record);
  }
  return st;
}

// Prints `message` and returns `code` (2: bad input, 1: infrastructure).
int Fail(int code, const std::string& message) {
  fmt::print(stderr, "gen_user_events: {}\n", message);
  return code;
}

int Run(const std::string& config_path, const std::string& history_path, Plan plan) {
  auto config = core::Config::Load(config_path, core::ProcessEnvironment());
  if (!config) return Fail(2, config.error().ToString());
  const core::Config& c = config.value();
  auto history = ReadHistory(history_path);
  if (!history) return Fail(2, history.error().ToString());
  const History& h = history.value();
  if (h.accounts.size() < 3) return Fail(2, "need at least 2 accounts");
  const uint64_t first = h.transfers.front().time;
  const uint64_t last = h.transfers.back().time;
  const uint64_t genesis = c.intents.epoch_genesis;
  const uint64_t length = c.intents.epoch_length_s;
  const uint64_t interval = c.intents.approval_interval_s;
  if (first < genesis) return Fail(2, "the history starts before epoch_genesis");
  plan.first_epoch_start = genesis + (first - genesis + length - 1) / length * length;
  if (plan.first_epoch_start + plan.epochs * length > last) {
    return Fail(2, fmt::format("the history ({}..{}) does not cover {} epochs from {}", first,
                               last, plan.epochs, plan.first_epoch_start));
  }
  auto intents = MakeIntents(c, h, plan);

  auto admin = log::Admin::Open(c.kafka.brokers);
  if (!admin) return Fail(1, admin.error().ToString());
  if (auto st = chainflow::app::EnsureTopics(c, *admin.value()); !st.ok()) {
    return Fail(1, st.ToString());
  }
  const std::string topic = chainflow::app::UserEventsTopic(c);
  auto partitions = admin.value()->PartitionCount(topic);
  if (!partitions) return Fail(1, partitions.error().ToString());
  auto producer = log::Producer::Open(chainflow::app::ProducerOptionsFor(c, "gen-user-events"));
  if (!producer) return Fail(1, producer.error().ToString());

  // Ticks at each deadline from the first block's time on, interleaved with
  // the intents in time order.
  uint64_t tick = genesis + (first - genesis + interval - 1) / interval * interval;
  uint64_t ticks = 0;
  size_t seq = 0;
  core::Status st;
  auto send_ticks_to = [&](uint64_t until) {
    for (; st.ok() && tick <= until; tick += interval, ++ticks) {
      for (const auto& r : handlers::UserClockRecords(topic, partitions.value(), plan.writer,
                                                      static_cast<int64_t>(tick))) {
        if (st = Send(*producer.value(), r); !st.ok()) break;
      }
    }
  };
  for (const auto& [received_at, request] : intents) {
    send_ticks_to(static_cast<uint64_t>(received_at));
    std::string key = fmt::format("{}-{}-{}", plan.writer, plan.seed, seq++);
    std::string id = handlers::IntentId(plan.writer, key);
    if (st.ok()) {
      st = Send(*producer.value(), handlers::IntentRecord(topic, partitions.value(), request, id,
                                                          plan.writer, key, received_at));
    }
    if (!st.ok()) break;
  }
  send_ticks_to(last);
  if (st.ok()) st = producer.value()->Flush(std::chrono::seconds(60));
  if (!st.ok()) return Fail(1, st.ToString());
  fmt::print("user events: {} intents, {} ticks x {} partitions, {} accounts, epochs {}..{} "
             "({}..{}), topic {}\n",
             intents.size(), ticks, partitions.value(), h.accounts.size() - 1,
             (plan.first_epoch_start - genesis) / length,
             (plan.first_epoch_start - genesis) / length + plan.epochs - 1,
             plan.first_epoch_start, plan.first_epoch_start + plan.epochs * length, topic);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Append synthetic intents and user clock ticks for an ERC-20 history"};
  std::string config_path;
  std::string history_path;
  Plan plan;
  app.add_option("-c,--config", config_path, "chainflow configuration")->required();
  app.add_option("--history", history_path, "NDJSON history (gen_history --standard erc20)")
      ->required();
  app.add_option("--chain", plan.chain, "the history's chain (in [intents] chains)")->required();
  app.add_option("--intents", plan.intents, "intents to submit")->check(CLI::PositiveNumber);
  app.add_option("--epochs", plan.epochs, "whole epochs they spread over")
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", plan.seed, "random seed");
  CLI11_PARSE(app, argc, argv);
  return Run(config_path, history_path, plan);
}
