#pragma once

#include <string>

namespace chainflow::api::handlers::testing {

// A PostgreSQL database of a test process's own, `<prefix>_<pid>`, made
// through CHAINFLOW_TEST_PG_URL (default
// postgresql://chainflow@127.0.0.1:5433/chainflow; the role needs CREATEDB).
// A leftover of an earlier run is dropped first. When PostgreSQL cannot be
// reached, skip_reason() says why and url() is empty. The destructor drops
// the database (FORCE: open connections are closed).
class ScratchDatabase {
 public:
  explicit ScratchDatabase(const std::string& prefix);
  ~ScratchDatabase();
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;

  const std::string& skip_reason() const { return skip_reason_; }
  const std::string& name() const { return name_; }
  const std::string& url() const { return url_; }

 private:
  std::string skip_reason_;
  std::string name_;
  std::string url_;
};

}  // namespace chainflow::api::handlers::testing
