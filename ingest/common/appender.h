#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/metrics.h"
#include "engine/core/result.h"
#include "engine/core/strong_id.h"
#include "engine/log/sink.h"
#include "ingest/common/chain_event.h"
#include "ingest/common/position.h"

namespace chainflow::ingest::common {

namespace log = engine::log;

// Reads the position of the last record of each partition of a chain topic
// (the `cf_pos` header), once, when an appender opens.
class PartitionTailReader {
 public:
  virtual ~PartitionTailReader() = default;
  // nullopt: the partition holds no record.
  virtual core::Result<std::optional<Position>> LastPosition(core::PartitionId partition) = 0;
  // The values of the partition's last `count` records, oldest first (fewer
  // if it holds fewer): what earlier runs appended, for live ingest to
  // recover the block headers it had stored (ChainAppender::RecentValues).
  virtual core::Result<std::vector<std::string>> LastValues(core::PartitionId partition,
                                                            size_t count) = 0;
};

// A block whose events have all been appended. Hashes are raw bytes (32, or
// empty when the source has none).
struct BlockInfo {
  uint64_t number = 0;
  std::string hash;
  int64_t timestamp = 0;
  std::string parent_hash;
  uint64_t finalized = 0;      // the chain's finalized block (<= number)
  // Its timestamp; 0 when unknown. When finalized = number, `timestamp`.
  int64_t finalized_timestamp = 0;
  uint64_t reorgs = 0;         // reorgs handled on the chain so far
  uint64_t deepest_reorg = 0;  // most blocks reverted at once
};

// A block a reorg took out of the canonical chain.
struct RevertedBlock {
  uint64_t number = 0;
  std::string hash;  // raw bytes
};

// An input that could not be decoded, for the dead-letter topic. Value = the
// raw input bytes. File inputs set source_file and line; topic inputs set
// source_topic, partition and offset.
struct DeadLetterRecord {
  std::string reason;
  std::string raw;
  std::string source_file;
  uint64_t line = 0;
  std::string source_topic;
  std::optional<core::PartitionId> source_partition;
  std::optional<core::Offset> source_offset;
};

struct AppenderOptions {
  std::string chain;        // e.g. "mainnet"
  std::string topic;        // "<prefix>.<chain>.events"
  int32_t partitions = 1;   // partition count of `topic`
  std::string dlq_topic;    // "<prefix>.dlq" (partition 0)
};

// Appends one chain's events to its topic with exactly-once resume semantics.
//
// At Open it reads the last position of every partition. Append() sends an
// event to PartitionForKey(key) unless that partition already holds a
// position >= the event's (then it was appended by an earlier run and is
// skipped): re-running a replay is a no-op and an interrupted one continues
// exactly. This relies on per-partition order, which the idempotent producer
// guarantees. Every record carries `cf_pos` and the CloudEvents headers.
//
// Precondition (CF_CHECK): positions passed to Append/EndBlock are strictly
// increasing over the appender's life (chain order). Input readers must
// reject out-of-order external input before it gets here.
//
// Not thread-safe: one ingest thread owns it. `sink` and `tails` must
// outlive it.
class ChainAppender {
 public:
  static core::Result<std::unique_ptr<ChainAppender>> Open(AppenderOptions options,
                                                           log::RecordSink& sink,
                                                           PartitionTailReader& tails);

  // The partition an event key goes to.
  core::PartitionId PartitionFor(std::string_view key) const;
  // True if Append(event) would send (not skip) it. No side effects.
  bool IsNew(const ChainEvent& event) const;
  // True if EndBlock(number) would send to at least one partition.
  bool IsBlockEndNew(uint64_t number) const;

