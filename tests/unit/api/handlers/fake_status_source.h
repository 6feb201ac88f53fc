#pragma once

#include <mutex>

#include "api/handlers/status.h"

namespace chainflow::api::handlers::testing {

// A StatusSource that returns whatever the test set last.
class FakeStatusSource : public StatusSource {
 public:
  void Set(core::Result<PipelineStatus> status) {
    std::lock_guard lock(mu_);
    status_ = std::move(status);
  }
  core::Result<PipelineStatus> Collect() override {
    std::lock_guard lock(mu_);
    return status_;
  }

 private:
  std::mutex mu_;
  core::Result<PipelineStatus> status_ = PipelineStatus{};
};

}  // namespace chainflow::api::handlers::testing
