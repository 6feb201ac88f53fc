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
    return log_.ReadFrom(positions_, max_records);
  }

  engine::core::Result<std::vector<engine::log::TopicPartitionOffset>> ReadPositions() override {
    std::vector<engine::log::TopicPartitionOffset> out;
    for (const auto& [tp, next] : positions_) out.push_back({tp.topic, tp.partition, Offset(next)});
    return out;
  }

  engine::core::Result<std::vector<engine::log::TopicPartitionOffset>> KnownEnds() override {
    std::vector<engine::log::TopicPartitionOffset> out;
    for (const auto& [tp, next] : positions_) {
      const int64_t end = log_.EndOffset(tp.topic, tp.partition.value());
      out.push_back({tp.topic, tp.partition, Offset(end)});
    }
    return out;
  }

 private:
  FakeLog& log_;
  std::map<engine::log::TopicPartition, int64_t> positions_;
};

Status FakeGroupSource::Assign(const std::vector<engine::log::TopicPartitionOffset>&) {
  return engine::core::FailedPreconditionError("a group member does not assign itself");
}

Status FakeGroupSource::Subscribe(const std::vector<std::string>&,
                                  engine::log::RebalanceListener listener) {
  listener_ = std::move(listener);
  return Status::Ok();
}

void FakeGroupSource::Give(std::vector<engine::log::TopicPartition> partitions) {
  log_.BumpGeneration(group_);
  std::lock_guard lock(mu_);
  pending_.push_back({true, false, std::move(partitions)});
}

void FakeGroupSource::Take(std::vector<engine::log::TopicPartition> partitions, bool lost) {
  log_.BumpGeneration(group_);
  std::lock_guard lock(mu_);
  pending_.push_back({false, lost, std::move(partitions)});
}

std::vector<engine::log::TopicPartition> FakeGroupSource::Owned() const {
  std::lock_guard lock(mu_);
  std::vector<engine::log::TopicPartition> out;
  for (const auto& [tp, next] : positions_) out.push_back(tp);
  return out;
}

Status FakeGroupSource::FatalError() {
  if (!fenced_) return Status::Ok();
  return engine::core::FailedPreconditionError("fake member of " + group_ +
                                               ": FENCED_INSTANCE_ID");
}

engine::core::Result<std::vector<engine::log::Record>> FakeGroupSource::Poll(
    size_t max_records, std::chrono::milliseconds) {
  if (fenced_) return FatalError();
  std::vector<Change> changes;
  {
    std::lock_guard lock(mu_);
    changes.swap(pending_);
  }
  if (!frozen_) {
    std::lock_guard lock(log_.mu_);
    generation_ = log_.generations_[group_];
  }
  for (Change& c : changes) {
    if (c.give) {
      std::vector<engine::log::TopicPartitionOffset> from;
      if (listener_.assigned) from = listener_.assigned(c.partitions);
      std::lock_guard lock(mu_);
      for (const auto& f : from) {
        positions_[{f.topic, f.partition}] = std::max<int64_t>(0, f.offset.value());
      }
    } else {
      if (listener_.revoked) listener_.revoked(c.partitions, c.lost);
      std::lock_guard lock(mu_);
      for (const auto& tp : c.partitions) positions_.erase(tp);
    }
  }
  std::lock_guard lock(mu_);
  return log_.ReadFrom(positions_, max_records);
}

engine::core::Result<std::vector<engine::log::TopicPartitionOffset>>
FakeGroupSource::ReadPositions() {
  std::vector<engine::log::TopicPartitionOffset> out;
  for (const auto& [tp, next] : positions_) out.push_back({tp.topic, tp.partition, Offset(next)});
  return out;
}

Status FakeGroupSource::Seek(const std::vector<engine::log::TopicPartitionOffset>& positions) {
  for (const auto& p : positions) {
    auto it = positions_.find({p.topic, p.partition});
    if (it == positions_.end()) {
      return engine::core::InvalidArgumentError("seek of a partition this member does not own");
    }
    it->second = std::max<int64_t>(0, p.offset.value());
  }
  return Status::Ok();
}

engine::core::Result<engine::log::GroupMetadata> FakeGroupSource::Membership() {
  return engine::log::GroupMetadata{group_, std::to_string(generation_)};
}

std::vector<engine::log::Record> FakeLog::ReadFrom(
    std::map<engine::log::TopicPartition, int64_t>& positions, size_t max) const {
  std::vector<engine::log::Record> out;
  std::lock_guard lock(mu_);
  for (auto& [tp, next] : positions) {
    auto t = topics_.find(tp.topic);
    if (t == topics_.end()) continue;
    auto p = t->second.find(tp.partition.value());
    if (p == t->second.end()) continue;
    while (next < static_cast<int64_t>(p->second.size()) && out.size() < max) {
      out.push_back(p->second[next++]);
    }
  }
  return out;
}

