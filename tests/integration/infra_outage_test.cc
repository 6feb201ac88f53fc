// Outages of the infrastructure under a replay that projects into
// PostgreSQL: the broker SIGKILLed, or stopped cleanly, and restarted;
// PostgreSQL stopped (pg_ctl -m fast), SIGKILLed, or paused (SIGSTOP, then
// SIGCONT) and brought back, all with ops/infra while CyberKongz and a
// generated ERC-20 history are appended, processed and projected. The same
// `chainflow replay` must finish by itself, the views and output topics must
// be exactly those of the history (nothing lost, nothing counted twice), and
// `chainflow serve`, running beside it the whole time, must name the service
// that is down in /readyz and turn ready again once it is back. Runs alone
// (RUN_SERIAL): every other test shares this broker and PostgreSQL.
#include <signal.h>
#include <sys/types.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "tests/integration/money_checks.h"
#include "tests/integration/pipeline_fixture.h"
#include "tests/support/http_get.h"

namespace chainflow::testing {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;

constexpr size_t kKongzTransfers = 15188;
constexpr int kTransfers = 100'000;

// ops/infra's state directory, where the pid files are.
std::string VarDir() {
  if (const char* dir = std::getenv("CHAINFLOW_VAR_DIR")) return dir;
  return std::string(CHAINFLOW_SOURCE_DIR) + "/var";
}

// The pid in `$CHAINFLOW_VAR_DIR/run/<name>.pid`, 0 when there is none.
pid_t PidFromFile(const std::string& name) {
  std::ifstream in(VarDir() + "/run/" + name + ".pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

bool Alive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

// `ops/infra ARGS...`; fails the test on a non-zero exit.
void Infra(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {std::string(CHAINFLOW_SOURCE_DIR) + "/ops/infra"};
  argv.insert(argv.end(), args.begin(), args.end());
  RunResult r = RunCommand(argv, {}, std::chrono::minutes(3));
  ASSERT_EQ(r.exit_code, 0) << fmt::format("ops/infra {}", fmt::join(args, " ")) << "\n"
                            << r.out << r.err;
}

// The postmaster and its children (backends, checkpointer, WAL writer...),
// the postmaster first: what a frozen machine or container stops.
std::vector<pid_t> PostgresProcesses(pid_t postmaster) {
  std::vector<pid_t> out = {postmaster};
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream stat(entry.path() / "stat");
    std::string line;
    if (!std::getline(stat, line)) continue;
    // "pid (comm) state ppid ...": comm may hold spaces, so read after ')'.
    std::istringstream rest(line.substr(line.rfind(')') + 1));
    char state = 0;
    pid_t ppid = 0;
    rest >> state >> ppid;
    if (ppid == postmaster) out.push_back(static_cast<pid_t>(std::stol(name)));
  }
  return out;
}

// CyberKongz then the ERC-20 history, written once per test binary, and
// what the views must hold after it.
struct History {
  std::string path;
  Erc20Expectation expected;
  std::map<std::string, std::string> owners;  // ExpectedOwnersFromFile
  std::string error;                          // why it could not be written

  History() : path(fmt::format("/tmp/cf_it_outage_{}.ndjson", ::getpid())) {
    error = WriteKongzThenErc20History(path, kTransfers, 3, 2000, "0.05");
    if (!error.empty()) return;
    expected = ExpectedErc20FromFile(path);
    owners = ExpectedOwnersFromFile(path);
  }
  ~History() { std::filesystem::remove(path); }

  static const History& Get() {
    static const History history;
    return history;
  }
};

// What the test does to a service while the replay runs.
struct Outage {
  std::string service;                 // the one /readyz must name: "kafka" | "postgres"
  std::function<void()> take_down;     // returns once it is down (or paused)
  std::chrono::seconds down_for;       // then /readyz is watched this long
  std::function<void()> bring_back;    // returns once it answers again
  // Whether /readyz must name the service while it is down. A paused server
  // may also hold a status collection mid-query until it resumes (a
  // collection only bounds connecting), so there /readyz must only never
  // claim to be ready.
  bool must_name = true;
  // Whether the projector must have logged a retry: a stopped or killed
  // server breaks its session; a paused one only holds it.
  bool projector_retries = false;
  // When it starts: 4 s into the replay (the file appended, the processors
  // busy), or with `while_appending` half a second after the replay's last
  // stage started, when the file is being appended.
  bool while_appending = false;
};

// One /readyz answer: the status, and the names in its "down" list.
struct Readiness {
  int status = 0;
  std::vector<std::string> down;
  std::string body;
};

Readiness Readyz(int port) {
  HttpReply reply = HttpGet(port, "/readyz");
  Readiness r{reply.status, {}, reply.body};
  if (reply.status != 503) return r;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(reply.body, ec);
  if (ec || !v.is_object()) return r;
  if (const auto* down = v.as_object().if_contains("down"); down && down->is_array()) {
    for (const auto& d : down->as_array()) {
      r.down.push_back(std::string(d.at("name").as_string()));
    }
  }
  return r;
}

bool Names(const Readiness& r, const std::string& service) {
  return std::find(r.down.begin(), r.down.end(), service) != r.down.end();
}

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// How many lines of `log` contain `text`, and the first of them.
std::pair<size_t, std::string> Lines(const std::string& log, const std::string& text) {
  std::istringstream in(log);
  std::string line, first;
  size_t n = 0;
  while (std::getline(in, line)) {
    if (line.find(text) == std::string::npos) continue;
    if (n++ == 0) first = line;
  }
  return {n, first};
}

// `log` without librdkafka's lines about refused or failed connections (an
// outage prints hundreds), so what went wrong fits a CI log.
std::string WithoutConnectionFailures(const std::string& log) {
  std::istringstream in(log);
  std::string line, out;
  size_t dropped = 0;
  while (std::getline(in, line)) {
    if (line.find("librdkafka") != std::string::npos &&
        (line.find("Connection refused") != std::string::npos ||
         line.find("Disconnected") != std::string::npos ||
         line.find("Connect to ") != std::string::npos)) {
      ++dropped;
      continue;
    }
    out += line + "\n";
  }
  return out + fmt::format("({} connection failure lines left out)\n", dropped);
}

// Replays the shared history with `serve` beside it, runs `outage` 4 s in
// (start-up takes 1-1.5 s and the history ~8 s of work), and checks that
// both processes got through it by themselves and that nothing was lost or
// counted twice. Prints how long recovery took.
void ReplayThrough(const std::string& name, const Outage& outage) {
  const History& history = History::Get();
  ASSERT_EQ(history.error, "");
  PipelineEnv env(name, 8, 5000);
  const auto started = Clock::now();

  Subprocess serve(env.Argv({"serve"}));
  for (auto deadline = Clock::now() + 30s; HttpGet(env.api_port(), "/healthz").status != 200;) {
    ASSERT_TRUE(serve.Running()) << "serve exited:\n" << serve.Stderr();
    ASSERT_LT(Clock::now(), deadline) << "serve did not answer /healthz:\n" << serve.Stderr();
    std::this_thread::sleep_for(100ms);
  }
  Subprocess replay(
      env.Argv({"replay", "--chain", "mainnet", "--from-file", history.path}));
  if (outage.while_appending) {
    // The settlements projection is the last stage to start; the file is
    // appended right after it (~2.5 s of appending).
    for (auto deadline = Clock::now() + 60s;
         replay.Stderr().find("[settlements] assigned") == std::string::npos;) {
      ASSERT_TRUE(replay.Running()) << "the replay ended before appending:\n" << replay.Stderr();
      ASSERT_LT(Clock::now(), deadline) << "the replay's stages did not start:\n"
                                        << replay.Stderr();
      std::this_thread::sleep_for(20ms);
    }
    std::this_thread::sleep_for(500ms);
  } else {
    std::this_thread::sleep_for(4s);
  }
  ASSERT_TRUE(replay.Running()) << "the replay ended before the outage:\n" << replay.Stderr();

  const auto down_at = Clock::now();
  // Whatever fails from here, the service comes back for the next test.
  struct BringBack {
    const Outage& outage;
    bool done = false;
    void Now() {
      if (!std::exchange(done, true)) outage.bring_back();
    }
    ~BringBack() { Now(); }
  } bring_back{outage};
  outage.take_down();
  if (::testing::Test::HasFatalFailure()) return;
  // Watch /readyz while the service is down.
  bool named = false, claimed_ready = false;
  Readiness last;
  for (auto until = Clock::now() + outage.down_for; Clock::now() < until;) {
    last = Readyz(env.api_port());
    if (!named && last.status == 503 && Names(last, outage.service)) {
      named = true;
      std::cout << "/readyz while " << outage.service << " is down: " << last.body << "\n";
    }
    claimed_ready = claimed_ready || last.status == 200;
    std::this_thread::sleep_for(250ms);
  }
  const auto back_at = Clock::now();
  bring_back.Now();
  if (::testing::Test::HasFatalFailure()) return;
  const auto answered_at = Clock::now();

  const int code = replay.Wait(std::chrono::minutes(5));
  const auto replayed_at = Clock::now();
  const std::string log = replay.Stderr();
  if (const char* keep = std::getenv("CF_OUTAGE_KEEP_LOGS")) {
    std::ofstream(fmt::format("{}/{}.replay.log", keep, name)) << log;
  }
  ASSERT_EQ(code, 0) << "the replay did not finish by itself after " << outage.service
                     << " came back; its log without librdkafka's connection failures:\n"
                     << WithoutConnectionFailures(log);
  // serve turns ready by itself: the same process, never restarted.
  Readiness ready;
  for (auto deadline = Clock::now() + 60s; Clock::now() < deadline;) {
    ready = Readyz(env.api_port());
    if (ready.status == 200) break;
    std::this_thread::sleep_for(250ms);
  }
  const auto ready_at = Clock::now();
  EXPECT_EQ(ready.status, 200) << "/readyz after the replay: " << ready.body;
  EXPECT_TRUE(serve.Running()) << "serve exited:\n" << serve.Stderr();
  if (outage.must_name) {
    EXPECT_TRUE(named) << "/readyz never named " << outage.service
                       << " while it was down; last answer " << last.status << " "
                       << last.body;
  }
  EXPECT_FALSE(claimed_ready) << "/readyz answered 200 while " << outage.service
                              << " was down";
  std::cout << fmt::format(
      "{} down {:.1f} s (and {:.1f} s to answer again); replay finished {:.1f} s after it "
      "answered; /readyz 200 {:.1f} s after; named in /readyz while down: {}; whole run "
      "{:.1f} s\n",
      outage.service, Seconds(back_at - down_at), Seconds(answered_at - back_at),
      Seconds(replayed_at - answered_at), Seconds(ready_at - answered_at),
      named ? "yes" : "no", Seconds(ready_at - started));
  // What the replay went through: the stages' retries and the projections'
  // rewinds (a PostgreSQL outage must have hit the projector mid-run).
  const auto retries = Lines(log, "retry");
  const auto rewinds = Lines(log, "re-reading from the stored offsets");
  const auto projection_retries = Lines(log, "retrying in ");  // pg::Projector::Backoff
  std::cout << fmt::format(
      "replay log: {} lines about retrying, {} projection rewinds; first: {}\n", retries.first,
      rewinds.first, retries.second);
  if (const char* keep = std::getenv("CF_OUTAGE_KEEP_LOGS")) {
    std::ofstream(fmt::format("{}/{}.serve.log", keep, name)) << serve.Stderr();
  }
  if (outage.projector_retries) {
    EXPECT_GT(projection_retries.first, 0u) << "the outage missed the projector:\n" << log;
  }
  if (outage.while_appending) {
    EXPECT_GT(Lines(log, "has not acknowledged the appended records").first, 0u)
        << "the outage missed the append (no wait for Kafka logged):\n"
        << WithoutConnectionFailures(log);
  }
  serve.Kill(SIGTERM);
  EXPECT_EQ(serve.Wait(30s), 0) << serve.Stderr();

  ExpectBalancesAndSupply(env, history.expected);
  EXPECT_EQ(env.NftOwners("mainnet"), history.owners);
  ExpectEachOutputEventOnce(env, history.expected, kKongzTransfers);
}

class InfraOutageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!PipelineEnv::InfraAvailable(&why)) GTEST_SKIP() << why;
    if (!Alive(PidFromFile("kafka")) || !Alive(PidFromFile("postgres"))) {
      GTEST_SKIP() << "no broker and PostgreSQL started by ops/infra (pid files under "
                   << VarDir() << "/run)";
    }
  }
};

