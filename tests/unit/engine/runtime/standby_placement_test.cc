// Standby placement (standby_placement.h): which instances keep copies of
// which tasks, derived from a consumer group's description alone.
#include "engine/runtime/standby_placement.h"

#include <gtest/gtest.h>

namespace chainflow::engine::runtime {
namespace {

using core::PartitionId;
using Strings = std::vector<std::string>;

log::GroupMember Member(const std::string& instance_id, std::vector<log::TopicPartition> parts) {
  return {"member-" + instance_id, instance_id, "client", "host", std::move(parts)};
}

log::TopicPartition Tp(const std::string& topic, int p) { return {topic, PartitionId(p)}; }

TEST(StandbyPlacementTest, AMemberBelongsToTheInstanceItsStaticNameStartsWith) {
  EXPECT_EQ(MemberInstanceId("host-1a2b3c4d", 1), "host-1a2b3c4d-1");
  EXPECT_EQ(InstanceOf(Member(MemberInstanceId("host-1a2b3c4d", 1), {})), "host-1a2b3c4d");
  EXPECT_EQ(InstanceOf(Member(MemberInstanceId("b", 12), {})), "b");
  // Not a thread suffix: the whole name.
  EXPECT_EQ(InstanceOf(Member("host-x", {})), "host-x");
  EXPECT_EQ(InstanceOf(Member("plain", {})), "plain");
  // A dynamic member is an instance of its own.
  log::GroupMember dynamic{"rdkafka-5f1c", "", "client", "host", {}};
  EXPECT_EQ(InstanceOf(dynamic), "rdkafka-5f1c");
}

TEST(StandbyPlacementTest, StandbysAreTheNextInstancesAfterTheOwnerInSortedOrder) {
  const Strings instances = {"c", "a", "b", "a"};  // any order, duplicates (threads)
  EXPECT_EQ(StandbyInstances(instances, "a", 1), Strings({"b"}));
  EXPECT_EQ(StandbyInstances(instances, "b", 1), Strings({"c"}));
  EXPECT_EQ(StandbyInstances(instances, "c", 1), Strings({"a"}));  // wraps around
  EXPECT_EQ(StandbyInstances(instances, "b", 2), Strings({"c", "a"}));
  // Never the owner, never twice: at most the other instances.
  EXPECT_EQ(StandbyInstances(instances, "a", 5), Strings({"b", "c"}));
  EXPECT_TRUE(StandbyInstances({"a"}, "a", 1).empty());
  EXPECT_TRUE(StandbyInstances(instances, "a", 0).empty());
  EXPECT_TRUE(StandbyInstances(instances, "gone", 1).empty());
}

TEST(StandbyPlacementTest, EveryHeldTaskGetsItsChangelogAndStandbys) {
  log::GroupDescription group;
  group.state = "Stable";
  group.members = {Member("a-0", {Tp("in", 0), Tp("in", 2)}), Member("a-1", {Tp("in", 1)}),
                   Member("b-0", {Tp("in", 3), Tp("other", 0)}), Member("b-1", {})};
  const TaskLayout layout{false, {{"in", "cl.in"}}};
  const std::vector<TaskPlacement> placed = PlaceStandbys(group, layout, 1);
  ASSERT_EQ(placed.size(), 4u);  // "other" has no changelog: not a task of this processor
  for (int p = 0; p < 4; ++p) {
    const TaskPlacement& t = placed[static_cast<size_t>(p)];
    EXPECT_EQ(t.dir, "in-" + std::to_string(p));
    EXPECT_EQ(t.changelog, Tp("cl.in", p));
    const std::string owner = p == 3 ? "b" : "a";
    EXPECT_EQ(t.owner, owner);
    EXPECT_EQ(t.standbys, Strings({owner == "a" ? "b" : "a"}));
  }
}

TEST(StandbyPlacementTest, ACoPartitionedTaskIsOneTaskPerPartitionNumber) {
  log::GroupDescription group;
  group.state = "Stable";
  group.members = {Member("a-0", {Tp("deltas", 0), Tp("users", 0)}),
                   Member("b-0", {Tp("deltas", 1), Tp("users", 1)}),
                   Member("c-0", {})};
  const TaskLayout layout{true, {{"deltas", "cl"}, {"users", "cl"}}};
  const std::vector<TaskPlacement> placed = PlaceStandbys(group, layout, 2);
  ASSERT_EQ(placed.size(), 2u);
  EXPECT_EQ(placed[0].dir, "p-0");
  EXPECT_EQ(placed[0].changelog, Tp("cl", 0));
  EXPECT_EQ(placed[0].owner, "a");
  EXPECT_EQ(placed[0].standbys, Strings({"b", "c"}));
  EXPECT_EQ(placed[1].dir, "p-1");
  EXPECT_EQ(placed[1].owner, "b");
  EXPECT_EQ(placed[1].standbys, Strings({"c", "a"}));
}

TEST(StandbyPlacementTest, TheSameDescriptionPlacesAlikeWhateverTheMemberOrder) {
  log::GroupDescription one;
  one.members = {Member("a-0", {Tp("in", 0)}), Member("b-0", {Tp("in", 1)}),
                 Member("c-0", {Tp("in", 2)})};
  log::GroupDescription other = one;
  std::reverse(other.members.begin(), other.members.end());
  const TaskLayout layout{false, {{"in", "cl.in"}}};
  const auto a = PlaceStandbys(one, layout, 1);
  const auto b = PlaceStandbys(other, layout, 1);
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].dir, b[i].dir);
    EXPECT_EQ(a[i].owner, b[i].owner);
    EXPECT_EQ(a[i].standbys, b[i].standbys);
  }
}

}  // namespace
}  // namespace chainflow::engine::runtime
