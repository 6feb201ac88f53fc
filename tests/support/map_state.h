#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "engine/state/state_view.h"

namespace chainflow::tests {

// In-memory processor state, ordered like RocksDB's bytewise comparator, for
// tests that apply a processor without a Store. Copyable (a copy is a
// savepoint).
class MapState : public engine::state::StateView {
 public:
  engine::core::Result<std::optional<std::string>> Get(std::string_view key) override {
    auto it = entries.find(std::string(key));
    if (it == entries.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  void Put(std::string_view key, std::string_view value) override {
    entries.insert_or_assign(std::string(key), std::string(value));
  }
  void Delete(std::string_view key) override {
    entries.erase(std::string(key));
  }
  engine::core::Status Scan(std::string_view prefix, const ScanFn& fn) override {
    // Copied first: `fn` may write, as it may with state::Batch.
    std::map<std::string, std::string> matching;
    for (auto it = entries.lower_bound(std::string(prefix));
         it != entries.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      matching.insert(*it);
    }
    for (const auto& [key, value] : matching) {
      if (!fn(key, value)) break;
    }
    return engine::core::Status::Ok();
  }

  std::map<std::string, std::string> entries;
};

}  // namespace chainflow::tests
