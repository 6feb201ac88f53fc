#include "projections/intents/rows.h"

#include <map>

#include <fmt/format.h>

#include "chainflow/v1/events.pb.h"
#include "engine/core/address.h"
#include "engine/core/u256.h"

namespace chainflow::projections::intents {
namespace {

using core::Result;

Result<std::string> Hex20(const std::string& bytes, std::string_view field) {
  auto a = core::Address::FromBytes(bytes);
  if (!a) return a.error().WithContext(field);
  return a.value().ToHex();
}

Result<std::string> Decimal(const std::string& bytes, std::string_view field) {
  if (bytes.size() != 32) {
    return core::InvalidArgumentError(fmt::format("{} of {} bytes (want 32)", field, bytes.size()));
  }
  return core::U256ToDecimal(core::U256FromBigEndian(bytes).value());
}

Result<int64_t> Bigint(uint64_t value, std::string_view field) {
  if (value > static_cast<uint64_t>(INT64_MAX)) {
    return core::InvalidArgumentError(fmt::format("{} exceeds bigint", field));
  }
  return static_cast<int64_t>(value);
}

// 0 is "none" for the optional times.
Result<std::optional<int64_t>> OptionalTime(uint64_t value, std::string_view field) {
  if (value == 0) return std::optional<int64_t>();
  ASSIGN_OR_RETURN(int64_t t, Bigint(value, field));
  return std::optional<int64_t>(t);
}

// PostgreSQL text cannot hold NUL (protobuf has already checked UTF-8).
Result<std::string> Text(const std::string& value, std::string_view field) {
  if (value.find('\0') != std::string::npos) {
    return core::InvalidArgumentError(fmt::format("{} contains a NUL character", field));
  }
  return value;
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
  if (m.chain().empty()) return core::InvalidArgumentError("chain is empty");
  ASSIGN_OR_RETURN(row.chain, Text(m.chain(), "chain"));
  ASSIGN_OR_RETURN(row.token, Hex20(m.token(), "token"));
  ASSIGN_OR_RETURN(row.payer, Hex20(m.payer(), "payer"));
  ASSIGN_OR_RETURN(row.payee, Hex20(m.payee(), "payee"));
  ASSIGN_OR_RETURN(row.amount, Decimal(m.amount(), "amount"));
  ASSIGN_OR_RETURN(row.kind, KindName(m.kind()));
  ASSIGN_OR_RETURN(row.memo, Text(m.memo(), "memo"));
  ASSIGN_OR_RETURN(row.status, StatusName(m.status()));
  ASSIGN_OR_RETURN(row.reason, Text(m.reason(), "reason"));
  ASSIGN_OR_RETURN(row.submitted_at, Bigint(m.submitted_at(), "submitted_at"));
  ASSIGN_OR_RETURN(row.decided_at, OptionalTime(m.decided_at(), "decided_at"));
  ASSIGN_OR_RETURN(row.expires_at, OptionalTime(m.expires_at(), "expires_at"));
  ASSIGN_OR_RETURN(row.epoch, Bigint(m.epoch(), "epoch"));
  if (!m.available().empty()) {
    ASSIGN_OR_RETURN(row.available, Decimal(m.available(), "available"));
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

StagedBatch StageBatch(const std::vector<engine::log::Record>& batch,
                       const pg::OffsetMap& applied) {
  StagedBatch out;
  std::map<std::string, size_t> intent_at;  // position in out.intents by intent_id
  v1::Envelope env;
  for (const engine::log::Record& r : batch) {
    engine::log::TopicPartition tp{r.topic, r.partition};
    auto stored = applied.find(tp);
    if (stored != applied.end() && r.offset < stored->second) {
      ++out.skipped;
      continue;
    }
    ++out.records;
    core::Offset next(r.offset.value() + 1);
    auto& pos = out.next_offsets[tp];
    if (pos < next) pos = next;
    if (!env.ParseFromString(r.value)) {
      out.rejected.push_back({&r, core::InvalidArgumentError("not a chainflow.v1.Envelope")});
      continue;
    }
    if (!env.has_intent_status_changed()) {
      ++out.ignored;
      continue;
    }
    auto row = ToRow(env.intent_status_changed());
    if (!row) {
      out.rejected.push_back({&r, row.error()});
      continue;
    }
    auto [it, inserted] = intent_at.emplace(row.value().intent_id, out.intents.size());
    if (inserted) {
      out.intents.push_back(std::move(row).value());
    } else {
      out.intents[it->second] = std::move(row).value();
    }
  }
  return out;
}

}  // namespace chainflow::projections::intents
