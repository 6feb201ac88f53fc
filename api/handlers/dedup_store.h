#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace chainflow::engine::state {
class Store;
}  // namespace chainflow::engine::state

namespace chainflow::api::handlers {

namespace core = engine::core;

// What the write path remembers about one idempotency key (or webhook event
// id), so a retry is answered without a second append.
struct DedupEntry {
  // false: the record may or may not have been appended (the process stopped
  // or the append failed in between); a retry appends it again, identically.
  bool done = false;
  int64_t received_at = 0;  // the event time stamped on the first attempt
  std::string digest;       // hex SHA-256 of the request's meaning (same body?)
  std::string record_id;    // the Envelope id (intent id, webhook record id)
};

// Dedup entries by key. Implementations are thread-safe.
class DedupStore {
 public:
  virtual ~DedupStore() = default;
  virtual core::Result<std::optional<DedupEntry>> Get(std::string_view key) = 0;
  virtual core::Status Put(std::string_view key, const DedupEntry& entry) = 0;
};

// The entry's stored form: "<d|p> <received_at> <digest> <record_id>".
std::string EncodeDedupEntry(const DedupEntry& entry);
// DataLoss for a value EncodeDedupEntry did not write.
core::Result<DedupEntry> DecodeDedupEntry(std::string_view value);

// A DedupStore in its own RocksDB directory ([intents] idempotency_dir).
// Entries are kept forever (about 100 bytes each). Each Put is synced to
// the WAL before it returns, so an answer given to a client survives a
// machine crash. Open() takes RocksDB's directory lock: one process per dir.
class RocksDedupStore : public DedupStore {
 public:
  // Unavailable when the directory is locked or cannot be created.
  static core::Result<std::unique_ptr<RocksDedupStore>> Open(const std::string& dir);
  ~RocksDedupStore() override;

  core::Result<std::optional<DedupEntry>> Get(std::string_view key) override;
  core::Status Put(std::string_view key, const DedupEntry& entry) override;

 private:
  explicit RocksDedupStore(std::unique_ptr<engine::state::Store> store);

  std::mutex write_mu_;  // state::Store has one writer at a time
  std::unique_ptr<engine::state::Store> store_;
};

}  // namespace chainflow::api::handlers
