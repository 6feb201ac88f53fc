#include "projections/pg/keyed_rows.h"

#include <algorithm>

#include "engine/core/check.h"

namespace chainflow::projections::pg {

KeyedRows::KeyedRows(const UpsertSpec& spec) : spec_(&spec) {
  for (const std::string& k : spec.key) {
    auto it = std::find(spec.columns.begin(), spec.columns.end(), k);
    CF_CHECK(it != spec.columns.end(), "key column {} is not a column of {}", k, spec.table);
    key_positions_.push_back(static_cast<size_t>(it - spec.columns.begin()));
  }
}

void KeyedRows::Put(std::vector<std::string> fields) {
  CF_CHECK(fields.size() == spec_->columns.size(), "{} fields for the {} columns of {}",
           fields.size(), spec_->columns.size(), spec_->table);
  std::vector<std::string> key;
  key.reserve(key_positions_.size());
  for (size_t p : key_positions_) key.push_back(fields[p]);
  auto [it, inserted] = at_.emplace(std::move(key), rows_.size());
  if (inserted) {
    rows_.push_back(std::move(fields));
  } else {
    rows_[it->second] = std::move(fields);
  }
}

StagedRows StageRows(const std::vector<engine::log::Record>& batch, const OffsetMap& applied,
                     const std::vector<UpsertSpec>& tables, const RecordDecoder& decode) {
  StagedRows out;
  out.tables.reserve(tables.size());
  for (const UpsertSpec& spec : tables) out.tables.emplace_back(spec);
  BatchOffsets offsets(applied);
  for (const engine::log::Record& r : batch) {
    if (!offsets.Take(r)) continue;
    core::Result<std::vector<TableRow>> rows = decode(r);
    if (!rows) {
      out.rejected.push_back({&r, rows.error()});
      continue;
    }
    if (rows.value().empty()) {
      ++out.ignored;
      continue;
    }
    for (TableRow& row : rows.value()) {
      CF_CHECK(row.table < out.tables.size(), "row for table {} of {}", row.table,
               out.tables.size());
      out.tables[row.table].Put(std::move(row.fields));
    }
  }
  out.next_offsets = offsets.next_offsets();
  out.records = offsets.records();
  out.skipped = offsets.skipped();
  return out;
}

}  // namespace chainflow::projections::pg
