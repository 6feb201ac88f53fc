#include "api/handlers/dedup_store.h"

#include <charconv>
#include <filesystem>

#include <fmt/format.h>

#include "engine/state/store.h"

namespace chainflow::api::handlers {

std::string EncodeDedupEntry(const DedupEntry& entry) {
  return fmt::format("{} {} {} {}", entry.done ? 'd' : 'p', entry.received_at, entry.digest,
                     entry.record_id);
}

core::Result<DedupEntry> DecodeDedupEntry(std::string_view value) {
  auto bad = [&] {
    return core::DataLossError(fmt::format("dedup entry \"{}\" is malformed", value));
  };
  if (value.size() < 2 || (value[0] != 'd' && value[0] != 'p') || value[1] != ' ') return bad();
  DedupEntry entry;
  entry.done = value[0] == 'd';
  std::string_view rest = value.substr(2);
  size_t sp1 = rest.find(' ');
  if (sp1 == std::string_view::npos) return bad();
  auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + sp1, entry.received_at);
  if (ec != std::errc() || ptr != rest.data() + sp1) return bad();
  rest = rest.substr(sp1 + 1);
  size_t sp2 = rest.find(' ');
  if (sp2 == std::string_view::npos) return bad();
  entry.digest = std::string(rest.substr(0, sp2));
  entry.record_id = std::string(rest.substr(sp2 + 1));
  return entry;
}

core::Result<std::unique_ptr<RocksDedupStore>> RocksDedupStore::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return core::UnavailableError(
        fmt::format("intents.idempotency_dir: cannot create {}: {}", dir, ec.message()));
  }
  engine::state::StoreOptions options;
  options.sync_commits = true;
  options.cache_entries = 0;  // reads go to RocksDB's own block cache
  ASSIGN_OR_RETURN(auto store, engine::state::Store::Open(dir, options));
  return std::unique_ptr<RocksDedupStore>(new RocksDedupStore(std::move(store)));
}

RocksDedupStore::RocksDedupStore(std::unique_ptr<engine::state::Store> store)
    : store_(std::move(store)) {}

RocksDedupStore::~RocksDedupStore() = default;

core::Result<std::optional<DedupEntry>> RocksDedupStore::Get(std::string_view key) {
  ASSIGN_OR_RETURN(std::optional<std::string> value, store_->Get(key));
  if (!value) return std::optional<DedupEntry>();
  ASSIGN_OR_RETURN(DedupEntry entry, DecodeDedupEntry(*value));
  return std::optional<DedupEntry>(std::move(entry));
}

core::Status RocksDedupStore::Put(std::string_view key, const DedupEntry& entry) {
  std::lock_guard lock(write_mu_);
  auto batch = store_->NewBatch();
  batch->Put(key, EncodeDedupEntry(entry));
  return store_->Commit(*batch);
}

}  // namespace chainflow::api::handlers
