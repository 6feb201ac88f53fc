#include "projections/pg/projector.h"

#include <pthread.h>

#include <algorithm>
#include <exception>
#include <future>
#include <utility>

#include <fmt/format.h>

#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "projections/pg/migrate.h"
#include "projections/pg/offsets.h"

namespace chainflow::projections::pg {
namespace {

namespace log = engine::log;

std::shared_ptr<spdlog::logger> Log() { return core::Logger("projections"); }

bool IsRedoable(const core::Status& s) {
  return core::IsRetryable(s) || s.code() == core::StatusCode::kAborted;
}

}  // namespace

ProjectorOptions ProjectorOptions::FromConfig(const core::Config& config, std::string name,
                                              std::string topic, int32_t partitions) {
  ProjectorOptions o;
  o.name = std::move(name);
  o.topic = std::move(topic);
  o.partitions = partitions;
  o.batch_size = static_cast<size_t>(std::max(1, config.engine.projection_batch_size));
  o.batch_wait = std::chrono::milliseconds(std::max(0, config.engine.batch_wait_ms));
  o.linger = std::chrono::milliseconds(std::max(0, config.engine.projection_linger_ms));
  o.bulk_records = static_cast<size_t>(std::max(1, config.engine.projection_bulk_records));
  o.dlq_topic = fmt::format("{}.dlq", config.kafka.topic_prefix);
  o.defer_indexes_records =
      static_cast<uint64_t>(std::max(0, config.engine.projection_defer_indexes_records));
  return o;
}

core::Labels Projector::Labels() const { return {{"projection", options_.name}}; }

void Projector::CountError(const core::Status& s) const {
  core::MetricsRegistry::Global()
      .GetCounter("chainflow_projection_errors_total", "Projection errors, by status code",
                  {{"projection", options_.name},
                   {"code", std::string(core::StatusCodeName(s.code()))}})
      .Inc();
}

Projector::Projector(const ProjectorOptions& options, std::unique_ptr<log::RecordSource> source,
                     std::unique_ptr<Connection> conn)
    : options_(options), source_(std::move(source)), conn_(std::move(conn)) {}

core::Result<std::unique_ptr<Projector>> Projector::Open(
    const ProjectorOptions& options, std::unique_ptr<log::RecordSource> source,
    std::unique_ptr<Connection> conn, log::RecordSink* dlq,
    const ProjectionFactory& make_projection) {
  if (options.name.empty()) return core::InvalidArgumentError("projector: empty name");
  if (options.topic.empty()) return core::InvalidArgumentError("projector: empty topic");
  if (options.partitions <= 0) {
    return core::InvalidArgumentError(
        fmt::format("projector: partitions = {} (want > 0)", options.partitions));
  }
  if (options.batch_size == 0) return core::InvalidArgumentError("projector: batch_size = 0");
  if (dlq && options.dlq_topic.empty()) {
    return core::InvalidArgumentError("projector: a DLQ sink without dlq_topic");
  }
  if (!source || !conn || !make_projection) {
    return core::InvalidArgumentError("projector: null source, connection or factory");
  }
  RETURN_IF_ERROR(Migrate(*conn));
  std::unique_ptr<Projector> projector(new Projector(options, std::move(source), std::move(conn)));
  projector->projection_ = make_projection(*projector->conn_, dlq, options.dlq_topic);
  if (!projector->projection_) return core::InvalidArgumentError("projector: factory made null");
  return projector;
}

Projector::~Projector() { Stop(); }

core::Status Projector::Start() {
  std::lock_guard lock(mu_);
  if (stopping_) return core::FailedPreconditionError("projector was stopped");
  if (started_) return core::Status::Ok();
  started_ = true;
  thread_ = std::thread([this] {
    // Thread names hold 15 characters.
    pthread_setname_np(pthread_self(),
                       fmt::format("cf-proj-{}", options_.name).substr(0, 15).c_str());
    Run();
  });
  return core::Status::Ok();
}

void Projector::RequestStop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
}

void Projector::Stop() {
  RequestStop();
  if (thread_.joinable()) thread_.join();
}

OffsetMap Projector::Positions() const {
  std::lock_guard lock(mu_);
  return positions_;
}

core::Status Projector::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

bool Projector::Done(const OffsetMap& targets) const {
  for (const auto& [tp, target] : targets) {
    if (target.value() <= 0) continue;
    auto it = positions_.find(tp);
    if (it == positions_.end() || it->second < target) return false;
  }
  return true;
}

core::Status Projector::WaitForOffsets(const OffsetMap& targets,
                                       std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return Done(targets) || finished_; });
  if (Done(targets)) return core::Status::Ok();
  if (!status_.ok()) return status_;
  if (finished_) return core::CancelledError("projector stopped before reaching the offsets");
  return core::DeadlineExceededError(
      fmt::format("projection {} did not reach the offsets within {} ms", options_.name,
                  timeout.count()));
}

