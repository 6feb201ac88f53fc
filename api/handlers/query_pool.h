#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

namespace chainflow::api::handlers {

// The rows of a query, every column as text (select non-text columns
// ::text); nullopt is SQL NULL.
struct QueryResult {
  std::vector<std::string> columns;
  std::vector<std::vector<std::optional<std::string>>> rows;
};

struct QueryPoolOptions {
  std::string url;  // libpq connection URI or key=value string
  int size = 4;     // connections kept at most
  // How long Query() waits for a free connection before ResourceExhausted.
  std::chrono::milliseconds acquire_timeout{5000};
  // libpq connect_timeout (seconds) and per-statement statement_timeout.
  int connect_timeout_s = 3;
  std::chrono::milliseconds statement_timeout{10000};
};

// A fixed-size pool of read-only PostgreSQL connections (libpqxx), opened
// lazily on first use and reopened after a failure, so the API starts and
// keeps answering (503) while PostgreSQL is down and recovers when it is
// back. Thread-safe; at most `size` queries run at once.
class QueryPool {
 public:
  explicit QueryPool(QueryPoolOptions options);
  ~QueryPool();
  QueryPool(const QueryPool&) = delete;
  QueryPool& operator=(const QueryPool&) = delete;

  // Runs `sql` with positional parameters $1..$n (passed as text) in a
  // read-only transaction. Errors: Unavailable when PostgreSQL cannot be
  // reached, the connection breaks, or the schema is not there yet;
  // DeadlineExceeded on statement timeout; ResourceExhausted when no
  // connection frees up within acquire_timeout; Internal for other SQL
  // errors (a bug in our query).
  core::Result<QueryResult> Query(std::string_view sql, const std::vector<std::string>& params);

  const QueryPoolOptions& options() const { return options_; }

 private:
  class Slot;  // one connection, in query_pool.cc

  core::Result<Slot*> Acquire();
  // Runs one query on `slot`, (re)connecting first if needed; resets the
  // slot's connection when it is broken.
  core::Result<QueryResult> RunOnce(Slot& slot, std::string_view sql,
                                    const std::vector<std::string>& params);
  void Release(Slot* slot);

  const QueryPoolOptions options_;
  std::mutex mu_;
  std::condition_variable freed_;
  std::vector<std::unique_ptr<Slot>> slots_;  // all of them
  std::vector<Slot*> idle_;                   // guarded by mu_
};

}  // namespace chainflow::api::handlers
