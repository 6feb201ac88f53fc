#include "projections/pg/offsets.h"

#include <charconv>
#include <string>

#include <fmt/format.h>

namespace chainflow::projections::pg {
namespace {

// First key of the two-key advisory locks of projections ("cfpj").
constexpr int32_t kProjectionLockClass = 0x6366706a;

template <typename T>
core::Result<T> ParseInt(const std::optional<std::string>& text, std::string_view what) {
  T value{};
  if (!text) return core::DataLossError(fmt::format("NULL {} in projection_offsets", what));
  auto [ptr, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || ptr != text->data() + text->size()) {
    return core::DataLossError(fmt::format("bad {} \"{}\" in projection_offsets", what, *text));
  }
  return value;
}

}  // namespace

core::Result<OffsetMap> ReadOffsets(Transaction& tx, std::string_view projection) {
  ASSIGN_OR_RETURN(auto rows, tx.Query("SELECT topic, partition, next_offset "
                                       "FROM chainflow.projection_offsets WHERE projection = $1",
                                       {std::string(projection)}));
  OffsetMap out;
  for (const auto& row : rows) {
    if (!row[0]) return core::DataLossError("NULL topic in projection_offsets");
    ASSIGN_OR_RETURN(int32_t partition, ParseInt<int32_t>(row[1], "partition"));
    ASSIGN_OR_RETURN(int64_t next, ParseInt<int64_t>(row[2], "next_offset"));
    out[engine::log::TopicPartition{*row[0], core::PartitionId(partition)}] = core::Offset(next);
  }
  return out;
}

core::Result<OffsetMap> ReadOffsets(Connection& conn, std::string_view projection) {
  ASSIGN_OR_RETURN(auto tx, conn.Begin());
  ASSIGN_OR_RETURN(OffsetMap out, ReadOffsets(*tx, projection));
  RETURN_IF_ERROR(tx->Commit());
  return out;
}

core::Status WriteOffsets(Transaction& tx, std::string_view projection,
                          const OffsetMap& next_offsets) {
  if (next_offsets.empty()) return core::Status::Ok();
  std::vector<std::string> params{std::string(projection)};
  std::string values;
  for (const auto& [tp, offset] : next_offsets) {
    if (!values.empty()) values += ", ";
    size_t n = params.size();
    values += fmt::format("($1, ${}, ${}::int, ${}::bigint)", n + 1, n + 2, n + 3);
    params.push_back(tp.topic);
    params.push_back(std::to_string(tp.partition.value()));
    params.push_back(std::to_string(offset.value()));
  }
  ASSIGN_OR_RETURN(auto rows,
                   tx.Query(fmt::format("INSERT INTO chainflow.projection_offsets "
                                        "(projection, topic, partition, next_offset) VALUES {} "
                                        "ON CONFLICT (projection, topic, partition) "
                                        "DO UPDATE SET next_offset = EXCLUDED.next_offset",
                                        values),
                            params));
  (void)rows;
  return core::Status::Ok();
}

bool BatchOffsets::Take(const engine::log::Record& record) {
  engine::log::TopicPartition tp{record.topic, record.partition};
  if (auto it = applied_.find(tp); it != applied_.end() && record.offset < it->second) {
    ++skipped_;
    return false;
  }
  ++records_;
  core::Offset next(record.offset.value() + 1);
  auto [pos, inserted] = next_offsets_.try_emplace(tp, next);
  if (!inserted && pos->second < next) pos->second = next;
  return true;
}

core::Status LockProjection(Transaction& tx, std::string_view projection) {
  ASSIGN_OR_RETURN(auto rows, tx.Query(fmt::format("SELECT pg_advisory_xact_lock({}, "
                                                   "hashtext($1))",
                                                   kProjectionLockClass),
                                       {std::string(projection)}));
  (void)rows;
  return core::Status::Ok();
}

}  // namespace chainflow::projections::pg
