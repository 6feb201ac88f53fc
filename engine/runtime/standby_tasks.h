#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/admin.h"
#include "engine/log/source.h"
#include "engine/runtime/standby_placement.h"
#include "engine/state/store.h"

namespace chainflow::engine::runtime {

struct StandbyOptions {
  std::string processor;  // metrics label and log prefix
  // The processor's state root (RunnerOptions::state_dir): a copy lives
  // where the active task's store would (TaskStateDir), so the active task
  // opens it as its local checkpoint.
  std::string state_dir;
  TaskLayout layout;
  std::string instance;  // this instance, as InstanceOf names its members
  int replicas = 1;      // [engine] num_standby_replicas
  size_t batch_size = 5000;
  std::chrono::milliseconds poll_wait{100};
  // How often the group is described and the copies re-placed (Start's loop).
  std::chrono::milliseconds refresh_interval{1000};
};

// Standby copies of a processor's tasks that other instances own (README.md
// "Standby replicas"): for each task StandbyPlacement puts on this instance,
// a store under the processor's state root, in the active task's layout,
// kept up to date by tailing the task's changelog partition
// (read_committed: only committed transactions) and recording the changelog
// checkpoint (Task::ChangelogCheckpointKey) with every applied batch. When
// the group gives the task to this instance, the runner claims the store
// (Claim, from RunnerOptions::claim_store), the copy is closed, and the task
// restores only the changelog records after the copy's checkpoint.
//
// A copy is never open together with the active task of this process: a
// claimed store is not opened until Release. Placement changes only while
// the group is Stable; a copy no longer placed here is closed and stays on
// disk (a later copy or task continues from its checkpoint).
//
// Errors never stop anything: a copy is an optimisation. Refresh and
// PollOnce return them; Start's loop logs them and backs off.
//
// Threads: Start() runs Refresh and PollOnce on an owned thread (or a test
// calls them from one thread); Claim, Release, Tasks and Lag are safe from
// any thread.
class StandbyTasks {
 public:
  // The processor's consumer group, as Admin::DescribeGroup returns it.
  using DescribeGroup = std::function<core::Result<log::GroupDescription>()>;

  // `reader`: a consumer with manual assignment (Assign), read_committed,
  // owned from here on.
  static core::Result<std::unique_ptr<StandbyTasks>> Open(StandbyOptions options,
                                                          std::unique_ptr<log::RecordSource> reader,
                                                          DescribeGroup describe);
  ~StandbyTasks();  // stops; closes every copy

  // Describes the group and opens or closes copies to match the placement.
  core::Status Refresh();
  // Reads what the copies' changelogs have gained (waiting at most
  // poll_wait) and applies it; returns the records applied.
  core::Result<size_t> PollOnce();

  void Start();
  void Stop();  // idempotent; joins the thread

  // The store at `store_path` is about to be opened by an active task:
  // closes its copy (waiting for a batch being applied to it), and opens
  // none there until Release(store_path).
  void Claim(const std::string& store_path);
  void Release(const std::string& store_path);

  // Task folders (TaskDirName) of the open copies, sorted.
  std::vector<std::string> Tasks() const;
  // Records each open copy is behind its changelog's end as last seen
  // (folder -> records); a copy whose end is not known yet is left out.
  std::map<std::string, int64_t> Lag() const;

 private:
  struct Copy {
    std::string dir;  // TaskDirName
    log::TopicPartition changelog;
    std::unique_ptr<state::Store> store;
    core::Offset next;  // changelog checkpoint: the next offset to apply
  };
  StandbyTasks(StandbyOptions options, std::unique_ptr<log::RecordSource> reader,
               DescribeGroup describe);
  // Opens copies of `wanted` (store path -> task) and closes the others.
  // mu_ held.
  void PlaceLocked(const std::map<std::string, TaskPlacement>& wanted);
  // Applies `records` (one changelog partition's, in offset order) to its
  // copy, if still open. mu_ held.
  core::Result<size_t> ApplyLocked(const log::TopicPartition& changelog,
                                   const std::vector<const log::Record*>& records);
  void UpdateLag();
  void PublishLocked() const;
  void Run();

  StandbyOptions options_;
  std::unique_ptr<log::RecordSource> reader_;  // standby thread only
  DescribeGroup describe_;

  mutable std::mutex mu_;
  std::map<std::string, Copy> copies_;    // by store path; guarded by mu_
  std::set<std::string> claimed_;         // store paths; guarded by mu_
  bool reassign_ = false;                 // copies_ changed since the last Assign
  std::map<std::string, int64_t> lag_;    // by folder; guarded by mu_

  std::atomic<bool> stop_{false};
  std::atomic<bool> running_{false};
  std::thread thread_;
};

}  // namespace chainflow::engine::runtime
