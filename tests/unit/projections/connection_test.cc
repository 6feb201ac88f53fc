// Connection::Abandon against a real PostgreSQL: a statement the server is
// still working on (as a paused server never answers) returns at once as a
// broken session when another thread abandons it, and the connection
// reconnects for the next transaction.
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "engine/core/status.h"
#include "projections/pg/connection.h"
#include "tests/unit/projections/test_db.h"

namespace chainflow::projections::pg {
namespace {

using Clock = std::chrono::steady_clock;

TEST(ConnectionTest, AbandonEndsAStatementStillWaitingForTheServer) {
  auto opened = Connection::Open(testing::TestDatabaseUrl());
  ASSERT_TRUE(opened.has_value()) << opened.error().ToString();
  Connection& conn = *opened.value();

  const Clock::time_point started = Clock::now();
  std::thread watchdog([&conn] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    conn.Abandon();
  });
  core::Status slept = conn.ExecuteInTransaction("SELECT pg_sleep(30)");
  watchdog.join();
  const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
  EXPECT_FALSE(slept.ok());
  EXPECT_TRUE(core::IsRetryable(slept)) << slept.ToString();
  EXPECT_LT(seconds, 10.0) << "the statement ran on after Abandon: " << slept.ToString();
  EXPECT_FALSE(conn.IsOpen());

  // The next transaction gets a new session.
  auto begun = conn.Begin();
  ASSERT_TRUE(begun.has_value()) << begun.error().ToString();
  auto one = begun.value()->Query("SELECT 1");
  ASSERT_TRUE(one.has_value()) << one.error().ToString();
  EXPECT_EQ(*one.value().at(0)[0], "1");
}

}  // namespace
}  // namespace chainflow::projections::pg
