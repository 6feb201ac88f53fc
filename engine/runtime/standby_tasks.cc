#include "engine/runtime/standby_tasks.h"

#include <pthread.h>

#include <algorithm>
#include <filesystem>

#include <fmt/format.h>

#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "engine/runtime/task.h"

namespace chainflow::engine::runtime {

StandbyTasks::StandbyTasks(StandbyOptions options, std::unique_ptr<log::RecordSource> reader,
                           DescribeGroup describe)
    : options_(std::move(options)), reader_(std::move(reader)), describe_(std::move(describe)) {}

core::Result<std::unique_ptr<StandbyTasks>> StandbyTasks::Open(
    StandbyOptions options, std::unique_ptr<log::RecordSource> reader, DescribeGroup describe) {
  if (options.replicas <= 0) {
    return core::InvalidArgumentError(
        fmt::format("{}: standby copies need num_standby_replicas > 0", options.processor));
  }
  std::error_code ec;
  std::filesystem::create_directories(options.state_dir, ec);
  if (ec) {
    return core::UnavailableError(
        fmt::format("cannot create state dir {}: {}", options.state_dir, ec.message()));
  }
  return std::unique_ptr<StandbyTasks>(
      new StandbyTasks(std::move(options), std::move(reader), std::move(describe)));
}

StandbyTasks::~StandbyTasks() {
  Stop();
  std::lock_guard lock(mu_);
  copies_.clear();
}

core::Status StandbyTasks::Refresh() {
  ASSIGN_OR_RETURN(log::GroupDescription group, describe_());
  // Mid-rebalance the members' assignments are partial or empty: the
  // current copies stay until the group settles.
  if (group.state != "Stable") return core::Status::Ok();
  std::map<std::string, TaskPlacement> wanted;
  for (TaskPlacement& p : PlaceStandbys(group, options_.layout, options_.replicas)) {
    if (std::find(p.standbys.begin(), p.standbys.end(), options_.instance) == p.standbys.end()) {
      continue;
    }
    wanted.emplace(TaskStateDir(options_.state_dir, p.dir), std::move(p));
  }
  std::lock_guard lock(mu_);
  PlaceLocked(wanted);
  return core::Status::Ok();
}

void StandbyTasks::PlaceLocked(const std::map<std::string, TaskPlacement>& wanted) {
  auto logger = core::Logger("engine.runtime");
  for (auto it = copies_.begin(); it != copies_.end();) {
    if (wanted.count(it->first) > 0) {
      ++it;
      continue;
    }
    logger->info("[{}] standby copy of {} closed at changelog offset {} (placed elsewhere now)",
                 options_.processor, it->second.dir, it->second.next.value());
    lag_.erase(it->second.dir);
    it = copies_.erase(it);
    reassign_ = true;
  }
  for (const auto& [path, task] : wanted) {
    if (copies_.count(path) > 0 || claimed_.count(path) > 0) continue;
    auto store = state::Store::Open(path);
    if (!store.has_value()) {
      logger->warn("[{}] cannot open a standby copy of {}: {}", options_.processor, task.dir,
                   store.error().ToString());
      continue;
    }
    auto next = Task::ChangelogCheckpoint(*store.value());
    if (!next.has_value()) {
      logger->warn("[{}] standby copy of {}: {}", options_.processor, task.dir,
                   next.error().ToString());
      continue;
    }
    logger->info("[{}] standby copy of {} (owned by {}) from changelog {}/{} offset {}",
                 options_.processor, task.dir, task.owner, task.changelog.topic,
                 task.changelog.partition.value(), next.value().value());
    copies_.emplace(path, Copy{task.dir, task.changelog, std::move(store).value(), next.value()});
    reassign_ = true;
  }
  PublishLocked();
}

core::Result<size_t> StandbyTasks::PollOnce() {
  {
    std::lock_guard lock(mu_);
    if (reassign_) {
      std::vector<log::TopicPartitionOffset> assignment;
      for (const auto& [path, copy] : copies_) {
        assignment.push_back({copy.changelog.topic, copy.changelog.partition, copy.next});
      }
      RETURN_IF_ERROR(reader_->Assign(assignment));
      reassign_ = false;
    }
  }
  ASSIGN_OR_RETURN(std::vector<log::Record> records,
                   reader_->Poll(options_.batch_size, options_.poll_wait));
  std::map<log::TopicPartition, std::vector<const log::Record*>> by_changelog;
  for (const log::Record& r : records) by_changelog[{r.topic, r.partition}].push_back(&r);
  size_t applied = 0;
  {
    std::lock_guard lock(mu_);
    for (const auto& [changelog, recs] : by_changelog) {
      ASSIGN_OR_RETURN(size_t n, ApplyLocked(changelog, recs));
      applied += n;
    }
  }
  if (applied > 0) {
    core::MetricsRegistry::Global()
        .GetCounter("chainflow_standby_records_total",
                    "Changelog records applied to standby copies",
                    {{"processor", options_.processor}})
        .Inc(applied);
  }
  UpdateLag();
  return applied;
}

core::Result<size_t> StandbyTasks::ApplyLocked(const log::TopicPartition& changelog,
                                               const std::vector<const log::Record*>& records) {
  auto it = std::find_if(copies_.begin(), copies_.end(),
                         [&](const auto& entry) { return entry.second.changelog == changelog; });
  if (it == copies_.end()) return size_t{0};  // closed or claimed since the poll
  Copy& copy = it->second;
  std::unique_ptr<state::Batch> batch = copy.store->NewBatch();
  core::Offset next = copy.next;
  size_t applied = 0;
  for (const log::Record* r : records) {
    // Fetched before a reassignment moved the reader back: applied already.
    if (r->offset.value() < next.value()) continue;
    Task::AddChangelogRecord(*r, *batch);
    next = core::Offset(r->offset.value() + 1);
    ++applied;
  }
  if (applied == 0) return size_t{0};
  Task::SetChangelogCheckpoint(next, *batch);
  RETURN_IF_ERROR(copy.store->Commit(*batch));
  copy.next = next;
  return applied;
}

void StandbyTasks::UpdateLag() {
  auto positions = reader_->ReadPositions();
  auto ends = reader_->KnownEnds();
  if (!positions.has_value() || !ends.has_value()) return;
  std::map<log::TopicPartition, int64_t> read;
  for (const auto& p : positions.value()) read[{p.topic, p.partition}] = p.offset.value();
  std::lock_guard lock(mu_);
  for (const auto& end : ends.value()) {
    const log::TopicPartition tp{end.topic, end.partition};
    for (const auto& [path, copy] : copies_) {
      if (copy.changelog != tp) continue;
      // The reader's position steps over transaction markers; the
      // checkpoint (the last record + 1) does not.
      int64_t at = std::max<int64_t>(copy.next.value(), 0);
      auto r = read.find(tp);
      if (r != read.end()) at = std::max(at, r->second);
      lag_[copy.dir] = std::max<int64_t>(0, end.offset.value() - at);
    }
  }
  PublishLocked();
}

void StandbyTasks::PublishLocked() const {
  int64_t total = 0;
  for (const auto& [path, copy] : copies_) {
    auto it = lag_.find(copy.dir);
    if (it != lag_.end()) total += it->second;
  }
  const core::Labels labels{{"processor", options_.processor}};
  auto& metrics = core::MetricsRegistry::Global();
  metrics.GetGauge("chainflow_standby_tasks", "Standby copies of other instances' tasks", labels)
      .Set(static_cast<double>(copies_.size()));
  metrics
      .GetGauge("chainflow_standby_lag_records",
                "Changelog records the standby copies are behind, summed", labels)
      .Set(static_cast<double>(total));
}

void StandbyTasks::Claim(const std::string& store_path) {
  std::lock_guard lock(mu_);
  claimed_.insert(store_path);
  auto it = copies_.find(store_path);
  if (it == copies_.end()) return;
  core::Logger("engine.runtime")
      ->info("[{}] standby copy of {} handed to its active task at changelog offset {}",
             options_.processor, it->second.dir, it->second.next.value());
  lag_.erase(it->second.dir);
  copies_.erase(it);  // closes the store: the task opens it next
  reassign_ = true;
  PublishLocked();
}

void StandbyTasks::Release(const std::string& store_path) {
  std::lock_guard lock(mu_);
  claimed_.erase(store_path);
}

std::vector<std::string> StandbyTasks::Tasks() const {
  std::lock_guard lock(mu_);
  std::vector<std::string> out;
  for (const auto& [path, copy] : copies_) out.push_back(copy.dir);
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, int64_t> StandbyTasks::Lag() const {
  std::lock_guard lock(mu_);
  return lag_;
}

void StandbyTasks::Run() {
  auto logger = core::Logger("engine.runtime");
  auto next_refresh = std::chrono::steady_clock::now();
  std::chrono::milliseconds backoff{100};
  std::string last_warning;
  auto last_warned = std::chrono::steady_clock::time_point{};
  auto failed = [&](const core::Status& st) {
    // Rate-limited: a broker outage repeats the same error every cycle.
    const auto now = std::chrono::steady_clock::now();
    if (st.ToString() != last_warning || now - last_warned > std::chrono::seconds(30)) {
      logger->warn("[{}] standby copies: {} (retrying)", options_.processor, st.ToString());
      last_warning = st.ToString();
      last_warned = now;
    }
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, std::chrono::milliseconds{5000});
  };
  while (!stop_.load()) {
    if (std::chrono::steady_clock::now() >= next_refresh) {
      next_refresh = std::chrono::steady_clock::now() + options_.refresh_interval;
      core::Status st = Refresh();
      if (!st.ok()) {
        failed(st);
        continue;
      }
    }
    core::Result<size_t> applied = PollOnce();
    if (!applied.has_value()) {
      failed(applied.error());
      // Read again from the checkpoints: what the failed poll left is unknown.
      std::lock_guard lock(mu_);
      reassign_ = true;
      continue;
    }
    backoff = std::chrono::milliseconds{100};
  }
}

void StandbyTasks::Start() {
  if (running_.exchange(true)) return;
  stop_.store(false);
  thread_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "cf-standby");
    try {
      Run();
    } catch (const std::exception& e) {
      core::Logger("engine.runtime")
          ->error("[{}] standby copies stopped: {}", options_.processor, e.what());
    }
  });
}

void StandbyTasks::Stop() {
  stop_.store(true);
  if (thread_.joinable()) thread_.join();
  running_.store(false);
}

}  // namespace chainflow::engine::runtime
