// `chainflow replay`: a history file through the whole pipeline, then exit.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <algorithm>
#include <filesystem>
#include <thread>

#include <fmt/format.h>

#include "app/catch_up.h"
#include "app/commands.h"
#include "app/processor_role.h"
#include "app/progress.h"
#include "app/projector_role.h"
#include "app/shutdown.h"
#include "app/topics.h"
#include "engine/abi/catalog.h"
#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "engine/log/producer.h"
#include "ingest/common/admin_tail_reader.h"
#include "ingest/evm/file_replay.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;

namespace {

struct Stages {
  std::unique_ptr<log::Admin> admin;
  std::unique_ptr<ProcessorRole> processor;
  std::unique_ptr<ProjectorRole> projector;
};

// Waits until contract_events has relayed everything `topic` holds now (its
// group's committed offsets at the topic's ends): only then is a contract
// topic's last position all ingest needs to write it directly (README.md
// "Direct lanes"). A fresh deployment's topic is empty: no wait.
core::Status WaitForRelayed(const core::Config& config, log::Admin& admin,
                            const std::string& topic) {
  ASSIGN_OR_RETURN(Offsets ends, EndOffsetsOnceReachable(admin, {topic}));
  std::vector<log::TopicPartition> partitions;
  for (const auto& [tp, end] : ends) {
    if (end.value() > 0) partitions.push_back(tp);
  }
  if (partitions.empty()) return core::Status::Ok();
  const std::string group = ProcessorGroupId(config, "contract_events");
  auto started = std::chrono::steady_clock::now();
  auto warned = started;
  for (;;) {
    ASSIGN_OR_RETURN(auto committed, admin.CommittedOffsets(group, partitions));
    int64_t behind = 0;
    for (const auto& tp : partitions) {
      int64_t at = 0;
      for (const auto& c : committed) {
        if (c.topic == tp.topic && c.partition == tp.partition) at = c.offset.value();
      }
      behind += std::max<int64_t>(0, ends.at(tp).value() - at);
    }
    if (behind == 0) return core::Status::Ok();
    auto now = std::chrono::steady_clock::now();
    if (now - warned >= std::chrono::seconds(10)) {
      core::Logger("app")->warn(
          "waiting for contract_events to relay the {} records of {} it has not yet (group "
          "{}): contract events are written to their topics directly only after that; is a "
          "processor running?",
          behind, topic, group);
      warned = now;
    }
    if (WaitForShutdown(std::chrono::milliseconds(250))) {
      return core::CancelledError("interrupted");
    }
  }
}

core::Result<ingest::evm::ReplaySummary> AppendFile(
    const core::Config& config, Stages& s, const std::string& chain, const std::string& path,
    std::shared_ptr<const engine::abi::Catalog> catalog) {
  if (!catalog) {
    ASSIGN_OR_RETURN(catalog, engine::abi::Catalog::Load(config));
  }
  ingest::evm::DirectLanes direct;
  direct.topic_prefix = config.kafka.topic_prefix;
  direct.open = [&s](const std::string& topic) -> core::Result<ingest::evm::DirectLanes::Tails> {
    ASSIGN_OR_RETURN(int partitions, s.admin->PartitionCount(topic));
    return ingest::evm::DirectLanes::Tails{
        std::make_unique<ingest::common::AdminTailReader>(*s.admin, topic), partitions};
  };
  const bool any_direct = !ingest::evm::DirectContracts(*catalog, chain).empty();
  if (any_direct) {
    RETURN_IF_ERROR(WaitForRelayed(config, *s.admin, ChainEventsTopic(config, chain)));
  }
  ASSIGN_OR_RETURN(auto producer,
                   log::Producer::Open(ProducerOptionsFor(config, "chainflow-replay")));
  ingest::common::AdminTailReader tails(*s.admin, ChainEventsTopic(config, chain));
  ProgressBar bar(fmt::format("append {}", chain));
  auto summary = ingest::evm::ReplayFile(
      config, chain, path, *producer, tails, [&bar](const ingest::evm::ReplayProgress& p) {
        bar.Update(p.bytes_read, p.total_bytes, p.events);
      },
      std::move(catalog), any_direct ? &direct : nullptr);
  bar.Finish();
  return summary;
}

}  // namespace

