// `chainflow status | state-digest | rebuild`.
#include <algorithm>
#include <filesystem>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "api/handlers/status.h"
#include "app/catch_up.h"
#include "app/commands.h"
#include "app/processor_role.h"
#include "app/projector_role.h"
#include "app/shutdown.h"
#include "app/status_collector.h"
#include "app/topics.h"
#include "app/views.h"
#include "engine/core/crypto.h"
#include "engine/core/hex.h"
#include "engine/processors/intents/intents.h"
#include "engine/runtime/state_digest.h"
#include "engine/wire/topics.h"
#include "projections/pg/migrate.h"
#include "projections/pg/offsets.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;

namespace {

std::string OptBlock(const std::optional<core::BlockNumber>& b) {
  return b ? std::to_string(b->value()) : "-";
}

void PrintTable(const api::handlers::PipelineStatus& st) {
  for (const auto& s : st.services) {
    fmt::print("{:<9} {:<12} {}{}\n", s.name, s.reachable ? "reachable" : "UNREACHABLE",
               s.endpoint, s.reachable ? "" : ": " + s.error);
  }
  if (!st.services.empty()) fmt::print("\n");
  // Name columns as wide as their longest value (contract names are the
  // user's), the numbers at fixed widths.
  size_t chain_w = 12;
  for (const auto& c : st.chains) chain_w = std::max(chain_w, c.name.size());
  fmt::print("{:<{}} {:>12} {:>12} {:>12} {:>10} {:>8} {:>7} {:>7} {:>12}\n", "chain", chain_w,
             "head", "ingested", "finalized", "lag", "lag_s", "reorgs", "deepest", "decisions");
  for (const auto& c : st.chains) {
    fmt::print("{:<{}} {:>12} {:>12} {:>12} {:>10} {:>8} {:>7} {:>7} {:>12}\n", c.name, chain_w,
               OptBlock(c.head), OptBlock(c.ingested_block), OptBlock(c.finalized_block),
               c.lag_blocks, c.lag_seconds ? std::to_string(*c.lag_seconds) : "-", c.reorgs,
               c.deepest_reorg, OptBlock(c.decisions_block));
    if (!c.error.empty()) fmt::print("  {}: {}\n", c.name, c.error);
  }
  size_t name_w = 14, topic_w = 28, owner_w = 24;
  for (const auto& c : st.consumers) {
    name_w = std::max(name_w, c.name.size());
    topic_w = std::max(topic_w, c.topic.size());
    owner_w = std::max(owner_w, c.owner.size());
  }
  fmt::print("\n{:<11} {:<{}} {:<{}} {:>4} {:>12} {:>12} {:>10} {:>8}  {:<{}} {}\n", "kind",
             "name", name_w, "topic", topic_w, "part", "next", "end", "lag", "open_txn", "owner",
             owner_w, "standbys");
  for (const auto& c : st.consumers) {
    const bool processor = c.kind == "processor";
    std::string standbys;
    for (const std::string& s : c.standbys) standbys += (standbys.empty() ? "" : ",") + s;
    if (standbys.empty()) standbys = "-";
    std::string line = fmt::format(
        "{:<11} {:<{}} {:<{}} {:>4} {:>12} {:>12} {:>10} {:>8}  {:<{}} {}", c.kind, c.name,
        name_w, c.topic, topic_w, c.partition.value(), c.next_offset.value(),
        c.end_offset.value(), c.lag, c.in_open_transactions,
        !processor ? "" : c.owner.empty() ? "-" : c.owner, owner_w, processor ? standbys : "");
    line.erase(line.find_last_not_of(' ') + 1);  // projections have no owner columns
    fmt::print("{}\n", line);
  }
  fmt::print("\nready: {}{}\n", st.ready ? "yes" : "no",
             st.ready ? "" : " (" + st.not_ready_reason + ")");
}

// Drops the PostgreSQL views (every one, or only `only`) and their offsets.
// A view replays its topic from the start when it is rebuilt alone or is
// `rebuild_from_start` (views.h); the others (nft, token) start at the
// current end of their topics and apply only what the rebuilt processors
// append from now on.
core::Status ResetViews(const core::Config& config, log::Admin& admin, const std::string& only) {
  ASSIGN_OR_RETURN(auto conn, projections::pg::Connection::Open(config.postgres.url));
  RETURN_IF_ERROR(projections::pg::Migrate(*conn));
  for (const ViewDef& view : Views(config)) {
    if (!only.empty() && view.name != only) continue;
    RETURN_IF_ERROR(view.truncate(*conn));
    if (!only.empty() || view.rebuild_from_start) continue;
    ASSIGN_OR_RETURN(auto ends, EndOffsets(admin, {view.topic}));
    ASSIGN_OR_RETURN(auto tx, conn->Begin());
    RETURN_IF_ERROR(projections::pg::WriteOffsets(*tx, view.name, ends));
    RETURN_IF_ERROR(tx->Commit());
  }
  return core::Status::Ok();
}

core::Status DeleteChangelogs(const core::Config& config, log::Admin& admin) {
  auto changelogs = [&]() -> core::Result<std::vector<std::string>> {
    ASSIGN_OR_RETURN(std::vector<std::string> topics, admin.ListTopics());
    std::vector<std::string> out;
    for (const std::string& topic : topics) {
      for (const std::string& name : ProcessorNames()) {
        if (topic.rfind(ChangelogTopicPrefix(config, name), 0) == 0) out.push_back(topic);
      }
    }
    return out;
  };
  ASSIGN_OR_RETURN(std::vector<std::string> doomed, changelogs());
  if (doomed.empty()) return core::Status::Ok();
  RETURN_IF_ERROR(admin.DeleteTopics(doomed));
  // Deletion is asynchronous; a topic created again while the old one is
  // still listed would be taken for it (and then disappear).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (true) {
    ASSIGN_OR_RETURN(std::vector<std::string> left, changelogs());
    if (left.empty()) return core::Status::Ok();
    if (std::chrono::steady_clock::now() > deadline) {
      return core::DeadlineExceededError(
          fmt::format("changelog topic {} still listed 60 s after its deletion", left.front()));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

core::Status SkipExistingDeltas(const core::Config& config, log::Admin& admin) {
  ASSIGN_OR_RETURN(auto ends, EndOffsets(admin, {TokenDeltasTopic(config)}));
  RETURN_IF_ERROR(engine::runtime::ProcessorRunner::SeedPositions(
      ProcessorStateDir(config, "token_balances"), ends));
  // The intents processor joins the deltas with the user events, which stay
  // as they are: only its deltas position moves to the end.
  RETURN_IF_ERROR(engine::runtime::ProcessorRunner::SeedPositions(
      ProcessorStateDir(config, "intents"), ends, /*co_partitioned=*/true));
  // The rebuilt intents tasks send their epoch parts again: the epochs
  // processor adds up only those.
  ASSIGN_OR_RETURN(auto part_ends,
                   EndOffsets(admin, {engine::wire::SettlementPartsTopic(
                                         config.kafka.topic_prefix)}));
  return engine::runtime::ProcessorRunner::SeedPositions(ProcessorStateDir(config, "epochs"),
                                                         part_ends);
}

core::Status CatchUp(const core::Config& config, log::Admin& admin, bool process) {
  std::unique_ptr<ProcessorRole> processor;
  if (process) {
    ASSIGN_OR_RETURN(processor, ProcessorRole::Open(config, admin));
    processor->Start();
    RETURN_IF_ERROR(WaitForProcessors(*processor, admin));
    processor->Stop();
  }
  ASSIGN_OR_RETURN(auto projector, ProjectorRole::Open(config, admin));
  RETURN_IF_ERROR(projector->Start());
  ASSIGN_OR_RETURN(auto ends, EndOffsets(admin, projector->topics()));
  return WaitForProjector(*projector, ends);
}

}  // namespace

int PrintStatus(const core::Config& config, bool json,
                std::shared_ptr<const engine::abi::Catalog> catalog) {
  auto admin = OpenStatusAdmin(config);
  if (!admin.has_value()) {
    fmt::print(stderr, "chainflow: status: {}\n", admin.error().ToString());
    return kExitFailure;
  }
  StatusCollector collector(config, *admin.value(), nullptr, std::move(catalog));
  auto st = collector.Collect();
  if (!st.has_value()) {
    fmt::print(stderr, "chainflow: status: {}\n", st.error().ToString());
    return kExitFailure;
  }
  if (json) {
    fmt::print("{}\n", boost::json::serialize(api::handlers::PipelineStatusToJson(st.value())));
  } else {
    PrintTable(st.value());
  }
  // Scripts that ran `chainflow status` to check the brokers keep seeing a
  // failure when one cannot be reached.
  for (const auto& service : st.value().services) {
    if (!service.reachable) return kExitFailure;
  }
  return kExitOk;
}

int PrintStateDigest(const core::Config& config, DigestDetail detail) {
  auto fail = [](const core::Status& st) {
    fmt::print(stderr, "chainflow: state-digest: {}\n", st.ToString());
    return kExitFailure;
  };
  if (detail == DigestDetail::kKeys) {
    core::Status st = engine::runtime::ForEachDigestedPair(
        config.state.dir,
        [](const std::string& store, std::string_view key, std::string_view value) {
          fmt::print("{}\t{}\t{}\n", store, core::ToHex(key).substr(2),
                     core::ToHex(core::Sha256(value)).substr(2));
        });
    return st.ok() ? kExitOk : fail(st);
  }
  if (detail == DigestDetail::kStores) {
    auto digests = engine::runtime::StoreDigests(config.state.dir);
    if (!digests.has_value()) return fail(digests.error());
    fmt::print("{}\n", digests.value().all);
    for (const auto& [store, d] : digests.value().stores) fmt::print("{}  {}\n", d, store);
    return kExitOk;
  }
  auto digest = engine::runtime::StateDigest(config.state.dir);
  if (!digest.has_value()) return fail(digest.error());
  fmt::print("{}\n", digest.value());
  return kExitOk;
}

int Rebuild(const core::Config& config, const std::string& view) {
  if (!view.empty()) {
    bool known = false;
    for (const ViewDef& v : Views(config)) known = known || v.name == view;
    if (!known) {
      fmt::print(stderr, "chainflow: rebuild: unknown view \"{}\" (known: {})\n", view,
                 ViewNames(config));
      return kExitUsage;
    }
  }
  auto admin = log::Admin::Open(config.kafka.brokers);
  core::Status st = admin.has_value() ? EnsureTopics(config, *admin.value()) : admin.error();
  bool views_only = !view.empty();
  if (st.ok() && !views_only) {
    for (const std::string& name : ProcessorNames()) {
      std::error_code ec;
      std::filesystem::remove_all(ProcessorStateDir(config, name), ec);
      if (ec) st = core::UnavailableError("cannot remove processor state: " + ec.message());
    }
    // The changelogs are the stores' truth: a rebuilt store must not be
    // restored from the old ones. The processors create them anew.
    if (st.ok()) st = DeleteChangelogs(config, *admin.value());
    // The deltas topic keeps what the old splitter wrote, and the rebuilt
    // one appends it all again: the rebuilt balances start at its end.
    if (st.ok()) st = SkipExistingDeltas(config, *admin.value());
  }
  if (st.ok()) st = ResetViews(config, *admin.value(), view);
  if (st.ok()) st = CatchUp(config, *admin.value(), /*process=*/!views_only);
  if (!st.ok()) {
    fmt::print(stderr, "chainflow: rebuild failed: {}\n", st.ToString());
    return kExitFailure;
  }
  fmt::print("rebuild {}: done\n", views_only ? "view " + view : "all derived state");
  return kExitOk;
}

}  // namespace chainflow::app
