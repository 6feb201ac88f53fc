#include "projections/pg/connection.h"

#include <sys/socket.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <mutex>
#include <utility>

#include <fmt/format.h>
#include <pqxx/pqxx>
#include <pqxx/tablewriter>

#include "engine/core/check.h"
#include "projections/pg/internal/errors.h"

namespace chainflow::projections::pg {

struct Connection::Impl {
  std::unique_ptr<pqxx::connection> conn;
  bool in_transaction = false;
  // The session's socket, for Abandon on another thread (-1: none). Held
  // while the session is swapped, so Abandon never shuts down a socket
  // number a new session (or anything else) reuses.
  std::mutex socket_mu;
  int socket = -1;

  void Adopt(std::unique_ptr<pqxx::connection> c) {
    std::lock_guard lock(socket_mu);
    conn = std::move(c);  // closes the previous session
    socket = conn ? conn->sock() : -1;
  }
};

struct Transaction::Impl {
  bool* owner_in_transaction = nullptr;  // the Connection's flag; outlives us
  std::unique_ptr<pqxx::work> work;
  bool done = false;

  // Ends the transaction (rolling back unless committed) and frees the
  // connection for the next one. pqxx::work's destructor never throws.
  void Finish() {
    done = true;
    work.reset();
    *owner_in_transaction = false;
  }
  ~Impl() { Finish(); }
};

namespace {

bool Escaped(char c) { return c == '\\' || c == '\t' || c == '\n' || c == '\r'; }

// The index of the first byte of `field` from `from` on that COPY escapes,
// or its size. Sixteen bytes a step: most fields (hex, numbers) have none,
// and Transaction::Copy was the largest function of a projection's apply
// thread in replay profiles.
size_t NextEscaped(const std::string& field, size_t from) {
#if defined(__SSE2__)
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i tab = _mm_set1_epi8('\t');
  const __m128i newline = _mm_set1_epi8('\n');
  const __m128i carriage_return = _mm_set1_epi8('\r');
  for (; from + 16 <= field.size(); from += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(field.data() + from));
    const __m128i hits =
        _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, backslash), _mm_cmpeq_epi8(v, tab)),
                     _mm_or_si128(_mm_cmpeq_epi8(v, newline), _mm_cmpeq_epi8(v, carriage_return)));
    if (const int mask = _mm_movemask_epi8(hits); mask != 0) {
      return from + static_cast<size_t>(__builtin_ctz(static_cast<unsigned>(mask)));
    }
  }
#endif
  while (from < field.size() && !Escaped(field[from])) ++from;
  return from;
}

// Appends `field` to a COPY text line: backslash, tab, newline and carriage
// return are the characters the format gives meaning to (COPY ... FROM in
// the PostgreSQL manual); everything else goes as it is.
void AppendCopyField(std::string& line, const std::string& field) {
  size_t plain = 0;
  for (size_t i = NextEscaped(field, 0); i < field.size(); i = NextEscaped(field, i + 1)) {
    const char c = field[i];
    line.append(field, plain, i - plain);
    line += '\\';
    line += c == '\t' ? 't' : c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
    plain = i + 1;
  }
  line.append(field, plain, std::string::npos);
}

// How many bytes of rows go to libpq in one call. COPY data is a byte
// stream, so a chunk may hold many lines; one call per chunk instead of one
// per row (libpqxx 6.4's stream_to escaped each field through a
// general-purpose writer and sent each line on its own: a fifth of the NFT
// projection's time in profiles).
constexpr size_t kCopyChunkBytes = 256 * 1024;

core::Result<std::unique_ptr<pqxx::connection>> Connect(const std::string& url) {
  try {
    auto conn = std::make_unique<pqxx::connection>(url);
    {
      pqxx::nontransaction tx(*conn);
      // A commit we were told of must survive a server crash, whatever the
      // server's default: a projection counts the records of a committed
      // batch as applied and never reads them again. Under
      // synchronous_commit=off (ops/infra's default, for speed) a SIGKILLed
      // server lost the last commits of a projection that had nothing more
      // to write, so nothing ever noticed (InfraOutageTest.PostgresKilled...).
      tx.exec("SET client_min_messages TO warning; SET synchronous_commit TO on");
    }
    return conn;
  } catch (const pqxx::broken_connection& e) {
    return core::UnavailableError(fmt::format("cannot connect to PostgreSQL: {}", e.what()));
  } catch (...) {
    return internal::CurrentExceptionToStatus("connecting to PostgreSQL");
  }
}

}  // namespace

std::string WithConnectTimeout(const std::string& url, int seconds) {
  if (url.find("connect_timeout") != std::string::npos) return url;
  const bool uri = url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
  if (uri) {
    return fmt::format("{}{}connect_timeout={}", url,
                       url.find('?') == std::string::npos ? '?' : '&', seconds);
  }
  if (url.empty()) return fmt::format("connect_timeout={}", seconds);
  return fmt::format("{} connect_timeout={}", url, seconds);
}

