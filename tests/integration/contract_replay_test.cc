// `chainflow replay` of a contract indexed by ABI alone (gen_history
// --standard abi: Sold(address indexed buyer, uint256 indexed ticketId,
// uint256 price, string seat)) as a bulk load: the projection drops the
// parameter indexes, the replay ends with them built, and the table equals
// the file decoded here with Boost.JSON (not the product's decoder). Ingest
// writes these final events to the contract's topic directly (ingest/README.md
// "Direct lanes"): replays killed while appending leave each there once.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include <boost/json.hpp>
#include <boost/multiprecision/cpp_int.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/pipeline_fixture.h"

namespace chainflow::testing {
namespace {

namespace json = boost::json;
using boost::multiprecision::cpp_int;

constexpr int kEvents = 20000;

std::string Str(const json::value& v) { return std::string(v.as_string()); }

// A 32-byte word of `hex` (no 0x) at byte `at`, as an unsigned integer.
cpp_int Word(const std::string& hex, size_t at) {
  return cpp_int("0x" + hex.substr(at * 2, 64));
}

// Every Sold log of `path` as the row the table should hold:
// "block|log index|buyer|ticket id|price|seat", in (block, log index) order.
std::string ExpectedRows(const std::string& path) {
  std::map<std::pair<uint64_t, uint64_t>, std::string> rows;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    const json::object log = json::parse(line).as_object();
    const json::array& topics = log.at("topics").as_array();
    const std::string data = Str(log.at("data")).substr(2);
    const uint64_t block = std::stoull(Str(log.at("blockNumber")), nullptr, 16);
    const uint64_t index = std::stoull(Str(log.at("logIndex")), nullptr, 16);
    const std::string buyer = "0x" + Str(topics.at(1)).substr(2 + 24);
    const size_t seat_at = static_cast<size_t>(Word(data, 32));
    const size_t seat_length = static_cast<size_t>(Word(data, seat_at));
    std::string seat;
    for (size_t i = 0; i < seat_length; ++i) {
      seat += static_cast<char>(
          std::stoi(data.substr((seat_at + 32 + i) * 2, 2), nullptr, 16));
    }
    rows[{block, index}] =
        fmt::format("{}|{}|{}|{}|{}|{}", block, index, buyer, cpp_int(Str(topics.at(2))).str(),
                    Word(data, 0).str(), seat);
  }
  std::string out;
  for (const auto& [position, row] : rows) {
    if (!out.empty()) out += '\n';
    out += row;
  }
  return out;
}

// The table's rows in ExpectedRows' form.
constexpr char kTableRows[] =
    "SELECT string_agg(concat_ws('|', block_number, log_index, buyer, ticket_id, price, seat), "
    "E'\\n' ORDER BY block_number, log_index) FROM bench.sold";

constexpr char kParameterIndexes[] =
    "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = "
    "'bench' AND indexname LIKE '%\\_by\\_%'";

// A generated history of `events` Sold logs and its ABI, in a temp dir.
class SoldHistory {
 public:
  explicit SoldHistory(int events)
      : dir_(std::filesystem::temp_directory_path() /
             fmt::format("cf_it_abi_replay_{}_{}", ::getpid(), events)) {
    std::filesystem::create_directories(dir_);
    RunResult gen = RunCommand({GEN_HISTORY_BINARY, "--standard", "abi", "--transfers",
                                std::to_string(events), "--accounts", "50", "--out", file(),
                                "--abi-out", abi()});
    error_ = gen.exit_code == 0 ? "" : "gen_history failed: " + gen.err;
  }
  ~SoldHistory() { std::filesystem::remove_all(dir_); }
  std::string file() const { return (dir_ / "sold.ndjson").string(); }
  std::string abi() const { return (dir_ / "sold.abi.json").string(); }
  const std::string& error() const { return error_; }
  // A deployment of the contract by its ABI alone, deferring parameter
  // indexes from 1,000 records on (the replay announces about one event per
  // KiB of file: far more here).
  std::unique_ptr<PipelineEnv> Env() const {
    return std::make_unique<PipelineEnv>(
        "abireplay", 2, 5000,
        fmt::format("[[contracts]]\nchain = \"mainnet\"\nname = \"bench\"\n"
                    "address = \"0x000000000000000000000000000000005eed0ffe\"\n"
                    "abi = \"{}\"\n",
                    abi()),
        true, "projection_defer_indexes_records = 1000\n");
  }

