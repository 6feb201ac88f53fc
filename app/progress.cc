#include "app/progress.h"

#include <unistd.h>

#include <fmt/format.h>

namespace chainflow::app {

ProgressBar::ProgressBar(std::string label, std::FILE* out)
    : label_(std::move(label)),
      total_(0),
      out_(out),
      enabled_(::isatty(::fileno(out)) == 1),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

void ProgressBar::Update(uint64_t done, uint64_t total, uint64_t events) {
  done_ = done;
  total_ = total;
  events_ = events;
  auto now = std::chrono::steady_clock::now();
  if (!enabled_ || now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw();
}

void ProgressBar::Draw() {
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double frac = total_ ? static_cast<double>(done_) / static_cast<double>(total_) : 1.0;
  if (frac > 1) frac = 1;
  constexpr int kWidth = 30;
  int filled = static_cast<int>(frac * kWidth);
  std::string bar(filled, '#');
  bar.resize(kWidth, '.');
  double rate = secs > 0 ? static_cast<double>(events_) / secs : 0;
  std::string eta = "--";
  if (frac > 0 && frac < 1) {
    eta = fmt::format("{:.0f}s", secs * (1 - frac) / frac);
  } else if (frac >= 1) {
    eta = "0s";
  }
  fmt::print(out_, "\r{} [{}] {:5.1f}% {} events {:.0f} ev/s ETA {}   ", label_, bar, frac * 100,
             events_, rate, eta);
  std::fflush(out_);
}

void ProgressBar::Finish() {
  if (!enabled_) return;
  Draw();
  fmt::print(out_, "\n");
}

}  // namespace chainflow::app