Transaction::Transaction(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Transaction::~Transaction() = default;

core::Result<int64_t> Transaction::Execute(std::string_view sql) {
  if (impl_->done) return core::FailedPreconditionError("transaction already finished");
  try {
    pqxx::result r = impl_->work->exec(std::string(sql));
    return static_cast<int64_t>(r.affected_rows());
  } catch (...) {
    impl_->Finish();
    return internal::CurrentExceptionToStatus("executing SQL");
  }
}

core::Result<std::vector<TextRow>> Transaction::Query(std::string_view sql,
                                                      const std::vector<std::string>& params) {
  if (impl_->done) return core::FailedPreconditionError("transaction already finished");
  try {
    pqxx::result r =
        impl_->work->exec_params(std::string(sql), pqxx::prepare::make_dynamic_params(params));
    std::vector<TextRow> rows;
    rows.reserve(r.size());
    for (const auto& row : r) {
      TextRow out;
      out.reserve(row.size());
      for (const auto& field : row) {
        if (field.is_null()) {
          out.emplace_back(std::nullopt);
        } else {
          out.emplace_back(std::string(field.c_str(), field.size()));
        }
      }
      rows.push_back(std::move(out));
    }
    return rows;
  } catch (...) {
    impl_->Finish();
    return internal::CurrentExceptionToStatus("running query");
  }
}

core::Status Transaction::Copy(std::string_view table, const std::vector<std::string>& columns,
                               const std::vector<std::vector<std::string>>& rows,
                               const std::vector<bool>& null_if_empty) {
  if (impl_->done) return core::FailedPreconditionError("transaction already finished");
  CF_CHECK(!columns.empty(), "COPY of no columns");
  CF_CHECK(null_if_empty.empty() || null_if_empty.size() == columns.size(),
           "COPY with {} NULL flags for {} columns", null_if_empty.size(), columns.size());
  for (const auto& row : rows) {
    CF_CHECK(row.size() == columns.size(), "COPY row of {} fields into {} columns", row.size(),
             columns.size());
  }
  try {
    // tablewriter, not stream_to: only it lets a caller send lines it
    // escaped itself (write_raw_line). Deprecated in favour of stream_to,
    // whose row writer is what this replaces; its warning about multibyte
    // encodings concerns its own escaping, which is not used here (in UTF-8
    // no byte of a multibyte character is one of the four escaped above).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    pqxx::tablewriter stream(*impl_->work, std::string(table), columns.begin(), columns.end());
#pragma GCC diagnostic pop
    std::string chunk;
    chunk.reserve(kCopyChunkBytes + 4096);
    for (const auto& row : rows) {
      for (size_t i = 0; i < row.size(); ++i) {
        if (i > 0) chunk += '\t';
        if (!null_if_empty.empty() && null_if_empty[i] && row[i].empty()) {
          chunk += "\\N";
        } else {
          AppendCopyField(chunk, row[i]);
        }
      }
      if (chunk.size() >= kCopyChunkBytes) {
        stream.write_raw_line(chunk);  // adds the last line's newline
        chunk.clear();
      } else {
        chunk += '\n';
      }
    }
    if (!chunk.empty()) {
      chunk.pop_back();  // write_raw_line adds it back
      stream.write_raw_line(chunk);
    }
    stream.complete();
    return core::Status::Ok();
  } catch (...) {
    impl_->Finish();
    return internal::CurrentExceptionToStatus(fmt::format("COPY into {}", table));
  }
}

core::Status Transaction::Commit() {
  if (impl_->done) return core::FailedPreconditionError("transaction already finished");
  core::Status status;
  try {
    impl_->work->commit();
  } catch (...) {
    status = internal::CurrentExceptionToStatus("commit");
  }
  impl_->Finish();
  return status;
}

Connection::Connection(std::string url, std::unique_ptr<Impl> impl)
    : url_(std::move(url)), impl_(std::move(impl)) {}

Connection::~Connection() = default;

core::Result<std::unique_ptr<Connection>> Connection::Open(const std::string& url) {
  ASSIGN_OR_RETURN(auto conn, Connect(url));
  auto impl = std::make_unique<Impl>();
  impl->Adopt(std::move(conn));
  return std::unique_ptr<Connection>(new Connection(url, std::move(impl)));
}

void Connection::Abandon() {
  std::lock_guard lock(impl_->socket_mu);
  if (impl_->socket >= 0) ::shutdown(impl_->socket, SHUT_RDWR);
}

core::Status Connection::Reconnect() {
  if (impl_->in_transaction) {
    return core::FailedPreconditionError("cannot reconnect while a transaction is open");
  }
  impl_->Adopt(nullptr);
  ASSIGN_OR_RETURN(auto conn, Connect(url_));
  impl_->Adopt(std::move(conn));
  return core::Status::Ok();
}

bool Connection::IsOpen() const {
  if (!impl_->conn) return false;
  try {
    return impl_->conn->is_open();
  } catch (...) {
    return false;
  }
}

core::Result<std::unique_ptr<Transaction>> Connection::Begin() {
  if (impl_->in_transaction) {
    return core::FailedPreconditionError("a transaction is already open on this connection");
  }
  if (!IsOpen()) RETURN_IF_ERROR(Reconnect());
  auto impl = std::make_unique<Transaction::Impl>();
  impl->owner_in_transaction = &impl_->in_transaction;
  try {
    impl->work = std::make_unique<pqxx::work>(*impl_->conn);
  } catch (...) {
    return internal::CurrentExceptionToStatus("BEGIN");
  }
  impl_->in_transaction = true;
  return std::unique_ptr<Transaction>(new Transaction(std::move(impl)));
}

core::Status Connection::ExecuteInTransaction(std::string_view sql) {
  ASSIGN_OR_RETURN(auto tx, Begin());
  ASSIGN_OR_RETURN(int64_t affected, tx->Execute(sql));
  (void)affected;
  return tx->Commit();
}

core::Status Connection::ExecuteAutocommit(std::string_view sql) {
  if (impl_->in_transaction) {
    return core::FailedPreconditionError("a transaction is already open on this connection");
  }
  if (!IsOpen()) RETURN_IF_ERROR(Reconnect());
  try {
    pqxx::nontransaction tx(*impl_->conn);
    tx.exec(std::string(sql));
    return core::Status::Ok();
  } catch (...) {
    return internal::CurrentExceptionToStatus("executing SQL (autocommit)");
  }
}

}  // namespace chainflow::projections::pg
