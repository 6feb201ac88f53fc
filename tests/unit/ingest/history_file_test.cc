#include "ingest/evm/history_file.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace chainflow::ingest::evm {
namespace {

std::string WriteTemp(const std::string& name, const std::string& content) {
  std::string path = (std::filesystem::temp_directory_path() /
                      (name + "." + std::to_string(::getpid()))).string();
  std::ofstream(path, std::ios::binary) << content;
  return path;
}

std::vector<HistoryLine> ReadAll(HistoryFile& file, std::vector<std::string>* texts) {
  std::vector<HistoryLine> lines;
  while (true) {
    auto line = file.Next();
    EXPECT_TRUE(line.has_value());
    if (!line.value()) break;
    lines.push_back(*line.value());
    texts->emplace_back(line.value()->text);
  }
  return lines;
}

TEST(HistoryFileTest, LinesOffsetsAndTruncatedLastLine) {
  std::string path = WriteTemp("hf1", "a\nbb\r\n\nccc");
  auto file = HistoryFile::Open(path).value();
  std::vector<std::string> texts;
  auto lines = ReadAll(*file, &texts);
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(texts, (std::vector<std::string>{"a", "bb", "", "ccc"}));
  EXPECT_EQ(lines[1].number, 2u);
  EXPECT_EQ(lines[1].offset, 2u);
  EXPECT_EQ(lines[3].offset, 7u);
  EXPECT_EQ(file->bytes_read(), 10u);
  EXPECT_EQ(file->size(), 10u);
  std::filesystem::remove(path);
}

TEST(HistoryFileTest, SeekResumesAtALine) {
  std::string path = WriteTemp("hf2", "one\ntwo\nthree\n");
  auto file = HistoryFile::Open(path).value();
  ASSERT_TRUE(file->Seek(4, 2).ok());
  std::vector<std::string> texts;
  auto lines = ReadAll(*file, &texts);
  EXPECT_EQ(texts, (std::vector<std::string>{"two", "three"}));
  EXPECT_EQ(lines[1].number, 3u);
  EXPECT_EQ(lines[1].offset, 8u);
  EXPECT_EQ(file->Seek(100, 1).code(), core::StatusCode::kOutOfRange);
  std::filesystem::remove(path);
}

TEST(HistoryFileTest, LinesLongerThanTheReadBuffer) {
  std::string big(9 << 20, 'x');  // longer than one 4 MiB read
  std::string path = WriteTemp("hf3", "s\n" + big + "\nt");
  auto file = HistoryFile::Open(path).value();
  std::vector<std::string> texts;
  ReadAll(*file, &texts);
  ASSERT_EQ(texts.size(), 3u);
  EXPECT_EQ(texts[1].size(), big.size());
  EXPECT_EQ(texts[2], "t");
  std::filesystem::remove(path);
}

TEST(HistoryFileTest, MissingFileIsNotFound) {
  EXPECT_EQ(HistoryFile::Open("/nonexistent/x.ndjson").error().code(),
            core::StatusCode::kNotFound);
}

}  // namespace
}  // namespace chainflow::ingest::evm
