#include "ingest/evm/head_subscription.h"

#include <fmt/format.h>

#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "ingest/evm/rpc_policy.h"
#include "ingest/evm/rpc_response.h"

namespace chainflow::ingest::evm {
namespace {

constexpr const char* kSubscribe =
    R"({"jsonrpc":"2.0","id":1,"method":"eth_subscribe","params":["newHeads"]})";

// Errors a reconnect cannot fix: the endpoint or its credentials are wrong.
bool IsConfigurationError(const core::Status& status) {
  switch (status.code()) {
    case core::StatusCode::kFailedPrecondition:
    case core::StatusCode::kInvalidArgument:
    case core::StatusCode::kPermissionDenied:
    case core::StatusCode::kUnauthenticated:
      return true;
    default:
      return false;
  }
}

core::Labels ChainLabels(const std::string& chain) {
  return {{"chain", chain.empty() ? "unknown" : chain}};
}

}  // namespace

core::Result<std::unique_ptr<HeadSubscription>> HeadSubscription::Open(
    HeadSubscriptionOptions options, HeadCallback on_head, LiveCallback on_live) {
  ASSIGN_OR_RETURN(auto channel, OpenWebSocketChannel(options.endpoint, options.idle_ping));
  return std::make_unique<HeadSubscription>(std::move(options), std::move(channel),
                                            std::move(on_head), std::move(on_live));
}

HeadSubscription::HeadSubscription(HeadSubscriptionOptions options,
                                   std::unique_ptr<MessageChannel> channel, HeadCallback on_head,
                                   LiveCallback on_live)
    : options_(std::move(options)),
      redacted_(core::RedactUrl(options_.endpoint.url)),
      on_head_(std::move(on_head)),
      on_live_(std::move(on_live)),
      session_(std::move(channel), options_.endpoint.timeout,
               [this](std::string_view subscription, std::string_view result) {
                 OnNotification(subscription, result);
               }) {}

HeadSubscription::~HeadSubscription() { Stop(); }

void HeadSubscription::Start() {
  std::lock_guard lock(mu_);
  if (thread_.joinable()) return;
  stop_ = false;
  thread_ = std::thread([this] { Loop(); });
}

void HeadSubscription::Stop() {
  {
    std::lock_guard lock(mu_);
    if (!thread_.joinable()) return;
    stop_ = true;
  }
  session_.channel().Interrupt();
  wake_.notify_all();
  thread_.join();
}

core::Status HeadSubscription::last_status() const {
  std::lock_guard lock(mu_);
  return last_status_;
}

void HeadSubscription::SetLive(bool live) {
  if (live_.exchange(live) == live) return;
  core::MetricsRegistry::Global()
      .GetGauge("chainflow_ingest_head_subscription_up",
                "1 while a newHeads subscription is open", ChainLabels(options_.chain))
      .Set(live ? 1 : 0);
  if (on_live_) on_live_(live);
}

void HeadSubscription::OnNotification(std::string_view subscription, std::string_view result) {
  if (subscription != subscription_) return;  // an earlier subscription's
  auto header = ParseBlockHeader(result, "newHeads");
  if (!header) {
    core::Logger("ingest.evm")
        ->debug("[{}] newHeads notification ignored: {}", options_.chain,
                header.error().ToString());
    return;
  }
  ++notifications_;
  core::MetricsRegistry::Global()
      .GetCounter("chainflow_ingest_head_notifications_total", "newHeads notifications received",
                  ChainLabels(options_.chain))
      .Inc();
  if (on_head_) on_head_(header.value().number);
}

core::Status HeadSubscription::Session() {
  ASSIGN_OR_RETURN(std::string reply, session_.Call(kSubscribe));
  ASSIGN_OR_RETURN(std::string id, ParseRpcResponse(reply, "eth_subscribe"));
  if (id.size() < 2 || id.front() != '"' || id.back() != '"') {
    return core::UnavailableError("eth_subscribe returned " + id);
  }
  subscription_ = id.substr(1, id.size() - 2);
  ++subscriptions_;
  core::MetricsRegistry::Global()
      .GetCounter("chainflow_ingest_head_subscriptions_total",
                  "newHeads subscriptions opened (first and after reconnects)",
                  ChainLabels(options_.chain))
      .Inc();
  core::Logger("ingest.evm")
      ->info("[{}] subscribed to newHeads at {}", options_.chain, redacted_);
  SetLive(true);
  while (true) {
    {
      std::lock_guard lock(mu_);
      if (stop_) return core::CancelledError("stopped");
    }
    RETURN_IF_ERROR(session_.Pump(std::chrono::milliseconds(0)));
  }
}

void HeadSubscription::Loop() {
  try {
    RunLoop();
  } catch (const std::exception& e) {
    core::Logger("ingest.evm")
        ->error("[{}] newHeads subscription at {} failed (ingest keeps polling): {}",
                options_.chain, redacted_, e.what());
    session_.Close();
    SetLive(false);
    std::lock_guard lock(mu_);
    last_status_ = core::InternalError(fmt::format("head subscription: {}", e.what()));
  }
}

void HeadSubscription::RunLoop() {
  auto log = core::Logger("ingest.evm");
  Backoff backoff(options_.backoff_initial, options_.backoff_max, std::random_device{}());
  int failures = 0;
  while (true) {
    uint64_t before = subscriptions_.load();
    core::Status status = Session();
    session_.Close();
    SetLive(false);
    std::unique_lock lock(mu_);
    if (stop_) return;
    last_status_ = status;
    if (IsConfigurationError(status)) {
      log->error("[{}] newHeads subscription at {} given up (ingest keeps polling): {}",
                 options_.chain, redacted_, status.ToString());
      return;
    }
    if (subscriptions_.load() > before) failures = 0;  // it held: start the backoff over
    auto delay = backoff.Delay(failures++);
    // warn once per outage, then debug: a long outage must not flood the log.
    if (failures == 1) {
      log->warn("[{}] newHeads subscription at {} lost ({}); polling, resubscribing",
                options_.chain, redacted_, status.ToString());
    } else {
      log->debug("[{}] resubscribing to newHeads in {} ms: {}", options_.chain, delay.count(),
                 status.ToString());
    }
    if (wake_.wait_for(lock, delay, [this] { return stop_; })) return;
  }
}

}  // namespace chainflow::ingest::evm
