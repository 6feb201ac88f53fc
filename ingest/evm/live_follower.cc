#include "ingest/evm/live_follower.h"

#include <algorithm>

#include <fmt/format.h>

#include "chainflow/v1/events.pb.h"
#include "engine/core/crash_point.h"
#include "engine/core/hex.h"
#include "engine/core/logging.h"
#include "engine/core/metrics.h"

namespace chainflow::ingest::evm {
namespace {

std::string ShortHex(const std::string& hash) {
  return hash.empty() ? "(none)" : "0x" + core::ToHex(hash).substr(2, 12) + "..";
}

core::Labels ChainLabels(const std::string& chain) { return {{"chain", chain}}; }

}  // namespace

std::chrono::milliseconds LiveFollower::HeadProbeInterval(const core::ChainConfig& chain) {
  if (chain.head_poll_ms == 0) return std::chrono::milliseconds(0);
  uint64_t ms = chain.head_poll_ms;
  // Probes take at most a quarter of a rate-limited provider's budget, so a
  // block's own calls do not queue behind them in the token bucket.
  if (chain.rpc_requests_per_second > 0) {
    ms = std::max<uint64_t>(ms, (4000 + chain.rpc_requests_per_second - 1) /
                                    chain.rpc_requests_per_second);
  }
  return std::chrono::milliseconds(ms);
}

LiveFollower::LiveFollower(const core::ChainConfig& chain, LogDecoder decoder, EvmRpc& rpc,
                           AppenderFactory open_appender, HeaderStore& headers)
    : chain_(chain),
      decoder_(std::move(decoder)),
      contracts_(decoder_.log_filter()),
      rpc_(rpc),
      open_appender_(std::move(open_appender)),
      headers_(headers),
      range_(std::max<uint64_t>(1, chain.max_block_range)),
      head_probe_(HeadProbeInterval(chain)),
      head_clock_(head_probe_) {
  PublishCounts();
}

LiveFollower::~LiveFollower() { Stop(); }

core::Result<uint64_t> LiveFollower::RunOnce() {
  if (fatal_) return *fatal_;
  auto result = Step();
  // After a failure only the topic knows what was appended: reopen.
  if (!result) appender_.reset();
  return result;
}

void LiveFollower::PublishCounts() {
  reorgs_.store(headers_.reorgs(), std::memory_order_relaxed);
  deepest_reorg_.store(headers_.deepest_reorg(), std::memory_order_relaxed);
}

core::Result<uint64_t> LiveFollower::Finalized(uint64_t head) {
  if (chain_.finality == "tag") {
    ASSIGN_OR_RETURN(BlockHeader finalized, rpc_.GetFinalizedHeader());
    return std::min(finalized.number, head);
  }
  return head > chain_.finality_depth ? head - chain_.finality_depth : 0;
}

std::optional<uint64_t> LiveFollower::FirstChanged(const std::vector<BlockHeader>& fetched) const {
  for (const BlockHeader& node : fetched) {
    std::optional<BlockHeader> known = headers_.Get(node.number);
    if (known && known->hash != node.hash) return node.number;
  }
  return std::nullopt;
}

void LiveFollower::LearnBlockInterval(uint64_t last_known) {
  // Once: a follower that starts at the head would otherwise learn the
  // interval only after four more blocks, each waiting out a full poll.
  if (interval_asked_ || head_probe_.count() == 0 || head_live_.load() ||
      head_clock_.interval().count() > 0 || last_known < kIntervalHeaders) {
    return;
  }
  interval_asked_ = true;
  auto headers = rpc_.GetBlockHeaders(last_known - kIntervalHeaders, last_known);
  if (!headers) return;  // a convenience: the step goes on, polling as before
  for (const BlockHeader& h : headers.value()) head_clock_.ObserveHeader(h.number, h.timestamp);
}

core::Result<uint64_t> LiveFollower::Step() {
  if (!appender_) {
    ASSIGN_OR_RETURN(appender_, open_appender_());
    if (headers_.pending()) RETURN_IF_ERROR(CompleteReorg());
    next_block_ = appender_->ResumeBlock().value_or(chain_.start_block);
    next_block_ = std::max(next_block_, chain_.start_block);
    if (next_block_ > 0) ingested_.store(next_block_ - 1, std::memory_order_relaxed);
    check_headers_ = appender_->ResumeBlock().has_value();
  }
  ASSIGN_OR_RETURN(uint64_t head, rpc_.BlockNumber());
  head_.store(head, std::memory_order_relaxed);
  ObserveHead(head);
  stepped_head_ = head;
  ASSIGN_OR_RETURN(uint64_t finalized, Finalized(head));
  finalized_.store(finalized, std::memory_order_relaxed);
  uint64_t target = head >= chain_.confirmations ? head - chain_.confirmations : 0;
  if (check_headers_) {
    // Only a block above the finalized one can have been reorganized.
    if (next_block_ > 0 && next_block_ - 1 > finalized && !headers_.Get(next_block_ - 1)) {
      RETURN_IF_ERROR(RecoverHeaders(finalized));
    }
    check_headers_ = false;
  }
  bool has_previous = next_block_ > 0 && headers_.Get(next_block_ - 1).has_value();

  if (head < chain_.confirmations || next_block_ > target) {
    // Caught up. A reorg may have replaced the newest blocks at the same
    // height: re-check the last one we know. A node whose head is below it
    // has dropped blocks we appended (a reorg to a shorter branch, or
    // evm_revert): check its head instead and revert what lies above. Asking
    // for the missing block would fail until the chain grew back, leaving the
    // views on an orphaned branch meanwhile. (A load-balanced node lagging
    // behind looks the same; reverting and re-reading is then merely wasted
    // work, never a wrong view.)
    if (has_previous) {
      uint64_t last_known = std::min(head, next_block_ - 1);
      ASSIGN_OR_RETURN(BlockHeader last, rpc_.GetBlockHeader(last_known));
      head_clock_.ObserveHeader(last.number, last.timestamp);
      LearnBlockInterval(last_known);
      std::optional<uint64_t> changed = FirstChanged({last});
      if (!changed && last_known < next_block_ - 1) changed = last_known + 1;
      if (changed) {
        RETURN_IF_ERROR(HandleReorg(*changed));
        return uint64_t{1};
      }
    }
    return uint64_t{0};
  }

  uint64_t from = next_block_;
  uint64_t to = std::min(target, from + range_ - 1);
  std::map<uint64_t, BlockHeader> known;
  if (to > finalized || has_previous) {
    // Near the head: every header of the range, plus the block before it,
    // in one batch; they must agree with what ingest stored and chain up.
    uint64_t first = has_previous ? from - 1 : from;
    ASSIGN_OR_RETURN(std::vector<BlockHeader> fetched, rpc_.GetBlockHeaders(first, to));
    if (auto changed = FirstChanged(fetched)) {
      RETURN_IF_ERROR(HandleReorg(*changed));
      return uint64_t{1};
    }
    for (size_t i = 1; i < fetched.size(); ++i) {
      if (fetched[i].parent_hash != fetched[i - 1].hash) {
        return core::UnavailableError(fmt::format(
            "[{}] block {} does not extend block {} (the chain moved while reading)", chain_.name,
            fetched[i].number, fetched[i - 1].number));
      }
    }
    std::vector<BlockHeader> range_headers;
    for (BlockHeader& h : fetched) {
      head_clock_.ObserveHeader(h.number, h.timestamp);
      if (h.number >= from) range_headers.push_back(h);
      known.emplace(h.number, std::move(h));
    }
    // Stored before the events: after a crash every block the topic may
    // hold has a header to check (header_store.h).
    RETURN_IF_ERROR(headers_.Put(range_headers));
  }

  auto logs = rpc_.GetLogs(from, to, contracts_);
  if (!logs && logs.error().code() == core::StatusCode::kResourceExhausted && range_ > 1) {
    range_ = std::max<uint64_t>(1, range_ / 2);
    core::Logger("ingest.evm")
        ->warn("[{}] eth_getLogs range too large, now {} blocks", chain_.name, range_);
    return uint64_t{0};
  }
  if (!logs) return logs.error();
  RETURN_IF_ERROR(AppendRange(from, to, logs.value(), known, finalized));
  uint64_t blocks = to - from + 1;
  next_block_ = to + 1;
  ingested_.store(to, std::memory_order_relaxed);
  // Keep the finalized block as the anchor a reorg must not reach.
  RETURN_IF_ERROR(headers_.PruneBelow(std::min(finalized, to)));
  return blocks;
}

core::Status LiveFollower::RecoverHeaders(uint64_t finalized) {
  // Every block with events has a BlockEnd on every partition (and so has
  // the last block of each range): partition 0's tail holds the headers of
  // those blocks. Read back until they reach the finalized block.
  constexpr size_t kFirstWindow = 4096;
  constexpr size_t kMaxWindow = size_t{1} << 18;  // 4,096 * 8 * 8 records, ~100 MB at most
  std::map<uint64_t, BlockHeader> found;
  // Whether `found` holds every block with events above the finalized one:
  // the tail read reached a block at or below it, or the whole partition.
  bool complete = false;
  for (size_t window = kFirstWindow;; window *= 8) {
    ASSIGN_OR_RETURN(std::vector<std::string> values,
                     appender_->RecentValues(core::PartitionId(0), window));
    found.clear();
    for (const std::string& value : values) {
      v1::Envelope envelope;
      if (!envelope.ParseFromString(value)) continue;
      if (envelope.has_block_end() && !envelope.block_end().hash().empty()) {
        const v1::BlockEnd& end = envelope.block_end();
        found[end.number()] = BlockHeader{end.number(), end.hash(), end.parent_hash(),
                                          static_cast<int64_t>(end.timestamp())};
      } else if (envelope.has_block_reverted()) {
        // An earlier reorg: the blocks above its ancestor left the chain.
        found.erase(found.upper_bound(envelope.block_reverted().ancestor()), found.end());
      }
    }
    bool reached = !found.empty() && found.begin()->first <= finalized;
    complete = reached || values.size() < window;
    if (complete || window >= kMaxWindow) break;
  }
  std::vector<BlockHeader> recovered;
  for (auto& [number, header] : found) {
    if (number >= finalized) recovered.push_back(std::move(header));
  }
  auto log = core::Logger("ingest.evm");
  if (recovered.empty()) {
    log->warn("[{}] no stored header for block {} and none recoverable from {}: a reorg that "
              "happened while ingest was down is not seen",
              chain_.name, next_block_ - 1, appender_->options().topic);
    return core::Status::Ok();
  }
  if (complete && recovered.front().number > finalized) {
    // No block between the finalized one and the lowest recovered had
    // events of ours, so the finalized block is a sound anchor: a reorg that
    // replaced every recovered block (and maybe some of those between) is
    // reverted back to it, and those blocks are read again, instead of
    // stopping ingest as deeper than the window.
    ASSIGN_OR_RETURN(BlockHeader anchor, rpc_.GetBlockHeader(finalized));
    recovered.insert(recovered.begin(), std::move(anchor));
  }
  log->warn("[{}] no stored header for block {} (a new or wiped header store): recovered {} "
            "block headers ({}..{}) from {} to check the node against",
            chain_.name, next_block_ - 1, recovered.size(), recovered.front().number,
            recovered.back().number, appender_->options().topic);
  return headers_.Put(recovered);
}

core::Status LiveFollower::HandleReorg(uint64_t changed) {
  auto log = core::Logger("ingest.evm");
  std::optional<BlockHeader> ancestor;
  uint64_t lowest = headers_.Lowest().value_or(changed);
  for (uint64_t k = changed; k > lowest;) {
    --k;
    std::optional<BlockHeader> known = headers_.Get(k);
    // Recovered headers (RecoverHeaders) skip blocks without events.
    if (!known) continue;
    ASSIGN_OR_RETURN(BlockHeader node, rpc_.GetBlockHeader(k));
    if (node.hash == known->hash) {
      ancestor = std::move(known);
      break;
    }
  }
  if (!ancestor) {
    std::optional<BlockHeader> known = headers_.Get(lowest);
    core::Status error = core::FailedPreconditionError(fmt::format(
        "[{}] reorg deeper than the finality window: block {} changed and so did every block "
        "down to {}, the finalized anchor (hash {} ingested; finality {} {}); ingest of {} "
        "stops here, nothing after block {} is appended",
        chain_.name, changed, lowest, known ? ShortHex(known->hash) : "?", chain_.finality,
        chain_.finality == "depth" ? std::to_string(chain_.finality_depth) : "tag", chain_.name,
        ingested()));
    core::MetricsRegistry::Global()
        .GetCounter("chainflow_ingest_deep_reorgs_total",
                    "Reorgs deeper than the finality window (ingest stopped)",
                    ChainLabels(chain_.name))
        .Inc();
    fatal_ = error;
    return error;
  }
  PendingReorg reorg;
  reorg.fork = std::max(headers_.fork(), appender_->fork()) + 1;
  reorg.ancestor = ancestor->number;
  reorg.ancestor_time = ancestor->timestamp;
  for (uint64_t n = headers_.Highest().value_or(ancestor->number); n > ancestor->number; --n) {
    std::optional<BlockHeader> known = headers_.Get(n);
    if (known) reorg.reverted.push_back({n, known->hash});
  }
  log->warn("[{}] reorg: block {} changed; {} blocks reverted back to {} ({}), fork {}",
            chain_.name, changed, reorg.reverted.size(), reorg.ancestor,
            ShortHex(ancestor->hash), reorg.fork);
  RETURN_IF_ERROR(headers_.BeginReorg(reorg));
  return CompleteReorg();
}

core::Status LiveFollower::CompleteReorg() {
  const PendingReorg reorg = *headers_.pending();
  // After a crash some markers may be out already: the appender is then in
  // the fork and sends only what each partition lacks.
  ASSIGN_OR_RETURN(int sent, appender_->RevertBlocks(reorg.fork, reorg.ancestor,
                                                     reorg.ancestor_time, reorg.reverted));
  (void)sent;
  core::CrashPoint("ingest.reorg_after_markers");
  RETURN_IF_ERROR(appender_->Flush());
  RETURN_IF_ERROR(headers_.FinishReorg());
  PublishCounts();
  auto& metrics = core::MetricsRegistry::Global();
  metrics.GetCounter("chainflow_ingest_reorgs_total", "Reorgs ingest handled",
                     ChainLabels(chain_.name))
      .Inc();
  metrics.GetCounter("chainflow_ingest_reverted_blocks_total", "Blocks reorgs reverted",
                     ChainLabels(chain_.name))
      .Inc(reorg.reverted.size());
  metrics.GetGauge("chainflow_ingest_deepest_reorg_blocks", "Most blocks one reorg reverted",
                   ChainLabels(chain_.name))
      .Set(static_cast<double>(headers_.deepest_reorg()));
  next_block_ = reorg.ancestor + 1;
  ingested_.store(reorg.ancestor, std::memory_order_relaxed);
  ingested_time_.store(reorg.ancestor_time, std::memory_order_relaxed);
  return core::Status::Ok();
}

core::Status LiveFollower::AppendRange(uint64_t from, uint64_t to, const LogBatch& logs,
                                       const std::map<uint64_t, BlockHeader>& known,
                                       uint64_t finalized) {
  std::vector<DecodeResult> decoded;
  for (size_t i = 0; i < logs.size(); ++i) {
    DecodeResult result;
    core::Status status = decoder_.Decode(logs, i, &result);
    if (!status.ok()) {
      // RPC input is re-fetched after a restart, so a malformed log may be
      // dead-lettered again then; nodes rarely send one.
      common::DeadLetterRecord dead;
      dead.reason = fmt::format("eth_getLogs [{}, {}]: {}", from, to, status.message());
      dead.raw = logs.Text(i);
      RETURN_IF_ERROR(appender_->DeadLetter(dead));
      continue;
    }
    // `removed: true` logs are the node's reorg notices; reorgs are found
    // from block hashes instead, so they are skipped (kSkippedRemoved).
    if (!result.events.empty()) decoded.push_back(std::move(result));
  }
  std::stable_sort(decoded.begin(), decoded.end(), [](const auto& a, const auto& b) {
    return std::pair(a.log.block_number, a.log.log_index) <
           std::pair(b.log.block_number, b.log.log_index);
  });
  // Below the head `known` is empty: the headers of the blocks with events
  // (and of `to`, which closes the range) come in one batch, not one call
  // per block, which over a hosted provider's round trips was most of a
  // backfill's time.
  std::map<uint64_t, BlockHeader> batch;
  {
    std::vector<uint64_t> missing;
    for (const DecodeResult& d : decoded) {
      uint64_t block = d.log.block_number;
      bool listed = !missing.empty() && missing.back() == block;
      if (!listed && block >= from && block <= to && !known.contains(block)) {
        missing.push_back(block);
      }
    }
    if ((missing.empty() || missing.back() != to) && !known.contains(to)) missing.push_back(to);
    if (!missing.empty()) {
      ASSIGN_OR_RETURN(std::vector<BlockHeader> fetched, rpc_.GetBlockHeadersOf(missing));
      for (BlockHeader& h : fetched) batch.emplace(h.number, std::move(h));
    }
  }
  auto header_of = [&](uint64_t block) -> core::Result<BlockHeader> {
    if (auto it = known.find(block); it != known.end()) return it->second;
    if (auto it = batch.find(block); it != batch.end()) return it->second;
    return rpc_.GetBlockHeader(block);
  };
  // The finalized block's timestamp, for decisions that wait for finality:
  // read once per range, from what is at hand first.
  std::optional<int64_t> finalized_timestamp;
  auto finalized_time = [&]() -> core::Result<int64_t> {
    if (!finalized_timestamp) {
      std::optional<BlockHeader> stored = headers_.Get(finalized);
      if (!stored) {
        ASSIGN_OR_RETURN(BlockHeader fetched, header_of(finalized));
        stored = fetched;
      }
      finalized_timestamp = stored->timestamp;
    }
    return *finalized_timestamp;
  };
  auto end_block = [&](const BlockHeader& header) -> core::Status {
    common::BlockInfo info{header.number, header.hash, header.timestamp, header.parent_hash};
    info.finalized = std::min(finalized, header.number);
    if (info.finalized < header.number && finalized > 0) {
      ASSIGN_OR_RETURN(info.finalized_timestamp, finalized_time());
    }
    info.reorgs = headers_.reorgs();
    info.deepest_reorg = headers_.deepest_reorg();
    ASSIGN_OR_RETURN(int markers, appender_->EndBlock(info));
    (void)markers;
    ingested_time_.store(header.timestamp, std::memory_order_relaxed);
    return core::Status::Ok();
  };
  size_t i = 0;
  while (i < decoded.size()) {
    uint64_t block = decoded[i].log.block_number;
    if (block < from || block > to) {
      return core::UnavailableError(fmt::format(
          "[{}] eth_getLogs [{}, {}] returned a log of block {}", chain_.name, from, to, block));
    }
    ASSIGN_OR_RETURN(BlockHeader header, header_of(block));
    for (; i < decoded.size() && decoded[i].log.block_number == block; ++i) {
      const DecodedLog& log = decoded[i].log;
      if (!log.block_hash.empty() && log.block_hash != header.hash) {
        // The block changed between the two calls (a reorg): redo the range.
        return core::UnavailableError(
            fmt::format("[{}] block {} hash changed while reading it", chain_.name, block));
      }
      for (common::ChainEvent& event : decoded[i].events) {
        v1::LogRef* ref = common::MutableLogRef(&event.envelope);
        if (event.time_seconds == 0) {
          event.time_seconds = header.timestamp;
          if (ref != nullptr) ref->set_block_timestamp(static_cast<uint64_t>(header.timestamp));
        }
        if (ref != nullptr) {
          if (ref->block_hash().empty()) ref->set_block_hash(header.hash);
          ref->set_finalized(block <= finalized);
        }
        ASSIGN_OR_RETURN(bool sent, appender_->Append(event));
        (void)sent;
      }
    }
    RETURN_IF_ERROR(end_block(header));
  }
  // Close the range even when its last block had no events: the topic then
  // records how far the chain was read (status, readiness, resume) and
  // processors see event time and finality advance through quiet blocks.
  bool last_closed = !decoded.empty() && decoded.back().log.block_number == to;
  if (!last_closed && appender_->IsBlockEndNew(to)) {
    ASSIGN_OR_RETURN(BlockHeader header, header_of(to));
    RETURN_IF_ERROR(end_block(header));
  }
  return appender_->Flush();
}

}  // namespace chainflow::ingest::evm
