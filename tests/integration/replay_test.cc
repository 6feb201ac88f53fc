// `chainflow replay` of real NFT history through real Kafka, RocksDB and
// PostgreSQL: correctness against an independent computation, idempotent
// re-runs, determinism across partitioning, bad input, kcat's view.
#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/pipeline_fixture.h"

namespace chainflow::testing {
namespace {

const std::string kKongz = SharedData("evm/cyberkongz/transfers.logs.ndjson");

struct Summary {
  uint64_t events = 0, appended = 0, skipped = 0, rejected = 0;
};

// Parses "replay mainnet: N events (A appended, S already in the log), R rejected, ...".
Summary ParseSummary(const std::string& out) {
  std::smatch m;
  static const std::regex re(
      R"(replay \S+: (\d+) events \((\d+) appended, (\d+) already in the log\), (\d+) rejected)");
  Summary s;
  if (std::regex_search(out, m, re)) {
    s.events = std::stoull(m[1]);
    s.appended = std::stoull(m[2]);
    s.skipped = std::stoull(m[3]);
    s.rejected = std::stoull(m[4]);
  } else {
    ADD_FAILURE() << "no summary line in: " << out;
  }
  return s;
}

class ReplayTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
  }
};

TEST_F(ReplayTest, CyberKongzOwnersEqualAnIndependentReplayAndRerunsChangeNothing) {
  PipelineEnv env("kongz");
  RunResult first = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", kKongz});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  Summary s1 = ParseSummary(first.out);
  EXPECT_EQ(s1.events, 15188u);
  EXPECT_EQ(s1.appended, 15188u);
  EXPECT_EQ(s1.rejected, 0u);

  std::map<std::string, std::string> expected = ExpectedOwnersFromFile(kKongz);
  ASSERT_EQ(expected.size(), 4676u) << "the data set's README promises 4,676 tokens";
  std::map<std::string, std::string> actual = env.NftOwners("mainnet");
  ASSERT_EQ(actual.size(), expected.size());
  size_t mismatches = 0;
  for (const auto& [token, owner] : expected) {
    auto it = actual.find(token);
    if (it == actual.end() || it->second != owner) {
      if (++mismatches <= 5) {
        ADD_FAILURE() << token << ": expected " << owner << ", view has "
                      << (it == actual.end() ? "nothing" : it->second);
      }
    }
  }
  EXPECT_EQ(mismatches, 0u);
  std::string digest = env.Digest();

  // The same file again: nothing appended, nothing changed.
  RunResult again = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", kKongz});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  Summary s2 = ParseSummary(again.out);
  EXPECT_EQ(s2.appended, 0u);
  EXPECT_EQ(s2.skipped, 15188u);
  EXPECT_EQ(env.Digest(), digest);
  EXPECT_EQ(env.NftOwners("mainnet"), actual);

  // kcat sees one record per ownership change, each with CloudEvents headers.
  std::vector<std::string> headers = KcatLines(env.prefix() + ".nft.ownership", "%h");
  EXPECT_EQ(headers.size(), 15188u);
  for (const std::string& h : headers) {
    for (const char* want : {"ce_specversion=1.0", "ce_id=", "ce_source=",
                             "ce_type=chainflow.nft.OwnerChanged", "ce_time=",
                             "content-type=application/protobuf"}) {
      ASSERT_NE(h.find(want), std::string::npos) << "missing " << want << " in " << h;
    }
  }

  // rebuild: views and state come back identical from the log.
  for (std::vector<std::string> args : {std::vector<std::string>{"rebuild"},
                                        std::vector<std::string>{"rebuild", "--view", "nft"}}) {
    RunResult rebuilt = env.Chainflow(args);
    ASSERT_EQ(rebuilt.exit_code, 0) << rebuilt.err;
    EXPECT_EQ(env.Digest(), digest);
    EXPECT_EQ(env.NftOwners("mainnet"), actual);
  }

  // status: the chain is ingested to the file's last block, nothing lags.
  RunResult status = env.Chainflow({"status", "--json"});
  ASSERT_EQ(status.exit_code, 0) << status.err;
  EXPECT_NE(status.out.find("\"ingested_block\":13730112"), std::string::npos) << status.out;
  EXPECT_EQ(status.out.find("\"lag\":1"), std::string::npos) << status.out;
}

