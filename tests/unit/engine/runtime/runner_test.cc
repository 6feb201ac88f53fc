#include "engine/runtime/runner.h"

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/core/u256.h"
#include "engine/runtime/state_digest.h"
#include "tests/support/fake_log.h"
#include "tests/unit/engine/runtime/runner_test_util.h"

namespace chainflow::engine::runtime {
namespace {

using core::PartitionId;

using test::kDlq;
using test::kIn;
using test::kOut;
using test::Transfer;

// Counts ERC-721 transfers per token id; emits the running count. A transfer
// to the zero address is treated as poison so the dead-letter path is hit.
class CountingProcessor : public Processor {
 public:
  std::string Name() const override { return "counting"; }
  core::Status Apply(const InputEvent& ev, state::StateView& state, Emitter& out) override {
    if (!ev.envelope.has_erc721_transfer()) return core::InvalidArgumentError("not a transfer");
    const auto& t = ev.envelope.erc721_transfer();
    if (t.to() == std::string(20, '\0')) return core::InvalidArgumentError("burn is poison here");
    std::string key = "c/" + t.token_id();
    state.Put(key + "/scratch", "x");  // written before the check below on purpose
    ASSIGN_OR_RETURN(auto old, state.Get(key));
    int n = old ? std::stoi(*old) + 1 : 1;
    state.Put(key, std::to_string(n));
    test::EmitCount(t, out);
    return core::Status::Ok();
  }
};

class RunnerTest : public test::ScratchDirTest {
 protected:
  // Fills `log` with `n` records over `partitions` partitions, every 7th poison.
  static void Fill(testing::FakeLog& log, int n, int partitions) {
    for (int i = 0; i < n; ++i) {
      int token = i % 13;
      log.Append(kIn, token % partitions, std::to_string(token), Transfer(token, i % 7 == 6));
    }
  }

  std::unique_ptr<ProcessorRunner> Open(testing::FakeLog& log, const std::string& dir,
                                        int partitions, size_t batch) {
    ProcessorSpec spec{
        "counting", {kIn}, {kOut}, [] { return std::make_unique<CountingProcessor>(); }};
    RunnerOptions options;
    options.state_dir = dir;
    options.batch_size = batch;
    options.routing.partitions = {{kOut, 4}, {kDlq, 1}};
    options.routing.dlq_topic = kDlq;
    std::vector<log::TopicPartition> inputs;
    for (int p = 0; p < partitions; ++p) inputs.push_back({kIn, PartitionId(p)});
    auto r = ProcessorRunner::Open(spec, options, inputs, log.NewSource(), log);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return std::move(r).value();
  }

  // A runner of `spec` over partition 0 of kIn, kOut having `out_partitions`.
  std::unique_ptr<ProcessorRunner> OpenOne(testing::FakeLog& log, const ProcessorSpec& spec,
                                           const std::string& dir, size_t batch,
                                           int out_partitions) {
    RunnerOptions options;
    options.state_dir = (root_ / dir).string();
    options.batch_size = batch;
    options.routing.partitions = {{kOut, out_partitions}, {kDlq, 1}};
    options.routing.dlq_topic = kDlq;
    auto r = ProcessorRunner::Open(spec, options, {{kIn, PartitionId(0)}}, log.NewSource(), log);
    EXPECT_TRUE(r.has_value()) << r.error().ToString();
    return r.has_value() ? std::move(r).value() : nullptr;
  }