TEST_F(InfraOutageTest, BrokerKilledAndRestartedMidReplayLosesAndDuplicatesNothing) {
  Outage outage;
  outage.service = "kafka";
  outage.take_down = [] { ASSERT_EQ(::kill(PidFromFile("kafka"), SIGKILL), 0); };
  outage.down_for = 12s;  // room for two /readyz answers: one may take 10 s under load
  outage.bring_back = [] { Infra({"start", "kafka"}); };
  ReplayThrough("outage_kill", outage);
}

// SIGTERM: the broker shuts down in order (leadership moved, logs closed,
// clients told), which a SIGKILL does not test.
TEST_F(InfraOutageTest, BrokerStoppedCleanlyAndRestartedMidReplayLosesAndDuplicatesNothing) {
  Outage outage;
  outage.service = "kafka";
  outage.take_down = [] { Infra({"stop", "kafka"}); };
  outage.down_for = 12s;  // as above
  outage.bring_back = [] { Infra({"start", "kafka"}); };
  ReplayThrough("outage_stop", outage);
}

// Longer than the minute a flush used to wait: the file's records stay
// queued in the replay's producer (message.timeout.ms is 5 min), which waits
// for the broker instead of failing the replay.
TEST_F(InfraOutageTest, BrokerDownForOverAMinuteWhileAppendingLosesAndDuplicatesNothing) {
  Outage outage;
  outage.service = "kafka";
  outage.take_down = [] { ASSERT_EQ(::kill(PidFromFile("kafka"), SIGKILL), 0); };
  outage.down_for = 70s;
  outage.bring_back = [] { Infra({"start", "kafka"}); };
  outage.while_appending = true;
  ReplayThrough("outage_long", outage);
}

