// Runs every tests/golden/<processor>/*.golden file (format: README.md).
// CHAINFLOW_GOLDEN_UPDATE=1 rewrites the expected sections from the actual
// results instead of comparing (review the diff before committing).

#include <algorithm>
#include <deque>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "engine/core/metrics.h"
#include "engine/log/record.h"
#include "engine/processors/nft_ownership/nft_ownership.h"
#include "engine/processors/token_balances/balances.h"
#include "engine/processors/token_balances/splitter.h"
#include "engine/runtime/processor.h"
#include "engine/runtime/undo_log.h"
#include "engine/state/state_view.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"
#include "tests/golden/epochs_codec.h"
#include "tests/golden/golden_file.h"
#include "tests/golden/intents_codec.h"
#include "tests/golden/nft_ownership_codec.h"
#include "tests/golden/token_balances_codec.h"
#include "tests/support/map_state.h"

namespace chainflow::tests::golden {
namespace {

namespace fs = std::filesystem;
constexpr char kTopicPrefix[] = "cf";

using FakeState = tests::MapState;

class VectorEmitter : public engine::runtime::Emitter {
 public:
  void Emit(engine::runtime::OutputEvent event) override { events.push_back(std::move(event)); }
  std::vector<engine::runtime::OutputEvent> events;
};

std::vector<std::string> GoldenFiles() {
  std::vector<std::string> files;
  fs::path root = fs::path(CHAINFLOW_SOURCE_DIR) / "tests" / "golden";
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    if (entry.is_regular_file() && entry.path().extension() == ".golden") {
      files.push_back(entry.path().string());
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// "nft_ownership/erc721_mint.golden" -> "nft_ownership_erc721_mint".
std::string TestName(const std::string& path) {
  fs::path p(path);
  std::string name = p.parent_path().filename().string() + "_" + p.stem().string();
  for (char& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

// Non-zero samples of the registry, in its (sorted) rendering order.
std::vector<std::string> MetricLines(const core::MetricsRegistry& metrics) {
  std::vector<std::string> lines;
  std::string text = metrics.RenderText();
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    std::string line = text.substr(start, end - start);
    start = end == std::string::npos ? text.size() : end + 1;
    if (line.empty() || line[0] == '#') continue;
    if (line.size() >= 2 && line.compare(line.size() - 2, 2, " 0") == 0) continue;
    lines.push_back(line);
  }
  return lines;
}

// Runs the nft_ownership processor over the file's inputs through the
// runtime's undo log (runtime::ApplyWithUndo, as a Task does). Each record
// is applied to a copy of the state, kept only on success, as the runtime's
// savepoint rollback does for poison records; undo records are flushed into
// the state after every record, so the state section shows them.
std::map<std::string, std::vector<std::string>> RunNftOwnership(const GoldenFile& file) {
  core::MetricsRegistry metrics;
  engine::processors::nft_ownership::NftOwnershipProcessor processor(kTopicPrefix, metrics);
  FakeState state;
  engine::runtime::UndoLog undo(engine::processors::nft_ownership::NftOwnershipProcessor::kName);
  std::map<std::string, std::vector<std::string>> actual;
  std::vector<std::string>& output = actual["output"];
  int64_t offset = 0;
  for (const GoldenFile::Line& line : file.inputs) {
    auto inputs = ParseNftInput(line.text);
    if (!inputs) {
      ADD_FAILURE() << "line " << line.number << ": " << inputs.error().ToString();
      continue;
    }
    for (const GoldenInput& input : inputs.value()) {
      engine::log::Record record;
      record.topic = engine::wire::ChainEventsTopic(kTopicPrefix, input.chain);
      record.offset = core::Offset(offset);
      record.value = input.envelope.SerializeAsString();
      FakeState attempt = state;
      VectorEmitter emitter;
      size_t retractions = 0;
      core::Status status = engine::runtime::ApplyWithUndo({record, input.envelope}, attempt,
                                                           processor, undo, emitter, retractions);
      undo.EndRecord(status.ok());
      if (status.ok()) {
        undo.Flush(attempt);
        state = std::move(attempt);
        for (const auto& event : emitter.events) {
          output.push_back(RenderNftOutput(event, kTopicPrefix));
        }
      } else {
        output.push_back(fmt::format("error offset={} {}", offset, status.ToString()));
      }
      ++offset;
    }
  }
  actual["state"] = RenderNftState(state.entries);
  actual["metrics"] = MetricLines(metrics);
  return actual;
}

// Runs the two token processors as one pipeline over the file's inputs:
// each chain event goes to the splitter (through the runtime's undo log, as
// a Task applies it, so `block_reverted` lines retract), each of its outputs
// (in order) to the balances processor, as partition 0 of each would see
// them. Both stages' outputs are listed, in emission order. A failed record
// keeps no state and no outputs (the runtime's savepoint rollback); a delta
// the balances processor refuses shows as an error in its place.
std::map<std::string, std::vector<std::string>> RunTokenBalances(const GoldenFile& file) {
  namespace tb = engine::processors::token_balances;
  core::MetricsRegistry metrics;
  tb::TokenSplitterProcessor splitter(kTopicPrefix);
  tb::TokenBalancesProcessor balances(kTopicPrefix, metrics);
  engine::runtime::UndoLog undo(tb::TokenSplitterProcessor::kName);
  FakeState state;
  FakeState splitter_state;
  std::map<std::string, std::vector<std::string>> actual;
  std::vector<std::string>& output = actual["output"];
  int64_t offset = 0;
  // Applies one record to the balances processor.
  auto apply_balances = [&](const v1::Envelope& envelope, const std::string& key, int64_t at) {
    engine::log::Record record;
    record.topic = engine::wire::TokenDeltasTopic(kTopicPrefix);
    record.offset = core::Offset(at);
    record.key = key;
    record.value = envelope.SerializeAsString();
    FakeState attempt = state;
    VectorEmitter emitter;
    core::Status status = balances.Apply({record, envelope}, attempt, emitter);
    if (!status.ok()) {
      output.push_back(fmt::format("error stage=balances {}", status.ToString()));
      return;
    }
    state = std::move(attempt);
    for (const auto& event : emitter.events) {
      output.push_back(RenderTokenOutput(event, kTopicPrefix));
    }
  };
  for (const GoldenFile::Line& line : file.inputs) {
    auto inputs = ParseTokenInput(line.text);
    if (!inputs) {
      ADD_FAILURE() << "line " << line.number << ": " << inputs.error().ToString();
      continue;
    }
    for (const TokenGoldenInput& input : inputs.value()) {
      if (input.deltas_stage) {
        apply_balances(input.envelope, "", offset++);
        continue;
      }
      engine::log::Record record;
      record.topic = engine::wire::ChainEventsTopic(kTopicPrefix, "mainnet");
      record.offset = core::Offset(offset);
      record.value = input.envelope.SerializeAsString();
      FakeState splitter_attempt = splitter_state;
      VectorEmitter emitter;
      size_t retractions = 0;
      core::Status status = engine::runtime::ApplyWithUndo(
          {record, input.envelope}, splitter_attempt, splitter, undo, emitter, retractions);
      undo.EndRecord(status.ok());
      if (status.ok()) {
        undo.Flush(splitter_attempt);
        splitter_state = std::move(splitter_attempt);
      } else {
        output.push_back(fmt::format("error offset={} {}", offset, status.ToString()));
      }
      for (const auto& event : status.ok() ? emitter.events
                                           : std::vector<engine::runtime::OutputEvent>{}) {
        output.push_back(RenderTokenOutput(event, kTopicPrefix));
        v1::Envelope forwarded = event.envelope;
        forwarded.set_id(fmt::format("{}/0/{}/x", record.topic, offset));
        apply_balances(forwarded, event.key, offset);
      }
      ++offset;
    }
  }
  actual["state"] = RenderTokenState(state.entries);
  for (std::string& line : RenderSplitterState(splitter_state.entries)) {
    actual["state"].push_back(std::move(line));
  }
  actual["metrics"] = MetricLines(metrics);
  return actual;
}

// Runs one task of the intents processor over the file's inputs (deltas and
// user events lines, in file order, as the task would read its two input
// partitions interleaved), through the runtime's undo log. An `options` line
// first sets the processor's options. A failed record keeps nothing.
std::map<std::string, std::vector<std::string>> RunIntents(const GoldenFile& file) {
  namespace intents = engine::processors::intents;
  core::MetricsRegistry metrics;
  intents::IntentsOptions options = DefaultIntentsOptions();
  std::unique_ptr<intents::IntentsProcessor> processor;
  // As the runtime runs it (MakeIntentsSpec: per_block_undo = false).
  engine::runtime::UndoLog undo(intents::IntentsProcessor::kName,
                                engine::runtime::UndoOptions{.enabled = false});
  FakeState state;
  std::map<std::string, std::vector<std::string>> actual;
  std::vector<std::string>& output = actual["output"];
  std::map<std::string, int64_t> offsets;  // per input topic
  for (const GoldenFile::Line& line : file.inputs) {
    auto parsed = ParseIntentsInput(line.text, options);
    if (!parsed) {
      ADD_FAILURE() << "line " << line.number << ": " << parsed.error().ToString();
      continue;
    }
    if (parsed.value().is_options) {
      if (processor) ADD_FAILURE() << "line " << line.number << ": options after inputs";
      options = parsed.value().options;
      continue;
    }
    if (!processor) processor = std::make_unique<intents::IntentsProcessor>(options, metrics);
    // The task's own outputs to the deltas topic (settlement deltas and
    // marks) are its input too: with one partition they come back to it,
    // after the record that made them, before the next line.
    std::deque<IntentsGoldenInput> pending = {parsed.value().input};
    while (!pending.empty()) {
      IntentsGoldenInput input = std::move(pending.front());
      pending.pop_front();
      engine::log::Record record;
      record.topic = input.topic;
      record.key = input.key;
      record.offset = core::Offset(offsets[input.topic]++);
      record.value = input.envelope.SerializeAsString();
      FakeState attempt = state;
      VectorEmitter emitter;
      size_t retractions = 0;
      core::Status status = engine::runtime::ApplyWithUndo(
          {record, input.envelope}, attempt, *processor, undo, emitter, retractions);
      undo.EndRecord(status.ok());
      if (!status.ok()) {
        output.push_back(fmt::format("error {}@{} {}", input.topic, record.offset.value(),
                                     status.ToString()));
        continue;
      }
      undo.Flush(attempt);
      state = std::move(attempt);
      for (auto& event : emitter.events) {
        output.push_back(RenderIntentsOutput(event));
        if (event.topic != "cf.token.deltas") continue;
        event.envelope.set_id(event.id);
        pending.push_back({event.topic, event.key, std::move(event.envelope)});
      }
    }
  }
  actual["state"] = RenderIntentsState(state.entries);
  actual["metrics"] = MetricLines(metrics);
  return actual;
}

// Runs one task of the epochs processor over the file's inputs (records of
// the settlement parts topic, in file order). An `options` line first sets
// the processor's options. A failed record keeps nothing.
std::map<std::string, std::vector<std::string>> RunEpochs(const GoldenFile& file) {
  namespace epochs = engine::processors::epochs;
  epochs::EpochsOptions options = DefaultEpochsOptions();
  std::unique_ptr<epochs::EpochsProcessor> processor;
  FakeState state;
  std::map<std::string, std::vector<std::string>> actual;
  std::vector<std::string>& output = actual["output"];
  int64_t offset = 0;
  for (const GoldenFile::Line& line : file.inputs) {
    auto parsed = ParseEpochsInput(line.text);
    if (!parsed) {
      ADD_FAILURE() << "line " << line.number << ": " << parsed.error().ToString();
      continue;
    }
    if (parsed.value().is_options) {
      if (processor) ADD_FAILURE() << "line " << line.number << ": options after inputs";
      options = parsed.value().options;
      continue;
    }
    if (!processor) processor = std::make_unique<epochs::EpochsProcessor>(options);
    engine::log::Record record;
    record.topic = "cf.settlement.parts";
    record.offset = core::Offset(offset++);
    record.value = parsed.value().envelope.SerializeAsString();
    FakeState attempt = state;
    VectorEmitter emitter;
    core::Status status = processor->Apply({record, parsed.value().envelope}, attempt, emitter);
    if (!status.ok()) {
      output.push_back(fmt::format("error offset={} {}", record.offset.value(), status.ToString()));
      continue;
    }
    state = std::move(attempt);
    for (const auto& event : emitter.events) output.push_back(RenderEpochsOutput(event));
  }
  actual["state"] = RenderEpochsState(state.entries);
  return actual;
}

class GoldenTest : public ::testing::TestWithParam<std::string> {};

TEST_P(GoldenTest, Matches) {
  const std::string& path = GetParam();
  auto file = ReadGoldenFile(path);
  ASSERT_TRUE(file.has_value()) << file.error().ToString();
  std::string processor = fs::path(path).parent_path().filename().string();
  std::map<std::string, std::vector<std::string>> actual;
  if (processor == "nft_ownership") {
    actual = RunNftOwnership(file.value());
  } else if (processor == "token_balances") {
    actual = RunTokenBalances(file.value());
  } else if (processor == "intents") {
    actual = RunIntents(file.value());
  } else if (processor == "epochs") {
    actual = RunEpochs(file.value());
  } else {
    FAIL() << "no golden runner for processor " << processor;
  }

  const char* update = std::getenv("CHAINFLOW_GOLDEN_UPDATE");
  if (update != nullptr && std::string(update) == "1") {
    ASSERT_FALSE(HasFailure()) << "not rewriting " << path << ": fix its inputs first";
    std::ofstream(path, std::ios::trunc) << FormatGoldenFile(file.value(), actual);
    GTEST_SKIP() << "rewrote " << path;
  }
  for (const std::string& section : ExpectedSections()) {
    std::string diff = LineDiff(file.value().expected[section], actual[section]);
    EXPECT_TRUE(diff.empty()) << path << ": section " << section
                              << " differs (- expected, + actual):\n"
                              << diff << "(CHAINFLOW_GOLDEN_UPDATE=1 rewrites expectations)";
  }
}

INSTANTIATE_TEST_SUITE_P(Files, GoldenTest, ::testing::ValuesIn(GoldenFiles()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return TestName(info.param);
                         });

}  // namespace
}  // namespace chainflow::tests::golden
