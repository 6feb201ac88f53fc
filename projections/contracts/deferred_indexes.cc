#include "projections/contracts/deferred_indexes.h"

#include <algorithm>
#include <chrono>
#include <future>

#include <fmt/format.h>

#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "projections/contracts/columns.h"
#include "projections/pg/offsets.h"

namespace chainflow::projections::contracts {
namespace {

// A build sorts the whole table once per index; PostgreSQL's default (64 MB)
// would spill a few million rows to disk.
constexpr char kBuildMemory[] = "SET LOCAL maintenance_work_mem = '512MB'";

std::shared_ptr<spdlog::logger> Log() { return core::Logger("projections.contracts"); }

// The tables of `indexes`, each once, in their order.
std::vector<std::string> TablesOf(const std::vector<ParameterIndex>& indexes) {
  std::vector<std::string> tables;
  for (const ParameterIndex& index : indexes) {
    if (std::find(tables.begin(), tables.end(), index.table) == tables.end()) {
      tables.push_back(index.table);
    }
  }
  return tables;
}

// Autovacuum stays off a table while its parameter indexes are dropped.
// Started on a table a bulk load has just filled, it holds a lock the index
// build waits for until PostgreSQL cancels it, a deadlock_timeout (1 s by
// default) later: a third of the build seen in replays; before that it
// rescans the table being loaded. Turned on again with the indexes, in the
// transaction that builds them (so a load that never finishes keeps it off
// only until its indexes are built).
core::Status SetAutovacuum(pg::Transaction& tx, const std::vector<ParameterIndex>& indexes,
                           bool on) {
  for (const std::string& table : TablesOf(indexes)) {
    ASSIGN_OR_RETURN(int64_t n,
                     tx.Execute(on ? fmt::format("ALTER TABLE {} RESET (autovacuum_enabled)", table)
                                   : fmt::format("ALTER TABLE {} SET (autovacuum_enabled = false)",
                                                 table)));
    (void)n;
  }
  return core::Status::Ok();
}

}  // namespace

IndexStep DecideIndexes(bool all_present, const pg::BatchContext& context, uint64_t min_backlog,
                        uint64_t bulk_load) {
  if (min_backlog == 0) return all_present ? IndexStep::kKeep : IndexStep::kBuild;  // off
  if (bulk_load > 0) {
    return all_present && bulk_load >= min_backlog && bulk_load >= context.applied
               ? IndexStep::kDrop
               : IndexStep::kKeep;
  }
  if (all_present) {
    const uint64_t load = context.backlog + context.records;
    return context.backlog >= min_backlog && load >= context.applied ? IndexStep::kDrop
                                                                      : IndexStep::kKeep;
  }
  return context.backlog < min_backlog / 2 ? IndexStep::kBuild : IndexStep::kKeep;
}

namespace {

// How many of `indexes` schema `schema` has.
core::Result<size_t> CountPresent(pg::Transaction& tx, const std::string& schema,
                                  const std::vector<ParameterIndex>& indexes) {
  std::vector<std::string> params = {schema};
  std::vector<std::string> placeholders;
  for (const ParameterIndex& index : indexes) {
    params.push_back(index.name);
    placeholders.push_back(fmt::format("${}", params.size()));
  }
  ASSIGN_OR_RETURN(std::vector<pg::TextRow> rows,
                   tx.Query(fmt::format("SELECT count(*) FROM pg_class c JOIN pg_namespace n "
                                        "ON n.oid = c.relnamespace WHERE n.nspname = $1 AND "
                                        "c.relkind = 'i' AND c.relname IN ({})",
                                        fmt::join(placeholders, ", ")),
                            params));
  if (rows.empty() || !rows[0][0]) return core::InternalError("count(*) without a row");
  return static_cast<size_t>(std::stoull(*rows[0][0]));
}

// Runs CREATE INDEX IF NOT EXISTS for each of `indexes` in `tx`.
core::Status Create(pg::Transaction& tx, const std::vector<ParameterIndex>& indexes) {
  ASSIGN_OR_RETURN(int64_t n, tx.Execute(kBuildMemory));
  for (const ParameterIndex& index : indexes) {
    ASSIGN_OR_RETURN(n, tx.Execute(index.create));
  }
  (void)n;
  return core::Status::Ok();
}

// Creates `indexes` in a transaction of its own on a new connection to `url`.
core::Status CreateAside(const std::string& url, const std::vector<ParameterIndex>& indexes) {
  ASSIGN_OR_RETURN(auto conn, pg::Connection::Open(url));
  ASSIGN_OR_RETURN(auto tx, conn->Begin());
  RETURN_IF_ERROR(Create(*tx, indexes));
  return tx->Commit();
}

void LogBuilt(const std::string& projection, size_t count,
              std::chrono::steady_clock::time_point started) {
  Log()->info("[{}] {} parameter index(es) built in {:.2f} s", projection, count,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

// Builds every one of `indexes` in `tx`, which may hold rows it wrote.
core::Status Build(pg::Transaction& tx, const std::string& projection,
                   const std::vector<ParameterIndex>& indexes) {
  const auto started = std::chrono::steady_clock::now();
  RETURN_IF_ERROR(Create(tx, indexes));
  RETURN_IF_ERROR(SetAutovacuum(tx, indexes, true));
  LogBuilt(projection, indexes.size(), started);
  return core::Status::Ok();
}

// How many index builds run at once when no batch is open: each is one
// sort of its table, much of it on one core (PostgreSQL's parallel workers
// sped up Sold's text index, not its numeric one), so two keep both cores of
// a small machine busy where one after the other left 40 % of them idle.
constexpr size_t kConcurrentBuilds = 2;

}  // namespace

core::Status BuildParameterIndexes(pg::Connection& conn, const std::string& schema,
                                   const std::string& projection,
                                   const std::vector<ParameterIndex>& indexes) {
  if (indexes.empty()) return core::Status::Ok();
  ASSIGN_OR_RETURN(auto tx, conn.Begin());
  RETURN_IF_ERROR(pg::LockProjection(*tx, projection));
  ASSIGN_OR_RETURN(size_t present, CountPresent(*tx, schema, indexes));
  if (present == indexes.size()) return tx->Commit();
  // Every other index is built on a second connection while this one builds
  // the rest, both under this transaction's lock. Each commits on its own: an
  // index committed aside stays when this transaction fails, and the next
  // build makes only what is still missing. Autovacuum comes back on once
  // both are done (its ALTER TABLE would wait for the other build's lock).
  const auto started = std::chrono::steady_clock::now();
  std::vector<ParameterIndex> here;
  std::vector<ParameterIndex> aside;
  for (size_t i = 0; i < indexes.size(); ++i) {
    (i % kConcurrentBuilds == 0 ? here : aside).push_back(indexes[i]);
  }
  std::future<core::Status> other;
  if (!aside.empty()) {
    other = std::async(std::launch::async,
                       [url = conn.url(), &aside] { return CreateAside(url, aside); });
  }
  core::Status created = Create(*tx, here);
  core::Status created_aside = other.valid() ? other.get() : core::Status::Ok();
  RETURN_IF_ERROR(created);
  RETURN_IF_ERROR(created_aside.WithContext("building an index on a second connection"));
  RETURN_IF_ERROR(SetAutovacuum(*tx, indexes, true));
  RETURN_IF_ERROR(tx->Commit());
  LogBuilt(projection, indexes.size(), started);
  return core::Status::Ok();
}

DeferredIndexes::DeferredIndexes(std::string schema, std::string projection,
                                 std::vector<ParameterIndex> indexes, IndexLoadOptions options)
    : schema_(std::move(schema)),
      projection_(std::move(projection)),
      indexes_(std::move(indexes)),
      min_backlog_(options.min_backlog),
      bulk_load_(options.bulk_load) {
  if (indexes_.empty()) deferred_ = false;  // nothing to drop, nothing to ask
}

core::Result<bool> DeferredIndexes::AllPresent(pg::Transaction& tx) {
  if (pending_) return !*pending_;
  if (deferred_) return !*deferred_;
  ASSIGN_OR_RETURN(size_t present, CountPresent(tx, schema_, indexes_));
  pending_ = present < indexes_.size();
  return !*pending_;
}

core::Status DeferredIndexes::BeforeRows(pg::Transaction& tx, const pg::BatchContext& context) {
  if (indexes_.empty()) return core::Status::Ok();
  // Most batches of a projection at the head: nothing to ask the catalog.
  if (deferred_ == false && bulk_load_ == 0 && context.backlog < min_backlog_) {
    return core::Status::Ok();
  }
  ASSIGN_OR_RETURN(bool all, AllPresent(tx));
  if (DecideIndexes(all, context, min_backlog_, bulk_load_) != IndexStep::kDrop) {
    return core::Status::Ok();
  }
  std::vector<std::string> names;
  for (const ParameterIndex& index : indexes_) {
    names.push_back(Quote(schema_) + "." + Quote(index.name));
  }
  ASSIGN_OR_RETURN(int64_t n,
                   tx.Execute(fmt::format("DROP INDEX IF EXISTS {}", fmt::join(names, ", "))));
  (void)n;
  RETURN_IF_ERROR(SetAutovacuum(tx, indexes_, false));
  pending_ = true;
  Log()->info("[{}] {} parameter index(es) dropped for a bulk load of {} records; built again "
              "{}",
              projection_, indexes_.size(),
              bulk_load_ > 0 ? bulk_load_ : context.backlog + context.records,
              bulk_load_ > 0 ? "when it is over" : "at the head");
  return core::Status::Ok();
}

core::Status DeferredIndexes::AfterRows(pg::Transaction& tx, const pg::BatchContext& context) {
  if (indexes_.empty() || bulk_load_ > 0 || (deferred_ == false && !pending_)) {
    return core::Status::Ok();
  }
  ASSIGN_OR_RETURN(bool all, AllPresent(tx));
  if (DecideIndexes(all, context, min_backlog_) != IndexStep::kBuild) return core::Status::Ok();
  RETURN_IF_ERROR(Build(tx, projection_, indexes_));
  pending_ = false;
  return core::Status::Ok();
}

void DeferredIndexes::Settle(bool committed) {
  if (committed && pending_) deferred_ = pending_;
  if (!committed) deferred_.reset();
  pending_.reset();
  if (deferred_) {
    core::MetricsRegistry::Global()
        .GetGauge("chainflow_projection_deferred_indexes",
                  "Parameter indexes a contract projection has dropped for a bulk load",
                  {{"projection", projection_}})
        .Set(*deferred_ ? static_cast<double>(indexes_.size()) : 0.0);
  }
}

core::Status DeferredIndexes::Idle(pg::Connection& conn) {
  if (deferred_ == false || bulk_load_ > 0) return core::Status::Ok();
  core::Status built = BuildParameterIndexes(conn, schema_, projection_, indexes_);
  if (built.ok()) pending_ = false;
  Settle(built.ok());
  return built;
}

}  // namespace chainflow::projections::contracts
