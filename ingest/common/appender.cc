#include "ingest/common/appender.h"

#include "engine/core/crash_point.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/core/check.h"
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
      new ChainAppender(std::move(options), sink, std::move(last)));
}

ChainAppender::ChainAppender(AppenderOptions options, log::RecordSink& sink,
                             std::vector<std::optional<Position>> tails)
    : options_(std::move(options)),
      sink_(sink),
      last_(std::move(tails)),
      source_(IngestSource(options_.chain)),
      marker_key_(options_.chain + ":block") {
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
  return !last || *last < event.position;
}

bool ChainAppender::IsBlockEndNew(uint64_t number) const {
  Position marker = Position::BlockEnd(number);
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
    RETURN_IF_ERROR(sink_.Flush(std::chrono::seconds(60)));
    status = sink_.Send(record);
  }
  return status;
}

core::Result<bool> ChainAppender::Append(const ChainEvent& event) {
  Advance(event.position);
  core::PartitionId partition = PartitionFor(event.key);
  auto& last = last_[partition.value()];
  if (last && event.position <= *last) {
    ++skipped_;
    skipped_metric_->Inc();
    return false;
  }
  log::OutRecord record;
  record.topic = options_.topic;
  record.partition = partition;
  record.key = event.key;
  if (!event.envelope.SerializeToString(&record.value)) {
    return core::InternalError(fmt::format("cannot serialize {}", event.envelope.id()));
  }
  record.headers = log::CloudEventHeaders(log::CloudEvent{
      event.envelope.id(), source_, std::string(event.type), event.time_seconds});
  record.headers.push_back({std::string(kPositionHeader), event.position.ToString()});
  RETURN_IF_ERROR(SendRecord(record));
  last = event.position;
  ++appended_;
  appended_metric_->Inc();
  return true;
}

core::Result<int> ChainAppender::EndBlock(const BlockInfo& block) {
  Position marker = Position::BlockEnd(block.number);
  Advance(marker);
  v1::Envelope envelope;
  envelope.set_id(fmt::format("{}/{}/end", options_.chain, block.number));
  v1::BlockEnd* end = envelope.mutable_block_end();
  end->set_chain(options_.chain);
  end->set_number(block.number);
  end->set_hash(block.hash);
  end->set_timestamp(static_cast<uint64_t>(block.timestamp));
  end->set_parent_hash(block.parent_hash);

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
  int sent = 0;
  for (int32_t p = 0; p < options_.partitions; ++p) {
    auto& last = last_[p];
    if (last && marker <= *last) {
      skipped_metric_->Inc();
      continue;
    }
    record.partition = core::PartitionId(p);
    RETURN_IF_ERROR(SendRecord(record));
    last = marker;
    ++sent;
    ++markers_appended_;
    appended_metric_->Inc();
  }
  return sent;
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

core::Status ChainAppender::Flush(std::chrono::milliseconds timeout) {
  return sink_.Flush(timeout);
}

std::optional<uint64_t> ChainAppender::ResumeBlock() const {
  std::optional<uint64_t> resume;
  for (const auto& last : last_) {
    if (!last) return std::nullopt;
    // Complete through `block` if at its BlockEnd, else through block - 1.
    uint64_t next = last->IsBlockEnd() ? last->block + 1 : last->block;
    resume = resume ? std::min(*resume, next) : next;
  }
  return resume;
}

std::optional<Position> ChainAppender::LastPosition(core::PartitionId partition) const {
  return last_.at(partition.value());
}

}  // namespace chainflow::ingest::common
