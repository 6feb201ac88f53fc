#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "engine/core/config.h"
#include "engine/core/result.h"
#include "engine/log/sink.h"
#include "engine/log/source.h"
#include "projections/pg/connection.h"
#include "projections/pg/offsets.h"
#include "projections/token/token_projection.h"

namespace chainflow::projections::token {

struct ProjectorOptions {
  std::string topic;       // "<prefix>.token.balances"
  int32_t partitions = 0;  // its partition count
  size_t batch_size = 5000;
  std::chrono::milliseconds batch_wait{50};
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  std::string dlq_topic;

  // From [kafka] topic_prefix and [engine] projection_batch_size, batch_wait_ms.
  static ProjectorOptions FromConfig(const core::Config& config, int32_t partitions);
};

// The token projection loop: one thread polls the balances topic and applies
// each batch in one PostgreSQL transaction (TokenProjection::Apply), the
// same contract as projections::nft::Projector: it starts from the stored
// offsets, redoes a batch on retryable errors and Aborted with backoff
// (reconnecting first), and stops on anything else (status()).
//
// Thread-safety: Start/Stop from one controlling thread; Positions, status
// and WaitForOffsets from any thread.
class Projector {
 public:
  // Migrates the schema and builds the loop; `dlq` is optional and must
  // outlive the Projector.
  static core::Result<std::unique_ptr<Projector>> Open(
      const ProjectorOptions& options, std::unique_ptr<engine::log::RecordSource> source,
      std::unique_ptr<pg::Connection> conn, engine::log::RecordSink* dlq = nullptr);
  ~Projector();

  core::Status Start();  // idempotent; FailedPrecondition after Stop()
  void Stop();           // idempotent; joins the thread

  pg::OffsetMap Positions() const;
  core::Status status() const;
  // Waits until every Positions()[tp] >= targets[tp] (targets <= 0 are met).
  // DeadlineExceeded after `timeout`; the loop's error if it stopped on one.
  core::Status WaitForOffsets(const pg::OffsetMap& targets, std::chrono::milliseconds timeout);

 private:
  Projector(const ProjectorOptions& options, std::unique_ptr<engine::log::RecordSource> source,
            std::unique_ptr<pg::Connection> conn, engine::log::RecordSink* dlq);
  void Run();
  core::Status RunLoop();
  core::Status Assign();
  core::Status ApplyWithRetry(const std::vector<engine::log::Record>& batch);
  bool Backoff(std::chrono::milliseconds* backoff, const core::Status& why);
  bool Done(const pg::OffsetMap& targets) const;  // mu_ held

  const ProjectorOptions options_;
  std::unique_ptr<engine::log::RecordSource> source_;  // loop thread only
  std::unique_ptr<pg::Connection> conn_;               // loop thread only
  TokenProjection projection_;                          // loop thread only
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool stopping_ = false;
  bool finished_ = false;
  core::Status status_;
  pg::OffsetMap positions_;
};

}  // namespace chainflow::projections::token
