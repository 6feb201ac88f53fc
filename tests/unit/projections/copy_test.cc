// Transaction::Copy against a real PostgreSQL: the text it writes must come
// back byte for byte, whatever the fields hold and however many chunks the
// rows take.
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "projections/pg/upsert.h"
#include "tests/unit/projections/test_db.h"

namespace chainflow::projections::pg {
namespace {

using Rows = std::vector<std::vector<std::string>>;

// Copies `rows` into a fresh table (id int, a text, b text) and reads them
// back in id order, NULL as "<null>".
Rows RoundTrip(const Rows& rows, const std::vector<bool>& null_if_empty = {}) {
  auto conn = testing::FreshSchema();
  auto begun = conn->Begin();
  EXPECT_TRUE(begun.has_value()) << begun.error().ToString();
  if (!begun.has_value()) return {};
  pg::Transaction& tx = *begun.value();
  EXPECT_TRUE(tx.Execute("CREATE TABLE chainflow.copy_probe (id int PRIMARY KEY, a text, b text)")
                  .has_value());
  core::Status copied = tx.Copy("chainflow.copy_probe", {"id", "a", "b"}, rows, null_if_empty);
  EXPECT_TRUE(copied.ok()) << copied.ToString();
  if (!copied.ok()) return {};
  auto read = tx.Query(
      "SELECT id::text, coalesce(a, '<null>'), coalesce(b, '<null>') FROM chainflow.copy_probe "
      "ORDER BY copy_probe.id");
  EXPECT_TRUE(read.has_value()) << read.error().ToString();
  if (!read.has_value()) return {};
  Rows out;
  for (const auto& row : read.value()) out.push_back({*row[0], *row[1], *row[2]});
  return out;
}

TEST(CopyTest, FieldsWithTheFormatsSpecialCharactersComeBackUnchanged) {
  Rows rows = {
      {"1", "tab\there", "new\nline"},
      {"2", "carriage\rreturn", "back\\slash"},
      {"3", "\\N", "\\\\N\\t"},  // the text of an escape, not a NULL or a tab
      {"4", "", "trailing\\"},
      {"5", "\t\n\r\\", "é ü 0x00ff"},
  };
  EXPECT_EQ(RoundTrip(rows), rows);
}

TEST(CopyTest, EmptyFieldsAreNullOnlyInTheFlaggedColumns) {
  Rows rows = {{"1", "", ""}, {"2", "x", ""}};
  Rows expected = {{"1", "", "<null>"}, {"2", "x", "<null>"}};
  EXPECT_EQ(RoundTrip(rows, {false, false, true}), expected);
}

TEST(CopyTest, RowsSpanningManyChunksAllArriveInOrder) {
  // About 2 MB: several of Copy's chunks, with escapes at random places so
  // some land on a chunk's edge.
  std::mt19937 rng(11);
  const std::string alphabet = "abc\t\n\r\\xyz0123456789";
  Rows rows;
  for (int i = 0; i < 8000; ++i) {
    std::string a, b;
    for (int n = static_cast<int>(rng() % 400); n > 0; --n) a += alphabet[rng() % alphabet.size()];
    for (int n = static_cast<int>(rng() % 20); n > 0; --n) b += alphabet[rng() % alphabet.size()];
    rows.push_back({std::to_string(i), a, b});
  }
  Rows back = RoundTrip(rows);
  ASSERT_EQ(back.size(), rows.size());
  for (size_t i = 0; i < rows.size(); ++i) ASSERT_EQ(back[i], rows[i]) << "row " << i;
}

}  // namespace
// UpsertSpec::append_position: a batch after every row is COPied into the
// table; one that reaches back to a row there is upserted (a COPY would hit
// the primary key), whichever rows of it are new.
TEST(UpsertTest, AppendPositionCopiesOnlyBatchesAfterEveryRow) {
  auto conn = testing::FreshSchema();
  UpsertSpec spec{"chainflow.append_probe", {"b", "l", "v"}, {"b", "l"}, {"v"}, {},
                  {"b", "l"}};
  // The rows written, or -1 when Upsert failed (nothing is committed then).
  auto apply = [&](const Rows& rows) -> int64_t {
    auto tx = conn->Begin();
    EXPECT_TRUE(tx.has_value()) << tx.error().ToString();
    if (!tx.has_value()) return -2;
    auto n = Upsert(*tx.value(), spec, rows);
    if (!n.has_value()) return -1;
    EXPECT_TRUE(tx.value()->Commit().ok());
    return n.value();
  };
  {
    auto tx = conn->Begin();
    ASSERT_TRUE(tx.has_value());
    ASSERT_TRUE(tx.value()
                    ->Execute("CREATE TABLE chainflow.append_probe (b bigint, l int, v numeric, "
                              "PRIMARY KEY (b, l))")
                    .has_value());
    ASSERT_TRUE(tx.value()->Commit().ok());
  }
  EXPECT_EQ(apply({{"10", "1", "1"}, {"10", "0", ""}}), 2);   // empty table: COPY
  EXPECT_EQ(apply({{"11", "0", "3"}}), 1);                      // after (10, 1): COPY
  EXPECT_EQ(apply({{"10", "1", "4"}, {"12", "0", "5"}}), 2);   // (10, 1) is there: upsert
  EXPECT_EQ(apply({{"9", "7", "6"}}), 1);                       // before the rows: upsert
  // Not a position: the upsert path, where PostgreSQL refuses the text.
  EXPECT_EQ(apply({{"x", "0", "7"}}), -1);
  auto tx = conn->Begin();
  ASSERT_TRUE(tx.has_value());
  auto read = tx.value()->Query(
      "SELECT b::text, l::text, coalesce(v::text, '<null>') FROM chainflow.append_probe "
      "ORDER BY append_probe.b, append_probe.l");
  ASSERT_TRUE(read.has_value()) << read.error().ToString();
  Rows got;
  for (const auto& row : read.value()) got.push_back({*row[0], *row[1], *row[2]});
  Rows want = {{"9", "7", "6"}, {"10", "0", "<null>"}, {"10", "1", "4"}, {"11", "0", "3"},
               {"12", "0", "5"}};
  EXPECT_EQ(got, want);
}

}  // namespace chainflow::projections::pg