TEST_F(ReplayTest, DigestAndViewsAreTheSameForAnyPartitionCountBatchSizeAndThreadCount) {
  struct Variant {
    int partitions;
    int batch;
    int threads;  // [engine] processor_threads
  };
  std::vector<std::string> digests;
  std::vector<std::map<std::string, std::string>> views;
  for (Variant v : {Variant{1, 100, 1}, Variant{8, 5000, 2}, Variant{3, 777, 3}}) {
    PipelineEnv env(fmt::format("det{}", v.partitions), v.partitions, v.batch);
    // The child inherits the override (CHAINFLOW_<SECTION>_<KEY>).
    ::setenv("CHAINFLOW_ENGINE_PROCESSOR_THREADS", std::to_string(v.threads).c_str(), 1);
    RunResult r = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", kKongz});
    ::unsetenv("CHAINFLOW_ENGINE_PROCESSOR_THREADS");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    digests.push_back(env.Digest());
    views.push_back(env.NftOwners("mainnet"));
  }
  EXPECT_EQ(digests[0], digests[1]) << "1 partition, 1 thread vs 8 partitions, 2 threads";
  EXPECT_EQ(digests[0], digests[2]) << "1 partition, 1 thread vs 3 partitions, 3 threads";
  EXPECT_EQ(views[0], views[1]);
  EXPECT_EQ(views[0], views[2]);
}

TEST_F(ReplayTest, BadLinesAreDeadLetteredWithLineNumbersAndTheRestIsApplied) {
  // The first 3,000 real lines, with bad lines inserted and a truncated tail.
  std::ifstream in(kKongz);
  std::vector<std::string> good;
  for (std::string line; good.size() < 3000 && std::getline(in, line);) good.push_back(line);
  std::string clean_path = "/tmp/cf_bad_clean_" + std::to_string(::getpid()) + ".ndjson";
  std::string bad_path = "/tmp/cf_bad_" + std::to_string(::getpid()) + ".ndjson";
  {
    std::ofstream clean(clean_path);
    for (const auto& l : good) clean << l << "\n";
  }
  std::string sample = good[100];
  auto replace = [](std::string s, const std::string& from, const std::string& to) {
    size_t p = s.find(from);
    if (p != std::string::npos) s.replace(p, from.size(), to);
    return s;
  };
  std::map<int, std::string> inserted = {
      {11, "{this is not json"},
      // Non-hex block number.
      {501, std::regex_replace(sample, std::regex(R"("blockNumber":"0x[0-9a-f]+")"),
                               R"("blockNumber":"0xZZ")")},
      // TransferSingle topic0 with the wrong number of topics.
      {1201, replace(sample, "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
                     "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62")},
      // A non-hex token id.
      {2001, std::regex_replace(sample, std::regex(R"(,"0x0000[0-9a-f]{60}"\])"),
                                R"(,"0xnothex"])")},
  };
  std::vector<int> bad_lines;
  {
    std::ofstream out(bad_path);
    int line_no = 0;
    size_t next_good = 0;
    while (next_good < good.size()) {
      ++line_no;
      auto it = inserted.find(line_no);
      if (it != inserted.end()) {
        out << it->second << "\n";
        bad_lines.push_back(line_no);
      } else {
        out << good[next_good++] << "\n";
      }
    }
    out << sample.substr(0, sample.size() / 2);  // truncated last line, no newline
    bad_lines.push_back(line_no + 1);
  }

  PipelineEnv env("bad");
  RunResult r = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", bad_path});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Summary s = ParseSummary(r.out);
  EXPECT_EQ(s.rejected, bad_lines.size()) << r.out;
  EXPECT_EQ(s.appended, good.size());

  // Nothing valid was lost.
  EXPECT_EQ(env.NftOwners("mainnet"), ExpectedOwnersFromFile(clean_path));

  // Every bad line is in the dead-letter topic with its line number and reason.
  std::vector<std::string> dlq = KcatLines(env.prefix() + ".dlq", "%h");
  ASSERT_EQ(dlq.size(), bad_lines.size());
  for (size_t i = 0; i < bad_lines.size(); ++i) {
    EXPECT_NE(dlq[i].find(fmt::format("cf_line={}", bad_lines[i])), std::string::npos) << dlq[i];
    EXPECT_NE(dlq[i].find("cf_error="), std::string::npos) << dlq[i];
  }

  // /metrics of a serving process counts them too.
  {
    Subprocess serve(env.Argv({"serve"}));
    std::string want = fmt::format("chainflow_dead_letter_records{{topic=\"{}.dlq\"}} {}",
                                   env.prefix(), bad_lines.size());
    std::string metrics;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
      metrics = RunCommand({"/usr/bin/curl", "-s",
                            fmt::format("http://127.0.0.1:{}/metrics", env.api_port())})
                    .out;
      if (metrics.find(want) != std::string::npos) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    EXPECT_NE(metrics.find(want), std::string::npos)
        << "want " << want << " in:\n" << metrics << "\nserve's stderr:\n" << serve.Stderr();
  }

  // Replaying it again neither re-appends nor re-dead-letters.
  RunResult again = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", bad_path});
  ASSERT_EQ(again.exit_code, 0) << again.err;
  EXPECT_EQ(ParseSummary(again.out).appended, 0u);
  EXPECT_EQ(KcatLines(env.prefix() + ".dlq", "%h").size(), bad_lines.size());
  std::remove(bad_path.c_str());
  std::remove(clean_path.c_str());
}

