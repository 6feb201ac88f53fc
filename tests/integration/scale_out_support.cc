#include "tests/integration/scale_out_support.h"

#include <fstream>
#include <sstream>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>


namespace chainflow::testing {

std::string GeneratedHistoryIntentsToml() {
  return "[intents]\nchains = \"mainnet\"\n"
         "accrual_tokens = \"mainnet:0x00000000000000000000000000000000e20c0ffe\"\n"
         "accrual_rate_bps = 5\n";
}

void AppendUserEvents(const PipelineEnv& env, const std::string& history, int intents,
                      int epochs) {
  RunResult r = RunCommand({GEN_USER_EVENTS_BINARY, "-c", env.config_path(), "--history", history,
                            "--chain", "mainnet", "--intents", std::to_string(intents),
                            "--epochs", std::to_string(epochs)});
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

Outputs ReadOutputs(const PipelineEnv& env) {
  Outputs out;
  for (const char* suffix : {"nft.ownership", "token.deltas", "token.balances", "intents",
                             "settlement.parts", "settlements", "accruals"}) {
    std::set<std::string>& ids = out.ids[suffix];
    size_t duplicates = 0;
    for (const std::string& line :
         KcatLinesWith(fmt::format("{}.{}", env.prefix(), suffix), "%p|%h",
                       {"-X", "isolation.level=read_committed"})) {
      const size_t bar = line.find('|');
      const std::string headers = line.substr(bar + 1);
      ++out.of_type[fmt::format("{} {}", suffix, KcatHeader(headers, "ce_type").value_or("-"))];
      std::optional<std::string> id = KcatHeader(headers, "ce_id");
      EXPECT_TRUE(id.has_value()) << suffix << ": a record without ce_id: " << line;
      if (!id) continue;
      // Ids that name an input topic carry the deployment's prefix.
      std::string plain = *id;
      if (plain.starts_with(env.prefix())) plain = "<prefix>" + plain.substr(env.prefix().size());
      const std::string key = line.substr(0, bar) + ":" + plain;
      if (!ids.insert(key).second && ++duplicates <= 5) {
        ADD_FAILURE() << suffix << ": record " << key << " appears twice";
      }
    }
    EXPECT_EQ(duplicates, 0u) << suffix << ": records appended twice";
  }
  return out;
}

std::string TableDigest(const PipelineEnv& env, const std::string& table) {
  return env.QueryScalar(fmt::format(
      "SELECT count(*) || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') "
      "FROM chainflow.{} t",
      table));
}

std::pair<Outputs, Outputs> ExpectLikeCleanRun(const PipelineEnv& env, const PipelineEnv& clean,
                                               const std::vector<std::string>& tables,
                                               const std::string& tag) {
  for (const std::string& table : tables) {
    EXPECT_EQ(TableDigest(env, table), TableDigest(clean, table)) << "chainflow." << table;
  }
  std::pair<Outputs, Outputs> runs{ReadOutputs(env), ReadOutputs(clean)};
  const auto& [outputs, clean_outputs] = runs;
  for (const auto& [suffix, want] : clean_outputs.ids) {
    auto it = outputs.ids.find(suffix);
    const size_t got = it == outputs.ids.end() ? 0 : it->second.size();
    EXPECT_EQ(got, want.size()) << suffix;
    if (suffix != "token.balances" && it != outputs.ids.end()) {
      EXPECT_TRUE(it->second == want) << suffix << ": the ids differ from the clean run's";
    }
    fmt::print("[ {} ] {}: {} records, each once\n", tag, suffix, got);
  }
  EXPECT_EQ(outputs.of_type, clean_outputs.of_type) << "records of each type per topic";
  return runs;
}

std::vector<std::string> SplitByBlock(const std::string& path, int n) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(std::move(line));
  }
  auto block_of = [](const std::string& line) {
    boost::json::value v = boost::json::parse(line);
    return std::string(v.at("blockNumber").as_string());
  };
  std::vector<std::string> out;
  size_t begin = 0;
  for (int i = 0; i < n && begin < lines.size(); ++i) {
    size_t end = i == n - 1 ? lines.size() : std::min(lines.size(), lines.size() * (i + 1) / n);
    while (end < lines.size() && end > begin && block_of(lines[end]) == block_of(lines[end - 1])) {
      ++end;
    }
    const std::string part = fmt::format("{}.part{}", path, i);
    std::ofstream o(part);
    for (size_t k = begin; k < end; ++k) o << lines[k] << '\n';
    out.push_back(part);
    begin = end;
  }
  return out;
}

