#pragma once

#include <memory>
#include <string>

namespace chainflow::testing {

// Certificates for TLS tests, made with the `openssl` CLI into a fresh
// temporary directory (removed by the destructor). EC P-256 keys, valid for
// a day.
struct TestPki {
  std::string dir;
  std::string ca_pem;            // the test CA (trust this one)
  std::string server_pem;        // leaf signed by the CA for localhost and 127.0.0.1
  std::string server_key;
  std::string other_host_pem;    // leaf signed by the CA for other.example only
  std::string other_host_key;
  std::string self_signed_pem;   // a self-signed leaf for localhost (no CA trusts it)
  std::string self_signed_key;
  ~TestPki();
};

// nullptr with *why set if openssl is missing or fails.
std::unique_ptr<TestPki> MakeTestPki(std::string* why);

}  // namespace chainflow::testing
