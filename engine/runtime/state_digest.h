#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "engine/core/result.h"

namespace chainflow::engine::runtime {

// SHA-256 (hex) of all processor state under `state_root` (every task store
// below it, any depth of <processor>/<topic>-<partition>): the sorted set of
// (key, value) pairs, leaving out runtime keys (those starting with '\0',
// i.e. offsets). Because state is keyed by entity, not by partition, the
// digest is the same for any partition count, batch size or restart
// pattern. The stores must not be open in another process.
core::Result<std::string> StateDigest(const std::string& state_root);

// StateDigest, and the same digest for each store under `state_root` on its
// own, keyed by the store's directory relative to the root
// ("nft_ownership/cf.mainnet.events-3"): which task's state differs between
// two state dirs. One read of every store.
struct StoreDigestsResult {
  std::string all;                           // == StateDigest(state_root)
  std::map<std::string, std::string> stores;  // store dir -> its digest
};
core::Result<StoreDigestsResult> StoreDigests(const std::string& state_root);

// Calls `fn` for every (key, value) the digests cover, store by store (in
// the order of StoreDigests' keys) and key by key: which keys differ.
core::Status ForEachDigestedPair(
    const std::string& state_root,
    const std::function<void(const std::string& store, std::string_view key,
                              std::string_view value)>& fn);

}  // namespace chainflow::engine::runtime
