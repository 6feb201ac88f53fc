#include "ingest/evm/history_file.h"

#include <cerrno>
#include <cstring>
#include <optional>

#include <fmt/format.h>

namespace chainflow::ingest::evm {
namespace {
constexpr size_t kReadSize = 4 << 20;  // 4 MiB reads
}  // namespace

core::Result<std::unique_ptr<HistoryFile>> HistoryFile::Open(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    return core::NotFoundError(fmt::format("cannot open {}: {}", path, std::strerror(errno)));
  }
  uint64_t size = 0;
  if (std::fseek(file, 0, SEEK_END) == 0) {
    long end = std::ftell(file);
    if (end > 0) size = static_cast<uint64_t>(end);
    std::fseek(file, 0, SEEK_SET);
  }
  return std::unique_ptr<HistoryFile>(new HistoryFile(path, file, size));
}

HistoryFile::HistoryFile(std::string path, std::FILE* file, uint64_t size)
    : path_(std::move(path)), file_(file), size_(size) {}

HistoryFile::~HistoryFile() { std::fclose(file_); }

core::Status HistoryFile::Fill() {
  // Move the unread tail to the front, then read after it.
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    end_ -= begin_;
    begin_ = 0;
  }
  if (buffer_.size() < end_ + kReadSize) buffer_.resize(end_ + kReadSize);
  size_t n = std::fread(buffer_.data() + end_, 1, kReadSize, file_);
  if (n < kReadSize) {
    if (std::ferror(file_)) {
      return core::UnavailableError(fmt::format("read {}: {}", path_, std::strerror(errno)));
    }
    eof_ = true;
  }
  end_ += n;
  return core::Status::Ok();
}

core::Result<std::optional<HistoryLine>> HistoryFile::Next() {
  size_t scanned = begin_;
  while (true) {
    const char* start = buffer_.data() + scanned;
    const void* nl = scanned < end_ ? std::memchr(start, '\n', end_ - scanned) : nullptr;
    if (nl != nullptr || (eof_ && begin_ < end_)) {
      size_t line_end = nl != nullptr ? static_cast<const char*>(nl) - buffer_.data() : end_;
      HistoryLine line;
      line.number = next_line_++;
      line.offset = next_offset_;
      line.text = std::string_view(buffer_.data() + begin_, line_end - begin_);
      if (!line.text.empty() && line.text.back() == '\r') line.text.remove_suffix(1);
      size_t consumed = (nl != nullptr ? line_end + 1 : line_end) - begin_;
      begin_ += consumed;
      next_offset_ += consumed;
      return std::optional<HistoryLine>(line);
    }
    if (eof_) return std::optional<HistoryLine>();
    size_t unscanned = end_ - begin_;  // no newline in [begin_, end_)
    RETURN_IF_ERROR(Fill());
    scanned = begin_ + unscanned;
  }
}

core::Status HistoryFile::Seek(uint64_t offset, uint64_t line_number) {
  if (offset > size_) {
    return core::OutOfRangeError(
        fmt::format("seek {} to {} past its end ({} bytes)", path_, offset, size_));
  }
  if (std::fseek(file_, static_cast<long>(offset), SEEK_SET) != 0) {
    return core::UnavailableError(fmt::format("seek {}: {}", path_, std::strerror(errno)));
  }
  begin_ = end_ = 0;
  eof_ = false;
  next_offset_ = offset;
  next_line_ = line_number;
  return core::Status::Ok();
}

}  // namespace chainflow::ingest::evm
