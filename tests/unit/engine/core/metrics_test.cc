#include "engine/core/metrics.h"

#include <gtest/gtest.h>

namespace chainflow::engine::core {
namespace {

TEST(MetricsTest, CounterRendering) {
  MetricsRegistry registry;
  Counter& c = registry.GetCounter("chainflow_events_total", "Events applied.",
                                   {{"processor", "nft_ownership"}, {"partition", "7"}});
  c.Inc();
  c.Inc(4);
  EXPECT_EQ(&registry.GetCounter("chainflow_events_total", "Events applied.",
                                 {{"partition", "7"}, {"processor", "nft_ownership"}}),
            &c);
  registry.GetCounter("chainflow_events_total", "Events applied.").Inc(2);
  EXPECT_EQ(registry.RenderText(),
            "# HELP chainflow_events_total Events applied.\n"
            "# TYPE chainflow_events_total counter\n"
            "chainflow_events_total 2\n"
            "chainflow_events_total{partition=\"7\",processor=\"nft_ownership\"} 5\n");
}

TEST(MetricsTest, GaugeRenderingAndLabelEscaping) {
  MetricsRegistry registry;
  Gauge& g = registry.GetGauge("chainflow_lag", "Lag.", {{"topic", "a\"b\\c\nd"}});
  g.Set(1.5);
  g.Add(2);
  EXPECT_DOUBLE_EQ(g.Value(), 3.5);
  EXPECT_EQ(registry.RenderText(),
            "# HELP chainflow_lag Lag.\n"
            "# TYPE chainflow_lag gauge\n"
            "chainflow_lag{topic=\"a\\\"b\\\\c\\nd\"} 3.5\n");
}

TEST(MetricsTest, HistogramRendering) {
  MetricsRegistry registry;
  Histogram& h = registry.GetHistogram("chainflow_batch_seconds", "Batch latency.",
                                       {{"task", "t"}}, {0.1, 1});
  h.Observe(0.05);
  h.Observe(0.1);  // upper bounds are inclusive
  h.Observe(0.5);
  h.Observe(7);
  EXPECT_EQ(registry.RenderText(),
            "# HELP chainflow_batch_seconds Batch latency.\n"
            "# TYPE chainflow_batch_seconds histogram\n"
            "chainflow_batch_seconds_bucket{task=\"t\",le=\"0.1\"} 2\n"
            "chainflow_batch_seconds_bucket{task=\"t\",le=\"1\"} 3\n"
            "chainflow_batch_seconds_bucket{task=\"t\",le=\"+Inf\"} 4\n"
            "chainflow_batch_seconds_sum{task=\"t\"} 7.65\n"
            "chainflow_batch_seconds_count{task=\"t\"} 4\n");
}

TEST(MetricsTest, HistogramDefaultsAndUnlabelled) {
  MetricsRegistry registry;
  Histogram& h = registry.GetHistogram("h_seconds", "H.");
  EXPECT_EQ(h.bounds(), DefaultLatencyBuckets());
  h.Observe(0.002);
  std::string text = registry.RenderText();
  EXPECT_NE(text.find("h_seconds_bucket{le=\"0.001\"} 0\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_bucket{le=\"0.0025\"} 1\n"), std::string::npos) << text;
  EXPECT_NE(text.find("h_seconds_count 1\n"), std::string::npos) << text;
}

TEST(MetricsTest, FamiliesSortByName) {
  MetricsRegistry registry;
  registry.GetCounter("b_total", "B.").Inc();
  registry.GetGauge("a_value", "A.").Set(1);
  std::string text = registry.RenderText();
  EXPECT_LT(text.find("a_value"), text.find("b_total"));
}

TEST(MetricsDeathTest, TypeClashIsAnInvariant) {
  MetricsRegistry registry;
  registry.GetCounter("x", "X.");
  EXPECT_DEATH(registry.GetGauge("x", "X."), "registered as counter and gauge");
}

}  // namespace
}  // namespace chainflow::engine::core
