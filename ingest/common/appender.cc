#include "ingest/common/appender.h"

#include "engine/core/crash_point.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "engine/core/check.h"
#include "engine/core/logging.h"
#include "engine/log/cloud_events.h"
#include "engine/log/record.h"

namespace chainflow::ingest::common {

core::Result<std::unique_ptr<ChainAppender>> ChainAppender::Open(AppenderOptions options,
                                                                 log::RecordSink& sink,
                                                                 PartitionTailReader& tails) {
  if (options.partitions <= 0) {
    return core::InvalidArgumentError(
        fmt::format("topic {}: partition count {} (want > 0)", options.topic, options.partitions));
  }
  std::vector<std::optional<Position>> last(options.partitions);
  for (int32_t p = 0; p < options.partitions; ++p) {
    auto pos = tails.LastPosition(core::PartitionId(p));
    if (!pos) return pos.error().WithContext(fmt::format("{} partition {}", options.topic, p));
    last[p] = pos.value();
  }
  return std::unique_ptr<ChainAppender>(
      new ChainAppender(std::move(options), sink, tails, std::move(last)));
}

ChainAppender::ChainAppender(AppenderOptions options, log::RecordSink& sink,
                             PartitionTailReader& reader,
                             std::vector<std::optional<Position>> tails)
    : options_(std::move(options)),
      sink_(sink),
      reader_(reader),
      last_(std::move(tails)),
      source_(IngestSource(options_.chain)),
      marker_key_(options_.chain + ":block") {
  for (const auto& last : last_) {
    if (last) fork_ = std::max(fork_, last->fork);
  }
  auto& registry = core::MetricsRegistry::Global();
  core::Labels labels{{"chain", options_.chain}};
  appended_metric_ = &registry.GetCounter("chainflow_ingest_records_appended_total",
                                          "Records ingest appended (events and markers)", labels);
  skipped_metric_ = &registry.GetCounter(
      "chainflow_ingest_records_skipped_total",
      "Records ingest skipped because their partition already held them", labels);
  dead_letter_metric_ = &registry.GetCounter("chainflow_ingest_dead_letters_total",
                                             "Input records ingest sent to the dead-letter topic",
                                             labels);
}

core::PartitionId ChainAppender::PartitionFor(std::string_view key) const {
  return log::PartitionForKey(key, options_.partitions);
}

bool ChainAppender::IsNew(const ChainEvent& event) const {
  const auto& last = last_[PartitionFor(event.key).value()];
  Position position = event.position;
  position.fork = fork_;
  return !last || *last < position;
}

bool ChainAppender::IsBlockEndNew(uint64_t number) const {
  Position marker = Position::BlockEnd(fork_, number);
  return std::any_of(last_.begin(), last_.end(),
                     [&](const auto& last) { return !last || *last < marker; });
}

void ChainAppender::Advance(const Position& position) {
  CF_CHECK(!last_call_ || *last_call_ < position,
           "chain {}: position {} not after {} (input must be in chain order)", options_.chain,
           position.ToString(), last_call_ ? last_call_->ToString() : "");
  last_call_ = position;
}

core::Status ChainAppender::SendRecord(const log::OutRecord& record) {
  core::CrashPoint("ingest.before_send");
  core::Status status = sink_.Send(record);
  if (status.code() == core::StatusCode::kResourceExhausted) {
    // The producer queue is full: wait for deliveries, then try once more.
    RETURN_IF_ERROR(Flush());
    status = sink_.Send(record);
  }
  return status;
}

core::Result<bool> ChainAppender::Append(const ChainEvent& event) {
  Position position = event.position;
  position.fork = fork_;
  Advance(position);
  core::PartitionId partition = PartitionFor(event.key);
  auto& last = last_[partition.value()];
  if (last && position <= *last) {
    ++skipped_;
    skipped_metric_->Inc();
    return false;
  }
  log::OutRecord record;
  record.topic = options_.topic;
  record.partition = partition;
  record.key = event.key;
  // A new branch reuses block numbers and log indexes: its ids name the fork
  // so they never repeat an orphaned event's.
  std::string id = fork_ == 0 ? event.envelope.id()
                              : fmt::format("{}/f{}", event.envelope.id(), fork_);
  if (fork_ == 0) {
    if (!event.envelope.SerializeToString(&record.value)) {
      return core::InternalError(fmt::format("cannot serialize {}", id));
    }
  } else {
    v1::Envelope renamed = event.envelope;
    renamed.set_id(id);
    if (!renamed.SerializeToString(&record.value)) {
      return core::InternalError(fmt::format("cannot serialize {}", id));
    }
  }
  record.headers = log::CloudEventHeaders(
      log::CloudEvent{std::move(id), source_, std::string(event.type), event.time_seconds});
  record.headers.push_back({std::string(kPositionHeader), position.ToString()});
  RETURN_IF_ERROR(SendRecord(record));
  last = position;
  ++appended_;
  appended_metric_->Inc();
  return true;
}

core::Result<int> ChainAppender::EndBlock(const BlockInfo& block) {
  Position marker = Position::BlockEnd(fork_, block.number);
  Advance(marker);
  v1::Envelope envelope;
  envelope.set_id(fork_ == 0 ? fmt::format("{}/{}/end", options_.chain, block.number)
                             : fmt::format("{}/{}/end/f{}", options_.chain, block.number, fork_));
  v1::BlockEnd* end = envelope.mutable_block_end();
  end->set_chain(options_.chain);
  end->set_number(block.number);
  end->set_hash(block.hash);
  end->set_timestamp(static_cast<uint64_t>(block.timestamp));
  end->set_parent_hash(block.parent_hash);
  end->set_finalized(block.finalized);
  end->set_finalized_timestamp(static_cast<uint64_t>(
      block.finalized == block.number ? block.timestamp : block.finalized_timestamp));
  end->set_reorgs(block.reorgs);
  end->set_deepest_reorg(block.deepest_reorg);

  log::OutRecord record;
  record.topic = options_.topic;
  record.key = marker_key_;
  if (!envelope.SerializeToString(&record.value)) {
    return core::InternalError(fmt::format("cannot serialize {}", envelope.id()));
  }
  record.headers = log::CloudEventHeaders(log::CloudEvent{
      envelope.id(), source_, std::string(EventTypeName(v1::Envelope::kBlockEnd)),
      block.timestamp});
  record.headers.push_back({std::string(kPositionHeader), marker.ToString()});
  return SendToEveryPartition(record, marker);
}

core::Result<int> ChainAppender::SendToEveryPartition(log::OutRecord& record,
                                                      const Position& position) {
  int sent = 0;
  for (int32_t p = 0; p < options_.partitions; ++p) {
    auto& last = last_[p];
    if (last && position <= *last) {
      skipped_metric_->Inc();
      continue;
    }
    record.partition = core::PartitionId(p);
    RETURN_IF_ERROR(SendRecord(record));
    last = position;
    ++sent;
    ++markers_appended_;
    appended_metric_->Inc();
  }
  return sent;
}

core::Result<int> ChainAppender::RevertBlocks(uint32_t fork, uint64_t ancestor,
                                              int64_t ancestor_time,
                                              const std::vector<RevertedBlock>& reverted) {
  CF_CHECK(fork >= fork_, "chain {}: reorg to fork {} from fork {}", options_.chain, fork, fork_);
  fork_ = fork;
  int sent = 0;
  for (uint32_t i = 0; i < reverted.size(); ++i) {
    const RevertedBlock& block = reverted[i];
    CF_CHECK(block.number > ancestor && (i == 0 || block.number < reverted[i - 1].number),
             "chain {}: reverted blocks must be above {} and newest first", options_.chain,
             ancestor);
    Position position = Position::Reverted(fork, ancestor, i);
    Advance(position);
    v1::Envelope envelope;
    envelope.set_id(fmt::format("{}/{}/reverted/f{}", options_.chain, block.number, fork));
    v1::BlockReverted* marker = envelope.mutable_block_reverted();
    marker->set_chain(options_.chain);
    marker->set_number(block.number);
    marker->set_hash(block.hash);
    marker->set_ancestor(ancestor);
    log::OutRecord record;
    record.topic = options_.topic;
    record.key = marker_key_;
    if (!envelope.SerializeToString(&record.value)) {
      return core::InternalError(fmt::format("cannot serialize {}", envelope.id()));
    }
    // The chain is back at the ancestor: its time is the markers' event time.
    record.headers = log::CloudEventHeaders(
        log::CloudEvent{envelope.id(), source_,
                        std::string(EventTypeName(v1::Envelope::kBlockReverted)), ancestor_time});
    record.headers.push_back({std::string(kPositionHeader), position.ToString()});
    ASSIGN_OR_RETURN(int n, SendToEveryPartition(record, position));
    sent += n;
  }
  return sent;
}

core::Result<size_t> ChainAppender::OpenLane(std::string topic, core::PartitionId partition,
                                             PartitionTailReader& tails) {
  auto last = tails.LastPosition(partition);
  if (!last) {
    return last.error().WithContext(fmt::format("{} partition {}", topic, partition.value()));
  }
  lanes_.push_back(Lane{std::move(topic), partition, last.value()});
  return lanes_.size() - 1;
}

bool ChainAppender::IsNewOnLane(size_t lane, Position position) const {
  position.fork = fork_;
  const std::optional<Position>& last = lanes_.at(lane).last;
  return !last || *last < position;
}

core::Result<bool> ChainAppender::AppendToLane(size_t index, Position position,
                                               log::OutRecord* record) {
  position.fork = fork_;
  Advance(position);
  Lane& lane = lanes_.at(index);
  if (lane.last && position <= *lane.last) {
    ++skipped_;
    skipped_metric_->Inc();
    return false;
  }
  record->topic = lane.topic;
  record->partition = lane.partition;
  if (record->headers.empty() || record->headers.back().key != kPositionHeader) {
    record->headers.push_back({std::string(kPositionHeader), {}});
  }
  std::string& at = record->headers.back().value;
  at.clear();
  position.AppendTo(&at);
  RETURN_IF_ERROR(SendRecord(*record));
  lane.last = position;
  ++appended_;
  appended_metric_->Inc();
  return true;
}

std::optional<Position> ChainAppender::LaneLastPosition(size_t lane) const {
  return lanes_.at(lane).last;
}

core::Status ChainAppender::DeadLetter(const DeadLetterRecord& dead) {
  log::OutRecord record;
  record.topic = options_.dlq_topic;
  record.partition = core::PartitionId(0);
  record.key = dead.source_file.empty() ? dead.source_topic : dead.source_file;
  record.value = dead.raw;
  record.headers.push_back({"cf_error", dead.reason});
  record.headers.push_back({"cf_chain", options_.chain});
  if (!dead.source_file.empty()) {
    record.headers.push_back({"cf_source_file", dead.source_file});
    record.headers.push_back({"cf_line", std::to_string(dead.line)});
  }
  if (!dead.source_topic.empty()) record.headers.push_back({"cf_source_topic", dead.source_topic});
  if (dead.source_partition) {
    record.headers.push_back(
        {"cf_source_partition", std::to_string(dead.source_partition->value())});
  }
  if (dead.source_offset) {
    record.headers.push_back({"cf_source_offset", std::to_string(dead.source_offset->value())});
  }
  RETURN_IF_ERROR(SendRecord(record));
  ++dead_lettered_;
  dead_letter_metric_->Inc();
  return core::Status::Ok();
}

core::Status ChainAppender::Flush(std::chrono::milliseconds max_wait,
                                  std::chrono::milliseconds slice) {
  const auto started = std::chrono::steady_clock::now();
  for (;;) {
    core::Status status = sink_.Flush(slice);
    // Only a timeout with the records still in flight is waited out; a
    // failed delivery is never DeadlineExceeded (RecordSink::Flush).
    if (status.code() != core::StatusCode::kDeadlineExceeded) return status;
    const auto waited = std::chrono::steady_clock::now() - started;
    if (waited >= max_wait) return status;
    core::Logger("ingest")->warn(
        "chain {}: Kafka has not acknowledged the appended records after {:.0f} s; still "
        "waiting ({})",
        options_.chain, std::chrono::duration<double>(waited).count(), status.message());
  }
}

std::optional<uint64_t> ChainAppender::ResumeBlock() const {
  std::optional<uint64_t> resume;
  for (const auto& last : last_) {
    if (!last) return std::nullopt;
    // Complete through `block` if at its BlockEnd or a BlockReverted marker
    // (whose `block` is the ancestor), else through block - 1.
    uint64_t next = last->IsBlockEnd() || last->IsReverted() ? last->block + 1 : last->block;
    resume = resume ? std::min(*resume, next) : next;
  }
  return resume;
}

std::optional<Position> ChainAppender::LastPosition(core::PartitionId partition) const {
  return last_.at(partition.value());
}

core::Result<std::vector<std::string>> ChainAppender::RecentValues(core::PartitionId partition,
                                                                   size_t count) {
  auto values = reader_.LastValues(partition, count);
  if (!values) {
    return values.error().WithContext(
        fmt::format("{} partition {}", options_.topic, partition.value()));
  }
  return values;
}

}  // namespace chainflow::ingest::common
