#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace chainflow::engine::state {

// What a processor sees of its task's state while applying a batch:
// reads see the batch's own earlier writes. Implemented by state::Batch
// (RocksDB) and by an in-memory fake in tests. One thread at a time.
class StateView {
 public:
  virtual ~StateView() = default;
  // nullopt when absent. Errors are infrastructure trouble (DataLoss/Internal).
  virtual core::Result<std::optional<std::string>> Get(std::string_view key) = 0;
  virtual void Put(std::string_view key, std::string_view value) = 0;
  virtual void Delete(std::string_view key) = 0;
};

}  // namespace chainflow::engine::state
