#include "app/projector_role.h"

#include <fmt/format.h>

#include "app/topics.h"
#include "engine/log/consumer.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;

namespace {

constexpr char kFetchWaitMs[] = "10";
// A bulk load's projections (chainflow replay) fetch with the consumer's
// usual wait: a view that has nothing to read (most, in a replay of one
// contract's history) would otherwise ask the broker a hundred times a
// second. Six idle projections cost the broker 1.5 s of CPU in 10 s at
// 10 ms and 0.36 s at 100 ms; in a replay that CPU is taken from the load.
constexpr char kBulkLoadFetchWaitMs[] = "100";

core::Result<std::unique_ptr<log::Consumer>> OpenConsumer(const core::Config& config,
                                                          const std::string& group,
                                                          const std::string& client,
                                                          bool bulk_load) {
  log::ConsumerOptions consumer_options;
  consumer_options.brokers = config.kafka.brokers;
  consumer_options.group_id = group;
  consumer_options.client_id = client;
  // Projections read only the envelope: parsing and copying every record's
  // six CloudEvents headers would be work for nothing.
  consumer_options.with_headers = false;
  // Head-to-view latency: a read_committed fetch that finds nothing stable
  // is held by the broker up to fetch.wait.max.ms (100 ms by default here),
  // and a transaction committed meanwhile may wait that long to be seen.
  consumer_options.properties.emplace("fetch.wait.max.ms",
                                      bulk_load ? kBulkLoadFetchWaitMs : kFetchWaitMs);
  return log::Consumer::Open(consumer_options);
}

}  // namespace

ProjectorRole::~ProjectorRole() { Stop(); }

core::Status ProjectorRole::Start() {
  for (Projection& p : projections_) RETURN_IF_ERROR(p.projector->Start());
  return core::Status::Ok();
}

void ProjectorRole::Stop() {
  // All asked first: each may be in a poll of up to a fetch wait, and those
  // end together instead of one after another (0.11-0.15 s with six views).
  for (Projection& p : projections_) p.projector->RequestStop();
  for (Projection& p : projections_) p.projector->Stop();
}

core::Status ProjectorRole::FinishBulkLoad(const core::Config& config) {
  for (Projection& p : projections_) {
    if (!p.view.finish_bulk_load) continue;
    ASSIGN_OR_RETURN(auto conn, projections::pg::Connection::Open(config.postgres.url));
    core::Status done = p.view.finish_bulk_load(*conn);
    if (!done.ok()) {
      return done.WithContext(fmt::format("finishing the bulk load of {}", p.view.name));
    }
  }
  return core::Status::Ok();
}

std::vector<std::string> ProjectorRole::topics() const {
  std::vector<std::string> out;
  for (const Projection& p : projections_) out.push_back(p.view.topic);
  return out;
}

core::Status ProjectorRole::status() const {
  for (const Projection& p : projections_) {
    if (!p.projector->status().ok()) return p.projector->status();
  }
  return core::Status::Ok();
}

core::Result<std::unique_ptr<ProjectorRole>> ProjectorRole::Open(
    const core::Config& config, log::Admin& admin,
    std::shared_ptr<const engine::abi::Catalog> catalog, uint64_t bulk_load) {
  std::unique_ptr<ProjectorRole> role(new ProjectorRole());
  ASSIGN_OR_RETURN(role->dlq_producer_,
                   log::Producer::Open(ProducerOptionsFor(config, "chainflow-projector")));
  for (ViewDef& view : Views(config, std::move(catalog))) {
    ASSIGN_OR_RETURN(int partitions, admin.PartitionCount(view.topic));
    ASSIGN_OR_RETURN(auto consumer, OpenConsumer(config, "chainflow.projection." + view.name,
                                                 "chainflow-projector-" + view.name,
                                                 bulk_load > 0));
    ASSIGN_OR_RETURN(auto conn, projections::pg::Connection::Open(config.postgres.url));
    auto options =
        projections::pg::ProjectorOptions::FromConfig(config, view.name, view.topic, partitions);
    options.bulk_load = bulk_load;
    ASSIGN_OR_RETURN(auto projector, view.open(options, std::move(consumer), std::move(conn),
                                               role->dlq_producer_.get()));
    role->projections_.push_back({std::move(view), std::move(projector)});
  }
  return role;
}

}  // namespace chainflow::app
