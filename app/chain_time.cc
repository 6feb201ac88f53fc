#include "app/chain_time.h"

#include "app/ingest_role.h"
#include "app/topics.h"
#include "chainflow/v1/events.pb.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;

namespace {

core::Result<std::optional<int64_t>> LastBlockEndTime(log::Admin& admin,
                                                      const std::string& topic) {
  ASSIGN_OR_RETURN(std::optional<log::Record> last,
                   admin.ReadLastRecord(topic, core::PartitionId(0)));
  if (!last) return std::optional<int64_t>();
  v1::Envelope envelope;
  if (!envelope.ParseFromString(last->value) || !envelope.has_block_end()) {
    return std::optional<int64_t>();
  }
  return std::optional<int64_t>(static_cast<int64_t>(envelope.block_end().timestamp()));
}

bool FollowedBy(const IngestRole* ingest, const std::string& chain) {
  if (ingest == nullptr) return false;
  for (const auto& p : ingest->Progress()) {
    if (p.chain == chain) return true;
  }
  return false;
}

}  // namespace

std::vector<api::handlers::ChainTimeFeed::Source> ChainTimeSources(const core::Config& config,
                                                                   log::Admin& admin,
                                                                   const IngestRole* ingest) {
  std::vector<api::handlers::ChainTimeFeed::Source> out;
  for (const std::string& chain : config.intents.ChainList()) {
    std::string topic = ChainEventsTopic(config, chain);
    const IngestRole* follower = FollowedBy(ingest, chain) ? ingest : nullptr;
    auto newest = [&admin, follower, chain, topic]() -> core::Result<std::optional<int64_t>> {
      if (follower != nullptr) {
        for (const auto& p : follower->Progress()) {
          if (p.chain == chain && p.ingested_time > 0) return std::optional(p.ingested_time);
        }
      }
      return LastBlockEndTime(admin, topic);
    };
    out.push_back({chain, std::move(newest)});
  }
  return out;
}

}  // namespace chainflow::app
