#include "projections/pg/connection.h"

#include <array>
#include <utility>

#include <fmt/format.h>
#include <pqxx/pqxx>

#include "engine/core/check.h"
#include "projections/pg/internal/errors.h"

namespace chainflow::projections::pg {

struct Connection::Impl {
  std::unique_ptr<pqxx::connection> conn;
  bool in_transaction = false;
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

// Most columns Transaction::Copy writes.
constexpr size_t kMaxCopyColumns = 16;

// libpqxx 6.4's stream_to only takes tuple-like rows (std::get<I>), so a
// row of runtime width is written as a std::array of its width, chosen from
// 1..kMaxCopyColumns. Fields are C strings: no copies, and text never holds NUL.
// A null pointer is written as NULL (\N): the empty fields of the columns
// `null_if_empty` flags.
template <size_t N>
void WriteRows(pqxx::stream_to& stream, const std::vector<std::vector<std::string>>& rows,
               const std::vector<bool>& null_if_empty) {
  std::array<const char*, N> fields{};
  for (const auto& row : rows) {
    for (size_t i = 0; i < N; ++i) {
      bool null = !null_if_empty.empty() && null_if_empty[i] && row[i].empty();
      fields[i] = null ? nullptr : row[i].c_str();
    }
    stream << fields;
  }
}

template <size_t... I>
void WriteRowsOfWidth(size_t width, pqxx::stream_to& stream,
                      const std::vector<std::vector<std::string>>& rows,
                      const std::vector<bool>& null_if_empty, std::index_sequence<I...>) {
  ((width == I + 1 ? WriteRows<I + 1>(stream, rows, null_if_empty) : void()), ...);
}

core::Result<std::unique_ptr<pqxx::connection>> Connect(const std::string& url) {
  try {
    auto conn = std::make_unique<pqxx::connection>(url);
    {
      pqxx::nontransaction tx(*conn);
      tx.exec("SET client_min_messages TO warning");
    }
    return conn;
  } catch (const pqxx::broken_connection& e) {
    return core::UnavailableError(fmt::format("cannot connect to PostgreSQL: {}", e.what()));
  } catch (...) {
    return internal::CurrentExceptionToStatus("connecting to PostgreSQL");
  }
}

}  // namespace

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
  CF_CHECK(!columns.empty() && columns.size() <= kMaxCopyColumns, "COPY of {} columns",
           columns.size());
  CF_CHECK(null_if_empty.empty() || null_if_empty.size() == columns.size(),
           "COPY with {} NULL flags for {} columns", null_if_empty.size(), columns.size());
  for (const auto& row : rows) {
    CF_CHECK(row.size() == columns.size(), "COPY row of {} fields into {} columns", row.size(),
             columns.size());
  }
  try {
    pqxx::stream_to stream(*impl_->work, std::string(table), columns);
    WriteRowsOfWidth(columns.size(), stream, rows, null_if_empty,
                     std::make_index_sequence<kMaxCopyColumns>());
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
  impl->conn = std::move(conn);
  return std::unique_ptr<Connection>(new Connection(url, std::move(impl)));
}

core::Status Connection::Reconnect() {
  if (impl_->in_transaction) {
    return core::FailedPreconditionError("cannot reconnect while a transaction is open");
  }
  impl_->conn.reset();
  ASSIGN_OR_RETURN(impl_->conn, Connect(url_));
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
