#include "engine/runtime/task.h"

#include <charconv>

#include <fmt/format.h>

#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "engine/log/cloud_events.h"

namespace chainflow::engine::runtime {
namespace {

// Collects a single record's outputs so a poison record's can be dropped.
class VectorEmitter : public Emitter {
 public:
  void Emit(OutputEvent event) override { events.push_back(std::move(event)); }
  std::vector<OutputEvent> events;
};

std::string EncodeOffset(core::Offset offset) {
  std::string out(8, '\0');
  uint64_t v = static_cast<uint64_t>(offset.value());
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<char>(v & 0xff);
    v >>= 8;
  }
  return out;
}

core::Result<core::Offset> DecodeOffset(const std::string& bytes) {
  if (bytes.size() != 8) {
    return core::DataLossError(fmt::format("stored offset has {} bytes", bytes.size()));
  }
  uint64_t v = 0;
  for (char c : bytes) v = (v << 8) | static_cast<uint8_t>(c);
  return core::Offset(static_cast<int64_t>(v));
}

// "<topic>/<partition>/<offset>/<seq>": the id of an output the processor did
// not name. Appended by hand: fmt's format parsing showed in the per-record
// profile.
std::string DefaultOutputId(const log::Record& in, size_t seq) {
  std::string id;
  id.reserve(in.topic.size() + 40);
  id += in.topic;
  char digits[24];
  for (int64_t v : {int64_t{in.partition.value()}, in.offset.value(), static_cast<int64_t>(seq)}) {
    id += '/';
    id.append(digits, std::to_chars(digits, digits + sizeof digits, v).ptr);
  }
  return id;
}

constexpr std::string_view kOffsetKeyPrefix("\0offset/", 8);

bool IsPoison(const core::Status& s) {
  return s.code() == core::StatusCode::kInvalidArgument ||
         s.code() == core::StatusCode::kOutOfRange;
}

}  // namespace

std::string TaskDirName(const log::TopicPartition& input, bool co_partitioned) {
  if (co_partitioned) return fmt::format("p-{}", input.partition.value());
  return fmt::format("{}-{}", input.topic, input.partition.value());
}

std::string Task::OffsetKey(const log::TopicPartition& tp) {
  return fmt::format("{}offset/{}/{}", '\0', tp.topic, tp.partition.value());
}

Task::Task(std::vector<Position> positions, std::unique_ptr<state::Store> store,
           std::unique_ptr<Processor> processor, std::unique_ptr<UndoLog> undo,
           const OutputRouting& routing, std::optional<log::TopicPartition> changelog)
    : positions_(std::move(positions)),
      store_(std::move(store)),
      processor_(std::move(processor)),
      undo_(std::move(undo)),
      routing_(routing),
      changelog_(std::move(changelog)) {
  const google::protobuf::OneofDescriptor* payloads =
      v1::Envelope::descriptor()->FindOneofByName("payload");
  for (int i = 0; i < payloads->field_count(); ++i) {
    auto payload = static_cast<v1::Envelope::PayloadCase>(payloads->field(i)->number());
    if (processor_->Ignores(payload)) skips_payloads_ = true;
  }
}

core::Result<std::unique_ptr<Task>> Task::Open(log::TopicPartition input,
                                               const std::string& state_path,
                                               std::unique_ptr<Processor> processor,
                                               const OutputRouting& routing,
                                               UndoOptions undo_options) {
  return Open(std::vector<log::TopicPartition>{std::move(input)}, state_path,
              std::move(processor), routing, undo_options);
}

core::Result<std::unique_ptr<Task>> Task::Open(std::vector<log::TopicPartition> inputs,
                                               const std::string& state_path,
                                               std::unique_ptr<Processor> processor,
                                               const OutputRouting& routing,
                                               UndoOptions undo_options) {
  ASSIGN_OR_RETURN(std::unique_ptr<state::Store> store, state::Store::Open(state_path));
  return Open(std::move(inputs), std::move(store), std::move(processor), routing, std::nullopt,
              undo_options);
}

namespace {

core::Result<core::Offset> StoredOffset(const state::Store& store, const std::string& key) {
  ASSIGN_OR_RETURN(std::optional<std::string> stored, store.Get(key));
  if (!stored) return log::kOffsetBeginning;
  return DecodeOffset(*stored);
}

}  // namespace