// pg_ctl stop -m fast: sessions are terminated (SQLSTATE 57P01), new ones
// refused while it shuts down and while it is down.
TEST_F(InfraOutageTest, PostgresStoppedMidReplayLosesAndDuplicatesNothing) {
  Outage outage;
  outage.service = "postgres";
  outage.take_down = [] { Infra({"stop", "postgres"}); };
  outage.down_for = 6s;
  outage.bring_back = [] { Infra({"start", "postgres"}); };
  outage.projector_retries = true;
  ReplayThrough("outage_pg_stop", outage);
}

// The postmaster SIGKILLed: its backends end as they notice, and the restart
// runs crash recovery. With synchronous_commit=off (ops/infra) commits it
// acknowledged may be lost: the projector must re-read what they held.
TEST_F(InfraOutageTest, PostgresKilledMidReplayLosesAndDuplicatesNothing) {
  Outage outage;
  outage.service = "postgres";
  outage.take_down = [] { ASSERT_EQ(::kill(PidFromFile("postgres"), SIGKILL), 0); };
  outage.down_for = 5s;
  outage.bring_back = [] { Infra({"start", "postgres"}); };
  outage.projector_retries = true;
  ReplayThrough("outage_pg_kill", outage);
}

// Every PostgreSQL process stopped (as a frozen VM or `docker pause` would):
// connections stay open and nothing answers; then all continue.
TEST_F(InfraOutageTest, PostgresPausedMidReplayLosesAndDuplicatesNothing) {
  auto paused = std::make_shared<std::vector<pid_t>>();
  Outage outage;
  outage.service = "postgres";
  outage.take_down = [paused] {
    *paused = PostgresProcesses(PidFromFile("postgres"));
    for (pid_t pid : *paused) ::kill(pid, SIGSTOP);
  };
  outage.down_for = 8s;
  outage.bring_back = [paused] {
    for (auto it = paused->rbegin(); it != paused->rend(); ++it) ::kill(*it, SIGCONT);
  };
  outage.must_name = false;
  ReplayThrough("outage_pg_pause", outage);
}

