#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <unordered_map>
#include <string>
#include <utility>
#include <vector>

#include "engine/core/result.h"
#include "engine/log/record.h"
#include "projections/pg/offsets.h"
#include "projections/pg/upsert.h"

namespace chainflow::projections::pg {

// The rows of one table staged from a batch, unique by the table's key:
// each key ends as one upsert or one removal. A later Put of a key replaces
// the earlier one (records of a key share a partition and arrive in offset
// order, so the later one is the newer), except that a removal does not
// replace an upsert whose `spec.delete_match` fields differ from its own:
// it takes back another row than the one staged (see UpsertSpec). Not
// thread-safe.
//
// With `spec.append_position` (two integer key columns), rows that arrive in
// strictly increasing position order are unique by key without asking: they
// are kept in a list only. The key map is built, from every row so far, at
// the first row that is a removal or not after the previous one (a batch of
// a reorg), and used from then on.
class KeyedRows {
 public:
  // `spec` must outlive this object; its key and delete_match columns must
  // be in its columns.
  explicit KeyedRows(const UpsertSpec& spec);

  // `fields` in `spec.columns` order. `remove`: the row of this key goes;
  // only the key and delete_match fields matter.
  void Put(std::vector<std::string> fields, bool remove = false);

  // Room for `rows` keys without rehashing (a batch's record count: the
  // upper bound of one table's rows).
  void Reserve(size_t rows);

  const UpsertSpec& spec() const { return *spec_; }
  // The key fields of a row in `spec.columns` order.
  std::vector<std::string> KeyOf(const std::vector<std::string>& fields) const;
  // The upserts, in first-Put order unless a key changed between upsert
  // and removal.
  const std::vector<std::vector<std::string>>& rows() const { return rows_; }
  // The removals: the key fields then the delete_match fields (the shape
  // DeleteKeys takes).
  const std::vector<std::vector<std::string>>& removals() const { return removals_; }

 private:
  struct Slot {
    bool removal = false;
    size_t index = 0;  // in rows_ or removals_
  };
  // Drops entry `index` of `list` (rows_ or removals_) by moving the last
  // one into its place.
  void Erase(bool removal, size_t index);
  // Whether `fields` (an upsert) comes after the previous row in position
  // order, advancing that position if so. False once the map is in use.
  bool InOrder(const std::vector<std::string>& fields);
  // Puts every row kept so far into `at_`: from here on every Put asks it.
  void IndexRows();
  // The map key of a row's key fields at `positions` (of `fields`): each
  // field's length then its bytes, so no two keys collide whatever they hold.
  static std::string EncodeKey(const std::vector<std::string>& fields,
                               const std::vector<size_t>& positions);

  const UpsertSpec* spec_;
  std::vector<size_t> key_positions_;
  std::vector<size_t> match_positions_;
  std::vector<size_t> removal_key_positions_;  // 0..key size: a removal starts with its key
  // spec.append_position's columns, when both are key columns; else empty.
  std::vector<size_t> order_positions_;
  bool indexed_ = false;  // every entry is in at_ (always, without order_positions_)
  std::pair<int64_t, int64_t> last_position_ = {0, 0};
  size_t reserved_ = 0;  // Reserve's, applied to at_ once it is needed
  std::unordered_map<std::string, Slot> at_;  // encoded key -> where its entry is
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::vector<std::string>> removals_;
};

// One row a record makes: the index of its table in the view's tables and
// its fields in that table's column order.
struct TableRow {
  size_t table = 0;
  std::vector<std::string> fields;
  bool remove = false;  // a removal of the key's row (KeyedRows::Put)
  // Columns whose value the decoder had to change to store it (e.g. text
  // PostgreSQL cannot hold); reported through KeyedView::on_adjusted.
  std::vector<std::string> adjusted = {};
};

// A staged row with adjusted values: its table, key fields and columns.
struct AdjustedRow {
  size_t table = 0;
  std::vector<std::string> key;
  std::vector<std::string> columns;
};

// Decodes one record into the rows it writes. No rows: the record is
// ignored (a marker, a payload of another view). An error (InvalidArgument
// naming the problem) rejects the whole record: none of its rows are kept.
// Must be pure.
using RecordDecoder = std::function<core::Result<std::vector<TableRow>>(
    const engine::log::Record& record)>;

// A record that could not be decoded.
struct RejectedRecord {
  const engine::log::Record* record;  // points into the staged batch
  core::Status why;
};

// What a batch of records does to a view.
struct StagedRows {
  std::vector<KeyedRows> tables;  // one per table of the view, in its order
  std::vector<RejectedRecord> rejected;
  OffsetMap next_offsets;  // one past the highest offset staged, per partition
  size_t records = 0;      // staged records (rows, rejected and ignored)
  size_t skipped = 0;      // below `applied`: already in the view
  size_t ignored = 0;      // decoded to no rows
  std::vector<AdjustedRow> adjusted;  // every staged row with TableRow::adjusted
};

// Stages `batch` (each partition's records in offset order) for the view
// whose tables are `tables`: leaves out the records below `applied`, decodes
// the rest with `decode` and coalesces their rows by key per table. Every
// staged record moves its partition's next offset, whatever it decoded to.
// `batch` and `tables` must outlive the result.
StagedRows StageRows(const std::vector<engine::log::Record>& batch, const OffsetMap& applied,
                     const std::vector<UpsertSpec>& tables, const RecordDecoder& decode);

}  // namespace chainflow::projections::pg
