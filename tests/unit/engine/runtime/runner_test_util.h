#pragma once

// What the runner tests share: topic names, ERC-721 transfer records and a
// scratch directory per test.
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <set>
#include <string>

#include <gtest/gtest.h>

#include "chainflow/v1/events.pb.h"
#include "engine/runtime/processor.h"
#include "engine/runtime/runner.h"
#include "engine/state/state_view.h"
#include "tests/support/fake_log.h"

namespace chainflow::engine::runtime::test {

inline constexpr char kIn[] = "t.in";
inline constexpr char kOut[] = "t.out";
inline constexpr char kDlq[] = "t.dlq";
inline constexpr char kChangelog[] = "t.counting.changelog.in";
inline constexpr char kGroup[] = "g.counting";

// An ERC-721 transfer envelope of `token`: a mint, or a burn when `burn`.
inline std::string Transfer(int token, bool burn = false) {
  v1::Envelope env;
  auto* t = env.mutable_erc721_transfer();
  t->set_token_id(std::to_string(token));
  t->set_from(std::string(20, '\0'));
  t->set_to(burn ? std::string(20, '\0') : std::string(20, '\x11'));
  return env.SerializeAsString();
}

// Emits `t` again on kOut, keyed by its token id (type "test.Count").
inline void EmitCount(const v1::Erc721Transfer& t, Emitter& out) {
  OutputEvent o;
  o.topic = kOut;
  o.key = t.token_id();
  *o.envelope.mutable_erc721_transfer() = t;
  o.ce_type = "test.Count";
  out.Emit(std::move(o));
}

// Running count per token id, emitted on every transfer; a key deleted
// every third count exercises changelog tombstones.
class CountingProcessor : public Processor {
 public:
  std::string Name() const override { return "counting"; }
  core::Status Apply(const InputEvent& ev, state::StateView& state, Emitter& out) override {
    if (!ev.envelope.has_erc721_transfer()) return core::InvalidArgumentError("not a transfer");
    const auto& t = ev.envelope.erc721_transfer();
    std::string key = "c/" + t.token_id();
    ASSIGN_OR_RETURN(auto old, state.Get(key));
    int n = old ? std::stoi(*old) + 1 : 1;
    state.Put(key, std::to_string(n));
    if (n % 3 == 0) {
      state.Delete(key + "/odd");
    } else {
      state.Put(key + "/odd", "1");
    }
    EmitCount(t, out);
    return core::Status::Ok();
  }
};

// Exactly-once runner options over `log`: state under `dir`, kIn logged to
// kChangelog, offsets for kGroup, restores read from `log`.
inline RunnerOptions EosOptions(testing::FakeLog& log, const std::filesystem::path& dir,
                                size_t batch) {
  RunnerOptions options;
  options.state_dir = dir.string();
  options.batch_size = batch;
  options.routing.partitions = {{kOut, 4}, {kDlq, 1}};
  options.routing.dlq_topic = kDlq;
  options.changelog_topics = {{kIn, kChangelog}};
  options.group_id = kGroup;
  options.read_changelog = [&log](const auto& from, const auto& fn, std::stop_token) {
    return log.ReadToEnd(from, fn);
  };
  return options;
}

// Runs cycles until one applies nothing (every cycle must succeed).
inline void Drain(ProcessorRunner& runner) {
  for (;;) {
    auto n = runner.RunOnce();
    ASSERT_TRUE(n.has_value()) << n.error().ToString();
    if (n.value() == 0) return;
  }
}

// Every output id on kOut once, and as many outputs as `inputs`.
inline void ExpectEachOutputOnce(const testing::FakeLog& log, size_t inputs) {
  std::set<std::string> ids;
  auto out = log.ReadAll(kOut);
  for (const auto& r : out) {
    v1::Envelope env;
    ASSERT_TRUE(env.ParseFromString(r.value));
    EXPECT_TRUE(ids.insert(env.id()).second) << "output " << env.id() << " appended twice";
  }
  EXPECT_EQ(out.size(), inputs);
}

// Appends transfers `from` .. `from + n - 1` of 23 tokens to kIn, each
// token on partition token % `partitions`.
inline void FillTransfers(testing::FakeLog& log, int from, int n, int partitions) {
  for (int i = from; i < from + n; ++i) {
    const int token = i % 23;
    log.Append(kIn, token % partitions, std::to_string(token), Transfer(token));
  }
}

// A consumer-group member in a test: its source (the test plays the group
// through it), producer and runner.
struct GroupMember {
  testing::FakeGroupSource* source = nullptr;  // owned by the runner
  std::unique_ptr<testing::FakeTransactionalSink> sink;
  std::unique_ptr<ProcessorRunner> runner;
};

// A fixture with an empty directory `root_` of its own, removed afterwards.
class ScratchDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("cf_runner_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->test_suite_name() + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::filesystem::path root_;
};

}  // namespace chainflow::engine::runtime::test
