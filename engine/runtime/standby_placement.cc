#include "engine/runtime/standby_placement.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "engine/runtime/task.h"

namespace chainflow::engine::runtime {

std::string MemberInstanceId(const std::string& instance, int thread) {
  return fmt::format("{}-{}", instance, thread);
}

std::string InstanceOf(const log::GroupMember& member) {
  if (member.instance_id.empty()) return member.member_id;
  const std::string& id = member.instance_id;
  const size_t dash = id.rfind('-');
  if (dash == std::string::npos || dash == 0 || dash + 1 == id.size()) return id;
  const bool thread_suffix = std::all_of(id.begin() + static_cast<std::ptrdiff_t>(dash) + 1,
                                         id.end(), [](char c) { return std::isdigit(c) != 0; });
  return thread_suffix ? id.substr(0, dash) : id;
}

std::vector<std::string> StandbyInstances(std::vector<std::string> instances,
                                          const std::string& owner, int replicas) {
  std::sort(instances.begin(), instances.end());
  instances.erase(std::unique(instances.begin(), instances.end()), instances.end());
  auto at = std::find(instances.begin(), instances.end(), owner);
  std::vector<std::string> out;
  if (at == instances.end() || replicas <= 0) return out;
  const size_t k = instances.size();
  const size_t owner_index = static_cast<size_t>(at - instances.begin());
  const size_t n = std::min(static_cast<size_t>(replicas), k - 1);
  for (size_t i = 1; i <= n; ++i) out.push_back(instances[(owner_index + i) % k]);
  return out;
}

std::vector<TaskPlacement> PlaceStandbys(const log::GroupDescription& group,
                                         const TaskLayout& layout, int replicas) {
  std::vector<std::string> instances;
  for (const log::GroupMember& m : group.members) instances.push_back(InstanceOf(m));
  // Task folder -> (the input that decided its owner, placement).
  std::map<std::string, std::pair<log::TopicPartition, TaskPlacement>> tasks;
  for (const log::GroupMember& m : group.members) {
    const std::string owner = InstanceOf(m);
    for (const log::TopicPartition& tp : m.partitions) {
      auto changelog = layout.changelog_topics.find(tp.topic);
      if (changelog == layout.changelog_topics.end()) continue;
      const std::string dir = TaskDirName(tp, layout.co_partitioned);
      auto [it, inserted] = tasks.try_emplace(dir);
      if (!inserted && !(tp < it->second.first)) continue;
      it->second.first = tp;
      it->second.second = TaskPlacement{dir, {changelog->second, tp.partition}, owner, {}};
    }
  }
  std::vector<TaskPlacement> out;
  for (auto& [dir, entry] : tasks) {
    TaskPlacement& p = entry.second;
    p.standbys = StandbyInstances(instances, p.owner, replicas);
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace chainflow::engine::runtime
