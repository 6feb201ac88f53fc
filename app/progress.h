#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace chainflow::app {

// A one-line progress bar with rate and ETA, redrawn in place on a terminal
// (stderr is a TTY) and silent otherwise. Not thread-safe: one updater.
class ProgressBar {
 public:
  explicit ProgressBar(std::string label, std::FILE* out = stderr);
  // `done` of `total` units (bytes); redraws at most every 100 ms.
  void Update(uint64_t done, uint64_t total, uint64_t events);
  // Draws the final state and ends the line.
  void Finish();
  bool enabled() const { return enabled_; }

 private:
  void Draw();
  std::string label_;
  uint64_t total_;
  std::FILE* out_;
  bool enabled_;
  uint64_t done_ = 0;
  uint64_t events_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
};

}  // namespace chainflow::app
