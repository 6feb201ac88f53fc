#include "api/handlers/query_pool.h"

#include <atomic>
#include <exception>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "engine/core/check.h"
#include "engine/core/logging.h"

namespace chainflow::api::handlers {
namespace {

using Clock = std::chrono::steady_clock;

std::shared_ptr<spdlog::logger> Log() {
  static const auto logger = core::Logger("api.handlers");
  return logger;
}

// Logs PostgreSQL trouble at most every 10 s: it repeats on every request
// while the database is down.
void WarnRateLimited(const std::string& message) {
  static std::atomic<int64_t> last_ns{0};
  int64_t now = Clock::now().time_since_epoch().count();
  int64_t last = last_ns.load(std::memory_order_relaxed);
  constexpr int64_t kInterval = std::chrono::nanoseconds(std::chrono::seconds(10)).count();
  if (last != 0 && now - last < kInterval) return;
  if (!last_ns.compare_exchange_strong(last, now)) return;
  Log()->warn("postgres: {}", message);
}

// libpq messages end with a newline.
std::string Trim(std::string_view s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.remove_suffix(1);
  return std::string(s);
}

// The URL with connect_timeout and application_name added (unless present).
std::string ConnectionString(const QueryPoolOptions& options) {
  std::string url = options.url;
  bool is_uri = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  auto add = [&](std::string_view key, const std::string& value) {
    if (url.find(key) != std::string::npos) return;
    if (is_uri) {
      url += url.find('?') == std::string::npos ? '?' : '&';
    } else if (!url.empty()) {
      url += ' ';
    }
    url += fmt::format("{}={}", key, value);
  };
  add("connect_timeout", std::to_string(options.connect_timeout_s));
  add("application_name", "chainflow-api");
  return url;
}

// True for SQLSTATEs that mean "the database is not (yet) usable" rather
// than "our query is wrong": connection exceptions (08), insufficient
// resources (53), operator intervention (57P), missing database, schema or
// table (views not created yet), serialization failure/deadlock.
bool IsUnavailableState(const std::string& state) {
  if (state.rfind("08", 0) == 0 || state.rfind("53", 0) == 0 || state.rfind("57P", 0) == 0) {
    return true;
  }
  return state == "3D000" || state == "3F000" || state == "42P01" || state == "40001" ||
         state == "40P01";
}

}  // namespace

class QueryPool::Slot {
 public:
  std::unique_ptr<pqxx::connection> conn;
};

QueryPool::QueryPool(QueryPoolOptions options) : options_(std::move(options)) {
  CF_CHECK(options_.size >= 1, "query pool size {} < 1", options_.size);
  for (int i = 0; i < options_.size; ++i) {
    slots_.push_back(std::make_unique<Slot>());
    idle_.push_back(slots_.back().get());
  }
}

QueryPool::~QueryPool() = default;

core::Result<QueryPool::Slot*> QueryPool::Acquire() {
  std::unique_lock lock(mu_);
  if (!freed_.wait_for(lock, options_.acquire_timeout, [this] { return !idle_.empty(); })) {
    return core::ResourceExhaustedError("all PostgreSQL connections are busy");
  }
  Slot* slot = idle_.back();
  idle_.pop_back();
  return slot;
}

void QueryPool::Release(Slot* slot) {
  {
    std::lock_guard lock(mu_);
    idle_.push_back(slot);
  }
  freed_.notify_one();
}

core::Result<QueryResult> QueryPool::Query(std::string_view sql,
                                           const std::vector<std::string>& params) {
  ASSIGN_OR_RETURN(Slot * slot, Acquire());
  struct Releaser {
    QueryPool* pool;
    Slot* slot;
    ~Releaser() { pool->Release(slot); }
  } releaser{this, slot};
  bool reused = slot->conn != nullptr;
  core::Result<QueryResult> result = RunOnce(*slot, sql, params);
  // A kept connection can have died while idle (server restart, idle
  // timeout); the query is read-only, so run it once more on a fresh one.
  if (!result && reused && slot->conn == nullptr &&
      result.error().code() == core::StatusCode::kUnavailable) {
    result = RunOnce(*slot, sql, params);
  }
  return result;
}

core::Result<QueryResult> QueryPool::RunOnce(Slot& slot, std::string_view sql,
                                             const std::vector<std::string>& params) {
  // libpqxx reports every failure by throwing; this is the boundary.
  try {
    if (slot.conn == nullptr || !slot.conn->is_open()) {
      slot.conn.reset();
      auto conn = std::make_unique<pqxx::connection>(ConnectionString(options_));
      pqxx::nontransaction setup(*conn);
      setup.exec(fmt::format("SET statement_timeout = {}", options_.statement_timeout.count()));
      setup.commit();
      slot.conn = std::move(conn);
    }
    pqxx::read_transaction txn(*slot.conn);
    pqxx::result rows =
        txn.exec_params(std::string(sql), pqxx::prepare::make_dynamic_params(params));
    txn.commit();
    QueryResult out;
    for (pqxx::row::size_type c = 0; c < rows.columns(); ++c) {
      out.columns.emplace_back(rows.column_name(c));
    }
    out.rows.reserve(rows.size());
    for (const pqxx::row& row : rows) {
      std::vector<std::optional<std::string>>& values = out.rows.emplace_back();
      values.reserve(row.size());
      for (const pqxx::field& field : row) {
        if (field.is_null()) {
          values.emplace_back(std::nullopt);
        } else {
          values.emplace_back(std::string(field.c_str(), field.size()));
        }
      }
    }
    return out;
  } catch (const pqxx::broken_connection& e) {
    slot.conn.reset();
    WarnRateLimited(Trim(e.what()));
    return core::UnavailableError("PostgreSQL is unavailable");
  } catch (const pqxx::sql_error& e) {
    bool connection_lost = e.sqlstate().rfind("08", 0) == 0 || e.sqlstate().rfind("57P", 0) == 0;
    if (connection_lost || (slot.conn != nullptr && !slot.conn->is_open())) slot.conn.reset();
    if (e.sqlstate() == "57014") {
      return core::DeadlineExceededError("PostgreSQL statement timed out");
    }
    if (IsUnavailableState(e.sqlstate())) {
      WarnRateLimited(Trim(e.what()));
      return core::UnavailableError("PostgreSQL is unavailable");
    }
    Log()->error("query failed ({}): {}", e.sqlstate(), Trim(e.what()));
    return core::InternalError("database query failed");
  } catch (const pqxx::failure& e) {  // in_doubt_error, conversion failures, ...
    if (slot.conn != nullptr && !slot.conn->is_open()) slot.conn.reset();
    WarnRateLimited(Trim(e.what()));
    return core::UnavailableError("PostgreSQL is unavailable");
  } catch (const std::exception& e) {
    slot.conn.reset();
    Log()->error("query failed: {}", Trim(e.what()));
    return core::InternalError("database query failed");
  }
}

}  // namespace chainflow::api::handlers
