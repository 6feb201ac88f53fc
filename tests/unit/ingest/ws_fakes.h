#pragma once

// A scripted MessageChannel: what the "server" sends is queued by the test
// or by a responder called on every Send. Receive blocks (briefly) until a
// message is queued, the connection is dropped or Interrupt() is called.

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "ingest/evm/ws_channel.h"

namespace chainflow::ingest::testing {

struct ScriptedSocket {
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::string> inbox;
  std::vector<std::string> sent;
  int connects = 0;
  bool connected = false;
  bool interrupted = false;
  bool refuse_connect = false;
  core::Status connect_error;  // returned by Connect when not ok
  // Called on each Send (under mu); returns the messages to queue in reply.
  std::function<std::vector<std::string>(const std::string&)> responder;

  void Push(std::string message) {
    {
      std::lock_guard lock(mu);
      inbox.push_back(std::move(message));
    }
    cv.notify_all();
  }
  // The server drops the connection: a blocked Receive fails.
  void Drop() {
    {
      std::lock_guard lock(mu);
      connected = false;
    }
    cv.notify_all();
  }
};

class FakeChannel : public evm::MessageChannel {
 public:
  explicit FakeChannel(std::shared_ptr<ScriptedSocket> socket) : s_(std::move(socket)) {}
  core::Status Connect() override {
    std::lock_guard lock(s_->mu);
    ++s_->connects;
    if (!s_->connect_error.ok()) return s_->connect_error;
    s_->connected = true;
    s_->inbox.clear();
    return core::Status::Ok();
  }
  core::Status Send(const std::string& text) override {
    std::lock_guard lock(s_->mu);
    if (!s_->connected) return core::UnavailableError("fake: write on a closed connection");
    s_->sent.push_back(text);
    if (s_->responder) {
      for (auto& m : s_->responder(text)) s_->inbox.push_back(std::move(m));
    }
    return core::Status::Ok();
  }
  core::Result<std::string> Receive(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(s_->mu);
    auto ready = [&] { return !s_->inbox.empty() || !s_->connected || s_->interrupted; };
    if (timeout.count() > 0) {
      if (!s_->cv.wait_for(lock, timeout, ready)) return core::DeadlineExceededError("fake");
    } else {
      s_->cv.wait(lock, ready);
    }
    if (s_->interrupted) return core::CancelledError("fake: interrupted");
    if (!s_->inbox.empty()) {
      std::string m = std::move(s_->inbox.front());
      s_->inbox.pop_front();
      return m;
    }
    return core::UnavailableError("fake: connection closed");
  }
  void Close() override {
    std::lock_guard lock(s_->mu);
    s_->connected = false;
  }
  void Interrupt() override {
    {
      std::lock_guard lock(s_->mu);
      s_->interrupted = true;
    }
    s_->cv.notify_all();
  }

 private:
  std::shared_ptr<ScriptedSocket> s_;
};

}  // namespace chainflow::ingest::testing
