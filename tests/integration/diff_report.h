#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace chainflow::testing {

// The lines of a diff between a view and its expectation, for a gtest
// message: keeps the first kShown lines and counts the rest.
class DiffReport {
 public:
  static constexpr size_t kShown = 10;

  void Add(std::string line) {
    if (lines_.size() < kShown) lines_.push_back(std::move(line));
    ++count_;
  }
  size_t count() const { return count_; }
  // The kept lines, one per line, then how many more there were.
  std::string ToString() const {
    std::string out;
    for (const std::string& l : lines_) out += "\n  " + l;
    if (count_ > lines_.size()) out += fmt::format("\n  ... and {} more", count_ - lines_.size());
    return out;
  }

 private:
  std::vector<std::string> lines_;
  size_t count_ = 0;
};

}  // namespace chainflow::testing
