#pragma once

// One benchmark round of a runtime::Task: the next `count` records of a
// history, taken round-robin, applied and committed as `chainflow process`
// does per transaction.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "engine/core/status.h"
#include "engine/log/record.h"
#include "engine/log/sink.h"
#include "engine/runtime/task.h"

namespace chainflow::benchmarks {

// Walks a history round after round. Offsets must grow across rounds, so
// each round's records are renumbered as they are taken.
class TaskRounds {
 public:
  explicit TaskRounds(std::vector<engine::log::Record> records) : records_(std::move(records)) {}

  // Applies the next `count` records to `task` (outputs to `sink`) and
  // commits it.
  engine::core::Status Next(engine::runtime::Task& task, size_t count,
                            engine::log::RecordSink& sink) {
    batch_.clear();
    for (size_t k = 0; k < count; ++k, ++next_) {
      if (next_ == records_.size()) next_ = 0;
      records_[next_].offset = engine::core::Offset(next_offset_++);
      batch_.push_back(&records_[next_]);
    }
    auto stats = task.Apply(batch_, sink);
    if (!stats) return stats.error();
    return task.Commit();
  }

 private:
  std::vector<engine::log::Record> records_;
  std::vector<const engine::log::Record*> batch_;
  size_t next_ = 0;
  int64_t next_offset_ = 0;
};

}  // namespace chainflow::benchmarks
