#include "projections/nft/projector.h"

#include <string>

#include "engine/wire/topics.h"
#include "projections/nft/nft_projection.h"

namespace chainflow::projections::nft {

pg::ProjectorOptions ProjectorOptionsFor(const core::Config& config, int32_t partitions) {
  return pg::ProjectorOptions::FromConfig(config, std::string(kProjectionName),
                                          engine::wire::OwnershipTopic(config.kafka.topic_prefix),
                                          partitions);
}

core::Result<std::unique_ptr<pg::Projector>> OpenProjector(
    const pg::ProjectorOptions& options, std::unique_ptr<engine::log::RecordSource> source,
    std::unique_ptr<pg::Connection> conn, engine::log::RecordSink* dlq) {
  return pg::Projector::Open(
      options, std::move(source), std::move(conn), dlq,
      [](pg::Connection& c, engine::log::RecordSink* sink, const std::string& dlq_topic) {
        return std::make_unique<NftProjection>(c, sink, dlq_topic);
      });
}

}  // namespace chainflow::projections::nft
