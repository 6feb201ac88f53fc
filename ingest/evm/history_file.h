#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace chainflow::ingest::evm {

// One line of a history file.
struct HistoryLine {
  uint64_t number = 0;   // 1-based line number (counted from the start of the file)
  uint64_t offset = 0;   // byte offset of the line's first byte
  std::string_view text; // without the '\n' (and a trailing '\r'); valid until the next Next()
};

// Reads an NDJSON history file (one eth_getLogs log object a line, in chain
// order) line by line with large buffered reads. A last line without a
// newline is returned like any other (the decoder then reports it if it is
// truncated JSON). Empty lines are returned too (callers skip them).
// Not thread-safe.
class HistoryFile {
 public:
  static core::Result<std::unique_ptr<HistoryFile>> Open(const std::string& path);
  ~HistoryFile();

  // The next line, or nullopt at end of file.
  core::Result<std::optional<HistoryLine>> Next();

  // Continues reading at byte `offset`, which must be the start of a line (a
  // position a previous HistoryLine reported). `line_number` is the number
  // of that line (line numbers are not recomputed).
  core::Status Seek(uint64_t offset, uint64_t line_number);

  const std::string& path() const { return path_; }
  uint64_t size() const { return size_; }           // file size at Open
  uint64_t bytes_read() const { return next_offset_; }  // offset after the last line returned

 private:
  HistoryFile(std::string path, std::FILE* file, uint64_t size);
  core::Status Fill();

  std::string path_;
  std::FILE* file_;
  uint64_t size_;
  std::string buffer_;
  size_t begin_ = 0;         // first unread byte in buffer_
  size_t end_ = 0;           // bytes valid in buffer_
  bool eof_ = false;
  uint64_t next_offset_ = 0;  // file offset of buffer_[begin_]
  uint64_t next_line_ = 1;
};

}  // namespace chainflow::ingest::evm
