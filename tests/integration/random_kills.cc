#include "tests/integration/random_kills.h"

#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace chainflow::testing {
namespace {

uint32_t KillSeed() {
  if (const char* s = std::getenv("CHAINFLOW_KILL_SEED")) {
    return static_cast<uint32_t>(std::strtoul(s, nullptr, 10));
  }
  return std::random_device{}();
}

}  // namespace

ReplayProgress ReadReplayProgress(const PipelineEnv& env, int64_t last_block) {
  RunResult r = env.Chainflow({"status", "--json"}, {}, std::chrono::seconds(30));
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.out, ec);
  if (r.exit_code != 0 || ec || !v.is_object()) {
    return {.summary = fmt::format("status exited {}: {}", r.exit_code,
                                   r.err.substr(0, r.err.find('\n')))};
  }
  ReplayProgress p;
  int64_t ingested = 0;
  for (const auto& chain : v.at("chains").as_array()) {
    const auto& block = chain.at("ingested_block");
    if (block.is_int64()) ingested = block.as_int64();
  }
  std::map<std::string, std::pair<int64_t, int64_t>> consumed;  // name -> (next, end)
  for (const auto& c : v.at("consumers").as_array()) {
    const auto& o = c.as_object();
    std::string name(o.at("name").as_string());
    if (o.at("kind").as_string() == "projection") name = "view " + name;
    auto number = [](const boost::json::value& x) { return x.is_int64() ? x.as_int64() : 0; };
    consumed[name].first += number(o.at("next_offset"));
    consumed[name].second += number(o.at("end_offset"));
  }
  p.done = ingested == last_block;
  p.summary = fmt::format("ingested to block {} of {}", ingested, last_block);
  for (const auto& [name, pos] : consumed) {
    if (pos.second == 0) continue;  // views and processors this history does not feed
    p.done = p.done && pos.first == pos.second;
    if (!name.starts_with("view ")) {
      p.processed += pos.first;
      p.to_process += pos.second;
      p.processors_behind = p.processors_behind || pos.first < pos.second;
    }
    p.summary += fmt::format(", {} {}/{}", name, pos.first, pos.second);
  }
  return p;
}

KillTally KillAtRandomMoments(const PipelineEnv& env, const std::vector<std::string>& args,
                              int64_t last_block, const KillPlan& plan) {
  const uint32_t seed = KillSeed();
  fmt::print("[ {} ] kill seed {} (CHAINFLOW_KILL_SEED={} repeats it)\n", plan.tag, seed, seed);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  KillTally tally;
  double stretch = 1.0;
  int64_t processed_before = 0;
  for (int i = 0; i < plan.max_runs; ++i) {
    const std::chrono::milliseconds delay(static_cast<int64_t>(
        stretch * (plan.min_delay_ms + unit(rng) * (plan.max_delay_ms - plan.min_delay_ms))));
    Subprocess p(env.Argv(args));
    std::this_thread::sleep_for(delay);
    p.Kill(SIGKILL);
    const int code = p.Wait();
    const ReplayProgress left = ReadReplayProgress(env, last_block);
    const bool killed = code == 128 + SIGKILL;
    const bool moved = left.processed > processed_before;
    const bool mid_processing = killed && moved && left.processors_behind;
    tally.mid_work += killed && !left.done;
    tally.mid_processing += mid_processing;
    fmt::print("[ {} ] run {:2}: {} at {} ms{}; {}\n", plan.tag, i + 1,
               killed ? "SIGKILLed" : fmt::format("exited {} before its kill", code),
               delay.count(), mid_processing ? " (mid-processing)" : "", left.summary);
    if (!killed || left.done) break;  // nothing left for later kills to interrupt
    if (plan.enough_mid_work > 0 && tally.mid_work >= plan.enough_mid_work &&
        tally.mid_processing >= plan.enough_mid_processing) {
      break;
    }
    // Adapts to the machine's load both ways: start-up got slower (a run
    // killed before the processors moved), or faster again (a stretched
    // run moved them, so later kills would land ever later in the work).
    const bool much = left.to_process > 0 &&
                      (left.processed - processed_before) * 5 > left.to_process;
    stretch = !moved ? std::min(plan.max_stretch, stretch * 1.5)
              : much ? 1.0
                     : std::max(1.0, stretch / 1.5);
    processed_before = left.processed;
  }
  return tally;
}

}  // namespace chainflow::testing
