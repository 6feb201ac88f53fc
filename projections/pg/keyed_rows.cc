#include "projections/pg/keyed_rows.h"

#include <algorithm>
#include <charconv>
#include <cstdint>

#include "engine/core/check.h"

namespace chainflow::projections::pg {

namespace {

std::vector<size_t> PositionsOf(const UpsertSpec& spec, const std::vector<std::string>& names) {
  std::vector<size_t> out;
  for (const std::string& k : names) {
    auto it = std::find(spec.columns.begin(), spec.columns.end(), k);
    CF_CHECK(it != spec.columns.end(), "column {} is not a column of {}", k, spec.table);
    out.push_back(static_cast<size_t>(it - spec.columns.begin()));
  }
  return out;
}

std::vector<std::string> Pick(const std::vector<std::string>& fields,
                              const std::vector<size_t>& positions) {
  std::vector<std::string> out;
  out.reserve(positions.size());
  for (size_t p : positions) out.push_back(fields[p]);
  return out;
}

bool ParseInt(const std::string& text, int64_t* out) {
  const char* end = text.data() + text.size();
  auto [at, ec] = std::from_chars(text.data(), end, *out);
  return ec == std::errc() && at == end;
}

}  // namespace

KeyedRows::KeyedRows(const UpsertSpec& spec)
    : spec_(&spec),
      key_positions_(PositionsOf(spec, spec.key)),
      match_positions_(PositionsOf(spec, spec.delete_match)) {
  for (size_t i = 0; i < key_positions_.size(); ++i) removal_key_positions_.push_back(i);
  // Distinct positions mean distinct keys only when the key holds them.
  const auto& order = spec.append_position;
  auto in_key = [&spec](const std::string& c) {
    return std::find(spec.key.begin(), spec.key.end(), c) != spec.key.end();
  };
  if (order.size() == 2 && in_key(order[0]) && in_key(order[1])) {
    order_positions_ = PositionsOf(spec, order);
  } else {
    indexed_ = true;
  }
}

bool KeyedRows::InOrder(const std::vector<std::string>& fields) {
  if (indexed_) return false;
  std::pair<int64_t, int64_t> position;
  if (!ParseInt(fields[order_positions_[0]], &position.first) ||
      !ParseInt(fields[order_positions_[1]], &position.second)) {
    return false;
  }
  // Without the map, every row so far came in order: the last is the highest.
  if (!rows_.empty() && position <= last_position_) return false;
  last_position_ = position;
  return true;
}

void KeyedRows::IndexRows() {
  indexed_ = true;
  at_.reserve(std::max(reserved_, rows_.size()));
  for (size_t i = 0; i < rows_.size(); ++i) {
    at_.emplace(EncodeKey(rows_[i], key_positions_), Slot{false, i});
  }
}

std::string KeyedRows::EncodeKey(const std::vector<std::string>& fields,
                                 const std::vector<size_t>& positions) {
  size_t size = 0;
  for (size_t p : positions) size += sizeof(uint32_t) + fields[p].size();
  std::string key;
  key.reserve(size);
  for (size_t p : positions) {
    auto n = static_cast<uint32_t>(fields[p].size());
    key.append(reinterpret_cast<const char*>(&n), sizeof(n));
    key.append(fields[p]);
  }
  return key;
}

void KeyedRows::Reserve(size_t rows) {
  reserved_ = rows;
  if (indexed_) at_.reserve(rows);
  rows_.reserve(rows);
}

std::vector<std::string> KeyedRows::KeyOf(const std::vector<std::string>& fields) const {
  return Pick(fields, key_positions_);
}

void KeyedRows::Erase(bool removal, size_t index) {
  auto& list = removal ? removals_ : rows_;
  if (index + 1 != list.size()) {
    list[index] = std::move(list.back());
    // Removals start with the key fields; upserts have them at key_positions_.
    at_[EncodeKey(list[index], removal ? removal_key_positions_ : key_positions_)].index = index;
  }
  list.pop_back();
}

void KeyedRows::Put(std::vector<std::string> fields, bool remove) {
  CF_CHECK(fields.size() == spec_->columns.size(), "{} fields for the {} columns of {}",
           fields.size(), spec_->columns.size(), spec_->table);
  if (!remove && InOrder(fields)) {
    rows_.push_back(std::move(fields));
    return;
  }
  if (!indexed_) IndexRows();
  // One lookup: a new key (the usual case) takes its slot here.
  auto [it, fresh] = at_.try_emplace(EncodeKey(fields, key_positions_));
  if (!fresh) {
    Slot& slot = it->second;
    if (remove && !slot.removal &&
        Pick(rows_[slot.index], match_positions_) != Pick(fields, match_positions_)) {
      return;  // it takes back another row than the one staged, which stays
    }
    if (!remove && !slot.removal) {
      rows_[slot.index] = std::move(fields);
      return;
    }
    Erase(slot.removal, slot.index);
  }
  if (remove) {
    std::vector<std::string> row = Pick(fields, key_positions_);
    for (size_t p : match_positions_) row.push_back(std::move(fields[p]));
    it->second = Slot{true, removals_.size()};
    removals_.push_back(std::move(row));
  } else {
    it->second = Slot{false, rows_.size()};
    rows_.push_back(std::move(fields));
  }
}

StagedRows StageRows(const std::vector<engine::log::Record>& batch, const OffsetMap& applied,
                     const std::vector<UpsertSpec>& tables, const RecordDecoder& decode) {
  StagedRows out;
  out.tables.reserve(tables.size());
  for (const UpsertSpec& spec : tables) out.tables.emplace_back(spec);
  // One table takes every record's row (the contract tables of a
  // single-event contract, a replay): no rehash while staging.
  if (tables.size() == 1) out.tables[0].Reserve(batch.size());
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
      if (!row.adjusted.empty()) {
        out.adjusted.push_back({row.table, out.tables[row.table].KeyOf(row.fields),
                                std::move(row.adjusted)});
      }
      out.tables[row.table].Put(std::move(row.fields), row.remove);
    }
  }
  out.next_offsets = offsets.next_offsets();
  out.records = offsets.records();
  out.skipped = offsets.skipped();
  return out;
}

}  // namespace chainflow::projections::pg