void Projector::Run() {
  core::Status result;
  try {
    result = RunLoop();
  } catch (const std::exception& e) {
    result = core::InternalError(fmt::format("projector thread: {}", e.what()));
  } catch (...) {
    result = core::InternalError("projector thread: unknown exception");
  }
  if (!result.ok()) {
    CountError(result);
    Log()->error("[{}] projection stopped: {}", options_.name, result.ToString());
  }
  {
    std::lock_guard lock(mu_);
    status_ = result;
    finished_ = true;
  }
  cv_.notify_all();
}

bool Projector::Backoff(std::chrono::milliseconds* backoff, const core::Status& why) {
  CountError(why);
  core::MetricsRegistry::Global()
      .GetCounter("chainflow_projection_retries_total", "Projection steps redone after errors",
                  Labels())
      .Inc();
  Log()->warn("[{}] retrying in {} ms: {}", options_.name, backoff->count(), why.ToString());
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, *backoff, [this] { return stopping_; });
  *backoff = std::min(*backoff * 2, options_.max_backoff);
  return !stopping_;
}

core::Status Projector::AssignFromStoredOffsets() {
  ASSIGN_OR_RETURN(OffsetMap stored, ReadOffsets(*conn_, options_.name));
  std::vector<log::TopicPartitionOffset> assignment;
  OffsetMap positions;
  for (int32_t p = 0; p < options_.partitions; ++p) {
    log::TopicPartition tp{options_.topic, core::PartitionId(p)};
    auto it = stored.find(tp);
    core::Offset start = it == stored.end() ? log::kOffsetBeginning : it->second;
    assignment.push_back({tp.topic, tp.partition, start});
    positions[tp] = it == stored.end() ? core::Offset(0) : it->second;
  }
  RETURN_IF_ERROR(source_->Assign(assignment));
  {
    std::lock_guard lock(mu_);
    positions_ = std::move(positions);
  }
  cv_.notify_all();
  Log()->info("[{}] assigned {} partitions of {}", options_.name, options_.partitions,
              options_.topic);
  return core::Status::Ok();
}

BatchContext Projector::ContextOf(const std::vector<log::Record>& batch) {
  BatchContext context;
  context.records = batch.size();
  OffsetMap next;
  {
    std::lock_guard lock(mu_);
    next = positions_;
  }
  for (const auto& [tp, position] : next) context.applied += std::max<int64_t>(0, position.value());
  for (const log::Record& r : batch) {
    core::Offset& n = next[{r.topic, r.partition}];
    n = std::max(n, core::Offset(r.offset.value() + 1));
  }
  core::Result<std::vector<log::TopicPartitionOffset>> ends = source_->KnownEnds();
  if (!ends) return context;  // unknown: as if at the head
  for (const log::TopicPartitionOffset& end : ends.value()) {
    auto it = next.find({end.topic, end.partition});
    const int64_t from = it == next.end() ? 0 : it->second.value();
    if (end.offset.value() > from) context.backlog += end.offset.value() - from;
  }
  return context;
}

core::Result<bool> Projector::ApplyWithRetry(const std::vector<log::Record>& batch,
                                             BatchContext context) {
  auto backoff = options_.initial_backoff;
  while (true) {
    auto started = std::chrono::steady_clock::now();
    core::Status applied = projection_->ApplyBatch(batch, context);
    if (applied.ok()) {
      auto& m = core::MetricsRegistry::Global();
      m.GetCounter("chainflow_projection_batches_total", "Batches committed", Labels()).Inc();
      m.GetHistogram("chainflow_projection_batch_seconds", "Batch apply+commit time", Labels(),
                     core::DefaultLatencyBuckets())
          .Observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
                       .count());
      return true;
    }
    const core::Status& error = applied;
    if (!IsRedoable(error)) return error;
    if (!Backoff(&backoff, error)) return false;  // stopping
    if (error.code() != core::StatusCode::kAborted) {
      // The session is gone, or may be: the loop rewinds to the stored
      // offsets before it applies anything again (Rewind).
      must_rewind_ = true;
      return false;
    }
  }
}

core::Status Projector::Rewind() {
  // The session may be gone even if libpq has not noticed yet.
  RETURN_IF_ERROR(conn_->Reconnect());
  deferred_error_ = core::Status::Ok();  // it concerned records read before the rewind
  RETURN_IF_ERROR(AssignFromStoredOffsets());
  core::MetricsRegistry::Global()
      .GetCounter("chainflow_projection_rewinds_total",
                  "Times the projection re-read its input from the stored offsets after a "
                  "lost PostgreSQL session",
                  Labels())
      .Inc();
  return core::Status::Ok();
}

void Projector::GatherBulk(std::vector<log::Record>& batch) {
  const auto until = std::chrono::steady_clock::now() + options_.linger;
  while (batch.size() < options_.batch_size && std::chrono::steady_clock::now() < until) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
    }
    core::Result<std::vector<log::Record>> more =
        source_->Poll(options_.batch_size - batch.size(), options_.batch_wait);
    if (!more) {
      deferred_error_ = more.error();  // the next step reports it, after this batch
      return;
    }
    if (more.value().empty()) return;  // the input went quiet: apply what there is
    batch.insert(batch.end(), std::make_move_iterator(more.value().begin()),
                 std::make_move_iterator(more.value().end()));
  }
}