// SIGTERM while the broker is down: `chainflow process` and `chainflow
// project` must stop within a bound a supervisor allows (systemd waits 90 s
// before SIGKILL), not wait out every restore and abort first (179-252 s
// before the runners watched their stop; for good when librdkafka's
// send_offsets_to_transaction blocks, #5456): exit 0 after a clean stop, or
// 3 once [engine] stop_timeout_ms (here 20 s) has passed. What they leave
// (transactions open, stores mid-batch) must then add up: the broker back, a
// replay of the same file (already appended) finishes the work with every
// effect exactly once.
// The history appended to the chain topic, not processed (`replay --append-only`).
void AppendHistory(const PipelineEnv& env, const History& history) {
  RunResult appended =
      env.Chainflow({"replay", "--append-only", "--chain", "mainnet", "--from-file", history.path});
  ASSERT_EQ(appended.exit_code, 0) << appended.err;
}

// After an interrupted run: a replay of the history to its end, whose views
// and output topics must be exact.
void FinishAndExpectExact(const PipelineEnv& env, const History& history) {
  RunResult finished =
      env.Chainflow({"replay", "--chain", "mainnet", "--from-file", history.path}, {},
                    std::chrono::minutes(5));
  ASSERT_EQ(finished.exit_code, 0) << WithoutConnectionFailures(finished.err);
  ExpectBalancesAndSupply(env, history.expected);
  EXPECT_EQ(env.NftOwners("mainnet"), history.owners);
  ExpectEachOutputEventOnce(env, history.expected, kKongzTransfers);
}

