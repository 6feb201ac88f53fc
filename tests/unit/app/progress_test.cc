#include "app/progress.h"

#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include <gtest/gtest.h>

namespace chainflow::app {
namespace {

// Everything written to the pseudo-terminal whose master is `fd` so far.
std::string Drain(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  return out;
}

TEST(ProgressBarTest, OnATerminalShowsBarPercentRateAndEta) {
  int master = -1, slave = -1;
  ASSERT_EQ(::openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
  std::FILE* tty = ::fdopen(slave, "w");
  ASSERT_NE(tty, nullptr);
  {
    ProgressBar bar("replay mainnet", tty);
    EXPECT_TRUE(bar.enabled());
    std::this_thread::sleep_for(std::chrono::milliseconds(120));  // past the redraw interval
    bar.Update(250, 1000, 5000);
    std::string mid = Drain(master);
    EXPECT_NE(mid.find("replay mainnet ["), std::string::npos) << mid;
    EXPECT_NE(mid.find("#######.......................]"), std::string::npos) << mid;
    EXPECT_NE(mid.find(" 25.0%"), std::string::npos) << mid;
    EXPECT_NE(mid.find("5000 events"), std::string::npos) << mid;
    EXPECT_NE(mid.find("ev/s"), std::string::npos) << mid;
    // A quarter done: three quarters to go, a non-zero estimate in seconds.
    EXPECT_EQ(mid.find("ETA --"), std::string::npos) << mid;
    EXPECT_NE(mid.find("ETA "), std::string::npos) << mid;
    bar.Update(1000, 1000, 20000);
    bar.Finish();
    std::string end = Drain(master);
    EXPECT_NE(end.find("100.0%"), std::string::npos) << end;
    EXPECT_NE(end.find("ETA 0s"), std::string::npos) << end;
  }
  std::fclose(tty);
  ::close(master);
}

TEST(ProgressBarTest, OffATerminalItWritesNothing) {
  std::FILE* file = std::tmpfile();
  ASSERT_NE(file, nullptr);
  ProgressBar bar("replay mainnet", file);
  EXPECT_FALSE(bar.enabled());
  std::this_thread::sleep_for(std::chrono::milliseconds(120));
  bar.Update(500, 1000, 10);
  bar.Finish();
  EXPECT_EQ(std::ftell(file), 0);
  std::fclose(file);
}

}  // namespace
}  // namespace chainflow::app
