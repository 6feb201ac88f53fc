#pragma once

#include <memory>

#include "api/handlers/chain_time_feed.h"
#include "api/handlers/dedup_store.h"
#include "api/handlers/user_clock.h"
#include "api/handlers/user_event_clock.h"
#include "api/handlers/user_event_writer.h"
#include "engine/core/config.h"
#include "engine/core/result.h"
#include "engine/log/admin.h"
#include "engine/log/producer.h"

namespace chainflow::app {

class IngestRole;

// What the API's write endpoints append with (part of the serve role): a
// producer for <prefix>.user.events and the idempotency store in
// intents.idempotency_dir; the user event clock that stamps received_at and
// the ticks, fed with the newest block time of the intents.chains
// (chain_time.h, every 500 ms); and the user clock's ticker (a tick to
// every partition each intents.clock_interval_ms, 0: none). Owns them all;
// must outlive the ApiService given output(). Thread-safe like its parts.
class UserEventsRole {
 public:
  // The topic must exist (EnsureTopics). Unavailable when the broker cannot
  // be asked for the partition count or the store directory is locked.
  // `admin` must outlive the role; so must `ingest` (optional: the
  // in-process ingest, whose progress is the freshest chain time).
  static engine::core::Result<std::unique_ptr<UserEventsRole>> Open(
      const engine::core::Config& config, engine::log::Admin& admin,
      const IngestRole* ingest = nullptr);
  ~UserEventsRole();  // Stop()s

  const api::handlers::UserEventsOutput& output() const { return output_; }

  // Stops the ticker and the chain time feed, flushes what is still queued (every write is flushed
  // before it is answered, so this is normally nothing). Idempotent.
  void Stop();

 private:
  UserEventsRole() = default;

  std::unique_ptr<engine::log::Producer> producer_;
  std::unique_ptr<api::handlers::RocksDedupStore> store_;
  std::unique_ptr<api::handlers::UserEventClock> clock_;
  std::unique_ptr<api::handlers::ChainTimeFeed> feed_;  // null: no intents.chains
  api::handlers::UserEventsOutput output_;
  std::unique_ptr<api::handlers::UserClockTicker> ticker_;  // null: no ticks
};

}  // namespace chainflow::app
