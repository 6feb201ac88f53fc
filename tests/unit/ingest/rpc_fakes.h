#pragma once

// Fakes for RpcClient's seams: a clock that only moves when slept on, and a
// transport whose answers a test scripts as a function of the request body.

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ingest/evm/http_transport.h"
#include "ingest/evm/rpc_policy.h"

namespace chainflow::ingest::testing {

class FakeClock : public evm::RpcClock {
 public:
  Duration Now() override { return now; }
  void Sleep(Duration d) override {
    sleeps.push_back(d);
    now += d;
  }
  Duration now{std::chrono::seconds(1000)};
  std::vector<Duration> sleeps;
};

// What the fake transport saw and answers; shared with the test because the
// client owns the transport.
struct ScriptedNode {
  std::function<core::Result<evm::HttpReply>(const std::string& body)> answer;
  std::vector<std::string> bodies;
};

class FakeTransport : public evm::HttpTransport {
 public:
  explicit FakeTransport(std::shared_ptr<ScriptedNode> node) : node_(std::move(node)) {}
  core::Result<evm::HttpReply> Post(const std::string& body) override {
    node_->bodies.push_back(body);
    return node_->answer(body);
  }

 private:
  std::shared_ptr<ScriptedNode> node_;
};

inline evm::HttpReply Ok(std::string body) { return {200, std::move(body), std::nullopt}; }

}  // namespace chainflow::ingest::testing
