#pragma once

#include <functional>
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

  using ScanFn = std::function<bool(std::string_view key, std::string_view value)>;
  // Calls `fn` for each key starting with `prefix`, in bytewise key order,
  // as Get would see it (the batch's own writes included); stops when `fn`
  // returns false. `fn` may Put and Delete: it sees the keys as they were
  // when Scan started. It costs a RocksDB iterator and seek, and in a
  // state::Batch, the first time, ordering the batch's writes: for sweeps
  // at timer deadlines and queues that are due, not for every record when
  // a Get would do. Views that cannot scan return Unimplemented.
  virtual core::Status Scan(std::string_view prefix, const ScanFn& fn);
  // Scan of the keys with `prefix` that sort at or after `start` (which
  // begins with `prefix`): a seek past the keys a queue-like range has
  // already deleted. The default filters Scan(prefix); state::Batch seeks,
  // stops reading RocksDB as soon as `fn` returns false and finds its own
  // writes in range through its ordered index.
  virtual core::Status ScanFrom(std::string_view prefix, std::string_view start,
                                const ScanFn& fn);
};

}  // namespace chainflow::engine::state