  static void Drain(ProcessorRunner& runner) {
    for (;;) {
      auto n = runner.RunOnce();
      ASSERT_TRUE(n.has_value()) << n.error().ToString();
      if (n.value() == 0) return;
    }
  }
};

TEST_F(RunnerTest, OutputsCarryDeterministicIdsAndPoisonIsDeadLettered) {
  testing::FakeLog log;
  Fill(log, 70, 2);
  auto runner = Open(log, (root_ / "a").string(), 2, 16);
  Drain(*runner);
  auto dlq = log.ReadAll(kDlq);
  EXPECT_EQ(dlq.size(), 10u);
  for (const auto& d : dlq) {
    ASSERT_NE(d.FindHeader("cf_error"), nullptr);
    EXPECT_NE(d.FindHeader("cf_error")->find("burn is poison"), std::string::npos);
    ASSERT_NE(d.FindHeader("cf_source_offset"), nullptr);
  }
  auto out = log.ReadAll(kOut);
  EXPECT_EQ(out.size(), 60u);
  std::set<std::string> ids;
  for (const auto& r : out) {
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(r.value));
    EXPECT_EQ(env.id().rfind("t.in/", 0), 0u) << env.id();
    EXPECT_NE(r.FindHeader("ce_id"), nullptr);
    ids.insert(env.id());
  }
  EXPECT_EQ(ids.size(), out.size()) << "ids must be unique";
}

TEST_F(RunnerTest, OutputsCarryTheInputHeadersTheSpecForwards) {
  testing::FakeLog log;
  for (int i = 0; i < 3; ++i) {
    log::OutRecord in{kIn, PartitionId(0), "k", Transfer(i), {}};
    if (i != 1) in.headers = {{"cf_pos", fmt::format("{}:0:0", 10 + i)}, {"other", "x"}};
    ASSERT_TRUE(log.Send(in).ok());
  }
  ProcessorSpec spec{
      "counting", {kIn}, {kOut}, [] { return std::make_unique<CountingProcessor>(); }};
  spec.forward_headers = {"cf_pos"};
  auto runner = OpenOne(log, spec, "fwd", 16, 1);
  ASSERT_NE(runner, nullptr);
  Drain(*runner);
  auto out = log.ReadAll(kOut);
  ASSERT_EQ(out.size(), 3u);
  ASSERT_NE(out[0].FindHeader("cf_pos"), nullptr);
  EXPECT_EQ(*out[0].FindHeader("cf_pos"), "10:0:0");
  EXPECT_EQ(out[1].FindHeader("cf_pos"), nullptr);  // its input had none
  EXPECT_EQ(*out[2].FindHeader("cf_pos"), "12:0:0");
  for (const auto& r : out) EXPECT_EQ(r.FindHeader("other"), nullptr);  // not forwarded
}

TEST_F(RunnerTest, PoisonRecordLeavesNoStateBehind) {
  testing::FakeLog log;
  log.Append(kIn, 0, "k", Transfer(5, /*burn=*/true));
  auto runner = Open(log, (root_ / "p").string(), 1, 10);
  Drain(*runner);
  runner.reset();
  auto digest = StateDigest((root_ / "p").string());
  ASSERT_TRUE(digest.has_value());
  // Same digest as empty state: nothing of the poison record was kept.
  testing::FakeLog empty;
  auto r2 = Open(empty, (root_ / "e").string(), 1, 10);
  r2.reset();
  EXPECT_EQ(digest.value(), StateDigest((root_ / "e").string()).value());
}

TEST_F(RunnerTest, DigestIsIndependentOfPartitionsAndBatchSize) {
  testing::FakeLog one, four;
  Fill(one, 500, 1);
  Fill(four, 500, 4);
  {
    auto a = Open(one, (root_ / "one").string(), 1, 7);
    Drain(*a);
    auto b = Open(four, (root_ / "four").string(), 4, 1000);
    Drain(*b);
  }
  auto d1 = StateDigest((root_ / "one").string());
  auto d4 = StateDigest((root_ / "four").string());
  ASSERT_TRUE(d1.has_value() && d4.has_value());
  EXPECT_EQ(d1.value(), d4.value());
}

TEST_F(RunnerTest, FailedFlushCommitsNothingAndRetryConverges) {
  testing::FakeLog clean, faulty;
  Fill(clean, 200, 2);
  Fill(faulty, 200, 2);
  {
    auto a = Open(clean, (root_ / "clean").string(), 2, 50);
    Drain(*a);
  }
  {
    auto b = Open(faulty, (root_ / "faulty").string(), 2, 50);
    ASSERT_TRUE(b->RunOnce().has_value());
    auto before = b->GetPositions();
    faulty.FailNextFlush(core::UnavailableError("broker down"));
    auto failed = b->RunOnce();
    ASSERT_FALSE(failed.has_value());
    EXPECT_EQ(b->GetPositions(), before) << "positions advanced past an unflushed batch";
  }
  // Restart from committed state (as the supervisor or a new process would).
  auto c = Open(faulty, (root_ / "faulty").string(), 2, 50);
  Drain(*c);
  c.reset();
  EXPECT_EQ(StateDigest((root_ / "clean").string()).value(),
            StateDigest((root_ / "faulty").string()).value());
}

// Blocks in Apply until released: a loop thread that stays in one step.
class BlockingProcessor : public Processor {
 public:
  std::string Name() const override { return "blocking"; }
  core::Status Apply(const InputEvent&, state::StateView&, Emitter&) override {
    std::unique_lock lock(mu);
    cv.wait(lock, [] { return released; });
    return core::Status::Ok();
  }
  static void Release() {
    {
      std::lock_guard lock(mu);
      released = true;
    }
    cv.notify_all();
  }
  static inline std::mutex mu;
  static inline std::condition_variable cv;
  static inline bool released = false;
};

// What ProcessorRole's watchdog reports: the step a loop thread is in and
// for how long, and nothing once the thread has stopped.
TEST_F(RunnerTest, ActivityNamesTheStepTheLoopIsInAndHowLong) {
  testing::FakeLog log;
  Fill(log, 3, 1);
  ProcessorSpec spec{"blocking", {kIn}, {kOut},
                     [] { return std::make_unique<BlockingProcessor>(); }};
  auto runner = OpenOne(log, spec, "blocking", 10, 1);
  ASSERT_NE(runner, nullptr);
  EXPECT_EQ(runner->activity().step, nullptr) << "not started";
  runner->Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (std::chrono::steady_clock::now() < deadline &&
         (runner->activity().step == nullptr ||
          std::string(runner->activity().step) != "apply" ||
          runner->activity().in_step < std::chrono::milliseconds(200))) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const ProcessorRunner::Activity stuck = runner->activity();
  ASSERT_NE(stuck.step, nullptr);
  EXPECT_EQ(std::string(stuck.step), "apply");
  EXPECT_GE(stuck.in_step, std::chrono::milliseconds(200));
  BlockingProcessor::Release();
  runner->Stop();
  EXPECT_EQ(runner->activity().step, nullptr) << "stopped";
  EXPECT_TRUE(runner->failure().ok()) << runner->failure().ToString();
}

TEST_F(RunnerTest, RestartResumesFromStoredOffsets) {
  testing::FakeLog log;
  Fill(log, 100, 1);
  {
    auto a = Open(log, (root_ / "r").string(), 1, 30);
    ASSERT_TRUE(a->RunOnce().has_value());  // 30 records committed
  }
  auto b = Open(log, (root_ / "r").string(), 1, 30);
  EXPECT_EQ(b->GetPositions().at({kIn, PartitionId(0)}).value(), 30);
  Drain(*b);
  EXPECT_TRUE(b->CaughtUp({{{kIn, PartitionId(0)}, core::Offset(100)}}));
  // 100 inputs, 14 poison: each non-poison record produced exactly one output
  // (no batch was redone here, so no duplicates either).
  EXPECT_EQ(log.ReadAll(kOut).size(), 86u);
}

// Re-emits every input to all partitions of kOut (as a marker forwarder does).
class BroadcastProcessor : public Processor {
 public:
  std::string Name() const override { return "broadcast"; }
  core::Status Apply(const InputEvent& ev, state::StateView&, Emitter& out) override {
    OutputEvent o;
    o.topic = kOut;
    o.key = "ignored-for-placement";
    o.envelope = ev.envelope;
    o.ce_type = "test.Marker";
    o.all_partitions = true;
    out.Emit(std::move(o));
    return core::Status::Ok();
  }
};

// Counts what it is given; says it ignores ERC-20 transfers and block
// markers (the runtime must still hand it the markers).
class IgnoringProcessor : public Processor {
 public:
  std::string Name() const override { return "ignoring"; }
  core::Status Apply(const InputEvent& ev, state::StateView& state, Emitter&) override {
    ++applied[ev.envelope.payload_case()];
    state.Put(fmt::format("seen/{}", ev.record.offset.value()), "");
    return core::Status::Ok();
  }
  bool Ignores(v1::Envelope::PayloadCase payload) const override {
    return payload == v1::Envelope::kErc20Transfer || payload == v1::Envelope::kBlockEnd ||
           payload == v1::Envelope::kBlockReverted;
  }
  static inline std::map<v1::Envelope::PayloadCase, int> applied;
};

TEST_F(RunnerTest, IgnoredPayloadsAreSkippedButMarkersAndDamagedRecordsAreNot) {
  IgnoringProcessor::applied.clear();
  testing::FakeLog log;
  v1::Envelope erc20;
  erc20.mutable_erc20_transfer()->set_value(std::string(32, '\1'));
  v1::Envelope end;
  end.mutable_block_end()->set_number(9);
  for (int i = 0; i < 30; ++i) {
    log.Append(kIn, 0, "k", i % 3 == 0 ? Transfer(i) : erc20.SerializeAsString());
  }
  log.Append(kIn, 0, "k", end.SerializeAsString());
  log.Append(kIn, 0, "k", std::string("\x5a\x02\x08"));  // field 11, length past the end
  ProcessorSpec spec{"ignoring", {kIn}, {kOut},
                     [] { return std::make_unique<IgnoringProcessor>(); }};
  auto runner = OpenOne(log, spec, "i", 7, 1);
  ASSERT_TRUE(runner);
  Drain(*runner);
  // 10 ERC-721 transfers, the marker and the damaged record (parsed, then
  // dead-lettered) reach the processor; the 20 ERC-20 transfers do not.
  EXPECT_EQ(IgnoringProcessor::applied[v1::Envelope::kErc721Transfer], 10);
  EXPECT_EQ(IgnoringProcessor::applied[v1::Envelope::kBlockEnd], 1);
  EXPECT_EQ(IgnoringProcessor::applied[v1::Envelope::kErc20Transfer], 0);
  EXPECT_EQ(log.ReadAll(kDlq).size(), 1u);
  // Every record, skipped ones included, is behind the committed position.
  EXPECT_EQ(runner->GetPositions().at({kIn, PartitionId(0)}).value(), 32);
}

TEST_F(RunnerTest, SeededPositionSkipsEarlierRecords) {
  testing::FakeLog log;
  Fill(log, 20, 1);
  ASSERT_TRUE(ProcessorRunner::SeedPositions((root_ / "s").string(),
                                             {{{kIn, PartitionId(0)}, core::Offset(14)}})
                  .ok());
  auto runner = Open(log, (root_ / "s").string(), 1, 50);
  EXPECT_EQ(runner->GetPositions().at({kIn, PartitionId(0)}).value(), 14);
  Drain(*runner);
  // Only offsets 14..19 are applied; the poison ones of 0..19 (6, 13) are
  // before the seed, so each gives one output.
  EXPECT_EQ(log.ReadAll(kOut).size(), 6u);
}

TEST_F(RunnerTest, AllPartitionsOutputReachesEveryPartitionInOrder) {
  testing::FakeLog log;
  for (int i = 0; i < 5; ++i) log.Append(kIn, 0, "k", Transfer(i));
  ProcessorSpec spec{"broadcast", {kIn}, {kOut},
                     [] { return std::make_unique<BroadcastProcessor>(); }};
  auto runner = OpenOne(log, spec, "b", 2, 3);
  ASSERT_TRUE(runner);
  Drain(*runner);
  for (int p = 0; p < 3; ++p) {
    auto records = log.Read(kOut, p);
    ASSERT_EQ(records.size(), 5u) << "partition " << p;
    for (int i = 0; i < 5; ++i) {
      v1::Envelope env;
      ASSERT_TRUE(env.ParseFromString(records[i].value));
      // The same record everywhere: input order kept, one deterministic id.
      EXPECT_EQ(env.erc721_transfer().token_id(), std::to_string(i));
      EXPECT_EQ(env.id(), fmt::format("t.in/0/{}/0", i));
    }
  }
}

// A co-partitioned task joins two topics by key: one store holds what both
// inputs wrote, and each input keeps its own committed position.
TEST_F(RunnerTest, CoPartitionedTaskSharesOneStoreAcrossInputsAndKeepsEachPosition) {
  constexpr char kOther[] = "t.other";
  testing::FakeLog log;
  for (int i = 0; i < 30; ++i) {
    int token = i % 5;
    log.Append(i % 2 == 0 ? kIn : kOther, token % 2, std::to_string(token), Transfer(token));
  }
  ProcessorSpec spec{"counting", {kIn, kOther}, {kOut},
                     [] { return std::make_unique<CountingProcessor>(); }};
  spec.co_partitioned = true;
  RunnerOptions options;
  options.state_dir = (root_ / "co").string();
  options.batch_size = 4;
  options.routing.partitions = {{kOut, 4}, {kDlq, 1}};
  options.routing.dlq_topic = kDlq;
  std::vector<log::TopicPartition> inputs;
  for (const char* topic : {kIn, kOther}) {
    for (int p = 0; p < 2; ++p) inputs.push_back({topic, PartitionId(p)});
  }
  {
    auto runner = ProcessorRunner::Open(spec, options, inputs, log.NewSource(), log);
    ASSERT_TRUE(runner.has_value()) << runner.error().ToString();
    Drain(*runner.value());
    for (const auto& tp : inputs) {
      EXPECT_EQ(runner.value()->GetPositions().at(tp).value(),
                log.EndOffset(tp.topic, tp.partition.value()))
          << tp.topic << "/" << tp.partition.value();
    }
  }
  // Two stores (one per partition number), not four.
  size_t dirs = 0;
  for (const auto& e : std::filesystem::directory_iterator(root_ / "co")) {
    EXPECT_EQ(e.path().filename().string().rfind("p-", 0), 0u) << e.path();
    ++dirs;
  }
  EXPECT_EQ(dirs, 2u);
  // Each token's 6 transfers, from both topics, were counted in one store.
  auto store = state::Store::Open((root_ / "co" / "p-1").string());
  ASSERT_TRUE(store.has_value());
  auto count = store.value()->Get("c/1");
  ASSERT_TRUE(count.has_value() && count.value().has_value());
  EXPECT_EQ(*count.value(), "6");
  // Reopened, the runner resumes at the committed positions: nothing is redone.
  for (int i = 0; i < 4; ++i) log.Append(kOther, 1, "1", Transfer(1));
  store.value().reset();
  auto again = ProcessorRunner::Open(spec, options, inputs, log.NewSource(), log);
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  auto n = again.value()->RunOnce();
  ASSERT_TRUE(n.has_value()) << n.error().ToString();
  EXPECT_EQ(n.value(), 4u);
}

}  // namespace
}  // namespace chainflow::engine::runtime
