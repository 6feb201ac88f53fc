#include "engine/runtime/undo_log.h"

#include <algorithm>

#include <fmt/format.h>

#include "engine/core/check.h"
#include "engine/core/logging.h"

namespace chainflow::engine::runtime {
namespace {

constexpr char kRecordPrefix[] = "\0undo/";      // 6 bytes, see kRecordPrefixSize
constexpr size_t kRecordPrefixSize = 6;
constexpr char kFinalizedPrefix[] = "\0final/";  // 7 bytes
constexpr size_t kFinalizedPrefixSize = 7;
constexpr uint8_t kRecordVersion = 1;

void AppendBigEndian(std::string& out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

uint64_t ReadBigEndian(std::string_view in, size_t bytes) {
  uint64_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<uint8_t>(in[i]);
  return v;
}

std::string_view RecordPrefix() { return {kRecordPrefix, kRecordPrefixSize}; }
std::string_view FinalizedPrefix() { return {kFinalizedPrefix, kFinalizedPrefixSize}; }

// version(1) + block timestamp(8) + present(1) + key length(4) + key + prior.
std::string EncodeRecord(uint64_t timestamp, std::string_view key,
                         const std::optional<std::string>& prior) {
  std::string out;
  out.reserve(14 + key.size() + (prior ? prior->size() : 0));
  out += static_cast<char>(kRecordVersion);
  AppendBigEndian(out, timestamp, 8);
  out += prior ? '\1' : '\0';
  AppendBigEndian(out, key.size(), 4);
  out.append(key);
  if (prior) out.append(*prior);
  return out;
}

// Forwards to another emitter, counting (the retractions of a revert).
class CountingEmitter : public Emitter {
 public:
  explicit CountingEmitter(Emitter& out) : out_(out) {}
  void Emit(OutputEvent event) override {
    ++count;
    out_.Emit(std::move(event));
  }
  size_t count = 0;

 private:
  Emitter& out_;
};

// The LogRef of a chain event (the payloads a block can revert), or null.
// A new chain event payload must be added here to get undo records.
const v1::LogRef* ChainLog(const v1::Envelope& envelope) {
  switch (envelope.payload_case()) {
    case v1::Envelope::kErc721Transfer:
      return envelope.erc721_transfer().has_log() ? &envelope.erc721_transfer().log() : nullptr;
    case v1::Envelope::kErc20Transfer:
      return envelope.erc20_transfer().has_log() ? &envelope.erc20_transfer().log() : nullptr;
    case v1::Envelope::kErc1155TransferSingle:
      return envelope.erc1155_transfer_single().has_log()
                 ? &envelope.erc1155_transfer_single().log()
                 : nullptr;
    case v1::Envelope::kErc1155TransferBatch:
      return envelope.erc1155_transfer_batch().has_log()
                 ? &envelope.erc1155_transfer_batch().log()
                 : nullptr;
    case v1::Envelope::kContractEvent:
      return envelope.contract_event().has_log() ? &envelope.contract_event().log() : nullptr;
    default:
      return nullptr;
  }
}

bool IsPoison(const core::Status& s) {
  return s.code() == core::StatusCode::kInvalidArgument ||
         s.code() == core::StatusCode::kOutOfRange;
}

}  // namespace

// Forwards to the task's batch and stages the prior value of every key the
// record writes for the first time in its block.
class UndoLog::TrackingView : public state::StateView {
 public:
  TrackingView(UndoLog& log, state::StateView& inner) : log_(log), inner_(inner) {}
  core::Result<std::optional<std::string>> Get(std::string_view key) override {
    return inner_.Get(key);
  }
  void Put(std::string_view key, std::string_view value) override {
    log_.NoteWrite(inner_, key);
    inner_.Put(key, value);
  }
  void Delete(std::string_view key) override {
    log_.NoteWrite(inner_, key);
    inner_.Delete(key);
  }
  core::Status Scan(std::string_view prefix, const ScanFn& fn) override {
    return inner_.Scan(prefix, fn);
  }
  core::Status ScanFrom(std::string_view prefix, std::string_view start,
                        const ScanFn& fn) override {
    return inner_.ScanFrom(prefix, start, fn);
  }
  state::StateView& inner() { return inner_; }

