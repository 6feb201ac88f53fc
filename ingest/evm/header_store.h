#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "engine/core/result.h"
#include "engine/state/store.h"
#include "ingest/common/appender.h"
#include "ingest/evm/rpc_client.h"

namespace chainflow::ingest::evm {

// A reorg being written: BlockReverted markers for `reverted` (newest
// first) are going out in `fork`, after which the chain continues at
// ancestor + 1.
struct PendingReorg {
  uint32_t fork = 0;
  uint64_t ancestor = 0;
  int64_t ancestor_time = 0;
  std::vector<common::RevertedBlock> reverted;
};

// Live ingest's memory of the chain, in its own RocksDB
// (<state.dir>/ingest/<chain>): the headers (number, hash, parent hash,
// timestamp) of every block from the finalized one up to the highest block
// ingest may have appended, the current fork, reorg counts, and a reorg in
// progress.
//
// Headers are written BEFORE their blocks' events are appended, so after a
// crash every block the topic may hold has its header here: a block whose
// stored hash no longer matches the node's is reverted even if it was only
// partly appended. A reorg is recorded (BeginReorg) before its markers are
// sent and closed (FinishReorg) after they are flushed, so a crash in
// between resends exactly the missing markers.
//
// Not thread-safe: the follower's thread owns it.
class HeaderStore {
 public:
  static core::Result<std::unique_ptr<HeaderStore>> Open(const std::string& path);

  std::optional<BlockHeader> Get(uint64_t number) const;
  std::optional<uint64_t> Lowest() const;
  std::optional<uint64_t> Highest() const;

  // Stores `headers` (replacing any of the same numbers).
  core::Status Put(const std::vector<BlockHeader>& headers);
  // Drops the headers below `number` (the finalized block stays as the
  // anchor reorgs must not reach).
  core::Status PruneBelow(uint64_t number);

  core::Status BeginReorg(const PendingReorg& reorg);
  const std::optional<PendingReorg>& pending() const { return pending_; }
  // Drops the headers above the pending reorg's ancestor, moves to its fork
  // and counts it.
  core::Status FinishReorg();

  uint32_t fork() const { return fork_; }
  uint64_t reorgs() const { return reorgs_; }
  uint64_t deepest_reorg() const { return deepest_; }

 private:
  explicit HeaderStore(std::unique_ptr<engine::state::Store> db) : db_(std::move(db)) {}
  core::Status Load();

  std::unique_ptr<engine::state::Store> db_;
  std::map<uint64_t, BlockHeader> headers_;
  std::optional<PendingReorg> pending_;
  uint32_t fork_ = 0;
  uint64_t reorgs_ = 0;
  uint64_t deepest_ = 0;
};

}  // namespace chainflow::ingest::evm
