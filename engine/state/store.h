#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <unordered_map>
#include <vector>

#include <boost/unordered/unordered_flat_map.hpp>

#include "engine/core/result.h"
#include "engine/state/state_view.h"

namespace rocksdb {
class DB;
}  // namespace rocksdb

namespace chainflow::engine::state {

class Store;

// Hashes std::string and std::string_view alike, so maps keyed by string
// are searched with a view and no allocation.
struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
// Keys to optional values (nullopt: deleted, or known to be absent). A
// batch's writes stay in nodes that do not move (Batch::ordered_ points into
// them); the store's read cache, probed once per processor read, is an open
// addressing table (the node map's cache misses showed in profiles).
using StringMap = std::unordered_map<std::string, std::optional<std::string>, StringHash,
                                     std::equal_to<>>;
using FlatStringMap = boost::unordered_flat_map<std::string, std::optional<std::string>,
                                                StringHash, std::equal_to<>>;

// Pending writes against a Store, readable before commit (read-your-writes).
// Savepoints let the runtime drop one poison record's writes. Writes live in
// a hash map (last write per key wins), indexed in key order once scanned,
// with an undo log for savepoints;
// Commit turns them into one rocksdb::WriteBatch. Not thread-safe. Must not
// outlive the Store that made it.
class Batch : public StateView {
 public:
  ~Batch() override;
  core::Result<std::optional<std::string>> Get(std::string_view key) override;
  void Put(std::string_view key, std::string_view value) override;
  void Delete(std::string_view key) override;
  core::Status Scan(std::string_view prefix, const ScanFn& fn) override;
  core::Status ScanFrom(std::string_view prefix, std::string_view start,
                        const ScanFn& fn) override;

  void SetSavePoint();
  void RollbackToSavePoint();  // CHECKs a savepoint exists
  void PopSavePoint();         // keeps the writes, forgets the savepoint
  size_t Count() const;
  // Calls `fn` once per key written (in no particular order) with its final
  // value, nullopt for a deletion: what Commit will apply. For changelogs.
  void ForEachWrite(
      const std::function<void(std::string_view key, const std::optional<std::string>& value)>&
          fn) const;

 private:
  friend class Store;

  using Value = std::optional<std::string>;  // nullopt: deleted
  explicit Batch(Store& store);
  void Record(std::string_view key, Value value);

  Store& store_;
  StringMap writes_;
  // writes_ in key order (views of its nodes' keys, which do not move): for
  // ScanFrom's range and Commit's order. Built by the first of them, then
  // kept up to date until Commit, so batches that never scan do not pay
  // for it per write.
  void Index();
  std::map<std::string_view, const Value*> ordered_;
  bool indexed_ = false;
  // (key, overlay entry before the write; nullopt = key was not in writes_)
  std::vector<std::pair<std::string, std::optional<Value>>> undo_;
  std::vector<size_t> savepoints_;  // undo_ sizes
};

struct StoreOptions {
  bool create_if_missing = true;
  bool sync_commits = false;  // fsync the WAL on every commit (see README)
  // Committed values (and known-absent keys) kept in memory for Batch reads;
  // cleared when it grows past this many entries. 0 disables it.
  size_t cache_entries = 500'000;
};

// One RocksDB database (one processor task's state). Open() takes the
// directory's lock: a second Open of the same path fails with Unavailable
// until the first Store is destroyed. Get/Scan are thread-safe; batches and
// Commit belong to one owner thread (the task's), which also owns the read
// cache: since that thread is the store's only writer, the cache of
// committed values is always coherent.
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
  // The same from the first key >= `start` (which begins with `prefix`).
  core::Status ScanFrom(
      std::string_view prefix, std::string_view start,
      const std::function<bool(std::string_view key, std::string_view value)>& fn) const;
  // Drops every key (used by rebuild).
  static core::Status Destroy(const std::string& path);

  const std::string& path() const { return path_; }

 private:
  friend class Batch;
  Store(std::string path, std::unique_ptr<rocksdb::DB> db, StoreOptions options);
  // Batch reads: cache, then RocksDB (owner thread only).
  core::Result<std::optional<std::string>> CachedGet(std::string_view key);

  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  StoreOptions options_;
  FlatStringMap cache_;
};

}  // namespace chainflow::engine::state
