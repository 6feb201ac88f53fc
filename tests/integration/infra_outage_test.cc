// Outages of the infrastructure under a replay: the broker SIGKILLed and
// restarted (ops/infra) while CyberKongz and a generated ERC-20 history are
// being appended, processed and projected. The replay must finish by itself,
// and the views and output topics must be exactly those of the history:
// nothing lost, nothing counted twice. Runs alone (RUN_SERIAL): every other
// test shares this broker.
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/money_checks.h"
#include "tests/integration/pipeline_fixture.h"

namespace chainflow::testing {
namespace {

constexpr size_t kKongzTransfers = 15188;
constexpr int kTransfers = 100'000;

// ops/infra's state directory, where the broker's pid file is.
std::string VarDir() {
  if (const char* dir = std::getenv("CHAINFLOW_VAR_DIR")) return dir;
  return std::string(CHAINFLOW_SOURCE_DIR) + "/var";
}

pid_t BrokerPid() {
  std::ifstream in(VarDir() + "/run/kafka.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

TEST(InfraOutageTest, BrokerKilledAndRestartedMidReplayLosesAndDuplicatesNothing) {
  std::string why;
  if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
  const pid_t broker = BrokerPid();
  if (broker <= 0 || ::kill(broker, 0) != 0) {
    GTEST_SKIP() << "no broker started by ops/infra (pid file under " << VarDir() << ")";
  }
  const std::string history = fmt::format("/tmp/cf_it_outage_{}.ndjson", ::getpid());
  ASSERT_EQ(WriteKongzThenErc20History(history, kTransfers, 3, 2000, "0.05"), "");
  const Erc20Expectation expected = ExpectedErc20FromFile(history);
  PipelineEnv env("outage", 8, 5000);

  Subprocess replay(env.Argv({"replay", "--chain", "mainnet", "--from-file", history}));
  // Mid-run: start-up takes 1-1.5 s and the history ~8 s of work.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  ASSERT_EQ(::kill(broker, SIGKILL), 0);
  std::this_thread::sleep_for(std::chrono::seconds(3));
  RunResult restarted =
      RunCommand({std::string(CHAINFLOW_SOURCE_DIR) + "/ops/infra", "start"}, {},
                 std::chrono::minutes(3));
  ASSERT_EQ(restarted.exit_code, 0) << restarted.out << restarted.err;

  const int code = replay.Wait(std::chrono::minutes(5));
  std::filesystem::remove(history);
  ASSERT_EQ(code, 0) << "the replay did not finish by itself after the broker came back:\n"
                     << replay.Stderr().substr(replay.Stderr().size() > 6000
                                                   ? replay.Stderr().size() - 6000
                                                   : 0);
  ExpectBalancesAndSupply(env, expected);
  ExpectEachOutputEventOnce(env, expected, kKongzTransfers);
}

}  // namespace
}  // namespace chainflow::testing
