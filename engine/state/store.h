#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "engine/core/result.h"
#include "engine/state/state_view.h"

namespace rocksdb {
class DB;
class WriteBatchWithIndex;
}  // namespace rocksdb

namespace chainflow::engine::state {

class Store;

// Pending writes against a Store, readable before commit (read-your-writes).
// Savepoints let the runtime drop one poison record's writes. Not
// thread-safe. Must not outlive the Store that made it.
class Batch : public StateView {
 public:
  ~Batch() override;
  core::Result<std::optional<std::string>> Get(std::string_view key) override;
  void Put(std::string_view key, std::string_view value) override;
  void Delete(std::string_view key) override;

  void SetSavePoint();
  void RollbackToSavePoint();  // CHECKs a savepoint exists
  void PopSavePoint();         // keeps the writes, forgets the savepoint
  size_t Count() const;

 private:
  friend class Store;
  explicit Batch(Store& store);
  Store& store_;
  std::unique_ptr<rocksdb::WriteBatchWithIndex> batch_;
};

struct StoreOptions {
  bool create_if_missing = true;
  bool sync_commits = false;  // fsync the WAL on every commit (see README)
};

// One RocksDB database (one processor task's state). Open() takes the
// directory's lock: a second Open of the same path fails with Unavailable
// until the first Store is destroyed. Thread-safe for Get/Commit/Scan.
class Store {
 public:
  static core::Result<std::unique_ptr<Store>> Open(const std::string& path,
                                                   const StoreOptions& options = {});
  ~Store();

  core::Result<std::optional<std::string>> Get(std::string_view key) const;
  std::unique_ptr<Batch> NewBatch();
  // Applies every write of `batch` atomically.
  core::Status Commit(Batch& batch);
  // Calls `fn` for each key with `prefix`, in key order; stops early when
  // fn returns false.
  core::Status Scan(std::string_view prefix,
                    const std::function<bool(std::string_view key, std::string_view value)>& fn)
      const;
  // Drops every key (used by rebuild).
  static core::Status Destroy(const std::string& path);

  const std::string& path() const { return path_; }

 private:
  friend class Batch;
  Store(std::string path, std::unique_ptr<rocksdb::DB> db, StoreOptions options);
  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  StoreOptions options_;
};

}  // namespace chainflow::engine::state
