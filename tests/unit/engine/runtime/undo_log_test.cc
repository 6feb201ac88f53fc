// The runtime's undo log through real Tasks and RocksDB: restart between
// batches, discarded batches, poison records inside a block, refused
// reverts, and a property test against the canonical chain's digest.
#include "engine/runtime/undo_log.h"

#include <unistd.h>

#include <filesystem>
#include <map>

#include <gtest/gtest.h>

#include "engine/processors/nft_ownership/nft_ownership.h"
#include "engine/processors/nft_ownership/state_layout.h"
#include "engine/runtime/runner.h"
#include "engine/runtime/state_digest.h"
#include "engine/runtime/task.h"
#include "tests/support/fake_log.h"
#include "tests/support/reorg_history.h"

namespace chainflow::engine::runtime {
namespace {

using core::PartitionId;
namespace nft = processors::nft_ownership;

const std::string kPrefix = "cf";
const std::string kIn = "cf.mainnet.events";
const std::string kOut = "cf.nft.ownership";
const std::string kDlq = "cf.dlq";

std::string Word(uint64_t v, size_t width) {
  std::string out(width, '\0');
  for (size_t i = 0; i < 8 && i < width; ++i) out[width - 1 - i] = static_cast<char>(v >> (8 * i));
  return out;
}

v1::Envelope Transfer(uint64_t block, uint64_t token, uint64_t from, uint64_t to) {
  v1::Envelope env;
  auto* t = env.mutable_erc721_transfer();
  auto* log = t->mutable_log();
  log->set_chain("mainnet");
  log->set_block_number(block);
  log->set_block_timestamp(1000 + block);
  log->set_contract(Word(0xc0ffee, 20));
  t->set_from(Word(from, 20));
  t->set_to(Word(to, 20));
  t->set_token_id(Word(token, 32));
  return env;
}

v1::Envelope Reverted(uint64_t block) {
  v1::Envelope env;
  env.mutable_block_reverted()->set_chain("mainnet");
  env.mutable_block_reverted()->set_number(block);
  return env;
}

v1::Envelope End(uint64_t block, uint64_t finalized) {
  v1::Envelope env;
  auto* m = env.mutable_block_end();
  m->set_chain("mainnet");
  m->set_number(block);
  m->set_finalized(finalized);
  return env;
}

// Writes "k/<token>" = to, and on a burn writes "k/scratch" before failing
// as poison: the runtime must drop both the write and its undo record.
class ScratchProcessor : public Processor {
 public:
  std::string Name() const override { return "scratch"; }
  core::Status Apply(const InputEvent& ev, state::StateView& state, Emitter&) override {
    if (!ev.envelope.has_erc721_transfer()) return core::Status::Ok();
    const auto& t = ev.envelope.erc721_transfer();
    if (t.to() == std::string(20, '\0')) {
      state.Put("k/scratch", "x");
      return core::InvalidArgumentError("burn is poison here");
    }
    state.Put("k/" + t.token_id(), t.to());
    return core::Status::Ok();
  }
};

class UndoLogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("cf_undo_" + std::to_string(::getpid()) + "_" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
    routing_.partitions = {{kOut, 4}, {kDlq, 1}};
    routing_.dlq_topic = kDlq;
    routing_.ce_source = "chainflow/test";
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  std::unique_ptr<Task> OpenTask(const std::string& name, std::unique_ptr<Processor> p) {
    auto task = Task::Open({kIn, PartitionId(0)}, (root_ / name).string(), std::move(p),
                           routing_);
    EXPECT_TRUE(task.has_value()) << task.error().ToString();
    return std::move(task).value();
  }
  std::unique_ptr<Task> OpenNft(const std::string& name) {
    return OpenTask(name, std::make_unique<nft::NftOwnershipProcessor>(kPrefix));
  }

  // Applies `envelopes` as one batch at the task's next offsets.
  core::Result<BatchStats> Apply(Task& task, const std::vector<v1::Envelope>& envelopes) {
    std::vector<log::Record> records;
    int64_t offset = task.next_offset() == log::kOffsetBeginning ? 0 : task.next_offset().value();
    for (const auto& env : envelopes) {
      log::Record r;
      r.topic = kIn;
      r.partition = PartitionId(0);
      r.offset = core::Offset(offset++);
      r.value = env.SerializeAsString();
      records.push_back(std::move(r));
    }
    std::vector<const log::Record*> ptrs;
    for (const auto& r : records) ptrs.push_back(&r);
    return task.Apply(ptrs, sink_);
  }
  void ApplyAndCommit(Task& task, const std::vector<v1::Envelope>& envelopes) {
    auto stats = Apply(task, envelopes);
    ASSERT_TRUE(stats.has_value()) << stats.error().ToString();
    ASSERT_TRUE(task.Commit().ok());
  }

  // Processor keys and values (runtime keys left out).
  static std::map<std::string, std::string> ProcessorState(const Task& task) {
    std::map<std::string, std::string> out;
    EXPECT_TRUE(const_cast<Task&>(task)
                    .store()
                    .Scan("", [&](std::string_view k, std::string_view v) {
                      if (!k.empty() && k[0] != '\0') out.emplace(k, v);
                      return true;
                    })
                    .ok());
    return out;
  }

  std::filesystem::path root_;
  OutputRouting routing_;
  testing::FakeLog sink_;
};

TEST_F(UndoLogTest, RevertAfterRestartRestoresTheCommittedState) {
  std::map<std::string, std::string> after_block_10;
  {
    auto task = OpenNft("t");
    ApplyAndCommit(*task, {Transfer(10, 1, 0, 0xa), Transfer(10, 2, 0, 0xa), End(10, 0)});
    after_block_10 = ProcessorState(*task);
    // Block 11 spans two batches: undo records of both must survive.
    ApplyAndCommit(*task, {Transfer(11, 1, 0xa, 0xb), Transfer(11, 3, 0, 0xb)});
    ApplyAndCommit(*task, {Transfer(11, 1, 0xb, 0xc), Transfer(11, 2, 0xa, 0xc), End(11, 0)});
    EXPECT_EQ(task->undo().blocks("mainnet"), (std::vector<uint64_t>{10, 11}));
  }  // "crash": the task and its store are gone, only RocksDB remains
  auto task = OpenNft("t");
  EXPECT_EQ(task->undo().blocks("mainnet"), (std::vector<uint64_t>{10, 11}));
  EXPECT_EQ(task->undo().size(), 5u);  // block 10: tokens 1, 2; block 11: tokens 1, 3, 2
  auto stats = Apply(*task, {Reverted(11)});
  ASSERT_TRUE(stats.has_value()) << stats.error().ToString();
  EXPECT_EQ(stats.value().retractions, 3u);
  ASSERT_TRUE(task->Commit().ok());
  auto expected = after_block_10;
  expected[nft::HeadKey("mainnet")] = nft::EncodeBlockNumber(10);
  EXPECT_EQ(ProcessorState(*task), expected);
  EXPECT_EQ(task->undo().blocks("mainnet"), (std::vector<uint64_t>{10}));

  // And the removal of block 11's records is durable too.
  task.reset();
  task = OpenNft("t");
  EXPECT_EQ(task->undo().blocks("mainnet"), (std::vector<uint64_t>{10}));
  EXPECT_EQ(task->undo().size(), 2u);
}

TEST_F(UndoLogTest, DiscardedBatchForgetsItsUndoRecords) {
  auto task = OpenNft("t");
  ApplyAndCommit(*task, {Transfer(10, 1, 0, 0xa), End(10, 0)});
  auto committed = ProcessorState(*task);
  ASSERT_TRUE(Apply(*task, {Transfer(11, 1, 0xa, 0xb)}).has_value());
  EXPECT_EQ(task->undo().blocks("mainnet"), (std::vector<uint64_t>{10, 11}));
  task->Discard();  // e.g. the producer flush failed: the batch is redone
  ApplyAndCommit(*task, {Transfer(11, 2, 0, 0xb)});
  ApplyAndCommit(*task, {Reverted(11)});
  auto expected = committed;
  EXPECT_EQ(ProcessorState(*task), expected);  // token 2 gone, token 1 untouched
  EXPECT_EQ(task->undo().blocks("mainnet"), (std::vector<uint64_t>{10}));
}

TEST_F(UndoLogTest, PoisonRecordInABlockKeepsNoUndoRecord) {
  auto task = OpenTask("t", std::make_unique<ScratchProcessor>());
  auto stats = Apply(*task, {Transfer(11, 1, 0, 0xa), Transfer(11, 2, 0xa, 0), End(11, 0)});
  ASSERT_TRUE(stats.has_value());
  EXPECT_EQ(stats.value().dead_lettered, 1u);
  ASSERT_TRUE(task->Commit().ok());
  EXPECT_EQ(task->undo().size(), 1u) << "the poison record's write of k/scratch left a record";
  task.reset();
  task = OpenTask("t", std::make_unique<ScratchProcessor>());
  EXPECT_EQ(task->undo().size(), 1u);
  ApplyAndCommit(*task, {Reverted(11)});
  EXPECT_TRUE(ProcessorState(*task).empty());
  EXPECT_EQ(task->undo().size(), 0u);
}

TEST_F(UndoLogTest, RevertAtOrBelowFinalizedFailsTheTaskAndPrunes) {
  auto task = OpenNft("t");
  ApplyAndCommit(*task, {Transfer(10, 1, 0, 0xa), End(10, 0), Transfer(11, 1, 0xa, 0xb),
                         End(11, 0), Transfer(12, 1, 0xb, 0xc), End(12, 11)});
  EXPECT_EQ(task->undo().blocks("mainnet"), (std::vector<uint64_t>{12}));
  EXPECT_EQ(task->undo().finalized("mainnet"), 11u);
  auto stats = Apply(*task, {Reverted(12), Reverted(11)});
  ASSERT_FALSE(stats.has_value());
  EXPECT_EQ(stats.error().code(), core::StatusCode::kDataLoss) << stats.error().ToString();
  task->Discard();
  // Finality survives a restart.
  task.reset();
  task = OpenNft("t");
  EXPECT_EQ(task->undo().finalized("mainnet"), 11u);
  EXPECT_FALSE(Apply(*task, {Reverted(11)}).has_value());
}

TEST_F(UndoLogTest, WindowBoundsRecordsWithoutFinality) {
  auto task = Task::Open({kIn, PartitionId(0)}, (root_ / "t").string(),
                         std::make_unique<nft::NftOwnershipProcessor>(kPrefix), routing_,
                         UndoOptions{.max_unfinalized_blocks = 3});
  ASSERT_TRUE(task.has_value());
  std::vector<v1::Envelope> history;
  for (uint64_t b = 1; b <= 10; ++b) {
    history.push_back(Transfer(b, 1, b - 1, b));
    history.push_back(End(b, 0));
  }
  ApplyAndCommit(*task.value(), history);
  EXPECT_EQ(task.value()->undo().blocks("mainnet"), (std::vector<uint64_t>{8, 9, 10}));
  EXPECT_EQ(task.value()->undo().finalized("mainnet"), 7u);
}

// Random histories with reorgs give the processor state of the canonical
// branch alone, for any partition count and batch size.
class UndoPropertyTest : public UndoLogTest,
                         public ::testing::WithParamInterface<std::tuple<uint32_t, int>> {};

std::string RunHistory(const std::vector<v1::Envelope>& envelopes, int partitions,
                       size_t batch_size, const std::string& dir, size_t* retractions) {
  testing::FakeLog log;
  for (const auto& env : envelopes) {
    std::string key = testing::EventKey(env);
    std::string value = env.SerializeAsString();
    if (key.empty()) {
      for (int p = 0; p < partitions; ++p) log.Append(kIn, p, "marker", value);
    } else {
      log.Append(kIn, static_cast<int32_t>(std::hash<std::string>{}(key) % partitions), key,
                 value);
    }
  }
  RunnerOptions options;
  options.state_dir = dir;
  options.batch_size = batch_size;
  options.routing.partitions = {{kOut, 3}, {kDlq, 1}};
  options.routing.dlq_topic = kDlq;
  std::vector<log::TopicPartition> inputs;
  for (int p = 0; p < partitions; ++p) inputs.push_back({kIn, PartitionId(p)});
  {
    auto runner = ProcessorRunner::Open(nft::MakeSpec(kPrefix, {"mainnet"}), options, inputs,
                                        log.NewSource(), log);
    EXPECT_TRUE(runner.has_value()) << runner.error().ToString();
    if (!runner) return "";
    for (;;) {
      auto n = runner.value()->RunOnce();
      EXPECT_TRUE(n.has_value()) << n.error().ToString();
      if (!n || n.value() == 0) break;
    }
  }
  EXPECT_TRUE(log.ReadAll(kDlq).empty());
  *retractions = 0;
  for (const auto& r : log.ReadAll(kOut)) {
    v1::Envelope env;
    EXPECT_TRUE(env.ParseFromString(r.value));
    if ((env.has_owner_changed() && env.owner_changed().retracted()) ||
        (env.has_erc1155_balance_changed() && env.erc1155_balance_changed().retracted())) {
      ++*retractions;
    }
  }
  auto digest = StateDigest(dir);
  EXPECT_TRUE(digest.has_value());
  return digest ? digest.value() : "";
}

TEST_P(UndoPropertyTest, RevertsGiveTheCanonicalDigest) {
  auto [seed, partitions] = GetParam();
  testing::ReorgHistory h = testing::MakeReorgHistory(seed, 120, 12);
  ASSERT_GT(h.reverted_blocks, 10);
  size_t retractions = 0;
  std::string canonical = RunHistory(h.canonical, 1, 1000, (root_ / "c").string(), &retractions);
  EXPECT_EQ(retractions, 0u);
  for (size_t batch : {size_t{1}, size_t{13}, size_t{1000}}) {
    std::string dir = (root_ / ("r" + std::to_string(batch))).string();
    std::string digest = RunHistory(h.with_reorgs, partitions, batch, dir, &retractions);
    EXPECT_EQ(digest, canonical) << "partitions " << partitions << " batch " << batch;
    EXPECT_GT(retractions, 0u);
  }
}

INSTANTIATE_TEST_SUITE_P(Seeds, UndoPropertyTest,
                         ::testing::Combine(::testing::Values(1u, 2u, 3u, 4u),
                                            ::testing::Values(1, 3)));

}  // namespace
}  // namespace chainflow::engine::runtime
