#pragma once

#include <memory>

#include "api/handlers/dedup_store.h"
#include "api/handlers/user_clock.h"
#include "api/handlers/user_event_writer.h"
#include "engine/core/config.h"
#include "engine/core/result.h"
#include "engine/log/admin.h"
#include "engine/log/producer.h"

namespace chainflow::app {

// What the API's write endpoints append with (part of the serve role): a
// producer for <prefix>.user.events and the idempotency store in
// intents.idempotency_dir, and the user clock's ticker (a tick to every
// partition each intents.clock_interval_ms, 0: none). Owns all three; must
// outlive the ApiService given output(). Thread-safe like its parts.
class UserEventsRole {
 public:
  // The topic must exist (EnsureTopics). Unavailable when the broker cannot
  // be asked for the partition count or the store directory is locked.
  static engine::core::Result<std::unique_ptr<UserEventsRole>> Open(
      const engine::core::Config& config, engine::log::Admin& admin);
  ~UserEventsRole();  // Stop()s

  const api::handlers::UserEventsOutput& output() const { return output_; }

  // Stops the ticker, flushes what is still queued (every write is flushed
  // before it is answered, so this is normally nothing). Idempotent.
  void Stop();

 private:
  UserEventsRole() = default;

  std::unique_ptr<engine::log::Producer> producer_;
  std::unique_ptr<api::handlers::RocksDedupStore> store_;
  api::handlers::UserEventsOutput output_;
  std::unique_ptr<api::handlers::UserClockTicker> ticker_;  // null: no ticks
};

}  // namespace chainflow::app
