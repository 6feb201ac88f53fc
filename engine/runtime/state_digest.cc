#include "engine/runtime/state_digest.h"

#include <filesystem>
#include <set>
#include <vector>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "engine/core/hex.h"
#include "engine/state/store.h"

namespace chainflow::engine::runtime {
namespace {

void AppendLengthPrefixed(std::string& out, std::string_view s) {
  uint32_t n = static_cast<uint32_t>(s.size());
  for (int i = 3; i >= 0; --i) out += static_cast<char>((n >> (8 * i)) & 0xff);
  out.append(s);
}

// Every store directory under `state_root` (one holding a RocksDB CURRENT
// file), sorted.
core::Result<std::vector<std::filesystem::path>> FindStores(const std::string& state_root) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::exists(state_root, ec)) {
    return core::NotFoundError(fmt::format("no state at {}", state_root));
  }
  std::vector<fs::path> stores;
  for (auto it = fs::recursive_directory_iterator(state_root, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it->is_regular_file() && it->path().filename() == "CURRENT") {
      stores.push_back(it->path().parent_path());
    }
  }
  if (ec) return core::UnavailableError(fmt::format("listing {}: {}", state_root, ec.message()));
  std::sort(stores.begin(), stores.end());
  return stores;
}

// Adds the digested pairs of the store at `dir` (runtime keys left out).
core::Status CollectPairs(const std::filesystem::path& dir,
                          std::set<std::pair<std::string, std::string>>& pairs) {
  ASSIGN_OR_RETURN(auto store, state::Store::Open(dir.string(), {.create_if_missing = false}));
  return store->Scan("", [&](std::string_view k, std::string_view v) {
    if (!k.empty() && k[0] != '\0') pairs.emplace(std::string(k), std::string(v));
    return true;
  });
}

std::string DigestOf(const std::set<std::pair<std::string, std::string>>& pairs) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  std::string buf;
  for (const auto& [k, v] : pairs) {
    buf.clear();
    AppendLengthPrefixed(buf, k);
    AppendLengthPrefixed(buf, v);
    EVP_DigestUpdate(ctx.get(), buf.data(), buf.size());
  }
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(ctx.get(), md, &len);
  return core::ToHex(std::span<const uint8_t>(md, len)).substr(2);
}

std::string Relative(const std::filesystem::path& dir, const std::string& root) {
  return std::filesystem::relative(dir, root).generic_string();
}

}  // namespace

core::Result<std::string> StateDigest(const std::string& state_root) {
  ASSIGN_OR_RETURN(std::vector<std::filesystem::path> stores, FindStores(state_root));
  std::set<std::pair<std::string, std::string>> pairs;
  for (const auto& dir : stores) RETURN_IF_ERROR(CollectPairs(dir, pairs));
  return DigestOf(pairs);
}

core::Result<StoreDigestsResult> StoreDigests(const std::string& state_root) {
  ASSIGN_OR_RETURN(std::vector<std::filesystem::path> stores, FindStores(state_root));
  StoreDigestsResult digests;
  std::set<std::pair<std::string, std::string>> all;
  for (const auto& dir : stores) {
    std::set<std::pair<std::string, std::string>> pairs;
    RETURN_IF_ERROR(CollectPairs(dir, pairs));
    digests.stores[Relative(dir, state_root)] = DigestOf(pairs);
    all.merge(pairs);
  }
  digests.all = DigestOf(all);
  return digests;
}

core::Status ForEachDigestedPair(
    const std::string& state_root,
    const std::function<void(const std::string& store, std::string_view key,
                             std::string_view value)>& fn) {
  ASSIGN_OR_RETURN(std::vector<std::filesystem::path> stores, FindStores(state_root));
  for (const auto& dir : stores) {
    std::set<std::pair<std::string, std::string>> pairs;
    RETURN_IF_ERROR(CollectPairs(dir, pairs));
    const std::string name = Relative(dir, state_root);
    for (const auto& [k, v] : pairs) fn(name, k, v);
  }
  return core::Status::Ok();
}

}  // namespace chainflow::engine::runtime