 private:
  std::filesystem::path dir_;
  std::string error_;
};

TEST(ContractReplayTest, AReplayBuildsTheIndexesItDeferredAndTheTableEqualsTheFile) {
  std::string why;
  if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
  SoldHistory history(kEvents);
  ASSERT_EQ(history.error(), "");
  const std::string file = history.file();
  std::unique_ptr<PipelineEnv> owned = history.Env();
  PipelineEnv& env = *owned;

  RunResult replay = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", file});
  ASSERT_EQ(replay.exit_code, 0) << replay.err;
  EXPECT_NE(replay.err.find("parameter index(es) dropped for a bulk load"), std::string::npos)
      << replay.err;
  EXPECT_NE(replay.err.find("parameter index(es) built"), std::string::npos) << replay.err;
  EXPECT_EQ(env.QueryScalar(kParameterIndexes), "sold_by_buyer,sold_by_ticket_id");
  EXPECT_EQ(env.QueryScalar("SELECT count(*) FROM bench.sold"), std::to_string(kEvents));
  EXPECT_EQ(env.QueryScalar(kTableRows),
            ExpectedRows(file));
  // A second replay of the same file appends nothing and keeps the indexes
  // (an announced load smaller than what the table holds).
  RunResult again = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", file});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(again.err.find("parameter index(es) dropped"), std::string::npos) << again.err;
  EXPECT_EQ(env.QueryScalar("SELECT count(*) FROM pg_indexes WHERE schemaname = 'bench' AND "
                            "indexname LIKE '%\\_by\\_%'"),
            "2");
  EXPECT_EQ(env.QueryScalar("SELECT count(*) FROM bench.sold"), std::to_string(kEvents));
}

TEST(ContractReplayTest, AnInterruptedReplayStillBuildsTheIndexesItDropped) {
  std::string why;
  if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
  SoldHistory history(80000);
  ASSERT_EQ(history.error(), "");
  std::unique_ptr<PipelineEnv> env = history.Env();
  Subprocess replay(env->Argv({"replay", "--chain", "mainnet", "--from-file", history.file()}));
  bool dropped = false;
  for (int i = 0; i < 3000 && !dropped && replay.Running(); ++i) {
    dropped = replay.Stderr().find("parameter index(es) dropped") != std::string::npos;
    if (!dropped) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(dropped) << replay.Stderr();
  replay.Kill(SIGINT);
  const int code = replay.Wait(std::chrono::seconds(60));
  // Interrupted, not finished: the failure path is the one under test.
  EXPECT_NE(code, 0) << replay.Stderr();
  EXPECT_NE(replay.Stderr().find("parameter index(es) built"), std::string::npos)
      << replay.Stderr();
  EXPECT_EQ(env->QueryScalar(kParameterIndexes), "sold_by_buyer,sold_by_ticket_id");
}

TEST(ContractReplayTest, ReplaysKilledWhileAppendingLeaveEachEventOnceOnTheContractTopic) {
  std::string why;
  if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
  constexpr int kKilledEvents = 30000;
  SoldHistory history(kKilledEvents);
  ASSERT_EQ(history.error(), "");
  const std::string file = history.file();
  std::unique_ptr<PipelineEnv> owned = history.Env();
  PipelineEnv& env = *owned;
  // The first blocks' half of the file replayed to the end, so the topic
  // holds records to resume from; then the whole file, SIGKILLed at the n-th
  // record the process sends (events and markers), twice, then to the end.
  const std::string first_half = file + ".half";
  {
    std::ifstream in(file);
    std::ofstream out(first_half);
    std::string line, last_block;
    for (int n = 0; std::getline(in, line); ++n) {
      const std::string block = Str(json::parse(line).as_object().at("blockNumber"));
      if (n >= kKilledEvents / 2 && block != last_block) break;
      last_block = block;
      out << line << '\n';
    }
  }
  RunResult half = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", first_half});
  ASSERT_EQ(half.exit_code, 0) << half.err;
  for (const char* crash : {"ingest.before_send:4000", "ingest.before_send:9000"}) {
    RunResult killed = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", file},
                                     {{"CHAINFLOW_CRASH_AT", crash}});
    EXPECT_NE(killed.exit_code, 0) << crash << ": " << killed.err;
  }
  RunResult done = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", file});
  ASSERT_EQ(done.exit_code, 0) << done.err;

  const std::vector<std::string> headers = KcatLinesWith(
      env.prefix() + ".contract.bench", "%h", {"-X", "isolation.level=read_committed"});
  EXPECT_EQ(headers.size(), static_cast<size_t>(kKilledEvents));
  std::set<std::string> ids;
  std::string last_position;
  size_t out_of_order = 0;
  for (const std::string& h : headers) {
    ids.insert(KcatHeader(h, "ce_id").value_or(""));
    EXPECT_EQ(KcatHeader(h, "ce_source"), "chainflow/contract_events") << h;
    EXPECT_EQ(KcatHeader(h, "ce_type"), "chainflow.contract.bench.Sold") << h;
    // One partition, in chain order: positions "<block>:<log>:<sub>" rise.
    const std::string position = KcatHeader(h, "cf_pos").value_or("");
    auto number = [](const std::string& p) {
      const size_t colon = p.find(':');
      return std::make_pair(std::stoull(p.substr(0, colon)),
                            std::stoull(p.substr(colon + 1, p.find(':', colon + 1) - colon - 1)));
    };
    ASSERT_FALSE(position.empty()) << h;
    if (!last_position.empty() && !(number(last_position) < number(position))) ++out_of_order;
    last_position = position;
  }
  EXPECT_EQ(ids.size(), static_cast<size_t>(kKilledEvents)) << "duplicate or missing ids";
  EXPECT_EQ(out_of_order, 0u);
  // The chain topic carries the markers only: no event of the contract.
  for (const std::string& key : KcatLines(env.prefix() + ".mainnet.events", "%k")) {
    ASSERT_EQ(key, "mainnet:block");
  }
  EXPECT_EQ(env.QueryScalar("SELECT count(*) FROM bench.sold"), std::to_string(kKilledEvents));
  EXPECT_EQ(env.QueryScalar(kTableRows),
            ExpectedRows(file));
}

}  // namespace
}  // namespace chainflow::testing
