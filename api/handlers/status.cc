#include "api/handlers/status.h"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "engine/core/metrics.h"

namespace chainflow::api::handlers {
namespace {

namespace json = boost::json;

json::value BlockOrNull(const std::optional<core::BlockNumber>& block) {
  if (!block) return nullptr;
  return block->value();
}

json::array Strings(const std::vector<std::string>& strings) {
  json::array out;
  for (const std::string& s : strings) out.push_back(json::value(s));
  return out;
}

}  // namespace

json::value PipelineStatusToJson(const PipelineStatus& status) {
  json::array chains;
  for (const PipelineStatus::Chain& chain : status.chains) {
    chains.push_back(json::object{
        {"name", chain.name},
        {"head", BlockOrNull(chain.head)},
        {"ingested_block", BlockOrNull(chain.ingested_block)},
        {"finalized_block", BlockOrNull(chain.finalized_block)},
        {"lag_blocks", chain.lag_blocks},
        {"lag_seconds", chain.lag_seconds ? json::value(*chain.lag_seconds) : json::value(nullptr)},
        {"reorgs", chain.reorgs},
        {"deepest_reorg", chain.deepest_reorg},
        {"decisions_block", BlockOrNull(chain.decisions_block)},
        {"error", chain.error.empty() ? json::value(nullptr) : json::value(chain.error)},
    });
  }
  json::array consumers;
  for (const PipelineStatus::Consumer& consumer : status.consumers) {
    consumers.push_back(json::object{
        {"kind", consumer.kind},
        {"name", consumer.name},
        {"topic", consumer.topic},
        {"partition", consumer.partition.value()},
        {"next_offset", consumer.next_offset.value()},
        {"end_offset", consumer.end_offset.value()},
        {"lag", consumer.lag},
        {"in_open_transactions", consumer.in_open_transactions},
        {"owner", consumer.kind != "processor"  ? json::value(nullptr)
                  : consumer.owner.empty()      ? json::value(nullptr)
                                                : json::value(consumer.owner)},
        // Instances keeping a standby copy of the task ([] for none).
        {"standbys", consumer.kind != "processor" ? json::value(nullptr)
                                                   : json::value(Strings(consumer.standbys))},
    });
  }
  json::array services;
  for (const PipelineStatus::Service& service : status.services) {
    services.push_back(json::object{
        {"name", service.name},
        {"endpoint", service.endpoint},
        {"reachable", service.reachable},
        {"error", service.error.empty() ? json::value(nullptr) : json::value(service.error)},
    });
  }
  json::object root;
  root["ready"] = status.ready;
  root["not_ready_reason"] =
      status.ready ? json::value(nullptr) : json::value(status.not_ready_reason);
  root["services"] = std::move(services);
  root["chains"] = std::move(chains);
  root["consumers"] = std::move(consumers);
  return root;
}

http::Response HandleStatus(StatusSource& source) {
  core::Result<PipelineStatus> status = source.Collect();
  if (!status) return http::ErrorResponse(status.error());
  return http::JsonResponse(200, PipelineStatusToJson(status.value()));
}

http::Response HandleReadyz(StatusSource& source) {
  core::Result<PipelineStatus> status = source.Collect();
  std::string reason;
  json::array down;
  if (status) {
    for (const PipelineStatus::Service& service : status.value().services) {
      if (service.reachable) continue;
      down.push_back(json::object{
          {"name", service.name}, {"endpoint", service.endpoint}, {"error", service.error}});
    }
  }
  if (!status) {
    reason = "status unavailable: " + status.error().ToString();
  } else if (!status.value().ready) {
    reason = status.value().not_ready_reason.empty() ? "not ready"
                                                     : status.value().not_ready_reason;
  } else {
    return http::JsonResponse(200, json::object{{"ready", true}});
  }
  // Both the readiness shape and the API's error shape, for either reader.
  return http::JsonResponse(
      503, json::object{{"ready", false},
                        {"reason", reason},
                        {"down", std::move(down)},
                        {"error", json::object{{"code", "unavailable"}, {"message", reason}}}});
}

http::Response HandleHealthz() { return http::JsonResponse(200, json::object{{"status", "ok"}}); }

http::Response HandleMetrics() {
  return http::TextResponse(200, core::MetricsRegistry::Global().RenderText(),
                            "text/plain; version=0.0.4");
}

}  // namespace chainflow::api::handlers
