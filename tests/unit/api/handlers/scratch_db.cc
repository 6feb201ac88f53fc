#include "tests/unit/api/handlers/scratch_db.h"

#include <unistd.h>

#include <cstdlib>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <pqxx/pqxx>

namespace chainflow::api::handlers::testing {
namespace {

std::string BaseUrl() {
  const char* env = std::getenv("CHAINFLOW_TEST_PG_URL");
  return env != nullptr && *env != '\0' ? env : "postgresql://chainflow@127.0.0.1:5433/chainflow";
}

// `url` pointing at database `db`.
std::string WithDatabase(const std::string& url, const std::string& db) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return url + " dbname=" + db;  // key=value form: the last dbname wins
  boost::urls::url u = *parsed;
  u.set_path("/" + db);
  return std::string(u.buffer());
}

}  // namespace

ScratchDatabase::ScratchDatabase(const std::string& prefix)
    : name_(fmt::format("{}_{}", prefix, getpid())) {
  try {
    pqxx::connection admin(BaseUrl());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
    tx.exec("CREATE DATABASE " + name_);
  } catch (const std::exception& e) {
    skip_reason_ = fmt::format("PostgreSQL at {} unreachable: {}", BaseUrl(), e.what());
    return;
  }
  url_ = WithDatabase(BaseUrl(), name_);
}

ScratchDatabase::~ScratchDatabase() {
  if (!skip_reason_.empty()) return;
  try {
    pqxx::connection admin(BaseUrl());
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)");
  } catch (const std::exception& e) {
    ADD_FAILURE() << "dropping " << name_ << ": " << e.what();
  }
}

}  // namespace chainflow::api::handlers::testing
