// Transaction::Copy against a real PostgreSQL: the text it writes must come
// back byte for byte, whatever the fields hold and however many chunks the
// rows take.
#include <random>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <gtest/gtest.h>

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
  EXPECT_TRUE(
      tx.Execute("CREATE TABLE chainflow.copy_probe (id int PRIMARY KEY, a text, b text)").has_value());
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
}  // namespace chainflow::projections::pg
