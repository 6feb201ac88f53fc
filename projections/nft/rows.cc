#include "projections/nft/rows.h"

#include <algorithm>
#include <initializer_list>
#include <iterator>
#include <string_view>
#include <limits>
#include <unordered_map>
#include <variant>

#include <fmt/format.h>

#include "chainflow/v1/events.pb.h"
#include "engine/core/address.h"
#include "engine/core/hex.h"
#include "engine/core/u256.h"
#include "projections/nft/nft_projection.h"

namespace chainflow::projections::nft {
namespace {

namespace log = engine::log;

struct Ignored {};
using Change = std::variant<Ignored, OwnerRow, BalanceRow>;

struct LogFields {
  std::string chain;
  std::string contract;
  int64_t block_number = 0;
  uint32_t log_index = 0;
  std::string tx_hash;
};

core::Result<LogFields> DecodeLog(const v1::LogRef& ref) {
  if (ref.chain().empty()) return core::InvalidArgumentError("log.chain is empty");
  for (unsigned char c : ref.chain()) {
    // PostgreSQL text cannot hold NUL; control characters are never a chain name.
    if (c < 0x20 || c == 0x7f) {
      return core::InvalidArgumentError("log.chain has a control character");
    }
  }
  if (ref.block_number() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
    return core::InvalidArgumentError(
        fmt::format("log.block_number {} does not fit bigint", ref.block_number()));
  }
  ASSIGN_OR_RETURN(core::Address contract, core::Address::FromBytes(ref.contract()));
  return LogFields{ref.chain(), contract.ToHex(), static_cast<int64_t>(ref.block_number()),
                   ref.log_index(), core::ToHex(ref.tx_hash())};
}

core::Result<std::string> DecimalOf(const std::string& big_endian, std::string_view field) {
  core::Result<core::U256> value = core::U256FromBigEndian(big_endian);
  if (!value) return value.error().WithContext(field);
  return core::U256ToDecimal(value.value());
}

core::Result<std::string> AddressOf(const std::string& bytes, std::string_view field) {
  core::Result<core::Address> address = core::Address::FromBytes(bytes);
  if (!address) return address.error().WithContext(field);
  return address.value().ToHex();
}

core::Result<Change> DecodeOwnerChanged(const v1::OwnerChanged& ev) {
  if (!ev.has_log()) return core::InvalidArgumentError("owner_changed without log");
  ASSIGN_OR_RETURN(LogFields log, DecodeLog(ev.log()));
  ASSIGN_OR_RETURN(std::string token_id, DecimalOf(ev.token_id(), "token_id"));
  if (ev.retracted() && ev.previous_owner().empty()) {
    // The token did not exist before the reverted block: it leaves the view.
    OwnerRow row{std::move(log.chain), std::move(log.contract), std::move(token_id), "", 0, 0,
                 ""};
    row.deleted = true;
    return Change(std::move(row));
  }
  // A retraction undoes the change: the token goes back to previous_owner,
  // and `log` names the transfer that made that owner.
  const std::string& owner_bytes = ev.retracted() ? ev.previous_owner() : ev.owner();
  ASSIGN_OR_RETURN(std::string owner,
                   AddressOf(owner_bytes, ev.retracted() ? "previous_owner" : "owner"));
  return Change(OwnerRow{std::move(log.chain), std::move(log.contract), std::move(token_id),
                         std::move(owner), log.block_number, log.log_index,
                         std::move(log.tx_hash)});
}

core::Result<Change> DecodeBalanceChanged(const v1::Erc1155BalanceChanged& ev) {
  if (!ev.has_log()) return core::InvalidArgumentError("erc1155_balance_changed without log");
  ASSIGN_OR_RETURN(LogFields log, DecodeLog(ev.log()));
  ASSIGN_OR_RETURN(std::string token_id, DecimalOf(ev.token_id(), "token_id"));
  ASSIGN_OR_RETURN(std::string owner, AddressOf(ev.owner(), "owner"));
  ASSIGN_OR_RETURN(std::string balance,
                   ev.retracted() ? DecimalOf(ev.previous_balance(), "previous_balance")
                                  : DecimalOf(ev.balance(), "balance"));
  return Change(BalanceRow{std::move(log.chain), std::move(log.contract), std::move(token_id),
                           std::move(owner), std::move(balance)});
}

core::Result<Change> Decode(const log::Record& record) {
  v1::Envelope envelope;
  if (!envelope.ParseFromString(record.value)) {
    return core::InvalidArgumentError("value is not a chainflow.v1.Envelope");
  }
  switch (envelope.payload_case()) {
    case v1::Envelope::kOwnerChanged:
      return DecodeOwnerChanged(envelope.owner_changed());
    case v1::Envelope::kErc1155BalanceChanged:
      return DecodeBalanceChanged(envelope.erc1155_balance_changed());
    default:
      // Markers, other events and payloads newer than this build.
      return Change(Ignored{});
  }
}

// Keys of the dedup maps: the row's key columns joined by '\n' (which none
// of them holds). Concatenated by hand: one of these per record.
std::string JoinKey(std::initializer_list<std::string_view> parts) {
  size_t size = parts.size();
  for (std::string_view p : parts) size += p.size();
  std::string key;
  key.reserve(size);
  for (std::string_view p : parts) {
    if (!key.empty()) key += '\n';
    key += p;
  }
  return key;
}

std::string OwnerKey(const OwnerRow& r) { return JoinKey({r.chain, r.contract, r.token_id}); }

std::string BalanceKey(const BalanceRow& r) {
  return JoinKey({r.chain, r.contract, r.token_id, r.owner});
}

// Keeps the last row per key, in first-seen key order.
template <typename Row>
void KeepLast(std::vector<Row>& rows, std::unordered_map<std::string, size_t>& index,
              std::string key, Row row) {
  auto [it, inserted] = index.try_emplace(std::move(key), rows.size());
  if (inserted) {
    rows.push_back(std::move(row));
  } else {
    rows[it->second] = std::move(row);
  }
}

std::vector<pg::TableRow> TableRows(OwnerRow& r) {
  if (r.deleted) {
    // Only the key matters to a removal (nft_owners has no delete_match).
    return {pg::TableRow{0, {std::move(r.chain), std::move(r.contract), std::move(r.token_id),
                             "", "", "", ""},
                         true}};
  }
  return {pg::TableRow{0,
                       {std::move(r.chain), std::move(r.contract), std::move(r.token_id),
                        std::move(r.owner), std::to_string(r.block_number),
                        std::to_string(r.log_index), std::move(r.tx_hash)}}};
}

std::vector<pg::TableRow> TableRows(BalanceRow& r) {
  return {pg::TableRow{1,
                       {std::move(r.chain), std::move(r.contract), std::move(r.token_id),
                        std::move(r.owner), std::move(r.balance)}}};
}

core::Result<std::vector<pg::TableRow>> DecodeRecord(const log::Record& record) {
  ASSIGN_OR_RETURN(Change change, Decode(record));
  if (auto* owner = std::get_if<OwnerRow>(&change)) return TableRows(*owner);
  if (auto* balance = std::get_if<BalanceRow>(&change)) return TableRows(*balance);
  return std::vector<pg::TableRow>{};
}

}  // namespace

const pg::KeyedView& View() {
  static const pg::KeyedView view{
      std::string(kProjectionName),
      {pg::UpsertSpec{
           "chainflow.nft_owners",
           {"chain", "contract", "token_id", "owner", "block_number", "log_index", "tx_hash"},
           {"chain", "contract", "token_id"}},
       pg::UpsertSpec{"chainflow.nft_balances",
                      {"chain", "contract", "token_id", "owner", "balance"},
                      {"chain", "contract", "token_id", "owner"}}},
      DecodeRecord};
  return view;
}

StagedBatch StageBatch(const std::vector<log::Record>& batch, const pg::OffsetMap& applied) {
  StagedBatch out;
  std::unordered_map<std::string, size_t> owner_index;
  std::unordered_map<std::string, size_t> balance_index;
  owner_index.reserve(batch.size());
  out.owners.reserve(batch.size());
  pg::BatchOffsets offsets(applied);
  for (const log::Record& record : batch) {
    if (!offsets.Take(record)) continue;

    core::Result<Change> change = Decode(record);
    if (!change) {
      out.rejected.push_back(Rejected{&record, change.error()});
      continue;
    }
    if (auto* owner = std::get_if<OwnerRow>(&change.value())) {
      std::string key = OwnerKey(*owner);
      KeepLast(out.owners, owner_index, std::move(key), std::move(*owner));
    } else if (auto* balance = std::get_if<BalanceRow>(&change.value())) {
      std::string key = BalanceKey(*balance);
      KeepLast(out.balances, balance_index, std::move(key), std::move(*balance));
    } else {
      ++out.ignored;
    }
  }
  // Split deletes out; keys stay unique across both (KeepLast above).
  auto first_delete = std::stable_partition(out.owners.begin(), out.owners.end(),
                                            [](const OwnerRow& r) { return !r.deleted; });
  out.owner_deletes.assign(std::make_move_iterator(first_delete),
                           std::make_move_iterator(out.owners.end()));
  out.owners.erase(first_delete, out.owners.end());
  out.next_offsets = offsets.next_offsets();
  out.records = offsets.records();
  out.skipped = offsets.skipped();
  return out;
}

}  // namespace chainflow::projections::nft