int Replay(const core::Config& config, const std::string& chain, const std::string& path,
           bool append_only, std::shared_ptr<const engine::abi::Catalog> catalog) {
  auto logger = core::Logger("app");
  if (!config.FindChain(chain)) {
    fmt::print(stderr, "chainflow: replay: no chain named \"{}\" in the configuration\n", chain);
    return kExitUsage;
  }
  // A file that cannot be read is bad usage, said before anything connects.
  if (std::error_code ec; std::filesystem::is_directory(path, ec)) {
    fmt::print(stderr, "chainflow: replay: {} is a directory, not a history file\n", path);
    return kExitUsage;
  }
  if (std::FILE* file = std::fopen(path.c_str(), "rb")) {
    std::fclose(file);
  } else {
    fmt::print(stderr, "chainflow: replay: cannot open {}: {}\n", path, std::strerror(errno));
    return kExitUsage;
  }
  auto started = std::chrono::steady_clock::now();
  Stages s;
  auto fail = [&](const core::Status& st) {
    fmt::print(stderr, "chainflow: replay failed: {}\n", st.ToString());
    // A processor thread stuck in the broker (the role's failure) cannot be
    // joined: past stop_timeout_ms the process exits 3, as `run` does.
    StopDeadline deadline(std::chrono::milliseconds(config.engine.stop_timeout_ms),
                          kExitStopTimedOut);
    if (s.processor) s.processor->Stop();
    s.processor.reset();  // closed while the deadline still holds
    if (s.projector) {
      s.projector->Stop();
      // What the load dropped is built even when it stops early (the next
      // projector would build it at the head, but `serve` alone would not).
      if (core::Status built = s.projector->FinishBulkLoad(config); !built.ok()) {
        logger->warn("the parameter indexes a bulk load dropped are not built yet: {}; the "
                     "next project/run builds them at the head",
                     built.ToString());
      }
    }
    return st.code() == core::StatusCode::kNotFound ? kExitUsage : kExitFailure;
  };
  auto admin = log::Admin::Open(config.kafka.brokers);
  if (!admin.has_value()) return fail(admin.error());
  s.admin = std::move(admin).value();
  if (core::Status st = EnsureTopics(config, *s.admin); !st.ok()) return fail(st);

  // The file's decoder, the processors and the views share `catalog`.

  if (append_only) {
    // The deployment's `process` and `project` instances do the rest.
    auto summary = AppendFile(config, s, chain, path, catalog);
    if (!summary.has_value()) return fail(summary.error());
    const auto& sum = summary.value();
    fmt::print("replay {}: {} events ({} appended, {} already in the log), {} rejected, {} "
               "blocks, {:.2f} s (append only)\n",
               chain, sum.events_appended + sum.events_skipped, sum.events_appended,
               sum.events_skipped, sum.rejected, sum.blocks,
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return kExitOk;
  }
  // Processing overlaps ingest: both stages start before the file is read.
  // The views open first: a processor opened but never started cannot be
  // closed (its group consumer blocks in librdkafka serving an assignment
  // nobody polled), so nothing may fail between its Open and its Start.
  // A replay is a bulk load; the views get its size, at least one event per
  // KiB of file (a log as JSON takes 500 bytes or more), to prepare for it.
  std::error_code size_error;
  const uintmax_t file_bytes = std::filesystem::file_size(path, size_error);
  const uint64_t bulk_load = size_error ? 0 : static_cast<uint64_t>(file_bytes / 1024);
  auto projector = ProjectorRole::Open(config, *s.admin, catalog, bulk_load);
  if (!projector.has_value()) return fail(projector.error());
  s.projector = std::move(projector).value();
  if (core::Status st = s.projector->Start(); !st.ok()) return fail(st);
  auto processor = ProcessorRole::Open(config, *s.admin, catalog);
  if (!processor.has_value()) return fail(processor.error());
  s.processor = std::move(processor).value();
  s.processor->Start();

  auto summary = AppendFile(config, s, chain, path, catalog);
  if (!summary.has_value()) return fail(summary.error());
  logger->info("file appended after {:.2f} s",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());

  if (core::Status st = WaitForProcessors(*s.processor, *s.admin); !st.ok()) return fail(st);
  logger->info("processor caught up after {:.2f} s",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  auto output_ends = EndOffsetsOnceReachable(*s.admin, s.projector->topics());
  if (!output_ends.has_value()) return fail(output_ends.error());
  if (core::Status st = WaitForProjector(*s.projector, output_ends.value()); !st.ok()) {
    return fail(st);
  }
  logger->info("views caught up after {:.2f} s",
               std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
  s.processor->Stop();
  s.projector->Stop();
  if (core::Status st = s.projector->FinishBulkLoad(config); !st.ok()) return fail(st);

  auto& metrics = core::MetricsRegistry::Global();
  core::Labels labels{{"processor", "nft_ownership"}};
  core::Logger("app")->info(
      "processor: {} records in {} batches",
      metrics.GetCounter("chainflow_processor_records_total", "", labels).Value(),
      metrics.GetCounter("chainflow_processor_batches_total", "", labels).Value());
  // Where each processor's loop spent its time (--log-level debug).
  for (const std::string& name : ProcessorNames()) {
    std::string line;
    for (const char* stage : {"poll", "apply", "changelog", "transaction", "store"}) {
      core::Labels l{{"processor", name}, {"stage", stage}};
      line += fmt::format(
          " {} {:.2f} s", stage,
          metrics.GetCounter("chainflow_processor_stage_microseconds_total", "", l).Value() /
              1e6);
    }
    core::Logger("app")->debug("processor {}:{}", name, line);
  }
  const auto& sum = summary.value();
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  uint64_t events = sum.events_appended + sum.events_skipped;
  fmt::print(
      "replay {}: {} events ({} appended, {} already in the log), {} rejected, {} blocks, "
      "{:.2f} s, {:.0f} events/s\n",
      chain, events, sum.events_appended, sum.events_skipped, sum.rejected, sum.blocks, seconds,
      seconds > 0 ? static_cast<double>(events) / seconds : 0.0);
  return kExitOk;
}

}  // namespace chainflow::app
