#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/address.h"
#include "engine/core/config.h"
#include "engine/core/result.h"
#include "engine/core/u256.h"
#include "engine/abi/catalog.h"
#include "ingest/common/chain_event.h"
#include "ingest/evm/abi_matcher.h"
#include "ingest/evm/log_batch.h"

namespace chainflow::ingest::evm {


// topic0 of the events we index (keccak-256 of the signature).
inline constexpr std::string_view kTransferTopic =
    "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef";
inline constexpr std::string_view kTransferSingleTopic =
    "0xc3d58168c5ae7397731d063d5bbf3d657854427343f4c083240f7aacaa2d0f62";
inline constexpr std::string_view kTransferBatchTopic =
    "0x4a39dc06d4c0dbc64b70af90fd698a233a518aa5d07e595d983b8c0526c8f7fb";

// One eth_getLogs log object, fields decoded to raw bytes.
struct DecodedLog {
  core::Address address;
  std::array<core::Bytes32, 4> topics{};
  uint8_t topic_count = 0;
  std::string data;           // raw bytes
  uint64_t block_number = 0;
  std::string block_hash;     // 32 raw bytes; empty if null
  uint64_t block_timestamp = 0;  // 0 if absent or null
  std::string tx_hash;        // 32 raw bytes
  uint32_t tx_index = 0;      // 0 if null
  uint32_t log_index = 0;
  bool removed = false;
};

// What a log is. Everything but the kSkipped* kinds produces events.
enum class LogKind : uint8_t {
  kErc20Transfer,
  kErc721Transfer,
  kErc1155Single,
  kErc1155Batch,
  kContractEvent,             // only events of contracts by ABI (ContractEvent)
  kSkippedOtherEvent,         // topic0 is not a standard token event
  kSkippedNoTopics,           // anonymous event
  kSkippedNonStandardTransfer,  // Transfer topic0 with 1 or 2 topics (pre-ERC-721 drafts)
  kSkippedContractNotConfigured,
  kSkippedRemoved,            // "removed": true (reorg notification)
  kCount,
};
std::string_view LogKindName(LogKind kind);  // "erc20_transfer", "skipped_other_event", ...
inline bool IsSkipped(LogKind kind) { return kind >= LogKind::kSkippedOtherEvent; }

// Counts per kind (replay summaries, metrics, tests).
struct KindCounts {
  std::array<uint64_t, static_cast<size_t>(LogKind::kCount)> counts{};
  void Add(LogKind kind) { ++counts[static_cast<size_t>(kind)]; }
  uint64_t operator[](LogKind kind) const { return counts[static_cast<size_t>(kind)]; }
};

// The result of decoding one log object. Reuse one for log after log: the
// next decode takes over the memory of the last one's log, events and
// decoded values (a replay decodes millions).
struct DecodeResult {
  DecodedLog log;
  LogKind kind = LogKind::kSkippedOtherEvent;
  std::string skip_reason;                 // set for kSkipped* kinds
  std::vector<common::ChainEvent> events;  // empty for kSkipped* kinds

  // The decoder's scratch, kept for the next decode: earlier events (at most
  // kMaxSpareEvents), and contract events with their values.
  std::vector<common::ChainEvent> spare_events;
  std::vector<AbiMatch> matches;
};
inline constexpr size_t kMaxSpareEvents = 16;

// Decodes eth_getLogs log objects (JSON text) into chain events.
//
// Malformed input (bad JSON, a missing field, non-hex, a wrong topic count
// for a known topic0, an address topic with non-zero high bytes, a bad data
// length or ABI encoding) is InvalidArgument naming the field. A Transfer
// topic0 with 1 or 2 topics is a real pre-standard event (CryptoKitties
// indexes nothing) and is skipped, not an error.
//
// Keys: ERC-721 and ERC-1155 "<chain>:<contract>:<token_id decimal>";
// ERC-20 "<chain>:<token>:<from>" (a later issue repartitions ERC-20 into
// per-account deltas). Addresses lowercase 0x hex.
//
// Holds a reusable simdjson parser: not thread-safe, one per thread.
class LogDecoder {
 public:
  // `contracts` empty: every standard token event is indexed; otherwise only
  // logs emitted by those addresses. No contracts by ABI.
  LogDecoder(std::string chain, std::vector<core::Address> contracts);
  // Standard token events of `standard` (all of them when `all_standard`),
  // and the events of the contracts by ABI that `abi` (nullptr: none)
  // matches.
  LogDecoder(std::string chain, std::vector<core::Address> standard, bool all_standard,
             std::shared_ptr<const AbiMatcher> abi);
  ~LogDecoder();
  LogDecoder(LogDecoder&&) noexcept;
  LogDecoder& operator=(LogDecoder&&) noexcept;

  // The decoder for `chain` with the config's [[contracts]]: a chain with
  // none indexes every standard token event; otherwise only the standard
  // contracts listed, and the contracts by ABI of `catalog` (nullptr: none).
  static LogDecoder ForChain(const core::Config& config, const std::string& chain,
                             std::shared_ptr<const engine::abi::Catalog> catalog = nullptr);

  // Parses the JSON fields only.
  core::Result<DecodedLog> Parse(std::string_view json);
  // Parses, classifies and builds the events into `out` (cleared first; on
  // an error its log may hold part of this one).
  core::Status Decode(std::string_view json, DecodeResult* out);
  // The same for log `i` of `batch`, already parsed.
  core::Status Decode(const LogBatch& batch, size_t i, DecodeResult* out) const;
  // Classifies an already parsed log and builds its events.
  core::Status Classify(DecodedLog log, DecodeResult* out) const;

  const std::string& chain() const { return chain_; }
  // The addresses eth_getLogs may be restricted to (sorted); empty: every
  // log of the chain is needed.
  const std::vector<core::Address>& log_filter() const { return log_filter_; }

 private:
  struct Parser;
  core::Status ParseInto(std::string_view json, DecodedLog* out);
  // Classifies out->log and builds its events.
  core::Status ClassifyParsed(DecodeResult* out) const;
  core::Status ClassifyStandard(DecodeResult* out) const;
  core::Status AppendContractEvents(DecodeResult* out) const;

  std::string chain_;
  std::vector<core::Address> contracts_;  // standard contracts, sorted
  bool all_standard_ = true;              // every standard token event, whoever emits it
  std::shared_ptr<const AbiMatcher> abi_;
  std::shared_ptr<const engine::abi::Catalog> catalog_;  // keeps abi_'s contracts alive
  std::vector<core::Address> log_filter_;
  std::unique_ptr<Parser> parser_;
};

// ABI-decodes TransferBatch data: two dynamic uint256[] (ids, values) of
// equal length. Offsets and lengths are validated strictly.
core::Status DecodeTransferBatchData(std::string_view data, std::vector<core::Bytes32>* ids,
                                     std::vector<core::Bytes32>* values);

}  // namespace chainflow::ingest::evm
