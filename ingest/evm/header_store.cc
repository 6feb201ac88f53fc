#include "ingest/evm/header_store.h"

#include <filesystem>

#include <fmt/format.h>

namespace chainflow::ingest::evm {
namespace {

// Keys: "h" + number (8 BE) -> header; "m/fork" (4 BE), "m/reorgs" and
// "m/deepest" (8 BE); "m/pending" -> PendingReorg.
constexpr char kHeaderPrefix[] = "h";
constexpr char kForkKey[] = "m/fork";
constexpr char kReorgsKey[] = "m/reorgs";
constexpr char kDeepestKey[] = "m/deepest";
constexpr char kPendingKey[] = "m/pending";

void AppendBig(std::string* out, uint64_t v, int bytes) {
  for (int i = bytes - 1; i >= 0; --i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

// Reads `bytes` big-endian bytes at *pos; false when the value is too short.
bool ReadBig(std::string_view in, size_t* pos, int bytes, uint64_t* v) {
  if (in.size() < *pos + bytes) return false;
  *v = 0;
  for (int i = 0; i < bytes; ++i) *v = (*v << 8) | static_cast<uint8_t>(in[(*pos)++]);
  return true;
}

bool ReadBytes(std::string_view in, size_t* pos, std::string* out) {
  uint64_t n = 0;
  if (!ReadBig(in, pos, 1, &n) || in.size() < *pos + n) return false;
  out->assign(in.substr(*pos, n));
  *pos += n;
  return true;
}

void AppendBytes(std::string* out, const std::string& bytes) {
  out->push_back(static_cast<char>(bytes.size()));
  out->append(bytes);
}

std::string HeaderKey(uint64_t number) {
  std::string key = kHeaderPrefix;
  AppendBig(&key, number, 8);
  return key;
}

std::string EncodeHeader(const BlockHeader& h) {
  std::string out;
  AppendBytes(&out, h.hash);
  AppendBytes(&out, h.parent_hash);
  AppendBig(&out, static_cast<uint64_t>(h.timestamp), 8);
  return out;
}

core::Result<BlockHeader> DecodeHeader(uint64_t number, std::string_view value) {
  BlockHeader h;
  h.number = number;
  size_t pos = 0;
  uint64_t ts = 0;
  if (!ReadBytes(value, &pos, &h.hash) || !ReadBytes(value, &pos, &h.parent_hash) ||
      !ReadBig(value, &pos, 8, &ts) || pos != value.size()) {
    return core::DataLossError(fmt::format("stored header of block {} is corrupt", number));
  }
  h.timestamp = static_cast<int64_t>(ts);
  return h;
}

std::string EncodePending(const PendingReorg& r) {
  std::string out;
  AppendBig(&out, r.fork, 4);
  AppendBig(&out, r.ancestor, 8);
  AppendBig(&out, static_cast<uint64_t>(r.ancestor_time), 8);
  AppendBig(&out, r.reverted.size(), 4);
  for (const auto& b : r.reverted) {
    AppendBig(&out, b.number, 8);
    AppendBytes(&out, b.hash);
  }
  return out;
}

core::Result<PendingReorg> DecodePending(std::string_view value) {
  PendingReorg r;
  size_t pos = 0;
  uint64_t fork = 0, time = 0, count = 0;
  bool ok = ReadBig(value, &pos, 4, &fork) && ReadBig(value, &pos, 8, &r.ancestor) &&
            ReadBig(value, &pos, 8, &time) && ReadBig(value, &pos, 4, &count);
  for (uint64_t i = 0; ok && i < count; ++i) {
    common::RevertedBlock b;
    ok = ReadBig(value, &pos, 8, &b.number) && ReadBytes(value, &pos, &b.hash);
    r.reverted.push_back(std::move(b));
  }
  if (!ok || pos != value.size()) return core::DataLossError("stored pending reorg is corrupt");
  r.fork = static_cast<uint32_t>(fork);
  r.ancestor_time = static_cast<int64_t>(time);
  return r;
}

core::Result<uint64_t> ReadNumber(engine::state::Store& db, const char* key, int bytes) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, db.Get(key));
  if (!value) return uint64_t{0};
  size_t pos = 0;
  uint64_t v = 0;
  if (!ReadBig(*value, &pos, bytes, &v) || pos != value->size()) {
    return core::DataLossError(fmt::format("stored {} is corrupt", key));
  }
  return v;
}

}  // namespace

core::Result<std::unique_ptr<HeaderStore>> HeaderStore::Open(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
  if (ec) {
    return core::InternalError(
        fmt::format("cannot create the parent directory of {}: {}", path, ec.message()));
  }
  ASSIGN_OR_RETURN(auto db, engine::state::Store::Open(path));
  std::unique_ptr<HeaderStore> store(new HeaderStore(std::move(db)));
  RETURN_IF_ERROR(store->Load().WithContext(path));
  return store;
}

core::Status HeaderStore::Load() {
  core::Status decode_status;
  RETURN_IF_ERROR(db_->Scan(kHeaderPrefix, [&](std::string_view key, std::string_view value) {
    size_t pos = 1;
    uint64_t number = 0;
    if (!ReadBig(key, &pos, 8, &number) || pos != key.size()) {
      decode_status = core::DataLossError("stored header key is corrupt");
      return false;
    }
    auto header = DecodeHeader(number, value);
    if (!header) {
      decode_status = header.error();
      return false;
    }
    headers_[number] = std::move(header).value();
    return true;
  }));
  RETURN_IF_ERROR(decode_status);
  ASSIGN_OR_RETURN(uint64_t fork, ReadNumber(*db_, kForkKey, 4));
  fork_ = static_cast<uint32_t>(fork);
  ASSIGN_OR_RETURN(reorgs_, ReadNumber(*db_, kReorgsKey, 8));
  ASSIGN_OR_RETURN(deepest_, ReadNumber(*db_, kDeepestKey, 8));
  ASSIGN_OR_RETURN(std::optional<std::string> pending, db_->Get(kPendingKey));
  if (pending) {
    ASSIGN_OR_RETURN(PendingReorg reorg, DecodePending(*pending));
    pending_ = std::move(reorg);
  }
  return core::Status::Ok();
}

std::optional<BlockHeader> HeaderStore::Get(uint64_t number) const {
  auto it = headers_.find(number);
  if (it == headers_.end()) return std::nullopt;
  return it->second;
}

std::optional<uint64_t> HeaderStore::Lowest() const {
  if (headers_.empty()) return std::nullopt;
  return headers_.begin()->first;
}

std::optional<uint64_t> HeaderStore::Highest() const {
  if (headers_.empty()) return std::nullopt;
  return headers_.rbegin()->first;
}

core::Status HeaderStore::Put(const std::vector<BlockHeader>& headers) {
  if (headers.empty()) return core::Status::Ok();
  auto batch = db_->NewBatch();
  for (const BlockHeader& h : headers) batch->Put(HeaderKey(h.number), EncodeHeader(h));
  RETURN_IF_ERROR(db_->Commit(*batch));
  for (const BlockHeader& h : headers) headers_[h.number] = h;
  return core::Status::Ok();
}

core::Status HeaderStore::PruneBelow(uint64_t number) {
  auto end = headers_.lower_bound(number);
  if (end == headers_.begin()) return core::Status::Ok();
  auto batch = db_->NewBatch();
  for (auto it = headers_.begin(); it != end; ++it) batch->Delete(HeaderKey(it->first));
  RETURN_IF_ERROR(db_->Commit(*batch));
  headers_.erase(headers_.begin(), end);
  return core::Status::Ok();
}

core::Status HeaderStore::BeginReorg(const PendingReorg& reorg) {
  auto batch = db_->NewBatch();
  batch->Put(kPendingKey, EncodePending(reorg));
  RETURN_IF_ERROR(db_->Commit(*batch));
  pending_ = reorg;
  return core::Status::Ok();
}

core::Status HeaderStore::FinishReorg() {
  if (!pending_) return core::FailedPreconditionError("no reorg in progress");
  const PendingReorg& r = *pending_;
  uint64_t deepest = std::max<uint64_t>(deepest_, r.reverted.size());
  auto batch = db_->NewBatch();
  for (auto it = headers_.upper_bound(r.ancestor); it != headers_.end(); ++it) {
    batch->Delete(HeaderKey(it->first));
  }
  std::string fork, reorgs, deepest_value;
  AppendBig(&fork, r.fork, 4);
  AppendBig(&reorgs, reorgs_ + 1, 8);
  AppendBig(&deepest_value, deepest, 8);
  batch->Put(kForkKey, fork);
  batch->Put(kReorgsKey, reorgs);
  batch->Put(kDeepestKey, deepest_value);
  batch->Delete(kPendingKey);
  RETURN_IF_ERROR(db_->Commit(*batch));
  headers_.erase(headers_.upper_bound(r.ancestor), headers_.end());
  fork_ = r.fork;
  ++reorgs_;
  deepest_ = deepest;
  pending_.reset();
  return core::Status::Ok();
}

}  // namespace chainflow::ingest::evm
