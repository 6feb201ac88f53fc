#include "engine/state/store.h"

#include <algorithm>

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/write_batch.h>

namespace chainflow::engine::state {
namespace {

core::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return core::Status::Ok();
  std::string msg = fmt::format("{}: {}", what, s.ToString());
  if (s.IsIOError() && s.ToString().find("lock") != std::string::npos) {
    return core::UnavailableError(msg);  // another process holds the state
  }
  if (s.IsCorruption()) return core::DataLossError(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain()) return core::UnavailableError(msg);
  return core::InternalError(msg);
}

rocksdb::Slice ToSlice(std::string_view s) { return rocksdb::Slice(s.data(), s.size()); }

}  // namespace

core::Status StateView::Scan(std::string_view prefix, const ScanFn&) {
  return core::UnimplementedError(
      fmt::format("this state view cannot scan (prefix of {} bytes)", prefix.size()));
}

Batch::Batch(Store& store) : store_(store) {}

Batch::~Batch() = default;

core::Result<std::optional<std::string>> Batch::Get(std::string_view key) {
  auto it = writes_.find(key);
  if (it != writes_.end()) return it->second;
  return store_.CachedGet(key);
}

void Batch::Record(std::string_view key, Value value) {
  auto it = writes_.find(key);
  if (!savepoints_.empty()) {
    undo_.emplace_back(std::string(key), it == writes_.end() ? std::optional<Value>()
                                                             : std::optional<Value>(it->second));
  }
  if (it == writes_.end()) {
    auto added = writes_.emplace(std::string(key), std::move(value)).first;
    if (indexed_) ordered_.emplace(added->first, &added->second);
  } else {
    it->second = std::move(value);
  }
}

void Batch::Put(std::string_view key, std::string_view value) {
  Record(key, std::string(value));
}

void Batch::Delete(std::string_view key) { Record(key, std::nullopt); }

// The default for views that can only Scan: the keys below `start` are
// visited and skipped.
core::Status StateView::ScanFrom(std::string_view prefix, std::string_view start,
                                const ScanFn& fn) {
  return Scan(prefix, [&](std::string_view key, std::string_view value) {
    return key < start || fn(key, value);
  });
}

core::Status Batch::Scan(std::string_view prefix, const ScanFn& fn) {
  return ScanFrom(prefix, prefix, fn);
}

// Merges the store's keys (read lazily, so an early stop reads no further)
// with a copy of the batch's writes in range, taken first: `fn` may write.
core::Status Batch::ScanFrom(std::string_view prefix, std::string_view start,
                             const ScanFn& fn) {
  CF_CHECK(start.compare(0, prefix.size(), prefix) == 0, "scan start outside its prefix");
  Index();
  std::vector<std::pair<std::string, Value>> overlay;
  for (auto it = ordered_.lower_bound(start);
       it != ordered_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    overlay.emplace_back(std::string(it->first), *it->second);
  }
  auto next = overlay.begin();
  bool stopped = false;
  // Overlay entries before `key` (all of them when key is nullopt).
  auto drain = [&](std::optional<std::string_view> key) {
    for (; !stopped && next != overlay.end() && (!key || next->first < *key); ++next) {
      if (next->second && !fn(next->first, *next->second)) stopped = true;
    }
  };
  RETURN_IF_ERROR(store_.ScanFrom(prefix, start, [&](std::string_view key,
                                                     std::string_view value) {
    drain(key);
    if (stopped) return false;
    if (next != overlay.end() && next->first == key) {  // the batch's write wins
      const Value& own_value = (next++)->second;
      if (own_value && !fn(key, *own_value)) stopped = true;
      return !stopped;
    }
    stopped = !fn(key, value);
    return !stopped;
  }));
  drain(std::nullopt);
  return core::Status::Ok();
}

void Batch::Index() {
  if (indexed_) return;
  for (const auto& [key, value] : writes_) ordered_.emplace(key, &value);
  indexed_ = true;
}

void Batch::SetSavePoint() { savepoints_.push_back(undo_.size()); }

void Batch::RollbackToSavePoint() {
  CF_CHECK(!savepoints_.empty(), "rollback without savepoint");
  size_t mark = savepoints_.back();
  savepoints_.pop_back();
  while (undo_.size() > mark) {
    auto& [key, before] = undo_.back();
    if (before) {
      auto [at, added] = writes_.insert_or_assign(key, std::move(*before));
      if (added && indexed_) ordered_.emplace(at->first, &at->second);
    } else {
      ordered_.erase(key);  // before the node its view points into
      writes_.erase(key);
    }
    undo_.pop_back();
  }
}

