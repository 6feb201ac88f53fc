#include "projections/intents/rows.h"

#include <map>

#include <fmt/format.h>

#include "chainflow/v1/events.pb.h"
#include "projections/intents/intents_projection.h"
#include "projections/pg/fields.h"

namespace chainflow::projections::intents {
namespace {

using core::Result;

// 0 is "none" for the optional times.
Result<std::optional<int64_t>> OptionalTime(uint64_t value, std::string_view field) {
  if (value == 0) return std::optional<int64_t>();
  ASSIGN_OR_RETURN(int64_t t, pg::Bigint(value, field));
  return std::optional<int64_t>(t);
}

core::Status CheckIntentId(const std::string& id) {
  bool ok = id.size() == 32;
  for (char c : id) ok = ok && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
  if (!ok) return core::InvalidArgumentError("intent_id is not 32 lowercase hex digits");
  return core::Status::Ok();
}

Result<std::string> KindName(v1::IntentKind kind) {
  switch (kind) {
    case v1::INTENT_KIND_CLAP: return std::string("clap");
    case v1::INTENT_KIND_GIFT: return std::string("gift");
    default:
      return core::InvalidArgumentError(fmt::format("unknown intent kind {}",
                                                    static_cast<int>(kind)));
  }
}

Result<std::string> StatusName(v1::IntentStatus status) {
  switch (status) {
    case v1::INTENT_STATUS_SUBMITTED: return std::string("submitted");
    case v1::INTENT_STATUS_APPROVED: return std::string("approved");
    case v1::INTENT_STATUS_REJECTED: return std::string("rejected");
    case v1::INTENT_STATUS_EXPIRED: return std::string("expired");
    case v1::INTENT_STATUS_SETTLED: return std::string("settled");
    default:
      return core::InvalidArgumentError(fmt::format("unknown intent status {}",
                                                    static_cast<int>(status)));
  }
}

Result<IntentRow> ToRow(const v1::IntentStatusChanged& m) {
  IntentRow row;
  RETURN_IF_ERROR(CheckIntentId(m.intent_id()));
  row.intent_id = m.intent_id();
  ASSIGN_OR_RETURN(row.chain, pg::Text(m.chain(), "chain", /*non_empty=*/true));
  ASSIGN_OR_RETURN(row.token, pg::AddressText(m.token(), "token"));
  ASSIGN_OR_RETURN(row.payer, pg::AddressText(m.payer(), "payer"));
  ASSIGN_OR_RETURN(row.payee, pg::AddressText(m.payee(), "payee"));
  ASSIGN_OR_RETURN(row.amount, pg::Uint256Text(m.amount(), "amount"));
  ASSIGN_OR_RETURN(row.kind, KindName(m.kind()));
  ASSIGN_OR_RETURN(row.memo, pg::Text(m.memo(), "memo"));
  ASSIGN_OR_RETURN(row.status, StatusName(m.status()));
  ASSIGN_OR_RETURN(row.reason, pg::Text(m.reason(), "reason"));
  ASSIGN_OR_RETURN(row.submitted_at, pg::Bigint(m.submitted_at(), "submitted_at"));
  ASSIGN_OR_RETURN(row.decided_at, OptionalTime(m.decided_at(), "decided_at"));
  ASSIGN_OR_RETURN(row.expires_at, OptionalTime(m.expires_at(), "expires_at"));
  ASSIGN_OR_RETURN(row.epoch, pg::Bigint(m.epoch(), "epoch"));
  if (!m.available().empty()) {
    ASSIGN_OR_RETURN(row.available, pg::Uint256Text(m.available(), "available"));
  }
  return row;
}

std::string OptionalText(const std::optional<int64_t>& v) {
  return v ? std::to_string(*v) : std::string();
}

}  // namespace

std::vector<std::string> IntentRow::Fields() const {
  return {intent_id, chain, token, payer, payee, amount, kind, memo, status, reason,
          std::to_string(submitted_at), OptionalText(decided_at), OptionalText(expires_at),
          std::to_string(epoch), available.value_or("")};
}

const std::vector<std::string>& IntentColumns() {
  static const std::vector<std::string> columns{
      "intent_id", "chain",  "token",        "payer",      "payee",
      "amount",    "kind",   "memo",         "status",     "reason",
      "submitted_at", "decided_at", "expires_at", "epoch", "available"};
  return columns;
}

const std::vector<std::string>& NullableIntentColumns() {
  static const std::vector<std::string> columns{"decided_at", "expires_at", "available"};
  return columns;
}

Result<std::optional<IntentRow>> DecodeIntent(const engine::log::Record& record) {
  v1::Envelope env;
  if (!env.ParseFromString(record.value)) {
    return core::InvalidArgumentError("not a chainflow.v1.Envelope");
  }
  if (!env.has_intent_status_changed()) return std::optional<IntentRow>();
  ASSIGN_OR_RETURN(IntentRow row, ToRow(env.intent_status_changed()));
  return std::optional<IntentRow>(std::move(row));
}

const pg::KeyedView& View() {
  static const pg::KeyedView view{
      std::string(kProjectionName),
      {pg::UpsertSpec{"chainflow.intents", IntentColumns(), {"intent_id"},
                      NullableIntentColumns()}},
      [](const engine::log::Record& record) -> Result<std::vector<pg::TableRow>> {
        ASSIGN_OR_RETURN(std::optional<IntentRow> row, DecodeIntent(record));
        if (!row) return std::vector<pg::TableRow>{};
        return std::vector<pg::TableRow>{pg::TableRow{0, row->Fields()}};
      }};
  return view;
}

StagedBatch StageBatch(const std::vector<engine::log::Record>& batch,
                       const pg::OffsetMap& applied) {
  StagedBatch out;
  std::map<std::string, size_t> intent_at;  // position in out.intents by intent_id
  pg::BatchOffsets offsets(applied);
  for (const engine::log::Record& r : batch) {
    if (!offsets.Take(r)) continue;
    Result<std::optional<IntentRow>> row = DecodeIntent(r);
    if (!row) {
      out.rejected.push_back({&r, row.error()});
      continue;
    }
    if (!row.value()) {
      ++out.ignored;
      continue;
    }
    auto [it, inserted] = intent_at.emplace(row.value()->intent_id, out.intents.size());
    if (inserted) {
      out.intents.push_back(std::move(*row.value()));
    } else {
      out.intents[it->second] = std::move(*row.value());
    }
  }
  out.next_offsets = offsets.next_offsets();
  out.records = offsets.records();
  out.skipped = offsets.skipped();
  return out;
}

}  // namespace chainflow::projections::intents
