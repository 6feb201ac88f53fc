#include "tests/support/fake_log.h"

namespace chainflow::testing {

using engine::core::Offset;
using engine::core::PartitionId;
using engine::core::Status;

class FakeSource : public engine::log::RecordSource {
 public:
  explicit FakeSource(FakeLog& log) : log_(log) {}

  Status Assign(const std::vector<engine::log::TopicPartitionOffset>& assignment) override {
    positions_.clear();
    for (const auto& a : assignment) {
      int64_t start = a.offset.value() < 0 ? 0 : a.offset.value();
      positions_[{a.topic, a.partition}] = start;
    }
    return Status::Ok();
  }

  engine::core::Result<std::vector<engine::log::Record>> Poll(
      size_t max_records, std::chrono::milliseconds) override {
    std::vector<engine::log::Record> out;
    std::lock_guard lock(log_.mu_);
    for (auto& [tp, next] : positions_) {
      auto t = log_.topics_.find(tp.topic);
      if (t == log_.topics_.end()) continue;
      auto p = t->second.find(tp.partition.value());
      if (p == t->second.end()) continue;
      while (next < static_cast<int64_t>(p->second.size()) && out.size() < max_records) {
        out.push_back(p->second[next++]);
      }
    }
    return out;
  }

 private:
  FakeLog& log_;
  std::map<engine::log::TopicPartition, int64_t> positions_;
};

Status FakeLog::Send(const engine::log::OutRecord& r) {
  std::lock_guard lock(mu_);
  auto& part = topics_[r.topic][r.partition.value()];
  engine::log::Record rec;
  rec.topic = r.topic;
  rec.partition = r.partition;
  rec.offset = Offset(static_cast<int64_t>(part.size()));
  rec.key = r.key;
  rec.value = r.value;
  rec.headers = r.headers;
  rec.timestamp_ms = r.timestamp_ms;
  part.push_back(std::move(rec));
  return Status::Ok();
}

Status FakeLog::Flush(std::chrono::milliseconds) {
  std::lock_guard lock(mu_);
  Status s = next_flush_;
  next_flush_ = Status::Ok();
  return s;
}

void FakeLog::FailNextFlush(Status status) {
  std::lock_guard lock(mu_);
  next_flush_ = std::move(status);
}

void FakeLog::Append(const std::string& topic, int32_t partition, std::string key,
                     std::string value) {
  engine::log::OutRecord r;
  r.topic = topic;
  r.partition = PartitionId(partition);
  r.key = std::move(key);
  r.value = std::move(value);
  Send(r).IgnoreError();
}

std::vector<engine::log::Record> FakeLog::Read(const std::string& topic, int32_t partition) const {
  std::lock_guard lock(mu_);
  auto t = topics_.find(topic);
  if (t == topics_.end()) return {};
  auto p = t->second.find(partition);
  return p == t->second.end() ? std::vector<engine::log::Record>{} : p->second;
}

std::vector<engine::log::Record> FakeLog::ReadAll(const std::string& topic) const {
  std::lock_guard lock(mu_);
  std::vector<engine::log::Record> out;
  auto t = topics_.find(topic);
  if (t == topics_.end()) return out;
  for (const auto& [p, recs] : t->second) out.insert(out.end(), recs.begin(), recs.end());
  return out;
}

int64_t FakeLog::EndOffset(const std::string& topic, int32_t partition) const {
  return static_cast<int64_t>(Read(topic, partition).size());
}

std::unique_ptr<engine::log::RecordSource> FakeLog::NewSource() {
  return std::make_unique<FakeSource>(*this);
}

}  // namespace chainflow::testing
