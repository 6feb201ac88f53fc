#pragma once

#include <string>

namespace chainflow::testing {

struct HttpReply {
  int status = 0;  // 0: transport error (the message is in body)
  std::string body;
};

// One GET on 127.0.0.1:port, a new connection each time, 10 s deadline.
HttpReply HttpGet(int port, const std::string& target);

}  // namespace chainflow::testing
