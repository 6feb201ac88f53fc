#include "ingest/evm/live_follower.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/core/logging.h"

namespace chainflow::ingest::evm {
namespace {

// The LogRef of an event payload (ingest payloads all have one).
v1::LogRef* MutableLogRef(v1::Envelope* envelope) {
  switch (envelope->payload_case()) {
    case v1::Envelope::kErc721Transfer:
      return envelope->mutable_erc721_transfer()->mutable_log();
    case v1::Envelope::kErc20Transfer:
      return envelope->mutable_erc20_transfer()->mutable_log();
    case v1::Envelope::kErc1155TransferSingle:
      return envelope->mutable_erc1155_transfer_single()->mutable_log();
    case v1::Envelope::kErc1155TransferBatch:
      return envelope->mutable_erc1155_transfer_batch()->mutable_log();
    default:
      return nullptr;
  }
}

}  // namespace

LiveFollower::LiveFollower(const core::ChainConfig& chain, LogDecoder decoder, EvmRpc& rpc,
                           AppenderFactory open_appender)
    : chain_(chain),
      decoder_(std::move(decoder)),
      contracts_(decoder_.contracts()),
      rpc_(rpc),
      open_appender_(std::move(open_appender)),
      range_(std::max<uint64_t>(1, chain.max_block_range)) {}

LiveFollower::~LiveFollower() { Stop(); }

core::Result<uint64_t> LiveFollower::RunOnce() {
  auto result = Step();
  // After a failure only the topic knows what was appended: reopen.
  if (!result) appender_.reset();
  return result;
}

core::Result<uint64_t> LiveFollower::Step() {
  if (!appender_) {
    ASSIGN_OR_RETURN(appender_, open_appender_());
    next_block_ = appender_->ResumeBlock().value_or(chain_.start_block);
    next_block_ = std::max(next_block_, chain_.start_block);
    if (next_block_ > 0) ingested_.store(next_block_ - 1, std::memory_order_relaxed);
  }
  ASSIGN_OR_RETURN(uint64_t head, rpc_.BlockNumber());
  head_.store(head, std::memory_order_relaxed);
  if (head < chain_.confirmations) return uint64_t{0};
  uint64_t target = head - chain_.confirmations;
  if (next_block_ > target) return uint64_t{0};
  uint64_t to = std::min(target, next_block_ + range_ - 1);
  auto logs = rpc_.GetLogs(next_block_, to, contracts_);
  if (!logs && logs.error().code() == core::StatusCode::kResourceExhausted && range_ > 1) {
    range_ = std::max<uint64_t>(1, range_ / 2);
    core::Logger("ingest.evm")
        ->warn("[{}] eth_getLogs range too large, now {} blocks", chain_.name, range_);
    return uint64_t{0};
  }
  if (!logs) return logs.error();
  RETURN_IF_ERROR(AppendRange(next_block_, to, std::move(logs).value()));
  uint64_t blocks = to - next_block_ + 1;
  next_block_ = to + 1;
  ingested_.store(to, std::memory_order_relaxed);
  return blocks;
}

core::Status LiveFollower::AppendRange(uint64_t from, uint64_t to, std::vector<std::string> logs) {
  std::vector<DecodeResult> decoded;
  for (const std::string& text : logs) {
    DecodeResult result;
    core::Status status = decoder_.Decode(text, &result);
    if (!status.ok()) {
      // RPC input is re-fetched after a restart, so a malformed log may be
      // dead-lettered again then; nodes rarely send one.
      common::DeadLetterRecord dead;
      dead.reason = fmt::format("eth_getLogs [{}, {}]: {}", from, to, status.message());
      dead.raw = text;
      RETURN_IF_ERROR(appender_->DeadLetter(dead));
      continue;
    }
    if (!result.events.empty()) decoded.push_back(std::move(result));
  }
  std::stable_sort(decoded.begin(), decoded.end(), [](const auto& a, const auto& b) {
    return std::pair(a.log.block_number, a.log.log_index) <
           std::pair(b.log.block_number, b.log.log_index);
  });
  size_t i = 0;
  while (i < decoded.size()) {
    uint64_t block = decoded[i].log.block_number;
    ASSIGN_OR_RETURN(BlockHeader header, rpc_.GetBlockHeader(block));
    for (; i < decoded.size() && decoded[i].log.block_number == block; ++i) {
      const DecodedLog& log = decoded[i].log;
      if (!log.block_hash.empty() && log.block_hash != header.hash) {
        // The block changed between the two calls (a reorg): redo the range.
        return core::UnavailableError(
            fmt::format("[{}] block {} hash changed while reading it", chain_.name, block));
      }
      for (common::ChainEvent& event : decoded[i].events) {
        if (event.time_seconds == 0) {
          event.time_seconds = header.timestamp;
          v1::LogRef* ref = MutableLogRef(&event.envelope);
          if (ref != nullptr) {
            ref->set_block_timestamp(static_cast<uint64_t>(header.timestamp));
            if (ref->block_hash().empty()) ref->set_block_hash(header.hash);
          }
        }
        ASSIGN_OR_RETURN(bool sent, appender_->Append(event));
        (void)sent;
      }
    }
    ASSIGN_OR_RETURN(int markers, appender_->EndBlock(common::BlockInfo{
                                      block, header.hash, header.timestamp, header.parent_hash}));
    (void)markers;
  }
  // Close the range even when its last block had no events: the topic then
  // records how far the chain was read (status, readiness, resume) and
  // processors see event time advance through quiet blocks.
  bool last_closed = !decoded.empty() && decoded.back().log.block_number == to;
  if (!last_closed && appender_->IsBlockEndNew(to)) {
    ASSIGN_OR_RETURN(BlockHeader header, rpc_.GetBlockHeader(to));
    ASSIGN_OR_RETURN(int markers, appender_->EndBlock(common::BlockInfo{
                                      to, header.hash, header.timestamp, header.parent_hash}));
    (void)markers;
  }
  return appender_->Flush();
}

void LiveFollower::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void LiveFollower::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

core::Status LiveFollower::last_status() const {
  std::lock_guard lock(mu_);
  return last_status_;
}

void LiveFollower::Loop() {
  auto log = core::Logger("ingest.evm");
  std::chrono::milliseconds backoff(100);
  while (true) {
    std::chrono::milliseconds wait(0);
    core::Status status;
    try {
      auto blocks = RunOnce();
      if (blocks) {
        backoff = std::chrono::milliseconds(100);
        if (blocks.value() == 0) wait = std::chrono::milliseconds(chain_.poll_interval_ms);
      } else {
        status = blocks.error();
      }
    } catch (const std::exception& e) {
      status = core::InternalError(fmt::format("live follower: {}", e.what()));
    }
    {
      std::unique_lock lock(mu_);
      last_status_ = status;
      if (!status.ok()) {
        if (!core::IsRetryable(status)) {
          log->error("[{}] live ingest stopped: {}", chain_.name, status.ToString());
          return;
        }
        log->warn("[{}] live ingest retrying in {} ms: {}", chain_.name, backoff.count(),
                  status.ToString());
        wait = backoff;
        backoff = std::min(backoff * 2, std::chrono::milliseconds(30'000));
      }
      if (wake_.wait_for(lock, wait, [this] { return stop_; })) return;
    }
  }
}

}  // namespace chainflow::ingest::evm
