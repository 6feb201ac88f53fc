#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "engine/log/sink.h"
#include "engine/log/source.h"

namespace chainflow::testing {

// An in-memory log: topics of partitions of records. The sink side appends
// (optionally failing the next Flush on demand); sources read from it.
// Thread-safe.
class FakeLog : public engine::log::RecordSink {
 public:
  engine::core::Status Send(const engine::log::OutRecord& record) override;
  engine::core::Status Flush(std::chrono::milliseconds timeout) override;

  // Makes the next Flush fail with `status` (records already sent stay, as
  // with a real broker that appended some of them).
  void FailNextFlush(engine::core::Status status);

  // Appends directly (test input).
  void Append(const std::string& topic, int32_t partition, std::string key, std::string value);

  std::vector<engine::log::Record> Read(const std::string& topic, int32_t partition) const;
  std::vector<engine::log::Record> ReadAll(const std::string& topic) const;
  int64_t EndOffset(const std::string& topic, int32_t partition) const;

  // A source over this log.
  std::unique_ptr<engine::log::RecordSource> NewSource();

 private:
  friend class FakeSource;
  mutable std::mutex mu_;
  std::map<std::string, std::map<int32_t, std::vector<engine::log::Record>>> topics_;
  engine::core::Status next_flush_;
};

}  // namespace chainflow::testing
