#include "engine/state/store.h"

#include <fmt/format.h>
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/table.h>
#include <rocksdb/utilities/write_batch_with_index.h>

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

Batch::Batch(Store& store)
    : store_(store),
      batch_(std::make_unique<rocksdb::WriteBatchWithIndex>(rocksdb::BytewiseComparator(), 0,
                                                            /*overwrite_key=*/true)) {}

Batch::~Batch() = default;

core::Result<std::optional<std::string>> Batch::Get(std::string_view key) {
  std::string value;
  rocksdb::Status s =
      batch_->GetFromBatchAndDB(store_.db_.get(), rocksdb::ReadOptions(), ToSlice(key), &value);
  if (s.IsNotFound()) return std::optional<std::string>();
  if (!s.ok()) return FromRocks(s, "state get");
  return std::optional<std::string>(std::move(value));
}

void Batch::Put(std::string_view key, std::string_view value) {
  rocksdb::Status s = batch_->Put(ToSlice(key), ToSlice(value));
  CF_CHECK(s.ok(), "WriteBatch put: {}", s.ToString());
}

void Batch::Delete(std::string_view key) {
  rocksdb::Status s = batch_->Delete(ToSlice(key));
  CF_CHECK(s.ok(), "WriteBatch delete: {}", s.ToString());
}

void Batch::SetSavePoint() { batch_->SetSavePoint(); }

void Batch::RollbackToSavePoint() {
  rocksdb::Status s = batch_->RollbackToSavePoint();
  CF_CHECK(s.ok(), "rollback without savepoint: {}", s.ToString());
}

void Batch::PopSavePoint() {
  rocksdb::Status s = batch_->PopSavePoint();
  CF_CHECK(s.ok(), "pop without savepoint: {}", s.ToString());
}

size_t Batch::Count() const {
  return static_cast<size_t>(const_cast<rocksdb::WriteBatchWithIndex&>(*batch_)
                                 .GetWriteBatch()
                                 ->Count());
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

core::Status Store::Commit(Batch& batch) {
  rocksdb::WriteOptions wo;
  wo.sync = options_.sync_commits;
  return FromRocks(db_->Write(wo, batch.batch_->GetWriteBatch()), "state commit");
}

core::Status Store::Scan(
    std::string_view prefix,
    const std::function<bool(std::string_view key, std::string_view value)>& fn) const {
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(rocksdb::ReadOptions()));
  for (it->Seek(ToSlice(prefix)); it->Valid(); it->Next()) {
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
