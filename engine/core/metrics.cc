#include "engine/core/metrics.h"

#include <fmt/format.h>

#include "engine/core/check.h"

namespace chainflow::engine::core {
namespace {

std::string RenderLabels(const Labels& labels, const std::string& extra = "") {
  if (labels.empty() && extra.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) out += ",";
    first = false;
    out += k + "=\"";
    for (char c : v) {
      if (c == '"' || c == '\\') out += '\\';
      if (c == '\n') {
        out += "\\n";
        continue;
      }
      out += c;
    }
    out += "\"";
  }
  if (!extra.empty()) out += (first ? "" : ",") + extra;
  return out + "}";
}

void AtomicAdd(std::atomic<double>& a, double d) {
  double old = a.load(std::memory_order_relaxed);
  while (!a.compare_exchange_weak(old, old + d, std::memory_order_relaxed)) {
  }
}

}  // namespace

void Gauge::Add(double d) { AtomicAdd(value_, d); }

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AtomicAdd(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::Snapshot(std::vector<uint64_t>* cumulative, double* sum, uint64_t* count) const {
  cumulative->assign(bounds_.size() + 1, 0);
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    (*cumulative)[i] = running;
  }
  *sum = sum_.load(std::memory_order_relaxed);
  *count = running;
}

std::vector<double> DefaultLatencyBuckets() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

MetricsRegistry& MetricsRegistry::Global() {
  static MetricsRegistry* registry = new MetricsRegistry();  // never destroyed: used at exit
  return *registry;
}

MetricsRegistry::Family& MetricsRegistry::GetFamily(const std::string& name,
                                                    const std::string& type,
                                                    const std::string& help) {
  Family& f = families_[name];
  if (f.type.empty()) {
    f.type = type;
    f.help = help;
  }
  CF_CHECK(f.type == type, "metric {} registered as {} and {}", name, f.type, type);
  return f;
}

Counter& MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = GetFamily(name, "counter", help).counters[labels];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& MetricsRegistry::GetGauge(const std::string& name, const std::string& help,
                                 const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = GetFamily(name, "gauge", help).gauges[labels];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         const Labels& labels, std::vector<double> bounds) {
  std::lock_guard lock(mu_);
  auto& slot = GetFamily(name, "histogram", help).histograms[labels];
  if (!slot) {
    slot = std::make_unique<Histogram>(bounds.empty() ? DefaultLatencyBuckets()
                                                      : std::move(bounds));
  }
  return *slot;
}

std::vector<std::pair<Labels, double>> MetricsRegistry::GaugeValues(
    const std::string& name) const {
  std::lock_guard lock(mu_);
  std::vector<std::pair<Labels, double>> out;
  auto family = families_.find(name);
  if (family == families_.end()) return out;
  for (const auto& [labels, gauge] : family->second.gauges) {
    out.emplace_back(labels, gauge->Value());
  }
  return out;
}

std::string MetricsRegistry::RenderText() const {
  std::lock_guard lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, f.help, name, f.type);
    for (const auto& [labels, c] : f.counters) {
      out += fmt::format("{}{} {}\n", name, RenderLabels(labels), c->Value());
    }
    for (const auto& [labels, g] : f.gauges) {
      out += fmt::format("{}{} {}\n", name, RenderLabels(labels), g->Value());
    }
    for (const auto& [labels, h] : f.histograms) {
      std::vector<uint64_t> cumulative;
      double sum = 0;
      uint64_t count = 0;
      h->Snapshot(&cumulative, &sum, &count);
      for (size_t i = 0; i < cumulative.size(); ++i) {
        std::string le = i < h->bounds().size() ? fmt::format("{}", h->bounds()[i]) : "+Inf";
        out += fmt::format("{}_bucket{} {}\n", name,
                           RenderLabels(labels, "le=\"" + le + "\""), cumulative[i]);
      }
      out += fmt::format("{}_sum{} {}\n", name, RenderLabels(labels), sum);
      out += fmt::format("{}_count{} {}\n", name, RenderLabels(labels), count);
    }
  }
  return out;
}

}  // namespace chainflow::engine::core