// A database that does not exist (a first run's usual mistake) fails
// `replay` and `run` at once, naming it. Before, both opened the processor
// role first, and one opened but never started may not close (its group
// consumer blocks serving an assignment nobody polled, when the group's
// first assignment arrives before the close): a replay hung after the error.
TEST_F(ReplayTest, AMissingDatabaseFailsTheReplayNamingItAndTheProcessExits) {
  PipelineEnv env("nodb");
  std::string url = env.db_url();
  url = url.substr(0, url.rfind('/')) + "/cf_no_such_database";
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"replay", "--chain", "mainnet", "--from-file", kKongz},
        std::vector<std::string>{"run"}}) {
    RunResult r =
        env.Chainflow(args, {{"CHAINFLOW_POSTGRES_URL", url}}, std::chrono::seconds(60));
    EXPECT_EQ(r.exit_code, 1) << args[0] << ": " << r.err;
    EXPECT_NE(r.err.find("cf_no_such_database"), std::string::npos) << args[0] << ": " << r.err;
  }
}

TEST_F(ReplayTest, AWrongConfigurationKeyOrValueStopsStartUpNamingIt) {
  PipelineEnv good("cfg");
  // A value of the wrong type, through the environment.
  RunResult bad_int = RunCommand(good.Argv({"status"}), {{"CHAINFLOW_KAFKA_PARTITIONS", "many"}});
  EXPECT_EQ(bad_int.exit_code, 2);
  EXPECT_NE(bad_int.err.find("CHAINFLOW_KAFKA_PARTITIONS"), std::string::npos) << bad_int.err;
  // A value outside its set.
  RunResult bad_value =
      RunCommand(good.Argv({"status"}), {{"CHAINFLOW_KAFKA_PROCESSING_GUARANTEE", "maybe"}});
  EXPECT_EQ(bad_value.exit_code, 2);
  EXPECT_NE(bad_value.err.find("processing_guarantee"), std::string::npos) << bad_value.err;
  // An unknown key in the file.
  {
    std::ofstream cfg(good.config_path(), std::ios::app);
    cfg << "\n[api2]\nlisten = \"x\"\n";
  }
  RunResult unknown = good.Chainflow({"status"});
  EXPECT_EQ(unknown.exit_code, 2);
  EXPECT_NE(unknown.err.find("api2"), std::string::npos) << unknown.err;
}

TEST_F(ReplayTest, BadUsageExitsWithTwoNamingWhatIsWrong) {
  PipelineEnv env("usage");
  // No subcommand, a missing --config, an unknown flag: exit 2 (not CLI11's 106, 109).
  RunResult none = RunCommand({ChainflowBinary()});
  EXPECT_EQ(none.exit_code, 2) << none.err;
  EXPECT_NE(none.err.find("subcommand is required"), std::string::npos) << none.err;
  RunResult no_config = RunCommand({ChainflowBinary(), "run"});
  EXPECT_EQ(no_config.exit_code, 2) << no_config.err;
  EXPECT_NE(no_config.err.find("--config is required"), std::string::npos) << no_config.err;
  RunResult unknown_flag = env.Chainflow({"status", "--bogus"});
  EXPECT_EQ(unknown_flag.exit_code, 2) << unknown_flag.err;
  EXPECT_NE(unknown_flag.err.find("--bogus"), std::string::npos) << unknown_flag.err;
  EXPECT_EQ(RunCommand({ChainflowBinary(), "--help"}).exit_code, 0);
  // A history file that is not there, or a directory: said before the
  // replay's processors and projections join their groups.
  for (const std::string path : {"/nonexistent/history.ndjson", "/"}) {
    RunResult missing = env.Chainflow({"replay", "--chain", "mainnet", "--from-file", path},
                                      {{"CHAINFLOW_KAFKA_BROKERS", "127.0.0.1:1"}},
                                      std::chrono::seconds(30));
    EXPECT_EQ(missing.exit_code, 2) << missing.err;
    EXPECT_NE(missing.err.find(path), std::string::npos) << missing.err;
  }
}

}  // namespace
}  // namespace chainflow::testing