core::Result<std::unique_ptr<Task>> Task::Open(std::vector<log::TopicPartition> inputs,
                                               std::unique_ptr<state::Store> store,
                                               std::unique_ptr<Processor> processor,
                                               const OutputRouting& routing,
                                               std::optional<log::TopicPartition> changelog,
                                               UndoOptions undo_options) {
  CF_CHECK(!inputs.empty(), "Task::Open of {} without inputs", processor->Name());
  std::vector<Position> positions;
  for (log::TopicPartition& tp : inputs) {
    ASSIGN_OR_RETURN(core::Offset next, StoredOffset(*store, OffsetKey(tp)));
    positions.push_back({std::move(tp), next, next});
  }
  ASSIGN_OR_RETURN(std::unique_ptr<UndoLog> undo,
                   UndoLog::Open(*store, processor->Name(), undo_options));
  return std::unique_ptr<Task>(new Task(std::move(positions), std::move(store),
                                        std::move(processor), std::move(undo), routing,
                                        std::move(changelog)));
}

std::string Task::ChangelogCheckpointKey() { return std::string("\0changelog/next", 15); }

core::Result<core::Offset> Task::ChangelogCheckpoint(const state::Store& store) {
  return StoredOffset(store, ChangelogCheckpointKey());
}

void Task::AddChangelogRecord(const log::Record& record, state::Batch& batch) {
  if (record.tombstone) {
    batch.Delete(record.key);
  } else {
    batch.Put(record.key, record.value);
  }
}

void Task::SetChangelogCheckpoint(core::Offset next, state::Batch& batch) {
  batch.Put(ChangelogCheckpointKey(), EncodeOffset(next));
}

core::Result<size_t> Task::Restore(
    const std::vector<std::pair<log::TopicPartition, state::Store*>>& stores,
    const ReadChangelog& read, std::stop_token stop) {
  // Restored writes are committed in slices so memory stays bounded; each
  // slice moves the checkpoint with it, so a restore cut short resumes.
  constexpr size_t kSliceWrites = 50'000;
  struct Restoring {
    state::Store* store;
    std::unique_ptr<state::Batch> batch;
    core::Offset next;
  };
  std::map<log::TopicPartition, Restoring> by_partition;
  std::vector<log::TopicPartitionOffset> from;
  for (const auto& [tp, store] : stores) {
    ASSIGN_OR_RETURN(core::Offset checkpoint, ChangelogCheckpoint(*store));
    by_partition[tp] = Restoring{store, nullptr, checkpoint};
    from.push_back({tp.topic, tp.partition, checkpoint});
  }
  auto commit = [](Restoring& r) -> core::Status {
    if (!r.batch) return core::Status::Ok();
    SetChangelogCheckpoint(r.next, *r.batch);
    RETURN_IF_ERROR(r.store->Commit(*r.batch));
    r.batch.reset();
    return core::Status::Ok();
  };
  size_t applied = 0;
  RETURN_IF_ERROR(read(from, [&](const log::Record& record) -> core::Status {
    auto it = by_partition.find({record.topic, record.partition});
    if (it == by_partition.end()) {
      return core::InternalError(fmt::format("restore read {}/{}, which it did not ask for",
                                             record.topic, record.partition.value()));
    }
    Restoring& r = it->second;
    if (!r.batch) r.batch = r.store->NewBatch();
    AddChangelogRecord(record, *r.batch);
    r.next = core::Offset(record.offset.value() + 1);
    ++applied;
    if (r.batch->Count() >= kSliceWrites) return commit(r);
    return core::Status::Ok();
  }, stop));
  for (auto& [tp, r] : by_partition) RETURN_IF_ERROR(commit(r));
  return applied;
}

core::Status Task::Reload() {
  batch_.reset();
  for (Position& p : positions_) {
    ASSIGN_OR_RETURN(core::Offset next, StoredOffset(*store_, OffsetKey(p.input)));
    p.next = p.committed = next;
  }
  undo_stale_ = true;
  return core::Status::Ok();
}

Task::Position* Task::FindPosition(const log::TopicPartition& tp) {
  for (Position& p : positions_) {
    if (p.input == tp) return &p;
  }
  return nullptr;
}

core::Offset Task::next_offset(const log::TopicPartition& tp) const {
  for (const Position& p : positions_) {
    if (p.input == tp) return p.next;
  }
  CF_CHECK(false, "task has no input {}/{}", tp.topic, tp.partition.value());
  return log::kOffsetBeginning;
}

