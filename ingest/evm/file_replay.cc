#include "ingest/evm/file_replay.h"

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include <fmt/format.h>

#include "engine/abi/contract_record.h"
#include "engine/core/logging.h"
#include "engine/log/cloud_events.h"
#include "engine/log/record.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"
#include "ingest/evm/history_file.h"

namespace chainflow::ingest::evm {
namespace {

using Clock = std::chrono::steady_clock;

// The records ingest writes to a contract's topic name the processor that
// otherwise sends them: one source for the topic, whoever wrote the record.
constexpr std::string_view kContractEventsSource = "chainflow/contract_events";

// The state of one replay: the open block and the bad lines waiting for a
// decision (see "Dead letters" in ingest/README.md).
class Replayer {
 public:
  Replayer(LogDecoder& decoder, common::ChainAppender& appender, HistoryFile& file,
           const ProgressCallback& progress, const DirectContractMap& direct,
           std::string_view topic_prefix)
      : decoder_(decoder),
        appender_(appender),
        file_(file),
        progress_(progress),
        direct_(direct),
        topic_prefix_(topic_prefix) {}

  core::Result<ReplaySummary> Run() {
    Clock::time_point start = Clock::now();
    last_progress_ = start;
    while (true) {
      ASSIGN_OR_RETURN(std::optional<HistoryLine> line, file_.Next());
      if (!line) break;
      ++summary_.lines;
      RETURN_IF_ERROR(Line(*line));
      if (summary_.lines % 1024 == 0) Progress(false);
    }
    if (block_has_events_) {
      RETURN_IF_ERROR(ResolvePending(appender_.IsBlockEndNew(block_.number)));
      RETURN_IF_ERROR(FinishBlock());
    }
    // Bad lines after the last record: dead-letter them if this run appended
    // anything or the file has no record at all.
    bool appended_any = appender_.appended() + appender_.markers_appended() > appended_before_;
    RETURN_IF_ERROR(ResolvePending(appended_any || !any_record_));
    RETURN_IF_ERROR(appender_.Flush());
    summary_.events_appended = appender_.appended() - events_before_;
    summary_.events_skipped = appender_.skipped() - skipped_before_;
    summary_.markers_appended = appender_.markers_appended() - markers_before_;
    summary_.seconds = std::chrono::duration<double>(Clock::now() - start).count();
    Progress(true);
    return summary_;
  }

 private:
  core::Status Line(const HistoryLine& line) {
    if (line.text.find_first_not_of(" \t\r") == std::string_view::npos) return core::Status::Ok();
    core::Status status = decoder_.Decode(line.text, &result_);
    if (!status.ok()) return Reject(line, status.message());
    const DecodedLog& log = result_.log;
    common::Position position{0, log.block_number, log.log_index, 0};
    if (last_ && position <= *last_) {
      return Reject(line, fmt::format("out of chain order: block {} log {} after block {} log {}",
                                      log.block_number, log.log_index, last_->block,
                                      last_->log_index));
    }
    last_ = position;
    summary_.kinds.Add(result_.kind);
    if (log.block_number != block_.number || !in_block_) {
      if (block_has_events_) {
        RETURN_IF_ERROR(ResolvePending(appender_.IsBlockEndNew(block_.number)));
        RETURN_IF_ERROR(FinishBlock());
      }
      in_block_ = true;
      block_ = common::BlockInfo{};
      block_.number = log.block_number;
      block_.hash = log.block_hash;
      block_.timestamp = static_cast<int64_t>(log.block_timestamp);
      // A history file is final: every block is finalized as it ends, so
      // processors keep no undo records for it.
      block_.finalized = log.block_number;
    }
    if (block_.hash.empty()) block_.hash = log.block_hash;
    if (block_.timestamp == 0) block_.timestamp = static_cast<int64_t>(log.block_timestamp);
    if (result_.events.empty()) return core::Status::Ok();
    block_has_events_ = true;
    bool fresh = false;
    for (auto& event : result_.events) {
      if (v1::LogRef* ref = common::MutableLogRef(&event.envelope)) ref->set_finalized(true);
      const DirectContract* direct = DirectOf(event);
      fresh = fresh || (direct != nullptr ? appender_.IsNewOnLane(direct->lane, event.position)
                                          : appender_.IsNew(event));
    }
    RETURN_IF_ERROR(ResolvePending(fresh));
    for (const auto& event : result_.events) {
      if (const DirectContract* direct = DirectOf(event)) {
        RETURN_IF_ERROR(AppendDirect(*direct, event));
        continue;
      }
      ASSIGN_OR_RETURN(bool sent, appender_.Append(event));
      (void)sent;
    }
    return core::Status::Ok();
  }