 private:
  UndoLog& log_;
  state::StateView& inner_;
};

UndoLog::UndoLog(std::string processor, UndoOptions options)
    : processor_(std::move(processor)),
      options_(options),
      records_gauge_(core::MetricsRegistry::Global().GetGauge(
          "chainflow_undo_records", "Undo records kept for unfinalized blocks",
          {{"processor", processor_}})),
      reverted_counter_(core::MetricsRegistry::Global().GetCounter(
          "chainflow_blocks_reverted_total", "Reverted blocks undone (with records)",
          {{"processor", processor_}})),
      window_counter_(core::MetricsRegistry::Global().GetCounter(
          "chainflow_undo_window_pruned_blocks_total",
          "Blocks whose undo records left the unfinalized window before finality",
          {{"processor", processor_}})) {
  CF_CHECK(options_.max_unfinalized_blocks > 0, "undo window of 0 blocks");
}

UndoLog::~UndoLog() { records_gauge_.Add(-static_cast<double>(size_)); }

core::Result<std::unique_ptr<UndoLog>> UndoLog::Open(const state::Store& store,
                                                     std::string processor,
                                                     UndoOptions options) {
  auto log = std::make_unique<UndoLog>(std::move(processor), options);
  RETURN_IF_ERROR(log->Reload(store));
  return log;
}

std::string UndoLog::RecordKey(const std::string& chain, uint64_t block, uint32_t seq) {
  CF_CHECK(chain.size() < 256, "chain name of {} bytes", chain.size());
  std::string key(RecordPrefix());
  key += static_cast<char>(chain.size());
  key += chain;
  AppendBigEndian(key, block, 8);
  AppendBigEndian(key, seq, 4);
  return key;
}

std::string UndoLog::FinalizedKey(const std::string& chain) {
  return std::string(FinalizedPrefix()) + chain;
}

core::Status UndoLog::Reload(const state::Store& store) {
  records_gauge_.Add(-static_cast<double>(size_));
  chains_.clear();
  doomed_.clear();
  dirty_.clear();
  size_ = 0;
  core::Status bad;
  RETURN_IF_ERROR(store.Scan(RecordPrefix(), [&](std::string_view k, std::string_view v) {
    std::string_view rest = k.substr(kRecordPrefixSize);
    size_t chain_size = rest.empty() ? 0 : static_cast<uint8_t>(rest[0]);
    if (rest.size() != 1 + chain_size + 12 || v.size() < 14 || v[0] != kRecordVersion) {
      bad = core::DataLossError(fmt::format("bad undo record of {} bytes", v.size()));
      return false;
    }
    std::string chain(rest.substr(1, chain_size));
    uint64_t block = ReadBigEndian(rest.substr(1 + chain_size), 8);
    uint64_t seq = ReadBigEndian(rest.substr(9 + chain_size), 4);
    size_t key_size = ReadBigEndian(v.substr(10), 4);
    Block& b = chains_[chain].blocks[block];
    if (seq != b.entries.size() || v.size() < 14 + key_size) {
      bad = core::DataLossError(fmt::format("undo record {}/{}/{} out of sequence or short",
                                            chain, block, seq));
      return false;
    }
    b.timestamp = ReadBigEndian(v.substr(1), 8);
    Entry e{std::string(v.substr(14, key_size)), std::nullopt, true};
    if (v[9] != 0) e.prior = std::string(v.substr(14 + key_size));
    b.keys.insert(e.key);
    b.entries.push_back(std::move(e));
    ++size_;
    return true;
  }));
  RETURN_IF_ERROR(bad);
  RETURN_IF_ERROR(store.Scan(FinalizedPrefix(), [&](std::string_view k, std::string_view v) {
    if (v.size() != 8) {
      bad = core::DataLossError(fmt::format("finalized block value of {} bytes", v.size()));
      return false;
    }
    chains_[std::string(k.substr(kFinalizedPrefixSize))].finalized = ReadBigEndian(v, 8);
    return true;
  }));
  records_gauge_.Add(static_cast<double>(size_));
  return bad;
}

state::StateView& UndoLog::Track(state::StateView& inner, const v1::LogRef& log) {
  CF_CHECK(staged_.empty() && !pending_revert_ && !pending_finalize_,
           "Track before EndRecord of the previous record");
  track_status_ = core::Status::Ok();
  if (log.finalized()) return inner;
  auto it = chains_.find(log.chain());
  if (it != chains_.end() && log.block_number() <= it->second.finalized) return inner;
  track_chain_ = log.chain();
  track_block_ = log.block_number();
  track_timestamp_ = log.block_timestamp();
  if (!view_ || &view_->inner() != &inner) view_ = std::make_unique<TrackingView>(*this, inner);
  return *view_;
}

void UndoLog::NoteWrite(state::StateView& inner, std::string_view key) {
  for (const Entry& e : staged_) {
    if (e.key == key) return;
  }
  std::string k(key);
  auto c = chains_.find(track_chain_);
  if (c != chains_.end()) {
    auto b = c->second.blocks.find(track_block_);
    if (b != c->second.blocks.end() && b->second.keys.count(k) != 0) return;
  }
  core::Result<std::optional<std::string>> prior = inner.Get(key);
  if (!prior) {
    if (track_status_.ok()) track_status_ = prior.error().WithContext("reading undo prior value");
    return;
  }
  staged_.push_back(Entry{std::move(k), std::move(prior.value()), false});
}

core::Status UndoLog::Revert(const v1::BlockReverted& marker, state::StateView& state,
                             Processor& processor, Emitter& out) {
  // Block 0 (genesis) has no parent to go back to: bad input, not a reorg.
  if (marker.number() == 0) return core::InvalidArgumentError("block_reverted of block 0");
  auto c = chains_.find(marker.chain());
  if (c == chains_.end()) return core::Status::Ok();
  Chain& chain = c->second;
  if (marker.number() <= chain.finalized) {
    return core::DataLossError(fmt::format(
        "BlockReverted of {} block {} at or below its finalized block {}: a reorg deeper than "
        "finality", marker.chain(), marker.number(), chain.finalized));
  }
  if (!chain.blocks.empty() && chain.blocks.rbegin()->first > marker.number()) {
    return core::DataLossError(fmt::format(
        "BlockReverted of {} block {} while block {} is still applied (markers must come "
        "newest first)", marker.chain(), marker.number(), chain.blocks.rbegin()->first));
  }
  auto b = chain.blocks.find(marker.number());
  if (b == chain.blocks.end()) return core::Status::Ok();
  const Block& block = b->second;
  for (auto e = block.entries.rbegin(); e != block.entries.rend(); ++e) {
    ASSIGN_OR_RETURN(std::optional<std::string> current, state.Get(e->key));
    if (current == e->prior) continue;  // the block's writes cancelled out
    if (e->prior) {
      state.Put(e->key, *e->prior);
    } else {
      state.Delete(e->key);
    }
    core::Status s =
        processor.Retract(RevertedWrite{e->key, current, e->prior, block.timestamp}, marker,
                          state, out);
    if (!s.ok()) {
      // Skipping a revert as poison would leave the reverted block applied.
      if (IsPoison(s)) s = core::InternalError(s.ToString());
      return s.WithContext(fmt::format("retracting {} block {}", marker.chain(), marker.number()));
    }
  }
  pending_revert_.emplace(marker.chain(), marker.number());
  return core::Status::Ok();
}

void UndoLog::Finalize(const v1::BlockEnd& marker) {
  CF_CHECK(!pending_finalize_, "two Finalize calls in one record");
  auto c = chains_.find(marker.chain());
  uint64_t known = c == chains_.end() ? 0 : c->second.finalized;
  if (marker.finalized() > known) pending_finalize_.emplace(marker.chain(), marker.finalized());
}

void UndoLog::DropBlock(const std::string& chain, Chain& c,
                        std::map<uint64_t, Block>::iterator it) {
  for (size_t seq = 0; seq < it->second.entries.size(); ++seq) {
    if (it->second.entries[seq].stored) {
      doomed_.push_back(RecordKey(chain, it->first, static_cast<uint32_t>(seq)));
    }
  }
  size_ -= it->second.entries.size();
  records_gauge_.Add(-static_cast<double>(it->second.entries.size()));
  dirty_.erase({chain, it->first});
  c.blocks.erase(it);
}

void UndoLog::RaiseFinalized(const std::string& chain, Chain& c, uint64_t finalized) {
  if (finalized <= c.finalized) return;
  c.finalized = finalized;
  c.finalized_dirty = true;
  while (!c.blocks.empty() && c.blocks.begin()->first <= finalized) {
    DropBlock(chain, c, c.blocks.begin());
  }
}

void UndoLog::EndRecord(bool keep) {
  if (keep && pending_revert_) {
    Chain& c = chains_[pending_revert_->first];
    auto it = c.blocks.find(pending_revert_->second);
    if (it != c.blocks.end()) DropBlock(pending_revert_->first, c, it);
    reverted_counter_.Inc();
  }
  if (keep && pending_finalize_) {
    RaiseFinalized(pending_finalize_->first, chains_[pending_finalize_->first],
                   pending_finalize_->second);
  }
  if (keep && !staged_.empty()) {
    Chain& c = chains_[track_chain_];
    Block& b = c.blocks[track_block_];
    b.timestamp = track_timestamp_;
    for (Entry& e : staged_) {
      b.keys.insert(e.key);
      b.entries.push_back(std::move(e));
    }
    size_ += staged_.size();
    records_gauge_.Add(static_cast<double>(staged_.size()));
    dirty_.emplace(track_chain_, track_block_);
    // History without finality markers: keep a bounded window.
    uint64_t newest = c.blocks.rbegin()->first;
    if (newest >= options_.max_unfinalized_blocks &&
        c.blocks.begin()->first <= newest - options_.max_unfinalized_blocks) {
      uint64_t before = c.blocks.size();
      RaiseFinalized(track_chain_, c, newest - options_.max_unfinalized_blocks);
      window_counter_.Inc(before - c.blocks.size());
    }
  }
  staged_.clear();
  pending_revert_.reset();
  pending_finalize_.reset();
}

void UndoLog::Flush(state::StateView& batch) {
  CF_CHECK(staged_.empty(), "Flush inside a record");
  // Deletes first: a reverted block's number may be reused by the new branch.
  for (const std::string& key : doomed_) batch.Delete(key);
  doomed_.clear();
  for (const auto& [chain, number] : dirty_) {
    Block& b = chains_[chain].blocks[number];
    for (size_t seq = 0; seq < b.entries.size(); ++seq) {
      Entry& e = b.entries[seq];
      if (e.stored) continue;
      batch.Put(RecordKey(chain, number, static_cast<uint32_t>(seq)),
                EncodeRecord(b.timestamp, e.key, e.prior));
      e.stored = true;
    }
  }
  dirty_.clear();
  for (auto& [name, c] : chains_) {
    if (!c.finalized_dirty) continue;
    std::string value;
    AppendBigEndian(value, c.finalized, 8);
    batch.Put(FinalizedKey(name), value);
    c.finalized_dirty = false;
  }
}

uint64_t UndoLog::finalized(const std::string& chain) const {
  auto it = chains_.find(chain);
  return it == chains_.end() ? 0 : it->second.finalized;
}

std::vector<uint64_t> UndoLog::blocks(const std::string& chain) const {
  std::vector<uint64_t> out;
  auto it = chains_.find(chain);
  if (it == chains_.end()) return out;
  for (const auto& [number, block] : it->second.blocks) out.push_back(number);
  return out;
}

core::Status ApplyWithUndo(const InputEvent& event, state::StateView& state,
                           Processor& processor, UndoLog& undo, Emitter& out,
                           size_t& retractions) {
  if (!undo.enabled()) return processor.Apply(event, state, out);
  const v1::Envelope& envelope = event.envelope;
  switch (envelope.payload_case()) {
    case v1::Envelope::kBlockReverted: {
      CountingEmitter counting(out);
      RETURN_IF_ERROR(undo.Revert(envelope.block_reverted(), state, processor, counting));
      retractions = counting.count;
      return processor.Apply(event, state, out);
    }
    case v1::Envelope::kBlockEnd:
      RETURN_IF_ERROR(processor.Apply(event, state, out));
      undo.Finalize(envelope.block_end());
      return core::Status::Ok();
    default:
      break;
  }
  const v1::LogRef* log = ChainLog(envelope);
  if (log == nullptr) return processor.Apply(event, state, out);
  state::StateView& view = undo.Track(state, *log);
  RETURN_IF_ERROR(processor.Apply(event, view, out));
  return undo.TrackStatus();
}

}  // namespace chainflow::engine::runtime