void Batch::PopSavePoint() {
  CF_CHECK(!savepoints_.empty(), "pop without savepoint");
  savepoints_.pop_back();
  if (savepoints_.empty()) undo_.clear();  // nothing can roll these back now
}

size_t Batch::Count() const { return writes_.size(); }

void Batch::ForEachWrite(
    const std::function<void(std::string_view key, const std::optional<std::string>& value)>& fn)
    const {
  for (const auto& [key, value] : writes_) fn(key, value);
}

Store::Store(std::string path, std::unique_ptr<rocksdb::DB> db, StoreOptions options)
    : path_(std::move(path)), db_(std::move(db)), options_(options) {}

Store::~Store() {
  if (db_) db_->Close().PermitUncheckedError();
}

core::Result<std::unique_ptr<Store>> Store::Open(const std::string& path,
                                                 const StoreOptions& options) {
  rocksdb::Options opts;
  opts.create_if_missing = options.create_if_missing;
  opts.IncreaseParallelism(2);
  opts.compression = rocksdb::kLZ4Compression;
  rocksdb::BlockBasedTableOptions table;
  table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  opts.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::Open(opts, path, &raw);
  std::unique_ptr<rocksdb::DB> db(raw);
  if (!s.ok()) return FromRocks(s, fmt::format("open state {}", path));
  return std::unique_ptr<Store>(new Store(path, std::move(db), options));
}

core::Result<std::optional<std::string>> Store::Get(std::string_view key) const {
  std::string value;
  rocksdb::Status s = db_->Get(rocksdb::ReadOptions(), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "state get");
  return std::optional<std::string>(std::move(value));
}

std::unique_ptr<Batch> Store::NewBatch() { return std::unique_ptr<Batch>(new Batch(*this)); }

core::Result<std::optional<std::string>> Store::CachedGet(std::string_view key) {
  if (options_.cache_entries > 0) {
    auto it = cache_.find(key);
    if (it != cache_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(std::optional<std::string> value, Get(key));
  if (options_.cache_entries > 0) {
    if (cache_.size() >= options_.cache_entries) cache_.clear();
    cache_.emplace(std::string(key), value);
  }
  return value;
}

core::Status Store::Commit(Batch& batch) {
  CF_CHECK(batch.savepoints_.empty(), "commit with {} open savepoints", batch.savepoints_.size());
  // In key order: the memtable's skip list inserts a run of ascending keys
  // from the previous insert's position instead of searching from the top
  // for each (the batch's hash order made this the commit's main cost).
  // A batch that was never scanned has no ordered_ index: sorting a vector
  // of its entries is cheaper than building one.
  rocksdb::WriteBatch wb;
  auto add = [&wb](std::string_view key, const Batch::Value& value) {
    return FromRocks(value ? wb.Put(ToSlice(key), *value) : wb.Delete(ToSlice(key)),
                     "state batch");
  };
  if (batch.indexed_) {
    for (const auto& [key, value] : batch.ordered_) RETURN_IF_ERROR(add(key, *value));
  } else {
    std::vector<const StringMap::value_type*> sorted;
    sorted.reserve(batch.writes_.size());
    for (const auto& entry : batch.writes_) sorted.push_back(&entry);
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    for (const auto* entry : sorted) RETURN_IF_ERROR(add(entry->first, entry->second));
  }
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_commits;
  RETURN_IF_ERROR(FromRocks(db_->Write(wo, &wb), "state commit"));
  batch.ordered_.clear();  // its views go with the nodes moved below
  batch.indexed_ = false;
  if (options_.cache_entries > 0) {
    if (cache_.size() + batch.writes_.size() > options_.cache_entries) cache_.clear();
    // The batch's entries move into the cache: no copies of keys or values.
    while (!batch.writes_.empty()) {
      auto node = batch.writes_.extract(batch.writes_.begin());
      cache_.insert_or_assign(std::move(node.key()), std::move(node.mapped()));
    }
  }
  batch.writes_.clear();
  batch.undo_.clear();
  return core::Status::Ok();
}

core::Status Store::Scan(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  return ScanFrom(prefix, prefix, fn);
}

core::Status Store::ScanFrom(
    std::string_view prefix, std::string_view start,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(ToSlice(start)); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key();
    if (!k.starts_with(ToSlice(prefix))) break;
    if (!fn(std::string_view(k.data(), k.size()),
            std::string_view(it->value().data(), it->value().size()))) {
      break;
    }
  }
  return FromRocks(it->status(), "state scan");
}

core::Status Store::Destroy(const std::string& path) {
  return FromRocks(rocksdb::DestroyDB(path, rocksdb::Options()), fmt::format("destroy {}", path));
}

}  // namespace chainflow::engine::state
