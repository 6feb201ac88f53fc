#include "ingest/evm/log_decoder.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

#include <fmt/compile.h>
#include <fmt/format.h>
#include <simdjson.h>

#include "engine/core/hex.h"
#include "engine/wire/keys.h"
#include "ingest/evm/abi_matcher.h"
#include "ingest/evm/log_batch_dom.h"

namespace chainflow::ingest::evm {
namespace {

using core::Bytes32;
using core::Status;

Status FieldError(std::string_view field, std::string_view what) {
  return core::InvalidArgumentError(fmt::format("log field \"{}\": {}", field, what));
}

// "0x" + exactly 2*out.size() hex digits.
Status DecodeHexExact(std::string_view field, std::string_view text, uint8_t* out, size_t n) {
  if (text.size() != 2 + 2 * n || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return FieldError(field, fmt::format("\"{}\" is not 0x + {} hex digits", text.substr(0, 80),
                                         2 * n));
  }
  if (!core::DecodeHex(text.substr(2), out)) {
    return FieldError(field, fmt::format("invalid hex character in \"{}\"", text.substr(0, 80)));
  }
  return Status::Ok();
}

Status DecodeHexBytes(std::string_view field, std::string_view text, std::string* out) {
  if (text.size() < 2 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X') ||
      text.size() % 2 != 0) {
    return FieldError(field, fmt::format("\"{}\" is not 0x + an even number of hex digits",
                                         text.substr(0, 80)));
  }
  out->resize((text.size() - 2) / 2);
  return DecodeHexExact(field, text, reinterpret_cast<uint8_t*>(out->data()), out->size());
}

core::Result<uint64_t> DecodeQuantity(std::string_view field, std::string_view text) {
  if (text.size() < 3 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) {
    return FieldError(field, fmt::format("\"{}\" is not a 0x hex quantity", text.substr(0, 80)));
  }
  auto value = core::ParseHexQuantity(text);
  if (!value) return FieldError(field, value.error().message());
  return value.value();
}

core::Result<uint32_t> DecodeQuantity32(std::string_view field, std::string_view text) {
  ASSIGN_OR_RETURN(uint64_t value, DecodeQuantity(field, text));
  if (value > UINT32_MAX) return FieldError(field, fmt::format("{} overflows 32 bits", value));
  return static_cast<uint32_t>(value);
}

Bytes32 TopicConstant(std::string_view hex) {
  Bytes32 out{};
  Status status = DecodeHexExact("topic", hex, out.data(), out.size());
  CF_CHECK(status.ok(), "bad topic constant {}", hex);
  return out;
}

const Bytes32& TransferTopic() {
  static const Bytes32 topic = TopicConstant(kTransferTopic);
  return topic;
}
const Bytes32& TransferSingleTopic() {
  static const Bytes32 topic = TopicConstant(kTransferSingleTopic);
  return topic;
}
const Bytes32& TransferBatchTopic() {
  static const Bytes32 topic = TopicConstant(kTransferBatchTopic);
  return topic;
}

std::string_view AsBytes(const Bytes32& word) {
  return std::string_view(reinterpret_cast<const char*>(word.data()), word.size());
}

core::Result<std::string> TopicAddress(const DecodedLog& log, int i) {
  auto address = core::Address::FromWord(AsBytes(log.topics[i]));
  if (!address) return FieldError(fmt::format("topics[{}]", i), address.error().message());
  return address.value().ToBytes();
}

std::string TokenDecimal(const Bytes32& word) {
  return core::U256ToDecimal(core::U256FromBytes32(word));
}

void FillLogRef(const std::string& chain, const DecodedLog& log, v1::LogRef* ref) {
  ref->set_chain(chain);
  ref->set_block_number(log.block_number);
  ref->set_block_hash(log.block_hash);
  ref->set_block_timestamp(log.block_timestamp);
  ref->set_tx_hash(log.tx_hash);
  ref->set_tx_index(log.tx_index);
  ref->set_log_index(log.log_index);
  ref->mutable_contract()->assign(reinterpret_cast<const char*>(log.address.bytes().data()),
                                 log.address.bytes().size());
}

common::ChainEvent NewEvent(const DecodedLog& log, uint32_t sub) {
  common::ChainEvent event;
  event.position = common::Position{0, log.block_number, log.log_index, sub};
  event.time_seconds = static_cast<int64_t>(log.block_timestamp);
  return event;
}

// NewEvent, with the envelope of a spare event of `out` (Recycle) when there
// is one: cleared, its contract event's memory kept (for the swap in
// AppendContractEvents).
common::ChainEvent SpareEvent(DecodeResult* out, const DecodedLog& log, uint32_t sub) {
  common::ChainEvent event = NewEvent(log, sub);
  if (out->spare_events.empty()) return event;
  v1::Envelope& spare = out->spare_events.back().envelope;
  v1::ContractEvent* kept = spare.has_contract_event() ? spare.release_contract_event() : nullptr;
  spare.Clear();
  if (kept != nullptr) spare.set_allocated_contract_event(kept);
  event.envelope = std::move(spare);
  out->spare_events.pop_back();
  return event;
}

// Reads a 32-byte ABI word at `offset` as a uint64 (the high 24 bytes must be 0).
core::Result<uint64_t> AbiUint64(std::string_view data, uint64_t offset, std::string_view what) {
  if (offset > data.size() || data.size() - offset < 32) {
    return FieldError("data", fmt::format("{} word at byte {} is past the end ({} bytes)", what,
                                          offset, data.size()));
  }
  const char* word = data.data() + offset;
  for (int i = 0; i < 24; ++i) {
    if (word[i] != 0) {
      return FieldError("data", fmt::format("{} at byte {} is too large", what, offset));
    }
  }
  uint64_t value = 0;
  for (int i = 24; i < 32; ++i) value = (value << 8) | static_cast<uint8_t>(word[i]);
  return value;
}

core::Status AbiUintArray(std::string_view data, uint64_t head_slot, std::string_view what,
                          std::vector<Bytes32>* out) {
  ASSIGN_OR_RETURN(uint64_t offset, AbiUint64(data, head_slot, fmt::format("{} offset", what)));
  if (offset % 32 != 0 || offset < 64) {
    return FieldError("data", fmt::format("{} offset {} is not a word offset after the head", what,
                                          offset));
  }
  ASSIGN_OR_RETURN(uint64_t length, AbiUint64(data, offset, fmt::format("{} length", what)));
  uint64_t available = (data.size() - offset - 32) / 32;
  if (length > available) {
    return FieldError("data", fmt::format("{} length {} exceeds the {} words present", what,
                                          length, available));
  }
  out->resize(length);
  const char* base = data.data() + offset + 32;
  for (uint64_t i = 0; i < length; ++i) std::memcpy((*out)[i].data(), base + 32 * i, 32);
  return Status::Ok();
}

}  // namespace

std::string_view LogKindName(LogKind kind) {
  switch (kind) {
    case LogKind::kErc20Transfer: return "erc20_transfer";
    case LogKind::kErc721Transfer: return "erc721_transfer";
    case LogKind::kErc1155Single: return "erc1155_single";
    case LogKind::kErc1155Batch: return "erc1155_batch";
    case LogKind::kContractEvent: return "contract_event";
    case LogKind::kSkippedOtherEvent: return "skipped_other_event";
    case LogKind::kSkippedNoTopics: return "skipped_no_topics";
    case LogKind::kSkippedNonStandardTransfer: return "skipped_non_standard_transfer";
    case LogKind::kSkippedContractNotConfigured: return "skipped_contract_not_configured";
    case LogKind::kSkippedRemoved: return "skipped_removed";
    case LogKind::kCount: break;
  }
  return "unknown";
}

core::Status DecodeTransferBatchData(std::string_view data, std::vector<Bytes32>* ids,
                                     std::vector<Bytes32>* values) {
  RETURN_IF_ERROR(AbiUintArray(data, 0, "ids", ids));
  RETURN_IF_ERROR(AbiUintArray(data, 32, "values", values));
  if (ids->size() != values->size()) {
    return FieldError("data", fmt::format("TransferBatch has {} ids but {} values", ids->size(),
                                          values->size()));
  }
  return Status::Ok();
}

struct LogDecoder::Parser {
  simdjson::dom::parser parser;
  std::string padded;
};

LogDecoder::LogDecoder(std::string chain, std::vector<core::Address> contracts)
    : LogDecoder(std::move(chain), contracts, contracts.empty(), nullptr) {}

LogDecoder::LogDecoder(std::string chain, std::vector<core::Address> standard, bool all_standard,
                       std::shared_ptr<const AbiMatcher> abi)
    : chain_(std::move(chain)), contracts_(std::move(standard)), all_standard_(all_standard),
      abi_(std::move(abi)), parser_(std::make_unique<Parser>()) {
  std::sort(contracts_.begin(), contracts_.end());
  // Restricting eth_getLogs to addresses is possible only when every event
  // wanted comes from a known address.
  if (!all_standard_ && !(abi_ && abi_->NeedsAllLogs())) {
    log_filter_ = contracts_;
    if (abi_) {
      log_filter_.insert(log_filter_.end(), abi_->addresses().begin(), abi_->addresses().end());
    }
    std::sort(log_filter_.begin(), log_filter_.end());
    log_filter_.erase(std::unique(log_filter_.begin(), log_filter_.end()), log_filter_.end());
  }
}
LogDecoder::~LogDecoder() = default;
LogDecoder::LogDecoder(LogDecoder&&) noexcept = default;
LogDecoder& LogDecoder::operator=(LogDecoder&&) noexcept = default;

LogDecoder LogDecoder::ForChain(const core::Config& config, const std::string& chain,
                                std::shared_ptr<const engine::abi::Catalog> catalog) {
  core::Config::StandardTokens standard = config.StandardTokensOf(chain);
  std::shared_ptr<const AbiMatcher> abi;
  if (catalog && !catalog->OfChain(chain).empty()) {
    abi = std::make_shared<AbiMatcher>(chain, catalog->OfChain(chain));
  }
  LogDecoder decoder(chain, std::move(standard.addresses), standard.all, std::move(abi));
  decoder.catalog_ = std::move(catalog);
  return decoder;
}

namespace {

// The fields of one log object, into `out` (every field written: a reused
// DecodedLog keeps its strings' memory).
Status ParseLogObject(simdjson::dom::element doc, DecodedLog* out) {
  simdjson::dom::object obj;
  if (doc.get_object().get(obj)) return core::InvalidArgumentError("log is not a JSON object");

  // Looks up a field: Ok with *found=false when absent or null (if allowed).
  auto get_string = [&](const char* name, bool nullable, std::string_view* out,
                        bool* present) -> Status {
    simdjson::dom::element e;
    bool missing = obj[name].get(e) != simdjson::SUCCESS;
    if (missing || e.is_null()) {
      if (nullable) {
        *present = false;
        return Status::Ok();
      }
      return FieldError(name, missing ? "is missing" : "is null");
    }
    if (e.get_string().get(*out)) return FieldError(name, "is not a string");
    *present = true;
    return Status::Ok();
  };

  DecodedLog& log = *out;
  log.block_hash.clear();
  log.block_timestamp = 0;
  log.tx_index = 0;
  log.removed = false;
  std::string_view text;
  bool present = false;
  RETURN_IF_ERROR(get_string("address", false, &text, &present));
  {
    std::array<uint8_t, core::Address::kSize> bytes{};
    RETURN_IF_ERROR(DecodeHexExact("address", text, bytes.data(), bytes.size()));
    log.address = core::Address(bytes);
  }
  {
    simdjson::dom::array topics;
    if (obj["topics"].get(topics)) return FieldError("topics", "is missing or not an array");
    size_t i = 0;
    for (simdjson::dom::element topic : topics) {
      if (i == 4) return FieldError("topics", fmt::format("has {} topics (max 4)", topics.size()));
      static constexpr std::string_view kTopicFields[] = {"topics[0]", "topics[1]", "topics[2]",
                                                          "topics[3]"};
      std::string_view field = kTopicFields[i];
      if (topic.get_string().get(text)) return FieldError(field, "is not a string");
      RETURN_IF_ERROR(DecodeHexExact(field, text, log.topics[i].data(), 32));
      ++i;
    }
    log.topic_count = static_cast<uint8_t>(i);
    for (; i < log.topics.size(); ++i) log.topics[i] = {};
  }
  RETURN_IF_ERROR(get_string("data", false, &text, &present));
  RETURN_IF_ERROR(DecodeHexBytes("data", text, &log.data));
  RETURN_IF_ERROR(get_string("blockNumber", false, &text, &present));
  ASSIGN_OR_RETURN(log.block_number, DecodeQuantity("blockNumber", text));
  RETURN_IF_ERROR(get_string("blockHash", true, &text, &present));
  if (present) {
    log.block_hash.resize(32);
    RETURN_IF_ERROR(DecodeHexExact("blockHash", text,
                                   reinterpret_cast<uint8_t*>(log.block_hash.data()), 32));
  }
  RETURN_IF_ERROR(get_string("blockTimestamp", true, &text, &present));
  if (present) {
    ASSIGN_OR_RETURN(log.block_timestamp, DecodeQuantity("blockTimestamp", text));
  }
  RETURN_IF_ERROR(get_string("transactionHash", false, &text, &present));
  log.tx_hash.resize(32);
  RETURN_IF_ERROR(DecodeHexExact("transactionHash", text,
                                 reinterpret_cast<uint8_t*>(log.tx_hash.data()), 32));
  RETURN_IF_ERROR(get_string("transactionIndex", true, &text, &present));
  if (present) {
    ASSIGN_OR_RETURN(log.tx_index, DecodeQuantity32("transactionIndex", text));
  }
  RETURN_IF_ERROR(get_string("logIndex", false, &text, &present));
  ASSIGN_OR_RETURN(log.log_index, DecodeQuantity32("logIndex", text));
  if (log.log_index == common::Position::kMarkerLogIndex) {
    return FieldError("logIndex", "0xffffffff is reserved for block markers");
  }
  {
    simdjson::dom::element e;
    if (!obj["removed"].get(e) && !e.is_null()) {
      if (e.get_bool().get(log.removed)) return FieldError("removed", "is not a boolean");
    }
  }
  return Status::Ok();
}

}  // namespace

core::Status LogDecoder::ParseInto(std::string_view json, DecodedLog* out) {
  // Parse from our own padded buffer: no allocation per log once warm.
  std::string& buf = parser_->padded;
  if (buf.size() < json.size() + simdjson::SIMDJSON_PADDING) {
    buf.resize(json.size() + simdjson::SIMDJSON_PADDING);
  }
  std::memcpy(buf.data(), json.data(), json.size());
  simdjson::dom::element doc;
  if (auto error = parser_->parser.parse(buf.data(), json.size(), false).get(doc)) {
    return core::InvalidArgumentError(
        fmt::format("log is not valid JSON: {}", simdjson::error_message(error)));
  }
  return ParseLogObject(doc, out);
}

core::Result<DecodedLog> LogDecoder::Parse(std::string_view json) {
  DecodedLog log;
  RETURN_IF_ERROR(ParseInto(json, &log));
  return log;
}

namespace {

// Clears `out` for the next log. Its events become spares that the next
// contract events reuse (SpareEvent), up to kMaxSpareEvents: standard token
// events take none, so without a bound a replay of them would keep every one.
void Recycle(DecodeResult* out) {
  for (common::ChainEvent& event : out->events) {
    if (out->spare_events.size() == kMaxSpareEvents) break;
    out->spare_events.push_back(std::move(event));
  }
  out->events.clear();
  out->skip_reason.clear();
}

}  // namespace

core::Status LogDecoder::Decode(std::string_view json, DecodeResult* out) {
  Recycle(out);
  RETURN_IF_ERROR(ParseInto(json, &out->log));
  return ClassifyParsed(out);
}

core::Status LogDecoder::Decode(const LogBatch& batch, size_t i, DecodeResult* out) const {
  Recycle(out);
  RETURN_IF_ERROR(ParseLogObject(batch.dom().logs.at(i), &out->log));
  return ClassifyParsed(out);
}

core::Status LogDecoder::Classify(DecodedLog log, DecodeResult* out) const {
  Recycle(out);
  out->log = std::move(log);
  return ClassifyParsed(out);
}

core::Status LogDecoder::ClassifyParsed(DecodeResult* out) const {
  const DecodedLog& l = out->log;
  auto skip = [&](LogKind kind, std::string_view reason) {
    out->kind = kind;
    out->skip_reason.assign(reason);
    return Status::Ok();
  };
  if (l.removed) return skip(LogKind::kSkippedRemoved, "removed log (reorg notification)");
  RETURN_IF_ERROR(ClassifyStandard(out));
  return abi_ ? AppendContractEvents(out) : Status::Ok();
}

core::Status LogDecoder::ClassifyStandard(DecodeResult* out) const {
  const DecodedLog& l = out->log;
  auto skip = [&](LogKind kind, std::string_view reason) {
    out->kind = kind;
    out->skip_reason.assign(reason);
    return Status::Ok();
  };
  if (l.topic_count == 0) return skip(LogKind::kSkippedNoTopics, "anonymous event (no topics)");
  const Bytes32& topic0 = l.topics[0];
  bool transfer = topic0 == TransferTopic();
  bool single = !transfer && topic0 == TransferSingleTopic();
  bool batch = !transfer && !single && topic0 == TransferBatchTopic();
  if (!transfer && !single && !batch) {
    return skip(LogKind::kSkippedOtherEvent, "not a standard token event");
  }
  if (!all_standard_ &&
      !std::binary_search(contracts_.begin(), contracts_.end(), l.address)) {
    return skip(LogKind::kSkippedContractNotConfigured, "contract not configured");
  }
  std::string contract_hex = l.address.ToHex();
  // Keys and ids are built by appending: fmt's format parsing showed in the
  // per-line profile of a replay.
  auto nft_key = [&](const Bytes32& token_id) {
    return engine::wire::TokenKeyOf(chain_, contract_hex, TokenDecimal(token_id));
  };
  std::string id = chain_;
  for (uint64_t n : {l.block_number, uint64_t{l.log_index}}) {
    char digits[20];
    id += '/';
    id.append(digits, std::to_chars(digits, digits + sizeof digits, n).ptr);
  }

  if (transfer) {
    if (l.topic_count < 3) {
      return skip(LogKind::kSkippedNonStandardTransfer,
                  fmt::format("Transfer with {} topics is neither ERC-20 nor ERC-721",
                              l.topic_count));
    }
    ASSIGN_OR_RETURN(std::string from, TopicAddress(l, 1));
    ASSIGN_OR_RETURN(std::string to, TopicAddress(l, 2));
    common::ChainEvent event = NewEvent(l, 0);
    event.envelope.set_id(std::move(id));
    if (l.topic_count == 4) {
      if (!l.data.empty()) {
        return FieldError("data", fmt::format("ERC-721 Transfer has {} data bytes (want 0)",
                                              l.data.size()));
      }
      out->kind = LogKind::kErc721Transfer;
      event.key = nft_key(l.topics[3]);
      v1::Erc721Transfer* t = event.envelope.mutable_erc721_transfer();
      FillLogRef(chain_, l, t->mutable_log());
      t->set_from(std::move(from));
      t->set_to(std::move(to));
      t->set_token_id(std::string(AsBytes(l.topics[3])));
    } else {
      if (l.data.size() != 32) {
        return FieldError("data", fmt::format("ERC-20 Transfer has {} data bytes (want 32)",
                                              l.data.size()));
      }
      out->kind = LogKind::kErc20Transfer;
      event.key = engine::wire::AccountKeyOf(chain_, contract_hex, core::ToHex(from));
      v1::Erc20Transfer* t = event.envelope.mutable_erc20_transfer();
      FillLogRef(chain_, l, t->mutable_log());
      t->set_from(std::move(from));
      t->set_to(std::move(to));
      t->set_value(l.data);
    }
    event.type = common::EventTypeName(event.envelope.payload_case());
    out->events.push_back(std::move(event));
    return Status::Ok();
  }

  std::string_view name = single ? "TransferSingle" : "TransferBatch";
  if (l.topic_count != 4) {
    return FieldError("topics", fmt::format("{} has {} topics (want 4)", name, l.topic_count));
  }
  ASSIGN_OR_RETURN(std::string op, TopicAddress(l, 1));
  ASSIGN_OR_RETURN(std::string from, TopicAddress(l, 2));
  ASSIGN_OR_RETURN(std::string to, TopicAddress(l, 3));
  if (single) {
    if (l.data.size() != 64) {
      return FieldError("data", fmt::format("TransferSingle has {} data bytes (want 64)",
                                            l.data.size()));
    }
    out->kind = LogKind::kErc1155Single;
    common::ChainEvent event = NewEvent(l, 0);
    event.envelope.set_id(std::move(id));
    Bytes32 token_id{};
    std::memcpy(token_id.data(), l.data.data(), 32);
    event.key = nft_key(token_id);
    v1::Erc1155TransferSingle* t = event.envelope.mutable_erc1155_transfer_single();
    FillLogRef(chain_, l, t->mutable_log());
    t->set_operator_(std::move(op));
    t->set_from(std::move(from));
    t->set_to(std::move(to));
    t->set_token_id(l.data.substr(0, 32));
    t->set_value(l.data.substr(32, 32));
    event.type = common::EventTypeName(event.envelope.payload_case());
    out->events.push_back(std::move(event));
    return Status::Ok();
  }

  std::vector<Bytes32> ids;
  std::vector<Bytes32> values;
  RETURN_IF_ERROR(DecodeTransferBatchData(l.data, &ids, &values));
  out->kind = LogKind::kErc1155Batch;
  const uint32_t count = static_cast<uint32_t>(ids.size());
  for (uint32_t i = 0; i < count; ++i) {
    common::ChainEvent event = NewEvent(l, i);
    event.envelope.set_id(fmt::format("{}/{}", id, i));
    event.key = nft_key(ids[i]);
    v1::Erc1155TransferBatch* t = event.envelope.mutable_erc1155_transfer_batch();
    FillLogRef(chain_, l, t->mutable_log());
    t->set_operator_(op);
    t->set_from(from);
    t->set_to(to);
    t->set_token_id(std::string(AsBytes(ids[i])));
    t->set_value(std::string(AsBytes(values[i])));
    t->set_index(i);
    t->set_count(count);
    event.type = common::EventTypeName(event.envelope.payload_case());
    out->events.push_back(std::move(event));
  }
  return Status::Ok();
}

// Contract events follow the log's standard events in position order: sub
// indexes from kContractSub up (a batch's elements use 0..count-1).
core::Status LogDecoder::AppendContractEvents(DecodeResult* out) const {
  constexpr uint32_t kContractSub = 0x80000000u;
  size_t matched = 0;
  RETURN_IF_ERROR(abi_->Match(out->log, &out->matches, &matched));
  if (matched == 0) return Status::Ok();
  const DecodedLog& l = out->log;
  if (IsSkipped(out->kind)) {
    out->kind = LogKind::kContractEvent;
    out->skip_reason.clear();
  }
  for (uint32_t k = 0; k < matched; ++k) {
    AbiMatch& match = out->matches[k];
    common::ChainEvent event = SpareEvent(out, l, kContractSub + k);
    fmt::format_to(std::back_inserter(*event.envelope.mutable_id()), FMT_COMPILE("{}/{}/{}/{}"),
                   chain_, l.block_number, l.log_index, match.contract->name());
    event.key = engine::wire::ContractFamilyKey(chain_, match.contract->family);
    FillLogRef(chain_, l, match.event.mutable_log());
    // A swap: the match keeps the spare's contract event for the next log.
    event.envelope.mutable_contract_event()->Swap(&match.event);
    event.type = common::EventTypeName(event.envelope.payload_case());
    out->events.push_back(std::move(event));
  }
  return Status::Ok();
}

}  // namespace chainflow::ingest::evm
