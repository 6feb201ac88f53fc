#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "engine/core/result.h"

namespace chainflow::projections::pg {

// One row of a query result, every field as text (nullopt is SQL NULL).
using TextRow = std::vector<std::optional<std::string>>;

class Connection;

// An open PostgreSQL transaction (READ COMMITTED) on a Connection. Obtained
// from Connection::Begin(); the Connection must outlive it, and a Connection
// holds at most one open Transaction. Destroying an uncommitted Transaction
// rolls it back. Not thread-safe.
//
// libpqxx exceptions never leave these methods; they become a Status:
// lost connection -> Unavailable, serialization failure / deadlock -> Aborted,
// data exceptions (SQLSTATE 22) -> InvalidArgument, the rest -> Internal.
// After any error the transaction is over (rolled back) and further calls
// fail with FailedPrecondition: redo the work in a new one. Commit() ends it
// too; the Connection can Begin() again while this object still exists.
class Transaction {
 public:
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  // Runs `sql` (one or more statements, no parameters); returns rows affected
  // by the last statement.
  core::Result<int64_t> Execute(std::string_view sql);
  // Runs one statement with text parameters $1..$n; returns its rows.
  core::Result<std::vector<TextRow>> Query(std::string_view sql,
                                           const std::vector<std::string>& params = {});
  // COPY `rows` into `table` (`columns` in row order) through the COPY
  // protocol, in chunks of many rows. Every row has columns.size() text
  // fields (at least one). No NUL characters. NULLs only where `null_if_empty`
  // (empty, or one flag per column) is true: an empty field of such a column is written as NULL.
  core::Status Copy(std::string_view table, const std::vector<std::string>& columns,
                    const std::vector<std::vector<std::string>>& rows,
                    const std::vector<bool>& null_if_empty = {});
  core::Status Commit();

  // Staging tables (pg/upsert.h) already filled in this transaction: a
  // second use truncates first.
  std::set<std::string>& used_staging_tables() { return used_staging_tables_; }

 private:
  friend class Connection;
  struct Impl;
  explicit Transaction(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  std::set<std::string> used_staging_tables_;
};

// `url` (a libpq URI or key=value string) with libpq's connect_timeout set
// to `seconds`, unless it sets one already. Connecting to a server that
// accepts TCP but does not answer (stopped with SIGSTOP, overloaded) then
// fails with Unavailable after that long instead of waiting indefinitely.
std::string WithConnectTimeout(const std::string& url, int seconds);

// A libpqxx connection to PostgreSQL. Sessions run with
// client_min_messages=warning (no NOTICE chatter on stderr) and
// synchronous_commit=on (a commit that returned survives a crash of the
// server, whatever its default). Not thread-safe: one owner thread.
class Connection {
 public:
  // Connects to `url` (a libpq URI or key=value string). Unavailable when the
  // server cannot be reached.
  static core::Result<std::unique_ptr<Connection>> Open(const std::string& url);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Drops the current session (if any) and connects again to the same URL.
  core::Status Reconnect();
  // False once the session is known to be broken (call Reconnect()).
  bool IsOpen() const;
  const std::string& url() const { return url_; }

  // Starts a transaction. Reconnects first when the session is broken.
  // FailedPrecondition if another Transaction of this Connection is open.
  core::Result<std::unique_ptr<Transaction>> Begin();

  // Runs `sql` in its own transaction (DDL, tests, maintenance).
  core::Status ExecuteInTransaction(std::string_view sql);
  // Runs `sql` outside any transaction block (CREATE/DROP DATABASE, VACUUM).
  core::Status ExecuteAutocommit(std::string_view sql);

  // Gives up on the session from another thread (a deadline's watchdog):
  // its socket is shut down, so a statement waiting on a server that does
  // not answer (stopped with SIGSTOP, a frozen VM) fails at once as a broken
  // session, and so does every later one until Reconnect. libpq itself
  // waits for an answer without a time limit. Safe while the owner thread
  // uses the Connection; the Connection must outlive the call.
  void Abandon();

 private:
  struct Impl;
  Connection(std::string url, std::unique_ptr<Impl> impl);
  std::string url_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace chainflow::projections::pg
