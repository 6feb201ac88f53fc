#pragma once

#include <map>
#include <mutex>
#include <string>

#include "api/handlers/dedup_store.h"

namespace chainflow::api::handlers::testing {

// An in-memory DedupStore; can fail the next Put. Thread-safe.
class FakeDedupStore : public DedupStore {
 public:
  core::Result<std::optional<DedupEntry>> Get(std::string_view key) override {
    std::lock_guard lock(mu_);
    auto it = entries_.find(std::string(key));
    if (it == entries_.end()) return std::optional<DedupEntry>();
    return std::optional<DedupEntry>(it->second);
  }
  core::Status Put(std::string_view key, const DedupEntry& entry) override {
    std::lock_guard lock(mu_);
    if (!fail_next_put_.ok()) {
      core::Status st = fail_next_put_;
      fail_next_put_ = core::Status::Ok();
      return st;
    }
    entries_[std::string(key)] = entry;
    return core::Status::Ok();
  }
  void FailNextPut(core::Status status) {
    std::lock_guard lock(mu_);
    fail_next_put_ = std::move(status);
  }
  size_t size() const {
    std::lock_guard lock(mu_);
    return entries_.size();
  }

 private:
  mutable std::mutex mu_;
  std::map<std::string, DedupEntry> entries_;
  core::Status fail_next_put_;
};

}  // namespace chainflow::api::handlers::testing
