#include "api/handlers/user_clock.h"

#include <fmt/format.h>

#include "chainflow/v1/events.pb.h"
#include "engine/core/logging.h"
#include "engine/log/cloud_events.h"
#include "engine/wire/event_types.h"

namespace chainflow::api::handlers {

std::vector<engine::log::OutRecord> UserClockRecords(const std::string& topic,
                                                     int32_t partitions,
                                                     const std::string& writer, int64_t time) {
  chainflow::v1::Envelope envelope;
  envelope.set_id(fmt::format("clock/{}/{}", writer, time));
  envelope.mutable_user_clock()->set_time(static_cast<uint64_t>(time));
  envelope.mutable_user_clock()->set_writer(writer);
  engine::log::OutRecord record;
  record.topic = topic;
  record.key = "clock/" + writer;
  record.value = envelope.SerializeAsString();
  record.headers = engine::log::CloudEventHeaders(
      {envelope.id(), "chainflow/api", engine::wire::kUserClockType, time});
  record.timestamp_ms = time * 1000;
  std::vector<engine::log::OutRecord> out;
  for (int32_t p = 0; p < partitions; ++p) {
    record.partition = engine::core::PartitionId(p);
    out.push_back(record);
  }
  return out;
}

UserClockTicker::UserClockTicker(engine::log::RecordSink& sink, std::string topic,
                                 int32_t partitions, std::string writer,
                                 std::chrono::milliseconds interval, NowFn now)
    : sink_(sink),
      topic_(std::move(topic)),
      partitions_(partitions),
      writer_(std::move(writer)),
      interval_(interval),
      now_(std::move(now)) {}

UserClockTicker::~UserClockTicker() { Stop(); }

engine::core::Status UserClockTicker::TickOnce() {
  for (const auto& record : UserClockRecords(topic_, partitions_, writer_, now_())) {
    RETURN_IF_ERROR(sink_.Send(record));
  }
  return engine::core::Status::Ok();
}

void UserClockTicker::Start() {
  if (thread_.joinable()) return;
  {
    std::lock_guard lock(mu_);
    stop_ = false;
  }
  auto logger = engine::core::Logger("api.handlers");
  // The first tick before returning, so event time starts moving at once.
  engine::core::Status sent = TickOnce();
  if (!sent.ok()) logger->warn("user clock tick: {}", sent.ToString());
  thread_ = std::thread([this, logger] {
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      engine::core::Status sent = TickOnce();
      if (!sent.ok()) logger->warn("user clock tick: {}", sent.ToString());
      lock.lock();
    }
  });
}

void UserClockTicker::Stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace chainflow::api::handlers