std::vector<log::TopicPartition> Task::inputs() const {
  std::vector<log::TopicPartition> out;
  for (const Position& p : positions_) out.push_back(p.input);
  return out;
}

core::Status Task::SeedPosition(const log::TopicPartition& input, const std::string& state_path,
                                core::Offset next) {
  ASSIGN_OR_RETURN(std::unique_ptr<state::Store> store, state::Store::Open(state_path));
  std::unique_ptr<state::Batch> batch = store->NewBatch();
  batch->Put(OffsetKey(input), EncodeOffset(next));
  return store->Commit(*batch);
}

core::Status Task::SendOutputs(const log::Record& in, std::vector<OutputEvent>& outputs,
                               log::RecordSink& sink) {
  for (size_t seq = 0; seq < outputs.size(); ++seq) {
    OutputEvent& ev = outputs[seq];
    auto it = routing_.partitions.find(ev.topic);
    if (it == routing_.partitions.end()) {
      return core::InternalError(fmt::format("processor {} emitted to undeclared topic {}",
                                             processor_->Name(), ev.topic));
    }
    std::string id = !ev.id.empty() ? std::move(ev.id) : DefaultOutputId(in, seq);
    ev.envelope.set_id(id);
    log::OutRecord out;
    out.topic = ev.topic;
    out.partition = log::PartitionForKey(ev.key, it->second);
    out.key = std::move(ev.key);
    log::CloudEvent ce{std::move(id), routing_.ce_source, std::move(ev.ce_type), ev.event_time};
    if (ev.json) {
      out.value = std::move(*ev.json);
      ce.content_type = "application/json";
    } else if (ev.serialized) {
      out.value = std::move(*ev.serialized);
    } else {
      out.value = ev.envelope.SerializeAsString();
    }
    out.headers = log::CloudEventHeaders(std::move(ce));
    for (const std::string& name : routing_.forward_headers) {
      if (const std::string* value = in.FindHeader(name)) out.headers.push_back({name, *value});
    }
    out.timestamp_ms = ev.event_time * 1000;
    if (ev.all_partitions) {  // a broadcast marker: the same record on every partition
      for (int32_t p = 0; p < it->second; ++p) {
        out.partition = core::PartitionId(p);
        RETURN_IF_ERROR(sink.Send(out));
      }
      continue;
    }
    RETURN_IF_ERROR(sink.Send(out));
  }
  return core::Status::Ok();
}

core::Status Task::DeadLetter(const log::Record& in, const core::Status& why,
                              log::RecordSink& sink) {
  log::OutRecord out;
  out.topic = routing_.dlq_topic;
  out.partition = core::PartitionId(0);
  out.key = in.key;
  out.value = in.value;
  out.headers = {{"cf_error", why.ToString()},
                 {"cf_source_topic", in.topic},
                 {"cf_source_partition", std::to_string(in.partition.value())},
                 {"cf_source_offset", std::to_string(in.offset.value())},
                 {"cf_processor", processor_->Name()}};
  core::MetricsRegistry::Global()
      .GetCounter("chainflow_dead_lettered_total", "Records sent to the dead-letter topic",
                  {{"stage", processor_->Name()}})
      .Inc();
  core::Logger("engine.runtime")
      ->warn("[{} {}/{}] dead-lettering offset {}: {}", processor_->Name(), in.topic,
             in.partition.value(), in.offset.value(), why.ToString());
  return sink.Send(out);
}

