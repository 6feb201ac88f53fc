#include "engine/processors/nft_ownership/nft_ownership.h"

#include <limits>
#include <optional>

#include <fmt/format.h>

#include "engine/core/address.h"
#include "engine/core/hex.h"
#include "engine/core/logging.h"
#include "engine/core/u256.h"
#include "engine/processors/common/event_fields.h"
#include "engine/processors/nft_ownership/state_layout.h"
#include "engine/wire/event_types.h"
#include "engine/wire/keys.h"
#include "engine/wire/topics.h"

namespace chainflow::engine::processors::nft_ownership {
namespace {

using core::Address;
using core::Result;
using core::Status;
using core::U256;

using wire::kOwnerChangedType;
constexpr const char* kBalanceChangedType = wire::kErc1155BalanceChangedType;
constexpr char kMismatchMetric[] = "chainflow_nft_owner_mismatch_total";
constexpr char kUnderflowMetric[] = "chainflow_nft_balance_underflow_total";

// "<chain>:<0x contract>:<token decimal>" (DESIGN.md §4).
std::string RecordKey(const std::string& chain, const Address& contract, const U256& token) {
  return wire::TokenKey(chain, contract, token);
}

std::shared_ptr<spdlog::logger> Log() { return core::Logger("engine.processors.nft_ownership"); }

}  // namespace

NftOwnershipProcessor::NftOwnershipProcessor(std::string topic_prefix,
                                             core::MetricsRegistry& metrics)
    : output_topic_(wire::OwnershipTopic(topic_prefix)), metrics_(metrics) {}

Status NftOwnershipProcessor::Apply(const runtime::InputEvent& event, state::StateView& state,
                                    runtime::Emitter& out) {
  const v1::Envelope& envelope = event.envelope;
  Status status;
  switch (envelope.payload_case()) {
    case v1::Envelope::kErc721Transfer:
      status = ApplyErc721(envelope.erc721_transfer(), state, out);
      break;
    case v1::Envelope::kErc1155TransferSingle: {
      const auto& t = envelope.erc1155_transfer_single();
      status = t.has_log() ? ApplyErc1155(t.log(), t.from(), t.to(), t.token_id(), t.value(),
                                          state, out)
                           : core::InvalidArgumentError("erc1155_transfer_single without log");
      break;
    }
    case v1::Envelope::kErc1155TransferBatch: {
      const auto& t = envelope.erc1155_transfer_batch();
      status = t.has_log() ? ApplyErc1155(t.log(), t.from(), t.to(), t.token_id(), t.value(),
                                          state, out)
                           : core::InvalidArgumentError("erc1155_transfer_batch without log");
      break;
    }
    case v1::Envelope::kErc20Transfer:
      return Status::Ok();  // fungible balances are another processor's
    case v1::Envelope::kContractEvent:
      return Status::Ok();  // contracts by ABI are contract_events'
    case v1::Envelope::kBlockEnd:
      status = ApplyBlockEnd(envelope.block_end(), state);
      break;
    case v1::Envelope::kBlockReverted:
      status = ApplyBlockReverted(envelope.block_reverted(), state);
      break;
    case v1::Envelope::PAYLOAD_NOT_SET:
      status = core::InvalidArgumentError("envelope has no payload");
      break;
    default: {
      const auto* field = v1::Envelope::descriptor()->FindFieldByNumber(envelope.payload_case());
      status = core::InvalidArgumentError(fmt::format(
          "unexpected payload {} on an events topic", field ? field->name() : "?"));
      break;
    }
  }
  if (status.ok()) return status;
  return status.WithContext(fmt::format("nft_ownership: envelope \"{}\"", envelope.id()));
}

Status NftOwnershipProcessor::ApplyErc721(const v1::Erc721Transfer& transfer,
                                          state::StateView& state, runtime::Emitter& out) {
  if (!transfer.has_log()) return core::InvalidArgumentError("erc721_transfer without log");
  const v1::LogRef& log = transfer.log();
  ASSIGN_OR_RETURN(Address contract, ParseLog(log));
  ASSIGN_OR_RETURN(Address from, ParseAddress(transfer.from(), "erc721_transfer.from"));
  ASSIGN_OR_RETURN(Address to, ParseAddress(transfer.to(), "erc721_transfer.to"));
  ASSIGN_OR_RETURN(U256 token, ParseUint256(transfer.token_id(), "erc721_transfer.token_id"));

  const std::string key = OwnerKey(log.chain(), contract, token);
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  Address previous;  // zero when the token is unknown
  if (stored) {
    ASSIGN_OR_RETURN(OwnerRecord record, DecodeOwnerRecord(*stored));
    previous = record.owner;
    if (from != previous) {
      // The chain is the truth (e.g. we hold partial history): apply, count.
      metrics_
          .GetCounter(kMismatchMetric,
                      "ERC-721 transfers whose from is not the known owner (applied anyway)",
                      {{"chain", log.chain()}})
          .Inc();
      Log()->debug("owner mismatch {}:{}:{}: known owner {}, transfer from {}", log.chain(),
                   contract.ToHex(), core::U256ToDecimal(token), previous.ToHex(), from.ToHex());
    }
  }

  OwnerRecord record;
  record.owner = to;
  record.block_number = log.block_number();
  record.log_index = log.log_index();
  std::copy(log.tx_hash().begin(), log.tx_hash().end(), record.tx_hash.begin());
  state.Put(key, EncodeOwnerRecord(record));

  runtime::OutputEvent event;
  event.topic = output_topic_;
  event.key = RecordKey(log.chain(), contract, token);
  event.ce_type = kOwnerChangedType;
  event.event_time = static_cast<int64_t>(log.block_timestamp());
  v1::OwnerChanged* changed = event.envelope.mutable_owner_changed();
  *changed->mutable_log() = log;
  changed->set_token_id(core::U256ToBigEndianString(token));
  changed->set_previous_owner(previous.ToBytes());
  changed->set_owner(to.ToBytes());
  out.Emit(std::move(event));
  return Status::Ok();
}

Status NftOwnershipProcessor::ApplyErc1155(const v1::LogRef& log, const std::string& from_bytes,
                                           const std::string& to_bytes,
                                           const std::string& token_bytes,
                                           const std::string& value_bytes,
                                           state::StateView& state, runtime::Emitter& out) {
  ASSIGN_OR_RETURN(Address contract, ParseLog(log));
  ASSIGN_OR_RETURN(Address from, ParseAddress(from_bytes, "erc1155.from"));
  ASSIGN_OR_RETURN(Address to, ParseAddress(to_bytes, "erc1155.to"));
  ASSIGN_OR_RETURN(U256 token, ParseUint256(token_bytes, "erc1155.token_id"));
  ASSIGN_OR_RETURN(U256 value, ParseUint256(value_bytes, "erc1155.value"));

  struct Change {
    Address holder;
    std::string key;
    U256 previous;
    U256 balance;
  };
  // At most two changes (from, then to); computed before any write so a
  // poison record leaves state untouched even without the runtime's rollback.
  std::vector<Change> changes;
  auto current = [&](const Address& holder, const std::string& key) -> Result<U256> {
    for (const Change& c : changes) {
      if (c.holder == holder) return c.balance;  // from == to: see the debit
    }
    ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
    if (!stored) return U256(0);
    return DecodeBalance(*stored);
  };

  if (!from.IsZero()) {
    Change c{from, BalanceKey(log.chain(), contract, token, from), 0, 0};
    ASSIGN_OR_RETURN(c.previous, current(c.holder, c.key));
    if (value > c.previous) {
      // Partial history or a non-standard contract: clamp, count, continue.
      metrics_
          .GetCounter(kUnderflowMetric,
                      "ERC-1155 debits larger than the known balance (clamped at zero)",
                      {{"chain", log.chain()}})
          .Inc();
      Log()->debug("balance underflow {}:{}:{} holder {}: balance {}, debit {}", log.chain(),
                   contract.ToHex(), core::U256ToDecimal(token), from.ToHex(),
                   core::U256ToDecimal(c.previous), core::U256ToDecimal(value));
      c.balance = 0;
    } else {
      c.balance = c.previous - value;
    }
    changes.push_back(std::move(c));
  }
  if (!to.IsZero()) {
    Change c{to, BalanceKey(log.chain(), contract, token, to), 0, 0};
    ASSIGN_OR_RETURN(c.previous, current(c.holder, c.key));
    auto sum = core::CheckedAdd(c.previous, value);
    if (!sum) {
      return core::InvalidArgumentError(fmt::format(
          "erc1155 credit of {} to {} overflows uint256", core::U256ToDecimal(value), to.ToHex()));
    }
    c.balance = sum.value();
    changes.push_back(std::move(c));
  }

  const std::string record_key = RecordKey(log.chain(), contract, token);
  const std::string token_word = core::U256ToBigEndianString(token);
  for (const Change& c : changes) {
    if (c.balance == 0) {
      state.Delete(c.key);  // absent == zero keeps state canonical
    } else {
      state.Put(c.key, EncodeBalance(c.balance));
    }
    runtime::OutputEvent event;
    event.topic = output_topic_;
    event.key = record_key;
    event.ce_type = kBalanceChangedType;
    event.event_time = static_cast<int64_t>(log.block_timestamp());
    v1::Erc1155BalanceChanged* changed = event.envelope.mutable_erc1155_balance_changed();
    *changed->mutable_log() = log;
    changed->set_token_id(token_word);
    changed->set_owner(c.holder.ToBytes());
    changed->set_balance(EncodeBalance(c.balance));
    changed->set_previous_balance(EncodeBalance(c.previous));
    out.Emit(std::move(event));
  }
  return Status::Ok();
}

Status NftOwnershipProcessor::ApplyBlockEnd(const v1::BlockEnd& marker, state::StateView& state) {
  RETURN_IF_ERROR(ValidateChain(marker.chain()).WithContext("block_end.chain"));
  state.Put(HeadKey(marker.chain()), EncodeBlockNumber(marker.number()));
  return Status::Ok();
}

Status NftOwnershipProcessor::ApplyBlockReverted(const v1::BlockReverted& marker,
                                                 state::StateView& state) {
  RETURN_IF_ERROR(ValidateChain(marker.chain()).WithContext("block_reverted.chain"));
  if (marker.number() == 0) return core::InvalidArgumentError("block_reverted of block 0");
  // The runtime has already restored the block's writes (Retract); the head
  // moves below it.
  const std::string key = HeadKey(marker.chain());
  ASSIGN_OR_RETURN(std::optional<std::string> stored, state.Get(key));
  if (stored) {
    ASSIGN_OR_RETURN(uint64_t head, DecodeBlockNumber(*stored));
    if (head < marker.number()) return Status::Ok();  // already below it
  }
  state.Put(key, EncodeBlockNumber(marker.number() - 1));
  return Status::Ok();
}

Status NftOwnershipProcessor::Retract(const runtime::RevertedWrite& write,
                                      const v1::BlockReverted& marker, state::StateView& state,
                                      runtime::Emitter& out) {
  (void)state;
  ASSIGN_OR_RETURN(ParsedKey key, ParseKey(write.key));
  if (key.kind == ParsedKey::Kind::kHead) return Status::Ok();  // markers only, never undone
  runtime::OutputEvent event;
  event.topic = output_topic_;
  event.key = RecordKey(key.chain, key.contract, key.token_id);
  event.event_time = static_cast<int64_t>(
      std::min<uint64_t>(write.block_timestamp, std::numeric_limits<int64_t>::max()));
  v1::LogRef log;
  log.set_chain(key.chain);
  log.set_contract(key.contract.ToBytes());
  const std::string token_word = core::U256ToBigEndianString(key.token_id);

  if (key.kind == ParsedKey::Kind::kOwner) {
    event.ce_type = kOwnerChangedType;
    v1::OwnerChanged* changed = event.envelope.mutable_owner_changed();
    if (write.reverted) {
      ASSIGN_OR_RETURN(OwnerRecord retracted, DecodeOwnerRecord(*write.reverted));
      changed->set_owner(retracted.owner.ToBytes());
    }
    if (write.restored) {
      // The transfer that made the restored owner; its timestamp is not kept.
      ASSIGN_OR_RETURN(OwnerRecord restored, DecodeOwnerRecord(*write.restored));
      changed->set_previous_owner(restored.owner.ToBytes());
      log.set_block_number(restored.block_number);
      log.set_log_index(restored.log_index);
      if (restored.tx_hash != std::array<uint8_t, 32>{}) {
        log.set_tx_hash(std::string(restored.tx_hash.begin(), restored.tx_hash.end()));
      }
    }
    *changed->mutable_log() = std::move(log);
    changed->set_token_id(token_word);
    changed->set_retracted(true);
    changed->set_reverted_block(marker.number());
    changed->set_reverted_block_hash(marker.hash());
  } else {
    U256 retracted = 0, restored = 0;
    if (write.reverted) {
      ASSIGN_OR_RETURN(retracted, DecodeBalance(*write.reverted));
    }
    if (write.restored) {
      ASSIGN_OR_RETURN(restored, DecodeBalance(*write.restored));
    }
    event.ce_type = kBalanceChangedType;
    v1::Erc1155BalanceChanged* changed = event.envelope.mutable_erc1155_balance_changed();
    *changed->mutable_log() = std::move(log);
    changed->set_token_id(token_word);
    changed->set_owner(key.holder.ToBytes());
    changed->set_balance(EncodeBalance(retracted));
    changed->set_previous_balance(EncodeBalance(restored));
    changed->set_retracted(true);
    changed->set_reverted_block(marker.number());
    changed->set_reverted_block_hash(marker.hash());
  }
  out.Emit(std::move(event));
  return Status::Ok();
}

runtime::ProcessorSpec MakeSpec(const std::string& topic_prefix,
                                const std::vector<std::string>& chain_names) {
  runtime::ProcessorSpec spec;
  spec.name = NftOwnershipProcessor::kName;
  for (const std::string& chain : chain_names) {
    spec.input_topics.push_back(wire::ChainEventsTopic(topic_prefix, chain));
  }
  spec.output_topics.push_back(wire::OwnershipTopic(topic_prefix));
  spec.make = [topic_prefix] { return std::make_unique<NftOwnershipProcessor>(topic_prefix); };
  return spec;
}

}  // namespace chainflow::engine::processors::nft_ownership