int FakeLog::BumpGeneration(const std::string& group) {
  std::lock_guard lock(mu_);
  return ++generations_[group];
}

std::unique_ptr<FakeGroupSource> FakeLog::NewGroupSource(const std::string& group) {
  return std::make_unique<FakeGroupSource>(*this, group);
}

Status FakeLog::Send(const engine::log::OutRecord& r) {
  std::lock_guard lock(mu_);
  AppendLocked(r);
  return Status::Ok();
}

engine::log::Record FakeLog::AppendLocked(const engine::log::OutRecord& r) {
  auto& part = topics_[r.topic][r.partition.value()];
  engine::log::Record rec;
  rec.topic = r.topic;
  rec.partition = r.partition;
  rec.offset = Offset(static_cast<int64_t>(part.size()));
  rec.key = r.key;
  rec.value = r.value;
  rec.headers = r.headers;
  rec.timestamp_ms = r.timestamp_ms;
  rec.tombstone = r.tombstone;
  part.push_back(rec);
  return rec;
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

std::unique_ptr<FakeTransactionalSink> FakeLog::NewTransactionalSink() {
  return std::make_unique<FakeTransactionalSink>(*this);
}

Status FakeLog::ReadToEnd(
    const std::vector<engine::log::TopicPartitionOffset>& from,
    const std::function<Status(const engine::log::Record&)>& fn) const {
  for (const auto& tpo : from) {
    const std::vector<engine::log::Record> records = Read(tpo.topic, tpo.partition.value());
    int64_t start = tpo.offset.value() < 0 ? 0 : tpo.offset.value();
    if (start > static_cast<int64_t>(records.size())) {
      return engine::core::DataLossError("start offset past the end of " + tpo.topic);
    }
    for (size_t i = static_cast<size_t>(start); i < records.size(); ++i) {
      RETURN_IF_ERROR(fn(records[i]));
    }
  }
  return Status::Ok();
}

std::map<engine::log::TopicPartition, Offset> FakeLog::GroupOffsets(
    const std::string& group) const {
  std::lock_guard lock(mu_);
  auto it = groups_.find(group);
  return it == groups_.end() ? std::map<engine::log::TopicPartition, Offset>{} : it->second;
}

Status FakeTransactionalSink::Send(const engine::log::OutRecord& record) {
  if (!open_) return log_.Send(record);
  pending_.push_back(record);
  return Status::Ok();
}

Status FakeTransactionalSink::Flush(std::chrono::milliseconds) { return Status::Ok(); }

Status FakeTransactionalSink::BeginTransaction() {
  if (open_) return engine::core::FailedPreconditionError("a transaction is already open");
  open_ = true;
  return Status::Ok();
}

Status FakeTransactionalSink::SendOffsetsToTransaction(
    const std::vector<engine::log::TopicPartitionOffset>& offsets,
    const engine::log::GroupMetadata& group, std::chrono::milliseconds) {
  if (!open_) return engine::core::FailedPreconditionError("no open transaction");
  if (!group.membership.empty()) {
    std::lock_guard lock(log_.mu_);
    const int current = log_.generations_[group.group_id];
    if (std::stoi(group.membership) < current) {
      return engine::core::AbortedError("the group has a newer generation: this member is fenced");
    }
  }
  for (const auto& o : offsets) pending_offsets_.emplace_back(group.group_id, o);
  return Status::Ok();
}

engine::core::Result<engine::log::AppendedOffsets> FakeTransactionalSink::CommitTransaction(
    std::chrono::milliseconds) {
  if (!open_) return engine::core::FailedPreconditionError("no open transaction");
  Status fail = std::move(fail_commit_);
  fail_commit_ = Status::Ok();
  engine::log::AppendedOffsets appended;
  if (fail.ok() || fail_lands_) {
    std::lock_guard lock(log_.mu_);
    for (const auto& r : pending_) {
      engine::log::Record rec = log_.AppendLocked(r);
      appended[{rec.topic, rec.partition}] = rec.offset;
    }
    for (const auto& [group, o] : pending_offsets_) {
      log_.groups_[group][{o.topic, o.partition}] = o.offset;
    }
    pending_.clear();
    pending_offsets_.clear();
    open_ = false;
    ++commits_;
  }
  if (!fail.ok()) return fail;  // still open unless it landed: the caller aborts
  return appended;
}

Status FakeTransactionalSink::AbortTransaction(std::chrono::milliseconds) {
  pending_.clear();
  pending_offsets_.clear();
  open_ = false;
  ++aborts_;
  return Status::Ok();
}

void FakeTransactionalSink::FailNextCommit(Status status, bool lands) {
  fail_commit_ = std::move(status);
  fail_lands_ = lands;
}

}  // namespace chainflow::testing
