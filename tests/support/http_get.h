#pragma once

#include <string>

namespace chainflow::testing {

struct HttpReply {
  int status = 0;  // 0: transport error (the message is in body)
  std::string body;
};

// One GET on 127.0.0.1:port, a new connection each time; the whole exchange
// gives up after 10 s (status 0, the error in body).
HttpReply HttpGet(int port, const std::string& target);

}  // namespace chainflow::testing
