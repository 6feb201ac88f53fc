#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>

namespace chainflow::testing {

// What the proxy does to requests. Each HTTP request independently gets at
// most one fault, drawn from a seeded generator in this order: drop, 429,
// 500, delay; otherwise it is forwarded.
struct FaultPlan {
  uint64_t seed = 1;
  double drop = 0;      // read the request, then close the connection unanswered
  double http_429 = 0;  // answer 429 Too Many Requests with "Retry-After: 0"
  double http_500 = 0;  // answer 500 Internal Server Error
  double delay = 0;     // hold the request for `delay_by`, then forward it
  std::chrono::milliseconds delay_by{0};
  // > 0: an eth_getLogs spanning more blocks is refused with a JSON-RPC
  // error worded like a real provider (Alchemy with a suggested range,
  // Infura -32005, "block range is too wide", "exceed maximum block range"),
  // the wording rotating from one refusal to the next.
  uint64_t max_log_range = 0;
  // Forwarded answers to requests that accept gzip go back gzip-compressed
  // (`Content-Encoding: gzip`), as hosted providers send them.
  bool gzip = false;
};

// How often each thing happened (read while the proxy runs or after Stop).
struct FaultCounts {
  std::atomic<int> requests{0};
  std::atomic<int> forwarded{0};
  std::atomic<int> dropped{0};
  std::atomic<int> too_many{0};
  std::atomic<int> server_errors{0};
  std::atomic<int> delayed{0};
  std::atomic<int> refused_ranges{0};
  std::atomic<int> gzipped{0};
};

// An HTTP/1.1 proxy on 127.0.0.1 (a free port) in front of a JSON-RPC node,
// injecting faults by a FaultPlan. One thread accepts; each client
// connection gets a thread and its own keep-alive connection upstream.
// For tests only: blocking I/O, no TLS, bodies held in memory.
class FaultProxy {
 public:
  FaultProxy(std::string upstream_host, uint16_t upstream_port, FaultPlan plan);
  ~FaultProxy();  // Stop()
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::string url() const;
  uint16_t port() const { return port_; }
  const FaultCounts& counts() const { return counts_; }
  // Closes the listener and every connection; joins all threads. Idempotent.
  void Stop();

 private:
  enum class Fault { kNone, kDrop, k429, k500, kDelay };
  Fault Draw();
  void Accept();
  void Serve(boost::asio::ip::tcp::socket socket);

  std::string upstream_host_;
  uint16_t upstream_port_;
  FaultPlan plan_;
  FaultCounts counts_;
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mu_;  // guards rng_, fds_, workers_, refusals_
  std::mt19937_64 rng_;
  std::set<int> fds_;
  std::vector<std::thread> workers_;
  int refusals_ = 0;
  std::thread acceptor_thread_;
};

}  // namespace chainflow::testing