core::Status Projector::StepOverMarkers() {
  // Every record below the reader's position has been applied: what lies
  // between the stored positions and it are transaction markers. Storing
  // the position past them lets lag (status, /readyz) reach 0.
  ASSIGN_OR_RETURN(std::vector<log::TopicPartitionOffset> read, source_->ReadPositions());
  OffsetMap moved;
  {
    std::lock_guard lock(mu_);
    for (const log::TopicPartitionOffset& r : read) {
      auto it = positions_.find({r.topic, r.partition});
      if (it != positions_.end() && r.offset > it->second) moved[it->first] = r.offset;
    }
  }
  if (moved.empty()) return core::Status::Ok();
  ASSIGN_OR_RETURN(auto tx, conn_->Begin());
  RETURN_IF_ERROR(LockProjection(*tx, options_.name));
  RETURN_IF_ERROR(WriteOffsets(*tx, options_.name, moved));
  RETURN_IF_ERROR(tx->Commit());
  {
    std::lock_guard lock(mu_);
    for (const auto& [tp, next] : moved) {
      core::Offset& pos = positions_[tp];
      if (pos < next) pos = next;
    }
  }
  cv_.notify_all();
  return core::Status::Ok();
}

Projector::Ahead Projector::PollAhead() {
  Ahead next;
  next.polled = deferred_error_.ok()
                    ? source_->Poll(options_.batch_size, options_.batch_wait)
                    : core::Result<std::vector<log::Record>>(
                          std::exchange(deferred_error_, core::Status::Ok()));
  if (next.polled && next.polled.value().size() >= options_.bulk_records) {
    GatherBulk(next.polled.value());
  }
  if (next.polled && !next.polled.value().empty()) {
    next.prepared = projection_->Prepare(next.polled.value());
  }
  return next;
}

core::Status Projector::RunLoop() {
  // Declared first, so that it is joined before anything it uses goes.
  std::future<Ahead> ahead;
  auto backoff = options_.initial_backoff;
  while (true) {
    core::Status s = AssignFromStoredOffsets();
    if (s.ok()) break;
    if (!IsRedoable(s)) return s;
    if (!Backoff(&backoff, s)) return core::Status::Ok();
  }
  backoff = options_.initial_backoff;
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stopping_) return core::Status::Ok();
    }
    if (must_rewind_) {
      core::Status rewound = Rewind();
      if (!rewound.ok()) {
        if (!IsRedoable(rewound)) return rewound;
        if (!Backoff(&backoff, rewound)) return core::Status::Ok();
        continue;
      }
      must_rewind_ = false;
      backoff = options_.initial_backoff;
      Log()->info("[{}] PostgreSQL answers again: re-reading from the stored offsets",
                  options_.name);
    }
    // The batch the second thread polled (and prepared) while the one
    // before was applied, or one polled now.
    Ahead next = ahead.valid() ? ahead.get() : PollAhead();
    core::Result<std::vector<log::Record>>& polled = next.polled;
    if (!polled) {
      if (!IsRedoable(polled.error())) return polled.error();
      if (!Backoff(&backoff, polled.error())) return core::Status::Ok();
      continue;
    }
    backoff = options_.initial_backoff;
    std::vector<log::Record>& batch = polled.value();
    if (batch.empty()) {
      core::Status stepped = StepOverMarkers();
      if (stepped.ok()) stepped = projection_->Idle();
      if (!stepped.ok()) {
        if (!IsRedoable(stepped)) return stepped;
        if (!Backoff(&backoff, stepped)) return core::Status::Ok();
        must_rewind_ = stepped.code() != core::StatusCode::kAborted;
      }
      continue;
    }
    BatchContext context = ContextOf(batch);  // reads the source: before the next poll
    context.prepared = next.prepared.get();
    // Decoding the next batch overlaps writing this one (PostgreSQL works
    // while this process decodes). The source is the other thread's until
    // `ahead` is taken.
    ahead = std::async(std::launch::async, [this] { return PollAhead(); });
    core::Result<bool> applied = ApplyWithRetry(batch, context);
    if (!applied || !applied.value()) {
      // Stopping, failed or rewinding: what was polled ahead is read again
      // from the stored offsets, and Rewind needs the source back.
      if (ahead.valid()) ahead.wait();
      ahead = {};
      deferred_error_ = core::Status::Ok();
      if (!applied) return applied.error();
    }
    {
      std::lock_guard lock(mu_);
      if (stopping_) return core::Status::Ok();  // the batch may not have been applied
      if (!applied.value()) continue;            // dropped for a rewind
      for (const log::Record& r : batch) {
        log::TopicPartition tp{r.topic, r.partition};
        core::Offset after(r.offset.value() + 1);
        auto& pos = positions_[tp];
        if (pos < after) pos = after;
      }
    }
    cv_.notify_all();
  }
}

}  // namespace chainflow::projections::pg
