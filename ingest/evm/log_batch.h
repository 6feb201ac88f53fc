#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

namespace chainflow::ingest::evm {

// The log objects of eth_getLogs answers, parsed once and kept parsed: the
// decoder reads each log from the document the response was parsed into,
// instead of receiving it as text and parsing it a second time (which was
// ~90 % of decoding a log). Owns the parsed documents; one batch may hold
// several responses (a range the node made us split).
//
// Move-only. Not thread-safe.
class LogBatch {
 public:
  LogBatch();
  ~LogBatch();
  LogBatch(LogBatch&&) noexcept;
  LogBatch& operator=(LogBatch&&) noexcept;

  // Parses one JSON value per element of `texts` (fakes, tests, and callers
  // that hold text). Text that is not one JSON value is InvalidArgument; a
  // value that is not a log object is the decoder's to refuse.
  static core::Result<LogBatch> FromTexts(const std::vector<std::string>& texts);

  size_t size() const;
  bool empty() const { return size() == 0; }
  // Log `i`'s JSON text (minified): for dead letters and tests.
  std::string Text(size_t i) const;
  std::vector<std::string> Texts() const;
  // Moves `other`'s logs (and the documents holding them) after these.
  void Append(LogBatch&& other);

  // The parsed form (log_batch_dom.h); only the decoder and the response
  // parser see it.
  struct Dom;
  const Dom& dom() const { return *dom_; }
  Dom& dom() { return *dom_; }

 private:
  std::unique_ptr<Dom> dom_;
};

}  // namespace chainflow::ingest::evm
