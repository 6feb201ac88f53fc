#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace chainflow::api::testing {

// One HTTP response as the test client read it. status -1: I/O failed,
// `body` says why.
struct HttpResult {
  int status = -1;
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercased
  bool keep_alive = false;

  // The body parsed as JSON (null if it is not JSON).
  boost::json::value Json() const;
  std::string Header(const std::string& lower_name) const;
};

// A blocking HTTP/1.1 client on one kept-alive loopback connection (opened
// on first use, reopened after the server closed it). Every socket read gives
// up after 10 s so a broken server fails the test instead of hanging it.
// Not thread-safe: one client per thread.
class TestClient {
 public:
  explicit TestClient(uint16_t port);
  ~TestClient();

  HttpResult Get(const std::string& target);
  HttpResult Send(const std::string& method, const std::string& target,
                  const std::string& body = "",
                  const std::vector<std::pair<std::string, std::string>>& headers = {});
  // Writes `bytes` as is, then reads one response.
  HttpResult SendRaw(const std::string& bytes);
  // Opens the connection without sending anything.
  bool Connect();
  // Reads until the server closes the connection; true if it did.
  bool WaitForClose();
  // Times the connection was (re)opened.
  int connects() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chainflow::api::testing