core::Result<BatchStats> Task::Apply(const std::vector<const log::Record*>& records,
                                     log::RecordSink& sink) {
  if (undo_stale_) {
    RETURN_IF_ERROR(undo_->Reload(*store_));
    undo_stale_ = false;
  }
  if (records.empty()) return BatchStats{};
  const log::TopicPartition tp{records.front()->topic, records.front()->partition};
  Position* position = FindPosition(tp);
  CF_CHECK(position != nullptr, "{} task got a record of {}/{}", processor_->Name(), tp.topic,
           tp.partition.value());
  if (!batch_) batch_ = store_->NewBatch();
  BatchStats stats;
  VectorEmitter emitter;
  v1::Envelope envelope;
  for (const log::Record* rec : records) {
    CF_CHECK(rec->topic == tp.topic && rec->partition == tp.partition,
             "one Apply mixes {}/{} and {}/{}", tp.topic, tp.partition.value(), rec->topic,
             rec->partition.value());
    CF_CHECK(rec->offset >= position->next || position->next == log::kOffsetBeginning,
             "offset {} below position {} on {}/{}", rec->offset.value(),
             position->next.value(), tp.topic, tp.partition.value());
    ++stats.records;
    if (skips_payloads_) {
      v1::Envelope::PayloadCase payload = PeekPayload(rec->value);
      if (payload != v1::Envelope::kBlockEnd && payload != v1::Envelope::kBlockReverted &&
          payload != v1::Envelope::PAYLOAD_NOT_SET && processor_->Ignores(payload)) {
        position->next = core::Offset(rec->offset.value() + 1);
        continue;
      }
    }
    core::Status status;
    if (!envelope.ParseFromString(rec->value)) {
      status = core::InvalidArgumentError("record value is not a chainflow.v1.Envelope");
    } else {
      emitter.events.clear();
      batch_->SetSavePoint();
      size_t retractions = 0;
      status = ApplyWithUndo(InputEvent{*rec, envelope}, *batch_, *processor_, *undo_, emitter,
                             retractions);
      if (status.ok()) {
        batch_->PopSavePoint();
        stats.retractions += retractions;
      } else {
        batch_->RollbackToSavePoint();
      }
      undo_->EndRecord(status.ok());
    }
    if (status.ok()) {
      stats.outputs += emitter.events.size();
      RETURN_IF_ERROR(SendOutputs(*rec, emitter.events, sink));
    } else if (IsPoison(status)) {
      ++stats.dead_lettered;
      RETURN_IF_ERROR(DeadLetter(*rec, status, sink));
    } else {
      return status.WithContext(fmt::format("{} at {}/{}@{}", processor_->Name(), rec->topic,
                                            rec->partition.value(), rec->offset.value()));
    }
    position->next = core::Offset(rec->offset.value() + 1);
  }
  undo_->Flush(*batch_);
  batch_->Put(OffsetKey(tp), EncodeOffset(position->next));
  if (stats.retractions > 0) {
    core::MetricsRegistry::Global()
        .GetCounter("chainflow_retractions_total", "Retraction events emitted on reorgs",
                    {{"processor", processor_->Name()}})
        .Inc(stats.retractions);
  }
  return stats;
}

bool Task::ChangedMoreThanPositions() const {
  if (!batch_) return false;
  if (batch_->Count() > positions_.size()) return true;
  bool more = false;
  batch_->ForEachWrite([&](std::string_view key, const std::optional<std::string>&) {
    more = more || key.substr(0, kOffsetKeyPrefix.size()) != kOffsetKeyPrefix;
  });
  return more;
}

core::Result<size_t> Task::SendChangelog(log::RecordSink& sink) {
  if (!changelog_ || !batch_) return size_t{0};
  size_t sent = 0;
  core::Status status;
  log::OutRecord out;
  out.topic = changelog_->topic;
  out.partition = changelog_->partition;
  batch_->ForEachWrite([&](std::string_view key, const std::optional<std::string>& value) {
    if (!status.ok()) return;
    out.key.assign(key);
    out.tombstone = !value.has_value();
    if (value) {
      out.value = *value;
    } else {
      out.value.clear();
    }
    status = sink.Send(out);
    ++sent;
  });
  RETURN_IF_ERROR(status);
  return sent;
}

core::Status Task::Commit(const log::AppendedOffsets* appended) {
  if (!batch_) return core::Status::Ok();
  if (changelog_ && appended != nullptr) {
    auto it = appended->find(*changelog_);
    if (it == appended->end()) {
      return core::InternalError(fmt::format(
          "{}: the transaction appended nothing to changelog {}/{}", processor_->Name(),
          changelog_->topic, changelog_->partition.value()));
    }
    batch_->Put(ChangelogCheckpointKey(), EncodeOffset(core::Offset(it->second.value() + 1)));
  }
  RETURN_IF_ERROR(store_->Commit(*batch_));
  batch_.reset();
  for (Position& p : positions_) p.committed = p.next;
  return core::Status::Ok();
}

void Task::Discard() {
  if (batch_) undo_stale_ = true;
  batch_.reset();
  for (Position& p : positions_) p.next = p.committed;
}

}  // namespace chainflow::engine::runtime