TEST_F(InfraOutageTest, SigtermWhileTheBrokerIsDownStopsPromptlyAndLosesNothing) {
  const History& history = History::Get();
  ASSERT_EQ(history.error, "");
  PipelineEnv env("outage_sigterm", 8, 5000);
  AppendHistory(env, history);
  if (HasFatalFailure()) return;
  const std::map<std::string, std::string> stop_timeout = {
      {"CHAINFLOW_ENGINE_STOP_TIMEOUT_MS", "20000"}};
  Subprocess process(env.Argv({"process"}), stop_timeout);
  Subprocess project(env.Argv({"project"}), stop_timeout);
  std::this_thread::sleep_for(4s);  // the processors busy with the history
  ASSERT_TRUE(process.Running()) << process.Stderr();
  ASSERT_TRUE(project.Running()) << project.Stderr();

  struct BringBack {
    bool done = false;
    void Now() {
      if (!std::exchange(done, true)) Infra({"start", "kafka"});
    }
    ~BringBack() { Now(); }
  } bring_back;
  ASSERT_EQ(::kill(PidFromFile("kafka"), SIGKILL), 0);
  std::this_thread::sleep_for(3s);
  const auto asked = Clock::now();
  process.Kill(SIGTERM);
  project.Kill(SIGTERM);
  const int process_code = process.Wait(120s);
  const auto process_at = Clock::now();
  const int project_code = project.Wait(120s);
  const auto project_at = Clock::now();
  std::cout << fmt::format("SIGTERM with the broker down: process exited after {:.1f} s, "
                           "project after {:.1f} s\n",
                           Seconds(process_at - asked), Seconds(project_at - asked));
  for (const auto& [name, code, log] :
       {std::tuple{"process", process_code, process.Stderr()},
        std::tuple{"project", project_code, project.Stderr()}}) {
    EXPECT_TRUE(code == 0 || code == 3) << name << " exited " << code << ":\n"
                                        << WithoutConnectionFailures(log);
    if (code == 3) {
      EXPECT_NE(log.find("stopping took longer than 20000 ms"), std::string::npos)
          << name << " exited 3 without saying why:\n" << WithoutConnectionFailures(log);
      std::cout << name << " gave up waiting (exit 3)\n";
    }
  }
  // The processor role's watchdog names the loop threads a stop still waits
  // for, every 5 s: a stop that ran into its deadline must have said which.
  std::string still_running;
  for (std::istringstream lines(process.Stderr()); std::getline(lines, still_running);) {
    if (still_running.find("still in") != std::string::npos) {
      std::cout << "process: " << still_running << "\n";
    }
  }
  if (process_code == 3) {
    EXPECT_NE(process.Stderr().find("stopping: processor "), std::string::npos)
        << "the watchdog did not name what the stop waited for";
  }
  EXPECT_LT(process_at - asked, 35s) << WithoutConnectionFailures(process.Stderr());
  EXPECT_LT(project_at - asked, 35s) << WithoutConnectionFailures(project.Stderr());
  bring_back.Now();
  if (HasFatalFailure()) return;

  FinishAndExpectExact(env, history);
}


// A processor loop thread inside a librdkafka call that never returns while
// the broker answers (CHAINFLOW_HANG_AT blocks it in the offsets step of
// its third transaction): the watchdog fails the role after [engine]
// stuck_step_timeout_ms and the process exits, 3 since its stop cannot join
// that thread, instead of hanging for good; a restart then finishes the
// work exactly.
TEST_F(InfraOutageTest, AThreadStuckWhileTheBrokerAnswersEndsTheProcessAndARestartLosesNothing) {
  const History& history = History::Get();
  ASSERT_EQ(history.error, "");
  PipelineEnv env("stuck_thread", 8, 5000);
  AppendHistory(env, history);
  if (HasFatalFailure()) return;
  RunResult stuck = env.Chainflow({"process"},
                                  {{"CHAINFLOW_HANG_AT", "runtime.before_transaction_commit:3"},
                                   {"CHAINFLOW_ENGINE_STUCK_STEP_TIMEOUT_MS", "3000"},
                                   {"CHAINFLOW_ENGINE_STOP_TIMEOUT_MS", "5000"}},
                                  std::chrono::seconds(120));
  EXPECT_EQ(stuck.exit_code, 3) << WithoutConnectionFailures(stuck.err);
  EXPECT_NE(stuck.err.find("has been in offsets for"), std::string::npos)
      << WithoutConnectionFailures(stuck.err);
  EXPECT_NE(stuck.err.find("while the broker answers"), std::string::npos)
      << WithoutConnectionFailures(stuck.err);
  EXPECT_NE(stuck.err.find("a role failed, shutting down"), std::string::npos)
      << WithoutConnectionFailures(stuck.err);

  FinishAndExpectExact(env, history);
}
}  // namespace
}  // namespace chainflow::testing
