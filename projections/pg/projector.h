#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "engine/core/config.h"
#include "engine/core/metrics.h"
#include "engine/core/result.h"
#include "engine/log/record.h"
#include "engine/log/sink.h"
#include "engine/log/source.h"
#include "projections/pg/connection.h"
#include "projections/pg/offsets.h"

namespace chainflow::projections::pg {

// What a projection worked out for a batch ahead of applying it
// (BatchProjection::Prepare); each projection knows its own kind.
class PreparedBatch {
 public:
  virtual ~PreparedBatch() = default;
};

// Where a batch stands in its input when the loop applies it.
struct BatchContext {
  size_t records = 0;  // in the batch
  // Records (transaction markers included) below the projection's committed
  // positions, over every partition: what it has applied so far.
  uint64_t applied = 0;
  // Records known to follow the batch: each partition's end as the reader
  // last learnt it (RecordSource::KnownEnds) minus where the batch leaves
  // it; 0 for partitions whose end is not known yet. 0 at the head.
  uint64_t backlog = 0;
  // What Prepare made of this batch (nullptr: nothing). ApplyBatch may use
  // it once; a redone batch gets it again, already used.
  PreparedBatch* prepared = nullptr;
};

// One view's projection as a Projector drives it: each call applies one
// batch in ONE transaction (the rows and the projection's offsets together)
// and on error writes nothing, so the batch can be redone as it is.
class BatchProjection {
 public:
  virtual ~BatchProjection() = default;
  virtual core::Status ApplyBatch(const std::vector<engine::log::Record>& batch,
                                  const BatchContext& context) = 0;
  // Called when a poll found nothing: the projection is at the head of its
  // input. Errors are handled like a batch's (retried when redoable).
  virtual core::Status Idle() { return core::Status::Ok(); }
  // Optional: the work on `batch` that needs no database (decoding it),
  // done by the Projector on a second thread while the batch before it is
  // written, so the two overlap; ApplyBatch gets the result in its context.
  // Runs concurrently with ApplyBatch and Idle of earlier batches (never
  // with another Prepare): it must only read what they do not change.
  // nullptr: nothing to prepare.
  virtual std::unique_ptr<PreparedBatch> Prepare(
      const std::vector<engine::log::Record>& batch) const {
    (void)batch;
    return nullptr;
  }
};

struct ProjectorOptions {
  std::string name;         // the projection ("nft", "token"): offsets, metrics, logs
  std::string topic;        // the input topic
  int32_t partitions = 0;   // its partition count (log::Admin::PartitionCount)
  size_t batch_size = 5000;                     // max records per transaction
  std::chrono::milliseconds batch_wait{50};     // max wait for a batch's first record
  // Bulk reading: when a poll returns at least bulk_records, the loop keeps
  // polling (each poll waiting up to batch_wait) for up to `linger`, until
  // batch_size records or a poll that finds none, then applies them in one
  // transaction. Zero linger: every poll is applied as it is.
  std::chrono::milliseconds linger{0};
  size_t bulk_records = 5000;
  std::chrono::milliseconds initial_backoff{100};
  std::chrono::milliseconds max_backoff{5000};
  std::string dlq_topic;    // "<prefix>.dlq"; used only with a DLQ sink
  // A bulk load of about this many records is coming (chainflow replay's
  // estimate of its file): views may prepare for it (the contract tables
  // drop their parameter indexes) and the caller finishes it once the load
  // has been applied (ViewDef::finish_bulk_load). 0: none.
  uint64_t bulk_load = 0;
  // [engine] projection_defer_indexes_records: how far behind a view must be
  // to prepare for a bulk load of its own accord. 0: never.
  uint64_t defer_indexes_records = 100'000;