  // The direct lane of `event`'s contract, or nullptr (the chain topic).
  const DirectContract* DirectOf(const common::ChainEvent& event) const {
    if (direct_.empty() || !event.envelope.has_contract_event()) return nullptr;
    auto it = direct_.find(event.envelope.contract_event().contract());
    return it == direct_.end() ? nullptr : &it->second;
  }

  // What a lane's records are written with, kept from one event to the next
  // (a replay writes millions): only what changes is written again, over
  // the last record's strings.
  struct LaneRecord {
    explicit LaneRecord(std::string_view topic_prefix, const engine::abi::CatalogContract& c)
        : writer(topic_prefix, c) {}
    engine::abi::ContractRecordWriter writer;
    engine::abi::ContractRecord made;
    engine::log::OutRecord record;
    int64_t time = 0;  // of the ce_time header, when it is set
  };

  LaneRecord& LaneRecordOf(const DirectContract& direct) {
    if (lane_records_.size() <= direct.lane) lane_records_.resize(direct.lane + 1);
    std::unique_ptr<LaneRecord>& lane = lane_records_[direct.lane];
    if (!lane) lane = std::make_unique<LaneRecord>(topic_prefix_, *direct.contract);
    return *lane;
  }

  // `event` as its contract's topic carries it, sent to the contract's lane.
  core::Status AppendDirect(const DirectContract& direct, const common::ChainEvent& event) {
    LaneRecord& lane = LaneRecordOf(direct);
    engine::log::OutRecord& record = lane.record;
    if (!appender_.IsNewOnLane(direct.lane, event.position)) {
      // Advances the chain-order check and counts the skip.
      ASSIGN_OR_RETURN(bool sent, appender_.AppendToLane(direct.lane, event.position, &record));
      (void)sent;
      return core::Status::Ok();
    }
    engine::abi::ContractRecord& made = lane.made;
    RETURN_IF_ERROR(lane.writer.Write(event.envelope.contract_event(), &made));
    using engine::log::CloudEventHeader;
    if (record.headers.empty()) {
      engine::log::CloudEvent ce{{}, std::string(kContractEventsSource), {}, made.event_time};
      if (made.json) ce.content_type = "application/json";
      record.headers = engine::log::CloudEventHeaders(std::move(ce));
      lane.time = made.event_time;
    }
    if (made.event_time != lane.time) {
      record.headers[CloudEventHeader::kCeTime].value = engine::log::FormatRfc3339(made.event_time);
      lane.time = made.event_time;
    }
    record.headers[CloudEventHeader::kCeId].value = made.id;
    record.headers[CloudEventHeader::kCeType].value = made.ce_type;
    record.key = made.key;
    record.value.swap(made.value);
    record.timestamp_ms = made.event_time * 1000;
    ASSIGN_OR_RETURN(bool sent, appender_.AppendToLane(direct.lane, event.position, &record));
    (void)sent;
    return core::Status::Ok();
  }

  core::Status FinishBlock() {
    ASSIGN_OR_RETURN(int sent, appender_.EndBlock(block_));
    (void)sent;
    ++summary_.blocks;
    block_has_events_ = false;
    return core::Status::Ok();
  }

  core::Status Reject(const HistoryLine& line, const std::string& reason) {
    ++summary_.rejected;
    common::DeadLetterRecord dead;
    dead.reason = reason;
    dead.raw = std::string(line.text);
    dead.source_file = file_.path();
    dead.line = line.number;
    core::Logger("ingest.evm")->debug("{}:{}: rejected: {}", file_.path(), line.number, reason);
    pending_.push_back(std::move(dead));
    return core::Status::Ok();
  }

  // Decides the pending bad lines by the record that follows them: sent when
  // that record is new (this run is past the earlier runs' end), dropped when
  // it is already present (an earlier run dead-lettered them).
  core::Status ResolvePending(bool fresh) {
    any_record_ = true;
    if (fresh) {
      for (const auto& dead : pending_) {
        RETURN_IF_ERROR(appender_.DeadLetter(dead));
        ++summary_.dead_lettered;
      }
    }
    pending_.clear();
    return core::Status::Ok();
  }

  void Progress(bool done) {
    if (!progress_) return;
    Clock::time_point now = Clock::now();
    if (!done && summary_.lines % 100'000 != 0 &&
        now - last_progress_ < std::chrono::milliseconds(250)) {
      return;
    }
    last_progress_ = now;
    progress_(ReplayProgress{file_.bytes_read(), file_.size(),
                             appender_.appended() - events_before_ + appender_.skipped() -
                                 skipped_before_});
  }

