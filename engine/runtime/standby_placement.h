#pragma once

#include <map>
#include <string>
#include <vector>

#include "engine/log/admin.h"
#include "engine/log/record.h"

namespace chainflow::engine::runtime {

// Where standby copies of a processor's tasks go (README.md "Standby
// replicas"). librdkafka's assignors know nothing of standbys, so every
// instance derives the placement from what the group says (DescribeGroup):
// which instances are members and which instance's member holds each task.
// Pure functions: every instance, and `chainflow status`, computes the same
// placement from the same description.

// The group.instance.id of loop thread `thread` of instance `instance`: what
// the app names its static members, and what InstanceOf undoes.
std::string MemberInstanceId(const std::string& instance, int thread);

// The instance a member belongs to: its group.instance.id without the
// "-<thread>" MemberInstanceId appended; a member without one (dynamic
// membership) is an instance of its own, named by its member id.
std::string InstanceOf(const log::GroupMember& member);

// The instances that keep standby copies of a task owned by `owner`: the
// next min(replicas, |instances| - 1) distinct instances after `owner` in
// sorted order, wrapping around (so with k instances, instance i's tasks
// have standbys on i+1 .. i+replicas). `instances` may be unsorted and hold
// duplicates; an owner not among them gets none.
std::vector<std::string> StandbyInstances(std::vector<std::string> instances,
                                          const std::string& owner, int replicas);

// How a processor lays out its tasks: which store folder (TaskDirName) and
// changelog partition an input partition belongs to.
struct TaskLayout {
  bool co_partitioned = false;
  // input topic -> changelog topic (RunnerOptions::changelog_topics)
  std::map<std::string, std::string> changelog_topics;
};

// One task the group has given to a member, and its standbys.
struct TaskPlacement {
  std::string dir;               // TaskDirName of the task
  log::TopicPartition changelog;  // its changelog partition
  std::string owner;             // InstanceOf the member that holds it
  std::vector<std::string> standbys;  // StandbyInstances(members, owner, replicas)
};

// Every task some member of `group` holds, in `dir` order, with its
// standbys. Partitions of topics `layout` has no changelog for are left
// out. A co-partitioned task whose inputs the group split over instances
// (it should not: the range assignor keeps them together) goes to the
// instance holding its first input in topic order.
std::vector<TaskPlacement> PlaceStandbys(const log::GroupDescription& group,
                                         const TaskLayout& layout, int replicas);

}  // namespace chainflow::engine::runtime
