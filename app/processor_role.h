#pragma once

#include <memory>

#include "engine/core/config.h"
#include "engine/log/admin.h"
#include "engine/log/producer.h"
#include "engine/runtime/runner.h"

namespace chainflow::app {

// The `process` role: the NFT ownership processor over every partition of
// every chain's events topic, with its own consumer and producer.
class ProcessorRole {
 public:
  static engine::core::Result<std::unique_ptr<ProcessorRole>> Open(
      const engine::core::Config& config, engine::log::Admin& admin);
  ~ProcessorRole();

  void Start() { runner_->Start(); }
  void Stop() { runner_->Stop(); }
  engine::runtime::ProcessorRunner& runner() { return *runner_; }
  // The processor's input topics.
  const std::vector<std::string>& inputs() const { return inputs_; }

 private:
  ProcessorRole() = default;
  std::vector<std::string> inputs_;
  std::unique_ptr<engine::log::Producer> producer_;
  std::unique_ptr<engine::runtime::ProcessorRunner> runner_;  // after producer_: uses it
};

// Where a processor's task stores live.
std::string ProcessorStateDir(const engine::core::Config& config, const std::string& processor);

}  // namespace chainflow::app
