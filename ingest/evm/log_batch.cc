#include "ingest/evm/log_batch.h"

#include <fmt/format.h>

#include "ingest/evm/log_batch_dom.h"

namespace chainflow::ingest::evm {

namespace {

// At most this many spare parsers a thread (a follower holds one batch at a
// time; a range split in two answers holds two).
constexpr size_t kMaxSpares = 2;

std::vector<std::unique_ptr<simdjson::dom::parser>>& Spares() {
  thread_local std::vector<std::unique_ptr<simdjson::dom::parser>> spares;
  return spares;
}

}  // namespace

std::unique_ptr<simdjson::dom::parser> SpareParser() {
  auto& spares = Spares();
  if (spares.empty()) return std::make_unique<simdjson::dom::parser>();
  std::unique_ptr<simdjson::dom::parser> parser = std::move(spares.back());
  spares.pop_back();
  return parser;
}

LogBatch::Dom::~Dom() {
  auto& spares = Spares();
  for (auto& parser : documents) {
    if (spares.size() < kMaxSpares && parser) spares.push_back(std::move(parser));
  }
}

LogBatch::LogBatch() : dom_(std::make_unique<Dom>()) {}
LogBatch::~LogBatch() = default;
LogBatch::LogBatch(LogBatch&&) noexcept = default;
LogBatch& LogBatch::operator=(LogBatch&&) noexcept = default;

core::Result<LogBatch> LogBatch::FromTexts(const std::vector<std::string>& texts) {
  std::string array = "[";
  for (size_t i = 0; i < texts.size(); ++i) {
    if (i > 0) array += ',';
    array += texts[i];
  }
  array += ']';
  LogBatch batch;
  auto parser = SpareParser();
  simdjson::dom::array logs;
  if (auto error = parser->parse(array).get_array().get(logs)) {
    return core::InvalidArgumentError(
        fmt::format("logs are not JSON: {}", simdjson::error_message(error)));
  }
  if (logs.size() != texts.size()) {
    return core::InvalidArgumentError(
        fmt::format("{} log texts hold {} JSON values", texts.size(), logs.size()));
  }
  for (simdjson::dom::element log : logs) batch.dom_->logs.push_back(log);
  batch.dom_->documents.push_back(std::move(parser));
  return batch;
}

size_t LogBatch::size() const { return dom_ ? dom_->logs.size() : 0; }

std::string LogBatch::Text(size_t i) const { return simdjson::to_string(dom_->logs.at(i)); }

std::vector<std::string> LogBatch::Texts() const {
  std::vector<std::string> out;
  out.reserve(size());
  for (size_t i = 0; i < size(); ++i) out.push_back(Text(i));
  return out;
}

void LogBatch::Append(LogBatch&& other) {
  if (!other.dom_) return;
  for (auto& document : other.dom_->documents) dom_->documents.push_back(std::move(document));
  dom_->logs.insert(dom_->logs.end(), other.dom_->logs.begin(), other.dom_->logs.end());
  other.dom_->documents.clear();
  other.dom_->logs.clear();
}

}  // namespace chainflow::ingest::evm
