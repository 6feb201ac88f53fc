#include "projections/token/projector.h"

#include <pthread.h>

#include <algorithm>
#include <exception>

#include <fmt/format.h>

#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "projections/pg/migrate.h"

namespace chainflow::projections::token {
namespace {

namespace log = engine::log;

std::shared_ptr<spdlog::logger> Log() { return core::Logger("projections.token"); }

bool IsRedoable(const core::Status& s) {
  return core::IsRetryable(s) || s.code() == core::StatusCode::kAborted;
}

}  // namespace

ProjectorOptions ProjectorOptions::FromConfig(const core::Config& config, int32_t partitions) {
  ProjectorOptions o;
  o.topic = InputTopic(config.kafka.topic_prefix);
  o.partitions = partitions;
  o.batch_size = static_cast<size_t>(std::max(1, config.engine.projection_batch_size));
  o.batch_wait = std::chrono::milliseconds(std::max(0, config.engine.batch_wait_ms));
  o.dlq_topic = fmt::format("{}.dlq", config.kafka.topic_prefix);
  return o;
}

Projector::Projector(const ProjectorOptions& options, std::unique_ptr<log::RecordSource> source,
                     std::unique_ptr<pg::Connection> conn, log::RecordSink* dlq)
    : options_(options),
      source_(std::move(source)),
      conn_(std::move(conn)),
      projection_(*conn_, dlq, options.dlq_topic) {}

core::Result<std::unique_ptr<Projector>> Projector::Open(
    const ProjectorOptions& options, std::unique_ptr<log::RecordSource> source,
    std::unique_ptr<pg::Connection> conn, log::RecordSink* dlq) {
  if (options.topic.empty() || options.partitions <= 0 || options.batch_size == 0) {
    return core::InvalidArgumentError(
        fmt::format("token projector: topic \"{}\", partitions {}, batch_size {}", options.topic,
                    options.partitions, options.batch_size));
  }
  if (!source || !conn) return core::InvalidArgumentError("token projector: null source/conn");
  RETURN_IF_ERROR(pg::Migrate(*conn));
  return std::unique_ptr<Projector>(
      new Projector(options, std::move(source), std::move(conn), dlq));
}

Projector::~Projector() { Stop(); }

core::Status Projector::Start() {
  std::lock_guard lock(mu_);
  if (stopping_) return core::FailedPreconditionError("token projector was stopped");
  if (started_) return core::Status::Ok();
  started_ = true;
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cf-project-tok");
    Run();
  });
  return core::Status::Ok();
}

void Projector::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

pg::OffsetMap Projector::Positions() const {
  std::lock_guard lock(mu_);
  return positions_;
}

core::Status Projector::status() const {
  std::lock_guard lock(mu_);
  return status_;
}

bool Projector::Done(const pg::OffsetMap& targets) const {
  for (const auto& [tp, target] : targets) {
    if (target.value() <= 0) continue;
    auto it = positions_.find(tp);
    if (it == positions_.end() || it->second < target) return false;
  }
  return true;
}

core::Status Projector::WaitForOffsets(const pg::OffsetMap& targets,
                                       std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, timeout, [&] { return Done(targets) || finished_; });
  if (Done(targets)) return core::Status::Ok();
  if (!status_.ok()) return status_;
  if (finished_) return core::CancelledError("token projector stopped before the offsets");
  return core::DeadlineExceededError(
      fmt::format("projection token did not reach the offsets within {} ms", timeout.count()));
}

void Projector::Run() {
  core::Status result;
  try {
    result = RunLoop();
  } catch (const std::exception& e) {
    result = core::InternalError(fmt::format("token projector thread: {}", e.what()));
  }
  if (!result.ok()) Log()->error("[token] projection stopped: {}", result.ToString());
  {
    std::lock_guard lock(mu_);
    status_ = result;
    finished_ = true;
  }
  cv_.notify_all();
}

bool Projector::Backoff(std::chrono::milliseconds* backoff, const core::Status& why) {
  core::MetricsRegistry::Global()
      .GetCounter("chainflow_projection_retries_total", "Projection steps redone after errors",
                  {{"projection", std::string(kProjectionName)}})
      .Inc();
  Log()->warn("[token] retrying in {} ms: {}", backoff->count(), why.ToString());
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, *backoff, [this] { return stopping_; });
  *backoff = std::min(*backoff * 2, options_.max_backoff);
  return !stopping_;
}

core::Status Projector::Assign() {
  ASSIGN_OR_RETURN(pg::OffsetMap stored, pg::ReadOffsets(*conn_, kProjectionName));
  std::vector<log::TopicPartitionOffset> assignment;
  pg::OffsetMap positions;
  for (int32_t p = 0; p < options_.partitions; ++p) {
    log::TopicPartition tp{options_.topic, core::PartitionId(p)};
    auto it = stored.find(tp);
    assignment.push_back(
        {tp.topic, tp.partition, it == stored.end() ? log::kOffsetBeginning : it->second});
    positions[tp] = it == stored.end() ? core::Offset(0) : it->second;
  }
  RETURN_IF_ERROR(source_->Assign(assignment));
  {
    std::lock_guard lock(mu_);
    positions_ = std::move(positions);
  }
  cv_.notify_all();
  return core::Status::Ok();
}

core::Status Projector::ApplyWithRetry(const std::vector<log::Record>& batch) {
  auto backoff = options_.initial_backoff;
  while (true) {
    core::Result<ApplyReport> report = projection_.Apply(batch);
    if (report) return core::Status::Ok();
    const core::Status& error = report.error();
    if (!IsRedoable(error)) return error;
    if (!Backoff(&backoff, error)) return core::Status::Ok();  // stopping
    if (error.code() != core::StatusCode::kAborted) conn_->Reconnect().IgnoreError();
  }
}

core::Status Projector::RunLoop() {
  auto backoff = options_.initial_backoff;
  while (true) {
    core::Status s = Assign();
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
    auto polled = source_->Poll(options_.batch_size, options_.batch_wait);
    if (!polled) {
      if (!IsRedoable(polled.error())) return polled.error();
      if (!Backoff(&backoff, polled.error())) return core::Status::Ok();
      continue;
    }
    backoff = options_.initial_backoff;
    const std::vector<log::Record>& batch = polled.value();
    if (batch.empty()) continue;
    RETURN_IF_ERROR(ApplyWithRetry(batch));
    {
      std::lock_guard lock(mu_);
      if (stopping_) return core::Status::Ok();  // the batch may not have been applied
      for (const log::Record& r : batch) {
        auto& pos = positions_[{r.topic, r.partition}];
        pos = std::max(pos, core::Offset(r.offset.value() + 1));
      }
    }
    cv_.notify_all();
  }
}

}  // namespace chainflow::projections::token