  // Sends `event` (true) or skips it as already present (false).
  core::Result<bool> Append(const ChainEvent& event);
  // Sends a BlockEnd marker (key "<chain>:block") to every partition that
  // does not yet hold a position >= (number, kMarkerLogIndex). Returns how
  // many partitions it was sent to. Call once per block that had events,
  // after its last event.
  core::Result<int> EndBlock(const BlockInfo& block);
  // Starts fork `fork` (>= fork(); equal when finishing the markers of a
  // reorg a crash interrupted): sends one BlockReverted marker per block
  // of `reverted` (newest first, all above `ancestor`) to every partition
  // that does not hold it yet, at Position::Reverted(fork, ancestor, i).
  // Later events and markers are appended in `fork`. Re-running it after a
  // crash sends only what is missing. `ancestor_time` (the ancestor's
  // timestamp) is the markers' ce_time. Returns the markers sent.
  core::Result<int> RevertBlocks(uint32_t fork, uint64_t ancestor, int64_t ancestor_time,
                                 const std::vector<RevertedBlock>& reverted);
  // Direct lanes (README.md "Direct lanes"): a partition of another topic
  // than the chain's (a contract's) that some events go to instead of the
  // chain topic, resumed the same way from the position of its last record
  // (read now from `tails`; DataLoss when it holds none). Positions keep the
  // chain order across the chain topic and every lane (Advance).
  core::Result<size_t> OpenLane(std::string topic, core::PartitionId partition,
                                PartitionTailReader& tails);
  // True if AppendToLane(lane, position, ...) would send.
  bool IsNewOnLane(size_t lane, Position position) const;
  // Sends `record` (key, value and headers set; topic, partition and `cf_pos`
  // are the lane's and the position's) unless the lane already holds
  // `position` (false). `position` takes the appender's fork, as Append's.
  // Sets `record`'s topic, partition and `cf_pos` header (its last: one
  // already there is rewritten, so a caller may send one record over and
  // over with new values).
  core::Result<bool> AppendToLane(size_t lane, Position position, log::OutRecord* record);
  // The last position of `lane` (read at OpenLane, advanced by sends).
  std::optional<Position> LaneLastPosition(size_t lane) const;

  // Sends `record` to the dead-letter topic, partition 0.
  core::Status DeadLetter(const DeadLetterRecord& record);
  // Waits for every record sent so far to be acknowledged (RecordSink::
  // Flush), through a broker outage: the records stay queued, so it keeps
  // waiting, with a warning every `slice`, until the producer delivers them
  // or gives up on them (message.timeout.ms, 5 min by default: a delivery
  // error, returned) or `max_wait` passes (DeadlineExceeded).
  core::Status Flush(std::chrono::milliseconds max_wait = std::chrono::minutes(15),
                     std::chrono::milliseconds slice = std::chrono::seconds(10));

  // The first block live ingest must (re)read: one past the highest block
  // whose BlockEnd every partition holds, counting what this appender sent.
  // Partition p is complete through block B if its last position is
  // BlockEnd(B), through B-1 if it is an event of B, and through the
  // ancestor A if it is a BlockReverted marker (A, ...). nullopt if some
  // partition holds nothing (start from the configured start block).
  std::optional<uint64_t> ResumeBlock() const;
  // The last position of `partition` (read at Open, advanced by sends).
  std::optional<Position> LastPosition(core::PartitionId partition) const;
  // The values of the last `count` records of `partition` in the topic,
  // oldest first, read now (PartitionTailReader::LastValues): call it before
  // sending, or flush first.
  core::Result<std::vector<std::string>> RecentValues(core::PartitionId partition, size_t count);

  // The fork records are appended in: the highest fork any partition holds
  // at Open, raised by RevertBlocks.
  uint32_t fork() const { return fork_; }

  uint64_t appended() const { return appended_; }
  uint64_t skipped() const { return skipped_; }
  uint64_t markers_appended() const { return markers_appended_; }
  uint64_t dead_lettered() const { return dead_lettered_; }
  const AppenderOptions& options() const { return options_; }

 private:
  ChainAppender(AppenderOptions options, log::RecordSink& sink, PartitionTailReader& reader,
                std::vector<std::optional<Position>> tails);
  void Advance(const Position& position);
  core::Status SendRecord(const log::OutRecord& record);
  // Sends `record` to every partition whose last position is below
  // `position`; returns how many.
  core::Result<int> SendToEveryPartition(log::OutRecord& record, const Position& position);

  AppenderOptions options_;
  log::RecordSink& sink_;
  PartitionTailReader& reader_;
  std::vector<std::optional<Position>> last_;  // per partition
  struct Lane {
    std::string topic;
    core::PartitionId partition;
    std::optional<Position> last;
  };
  std::vector<Lane> lanes_;
  std::optional<Position> last_call_;          // for the chain-order CHECK
  uint32_t fork_ = 0;
  std::string source_;                         // ce_source
  std::string marker_key_;
  uint64_t appended_ = 0;
  uint64_t skipped_ = 0;
  uint64_t markers_appended_ = 0;
  uint64_t dead_lettered_ = 0;
  core::Counter* appended_metric_;
  core::Counter* skipped_metric_;
  core::Counter* dead_letter_metric_;
};

}  // namespace chainflow::ingest::common
