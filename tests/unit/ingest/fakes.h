#pragma once

// Hand-written fakes for the ingest seams: a RecordSink that keeps what it
// is sent, and a PartitionTailReader built from such records.

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "engine/log/sink.h"
#include "ingest/common/appender.h"

namespace chainflow::ingest::testing {

class FakeSink : public engine::log::RecordSink {
 public:
  core::Status Send(const engine::log::OutRecord& record) override {
    std::lock_guard lock(mu_);
    records.push_back(record);
    return core::Status::Ok();
  }
  core::Status Flush(std::chrono::milliseconds timeout) override {
    ++flushes;
    if (flush_results.empty()) return core::Status::Ok();
    core::Status next = flush_results.front();
    flush_results.pop_front();
    // A flush that runs out of time takes that time, as a real one does.
    if (next.code() == core::StatusCode::kDeadlineExceeded) std::this_thread::sleep_for(timeout);
    return next;
  }
  // The records sent to `topic`, in order.
  std::vector<engine::log::OutRecord> On(const std::string& topic) const {
    std::vector<engine::log::OutRecord> out;
    for (const auto& r : records) {
      if (r.topic == topic) out.push_back(r);
    }
    return out;
  }

  std::vector<engine::log::OutRecord> records;
  int flushes = 0;
  // What the next Flushes return, in order (then Ok).
  std::deque<core::Status> flush_results;

 private:
  std::mutex mu_;
};

inline const std::string* FindHeader(const engine::log::OutRecord& record, std::string_view key) {
  for (const auto& h : record.headers) {
    if (h.key == key) return &h.value;
  }
  return nullptr;
}

// Serves the last `cf_pos` per partition of a set of records (what a topic
// holding them would answer).
class FakeTailReader : public common::PartitionTailReader {
 public:
  FakeTailReader() = default;
  explicit FakeTailReader(const std::vector<engine::log::OutRecord>& records) {
    for (const auto& r : records) {
      const std::string* pos = FindHeader(r, common::kPositionHeader);
      if (pos != nullptr) last[r.partition.value()] = common::Position::Parse(*pos).value();
      values[r.partition.value()].push_back(r.value);
    }
  }
  core::Result<std::optional<common::Position>> LastPosition(core::PartitionId p) override {
    auto it = last.find(p.value());
    if (it == last.end()) return std::optional<common::Position>();
    return std::optional<common::Position>(it->second);
  }
  core::Result<std::vector<std::string>> LastValues(core::PartitionId p, size_t count) override {
    ++last_values_calls;
    const std::vector<std::string>& all = values[p.value()];
    size_t from = all.size() > count ? all.size() - count : 0;
    return std::vector<std::string>(all.begin() + static_cast<std::ptrdiff_t>(from), all.end());
  }
  std::map<int32_t, common::Position> last;
  std::map<int32_t, std::vector<std::string>> values;  // per partition, in order
  int last_values_calls = 0;
};

}  // namespace chainflow::ingest::testing