  LogDecoder& decoder_;
  common::ChainAppender& appender_;
  HistoryFile& file_;
  const ProgressCallback& progress_;
  const DirectContractMap& direct_;
  std::string_view topic_prefix_;
  ReplaySummary summary_;
  DecodeResult result_;
  std::optional<common::Position> last_;
  common::BlockInfo block_;
  bool in_block_ = false;
  bool block_has_events_ = false;
  bool any_record_ = false;
  std::vector<common::DeadLetterRecord> pending_;
  std::vector<std::unique_ptr<LaneRecord>> lane_records_;  // by lane
  Clock::time_point last_progress_;
  const uint64_t events_before_ = appender_.appended();
  const uint64_t skipped_before_ = appender_.skipped();
  const uint64_t markers_before_ = appender_.markers_appended();
  const uint64_t appended_before_ = appender_.appended() + appender_.markers_appended();
};

}  // namespace

std::vector<const engine::abi::CatalogContract*> DirectContracts(
    const engine::abi::Catalog& catalog, std::string_view chain) {
  std::vector<const engine::abi::CatalogContract*> direct;
  for (const engine::abi::CatalogContract* c : catalog.OfChain(chain)) {
    if (c->config->factory) continue;
    bool is_factory = false;
    for (const engine::abi::CatalogContract& other : catalog.contracts()) {
      const auto& factory = other.config->factory;
      is_factory = is_factory || (factory && factory->contract == c->name());
    }
    if (!is_factory) direct.push_back(c);
  }
  return direct;
}

core::Result<ReplaySummary> ReplayFileWith(LogDecoder& decoder, common::ChainAppender& appender,
                                           const std::string& path,
                                           const ProgressCallback& progress,
                                           const DirectContractMap& direct,
                                           std::string_view topic_prefix) {
  ASSIGN_OR_RETURN(std::unique_ptr<HistoryFile> file, HistoryFile::Open(path));
  Replayer replayer(decoder, appender, *file, progress, direct, topic_prefix);
  return replayer.Run();
}

core::Result<ReplaySummary> ReplayFile(const core::Config& config, const std::string& chain,
                                       const std::string& path, engine::log::RecordSink& sink,
                                       common::PartitionTailReader& tails,
                                       const ProgressCallback& progress,
                                       std::shared_ptr<const engine::abi::Catalog> catalog,
                                       const DirectLanes* direct) {
  if (config.FindChain(chain) == nullptr) {
    return core::NotFoundError(fmt::format("chain \"{}\" is not configured", chain));
  }
  common::AppenderOptions options;
  options.chain = chain;
  options.topic = engine::wire::ChainEventsTopic(config.kafka.topic_prefix, chain);
  options.partitions = config.kafka.partitions;
  options.dlq_topic = engine::wire::DeadLetterTopic(config.kafka.topic_prefix);
  ASSIGN_OR_RETURN(std::unique_ptr<common::ChainAppender> appender,
                   common::ChainAppender::Open(std::move(options), sink, tails));
  if (!catalog) {
    ASSIGN_OR_RETURN(catalog, engine::abi::Catalog::Load(config));
  }
  DirectContractMap lanes;
  if (direct != nullptr) {
    for (const engine::abi::CatalogContract* contract : DirectContracts(*catalog, chain)) {
      const std::string topic = engine::wire::ContractTopic(direct->topic_prefix, contract->name());
      ASSIGN_OR_RETURN(DirectLanes::Tails tails, direct->open(topic));
      const core::PartitionId partition = engine::log::PartitionForKey(
          engine::wire::ContractTopicKey(chain, contract->name()), tails.partitions);
      auto lane = appender->OpenLane(topic, partition, *tails.reader);
      if (!lane) {
        if (lane.error().code() != core::StatusCode::kDataLoss) return lane.error();
        core::Logger("ingest.evm")
            ->info("contract {}: its topic's last record has no position ({}); its events go "
                   "through the chain topic and contract_events",
                   contract->name(), lane.error().message());
        continue;
      }
      lanes[contract->name()] = DirectContract{contract, lane.value()};
    }
  }
  LogDecoder decoder = LogDecoder::ForChain(config, chain, catalog);
  auto summary = ReplayFileWith(decoder, *appender, path, progress, lanes,
                                direct != nullptr ? direct->topic_prefix : "");
  if (summary) {
    const ReplaySummary& s = summary.value();
    core::Logger("ingest.evm")
        ->info("{}: {} lines, {} events appended, {} already present, {} rejected, {} blocks, "
               "{:.2f}s",
               path, s.lines, s.events_appended, s.events_skipped, s.rejected, s.blocks,
               s.seconds);
  }
  return summary;
}

}  // namespace chainflow::ingest::evm