  // batch_size ([engine] projection_batch_size), batch_wait, linger
  // (projection_linger_ms), bulk_records (projection_bulk_records) and
  // dlq_topic from the configuration.
  static ProjectorOptions FromConfig(const core::Config& config, std::string name,
                                     std::string topic, int32_t partitions);
};

// Makes the projection a Projector applies, on the Projector's connection.
using ProjectionFactory = std::function<std::unique_ptr<BatchProjection>(
    Connection& conn, engine::log::RecordSink* dlq, const std::string& dlq_topic)>;

// A projection loop, the same for every view: one thread that polls the
// input topic and applies each polled batch with the view's BatchProjection.
//
// On start it reads the stored next offsets and assigns every partition of
// the topic from there (from the beginning where none is stored). A batch
// that fails with Aborted is redone as it is. After Unavailable /
// DeadlineExceeded / ResourceExhausted the loop reconnects and rewinds: it
// reads the stored offsets again and re-assigns the topic from them, since
// the server it reaches again may not hold every commit it acknowledged (a
// failover to a replica that had not received them; a commit in doubt) and
// the records after them must be read again. (A crash of the same server
// loses none: sessions commit with synchronous_commit=on, Connection.) Both
// with exponential backoff, forever until Stop(). Any other error stops the
// loop; it is logged and reported by status() and WaitForOffsets().
// Positions() may move back on a rewind.
//
// Thread-safety: Start/Stop from one controlling thread; Positions, status
// and WaitForOffsets from any thread.
class Projector {
 public:
  // Applies the schema migrations (pg::Migrate) and builds the loop over the
  // projection `make_projection` returns. `dlq` is optional; when set it
  // must outlive the Projector.
  static core::Result<std::unique_ptr<Projector>> Open(
      const ProjectorOptions& options, std::unique_ptr<engine::log::RecordSource> source,
      std::unique_ptr<Connection> conn, engine::log::RecordSink* dlq,
      const ProjectionFactory& make_projection);
  ~Projector();  // Stop()

  // Starts the thread. Idempotent; FailedPrecondition after Stop().
  core::Status Start();
  // Asks the thread to finish its current step and joins it. Idempotent.
  // A batch being retried is dropped; its records are re-read next start.
  void Stop();
  // Stop's request without the join: a caller stopping several projectors
  // asks them all first, so their last polls end together. Idempotent.
  void RequestStop();

  // The committed next offset per partition of the topic (empty until the
  // thread has read the stored offsets). This is what lag is computed from.
  OffsetMap Positions() const;
  // OK while running (or stopped cleanly); the error that stopped the loop.
  core::Status status() const;

  // Waits until every Positions()[tp] >= targets[tp] (a target <= 0 is met
  // by default). Pass the offset after each partition's last DATA record
  // (log::Admin::ReadLastRecord + 1): with a transactional producer the high
  // watermark also counts commit markers and may never be reached.
  // DeadlineExceeded after `timeout`; the loop's error if it stopped on one;
  // Cancelled if it was stopped.
  core::Status WaitForOffsets(const OffsetMap& targets, std::chrono::milliseconds timeout);

 private:
  Projector(const ProjectorOptions& options, std::unique_ptr<engine::log::RecordSource> source,
            std::unique_ptr<Connection> conn);

  // The next batch, polled and prepared on a second thread while the one
  // before it is applied.
  struct Ahead {
    core::Result<std::vector<engine::log::Record>> polled{std::vector<engine::log::Record>{}};
    std::unique_ptr<PreparedBatch> prepared;
  };

  void Run();
  core::Status RunLoop();
  // Polls the next batch (GatherBulk when it is a bulk one) and prepares it.
  // Uses the source: never while another thread does.
  Ahead PollAhead();
  // Appends further polls to a bulk `batch` (ProjectorOptions::linger).
  void GatherBulk(std::vector<engine::log::Record>& batch);
  core::Status AssignFromStoredOffsets();
  // After an empty poll: stores positions past the transaction markers the
  // reader stepped over (RecordSource::ReadPositions).
  core::Status StepOverMarkers();
  // Applies `batch` in one transaction: true once committed; false when it
  // was dropped (stopping, or a rewind is due: must_rewind_); the error that
  // is not redoable.
  core::Result<bool> ApplyWithRetry(const std::vector<engine::log::Record>& batch,
                                    BatchContext context);
  // Where `batch` stands in the input (BatchContext).
  BatchContext ContextOf(const std::vector<engine::log::Record>& batch);
  // Reconnects and re-assigns the source from the stored offsets.
  core::Status Rewind();
  // Sleeps `*backoff` (interrupted by Stop) and doubles it; false if stopping.
  bool Backoff(std::chrono::milliseconds* backoff, const core::Status& why);
  bool Done(const OffsetMap& targets) const;  // mu_ held
  core::Labels Labels() const;
  void CountError(const core::Status& s) const;

  const ProjectorOptions options_;
  std::unique_ptr<engine::log::RecordSource> source_;  // loop thread only
  std::unique_ptr<Connection> conn_;                   // loop thread only
  std::unique_ptr<BatchProjection> projection_;        // loop thread only
  // A poll error met while gathering; the loop thread, or PollAhead's while
  // it runs (the loop does not touch it meanwhile).
  core::Status deferred_error_;
  bool must_rewind_ = false;     // a PostgreSQL session was lost; loop thread only
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // signalled on position change, stop and failure
  bool started_ = false;
  bool stopping_ = false;
  bool finished_ = false;       // the thread has exited
  core::Status status_;
  OffsetMap positions_;
};

}  // namespace chainflow::projections::pg