std::string InstanceStateDir(const PipelineEnv& env, const std::string& id) {
  return fmt::format("{}.{}", env.state_dir(), id);
}

std::unique_ptr<Subprocess> StartInstance(const PipelineEnv& env, const std::string& id,
                                          const std::map<std::string, std::string>& env_vars) {
  std::map<std::string, std::string> vars = env_vars;
  vars["CHAINFLOW_STATE_DIR"] = InstanceStateDir(env, id);
  vars.emplace("CHAINFLOW_ENGINE_INSTANCE_ID", "so-" + id);
  return std::make_unique<Subprocess>(env.Argv({"process"}), std::move(vars));
}

std::map<std::string, std::set<std::string>> OwnedStores(const PipelineEnv& env) {
  std::map<std::string, std::set<std::string>> owned;
  RunResult r = env.Chainflow({"status", "--json"}, {}, std::chrono::seconds(30));
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.out, ec);
  if (r.exit_code != 0 || ec || !v.is_object()) return owned;
  for (const auto& c : v.at("consumers").as_array()) {
    const auto& o = c.as_object();
    if (o.at("kind").as_string() != "processor" || o.at("owner").is_null()) continue;
    const std::string owner(o.at("owner").as_string());  // "<xx>-<id>-<loop thread>"
    const std::string processor(o.at("name").as_string());
    const int64_t partition = o.at("partition").as_int64();
    // A co-partitioned task's store (the intents join's) is p-<n>.
    owned[owner.substr(3, owner.find('-', 3) - 3)].insert(
        processor == "intents"
            ? fmt::format("{}/p-{}", processor, partition)
            : fmt::format("{}/{}-{}", processor, std::string(o.at("topic").as_string()),
                          partition));
  }
  return owned;
}

std::map<std::string, std::string> StoreDigests(const PipelineEnv& env,
                                                const std::string& state_dir) {
  RunResult r = env.Chainflow({"state-digest", "--stores"}, {{"CHAINFLOW_STATE_DIR", state_dir}});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::map<std::string, std::string> digests;
  std::istringstream lines(r.out);
  std::string line;
  std::getline(lines, line);  // the digest of all stores together
  while (std::getline(lines, line)) {
    auto gap = line.find("  ");
    if (gap != std::string::npos) digests[line.substr(gap + 2)] = line.substr(0, gap);
  }
  return digests;
}

std::optional<ProcessorLag> ReadProcessorLag(const PipelineEnv& env) {
  RunResult r = env.Chainflow({"status", "--json"}, {}, std::chrono::seconds(30));
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(r.out, ec);
  if (r.exit_code != 0 || ec || !v.is_object()) return std::nullopt;
  ProcessorLag lag;
  for (const auto& c : v.at("consumers").as_array()) {
    const auto& o = c.as_object();
    lag.held += o.at("in_open_transactions").as_int64();
    if (o.at("kind").as_string() != "processor") continue;
    lag.records += o.at("lag").as_int64();
    lag.unowned += o.at("owner").is_null();
  }
  return lag;
}

bool WaitUntilCaughtUp(const PipelineEnv& env, std::chrono::milliseconds timeout,
                       std::optional<ProcessorLag>* last) {
  int settled = 0;
  std::optional<ProcessorLag> lag;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (settled < 2 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    lag = ReadProcessorLag(env);
    settled = lag && lag->records == 0 && lag->held == 0 && lag->unowned == 0 ? settled + 1 : 0;
  }
  if (last != nullptr) *last = lag;
  return settled == 2;
}

void AppendSlice(const PipelineEnv& env, const std::string& part) {
  RunResult r = env.Chainflow({"replay", "--append-only", "--chain", "mainnet", "--from-file",
                               part},
                              {}, std::chrono::minutes(2));
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace chainflow::testing
