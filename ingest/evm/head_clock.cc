#include "ingest/evm/head_clock.h"

#include <algorithm>
#include <vector>

namespace chainflow::ingest::evm {
namespace {

constexpr size_t kKeptHeaders = 33;  // 32 differences
constexpr size_t kMinDifferences = 3;
constexpr std::chrono::milliseconds kMaxMargin(250);

}  // namespace

void HeadClock::ObserveHeader(uint64_t number, int64_t timestamp) {
  while (!headers_.empty() && headers_.back().first >= number) headers_.pop_back();
  headers_.emplace_back(number, timestamp);
  if (headers_.size() > kKeptHeaders) headers_.pop_front();
  interval_ = MedianInterval();
}

void HeadClock::Judge(uint64_t head, Clock::time_point at) {
  if (head_ == 0 || resting()) return;  // no windows were probed for it
  const std::vector<Window> windows = Windows();
  if (windows.empty()) return;
  const bool inside = std::any_of(windows.begin(), windows.end(), [at](const Window& w) {
    return w.start <= at && at <= w.end;
  });
  judged_.push_back(inside);
  if (judged_.size() > kJudged) judged_.pop_front();
  const auto hits = static_cast<size_t>(std::count(judged_.begin(), judged_.end(), true));
  if (judged_.size() == kJudged && 2 * hits < kJudged) {
    resting_until_ = head + kRestBlocks;
    ++rests_;
    judged_.clear();
  }
}

void HeadClock::ObserveHead(uint64_t head, Clock::time_point at) {
  if (head > head_) {
    Judge(head, at);
    // The first head read: its arrival is unknown (the uncertainty is then
    // one interval: the first window spans a whole interval).
    seen_at_ = at;
    seen_after_ = head_ == 0 ? Clock::time_point::min() : last_probe_.value_or(at);
    head_ = head;
  }
  last_probe_ = at;
}

std::chrono::milliseconds HeadClock::MedianInterval() const {
  std::vector<int64_t> differences;
  for (size_t i = 1; i < headers_.size(); ++i) {
    if (headers_[i].first == headers_[i - 1].first + 1) {
      differences.push_back(headers_[i].second - headers_[i - 1].second);
    }
  }
  if (differences.size() < kMinDifferences) return std::chrono::milliseconds(0);
  auto middle = differences.begin() + static_cast<std::ptrdiff_t>(differences.size() / 2);
  std::nth_element(differences.begin(), middle, differences.end());
  return std::chrono::milliseconds(std::max<int64_t>(0, *middle) * 1000);
}

std::vector<HeadClock::Window> HeadClock::Windows() const {
  std::vector<Window> windows;
  std::chrono::milliseconds every = interval();
  if (!seen_at_ || every.count() == 0 || every < 4 * probe_) return windows;
  auto uncertainty = every;  // no earlier poll (min() would overflow the subtraction)
  if (seen_after_ != Clock::time_point::min()) {
    uncertainty = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::min<Clock::duration>(*seen_at_ - seen_after_, every));
  }
  auto margin = std::max<std::chrono::milliseconds>(2 * probe_, std::min(every / 20, kMaxMargin));
  for (int k = 1; k <= kMaxMissed; ++k) {
    windows.push_back(
        {*seen_at_ - uncertainty + k * every - margin, *seen_at_ + k * every + margin});
  }
  return windows;
}

std::optional<HeadClock::Window> HeadClock::Next(Clock::time_point now) const {
  if (resting()) return std::nullopt;
  for (const Window& window : Windows()) {
    if (window.end > now) return window;
  }
  return std::nullopt;
}

}  // namespace chainflow::ingest::evm
