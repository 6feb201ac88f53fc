#include "app/status_collector.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include "chainflow/v1/events.pb.h"

#include "app/ingest_role.h"
#include "app/processor_role.h"
#include "app/topics.h"
#include "app/views.h"
#include "engine/core/logging.h"
#include "engine/core/metrics.h"
#include "engine/core/url.h"
#include "engine/runtime/standby_placement.h"
#include "engine/runtime/task.h"
#include "ingest/common/admin_tail_reader.h"
#include "ingest/evm/rpc_client.h"
#include "projections/pg/connection.h"
#include "projections/pg/offsets.h"

namespace chainflow::app {

namespace core = engine::core;
namespace log = engine::log;
using api::handlers::PipelineStatus;

core::Result<std::unique_ptr<log::Admin>> OpenStatusAdmin(const core::Config& config) {
  return log::Admin::Open(config.kafka.brokers, kStatusRequestTimeout);
}

StatusCollector::StatusCollector(const core::Config& config, log::Admin& admin,
                                 const IngestRole* ingest,
                                 std::shared_ptr<const engine::abi::Catalog> catalog,
                                 std::chrono::milliseconds max_age)
    : config_(config),
      admin_(admin),
      ingest_(ingest),
      catalog_(std::move(catalog)),
      max_age_(max_age) {}

StatusCollector::~StatusCollector() { StopRefresh(); }

void StatusCollector::StartRefresh(std::chrono::milliseconds interval) {
  std::lock_guard lock(refresh_mu_);
  if (refresh_.joinable()) return;
  refresh_stop_ = false;
  refresh_ = std::thread([this, interval] {
    std::unique_lock lock(refresh_mu_);
    while (!refresh_stop_) {
      lock.unlock();
      auto st = Collect();
      if (!st.has_value()) {
        core::Logger("app")->debug("status refresh: {}", st.error().ToString());
      }
      lock.lock();
      refresh_cv_.wait_for(lock, interval, [this] { return refresh_stop_; });
    }
  });
}

void StatusCollector::StopRefresh() {
  {
    std::lock_guard lock(refresh_mu_);
    refresh_stop_ = true;
  }
  refresh_cv_.notify_all();
  if (refresh_.joinable()) refresh_.join();
}

void StatusCollector::Export(const PipelineStatus& status, int64_t dead_letters) {
  auto& m = core::MetricsRegistry::Global();
  for (const auto& c : status.chains) {
    core::Labels l{{"chain", c.name}};
    if (c.head) m.GetGauge("chainflow_chain_head_block", "Node head block", l).Set(c.head->value());
    if (c.ingested_block) {
      m.GetGauge("chainflow_chain_ingested_block", "Last block fully appended", l)
          .Set(c.ingested_block->value());
    }
    m.GetGauge("chainflow_chain_lag_blocks", "Head minus ingested block", l).Set(c.lag_blocks);
    if (c.finalized_block) {
      m.GetGauge("chainflow_chain_finalized_block", "Finalized block", l)
          .Set(c.finalized_block->value());
    }
    if (c.lag_seconds) {
      m.GetGauge("chainflow_chain_lag_seconds", "Now minus the last ingested block's time", l)
          .Set(static_cast<double>(*c.lag_seconds));
    }
    m.GetGauge("chainflow_chain_reorgs", "Reorgs handled on the chain", l).Set(c.reorgs);
    m.GetGauge("chainflow_chain_deepest_reorg_blocks", "Most blocks one reorg reverted", l)
        .Set(c.deepest_reorg);
  }
  for (const auto& c : status.consumers) {
    m.GetGauge("chainflow_consumer_lag_records", "Records not yet consumed",
               {{"kind", c.kind}, {"name", c.name}, {"topic", c.topic},
                {"partition", std::to_string(c.partition.value())}})
        .Set(static_cast<double>(c.lag));
    m.GetGauge("chainflow_consumer_open_transaction_offsets",
               "Offsets above the last stable offset, held back by open transactions",
               {{"kind", c.kind}, {"name", c.name}, {"topic", c.topic},
                {"partition", std::to_string(c.partition.value())}})
        .Set(static_cast<double>(c.in_open_transactions));
  }
  m.GetGauge("chainflow_dead_letter_records", "Records in the dead-letter topic",
             {{"topic", DeadLetterTopic(config_)}})
      .Set(static_cast<double>(dead_letters));
  for (const auto& service : status.services) {
    m.GetGauge("chainflow_service_reachable", "1 when the status collection reached the service",
               {{"service", service.name}})
        .Set(service.reachable ? 1 : 0);
  }
  m.GetGauge("chainflow_ready", "1 when caught up (see /readyz)").Set(status.ready ? 1 : 0);
}

core::Result<PipelineStatus> StatusCollector::Collect() {
  const auto asked = std::chrono::steady_clock::now();
  std::lock_guard lock(mu_);
  auto now = std::chrono::steady_clock::now();
  // One collection at a time, and a caller that waited for one takes its
  // answer, error included: with a service down a collection can take
  // seconds, and callers queued behind it (every /readyz) must not each
  // run another in turn.
  if (last_done_ >= asked && !last_error_.ok()) return last_error_;
  if (cached_ && (now - cached_at_ < max_age_ || cached_at_ >= asked)) return *cached_;
  core::Result<PipelineStatus> collected = CollectNow();
  last_done_ = std::chrono::steady_clock::now();
  last_error_ = collected.has_value() ? core::Status::Ok() : collected.error();
  if (!collected.has_value()) return collected.error();
  PipelineStatus fresh = std::move(collected).value();
  now = std::chrono::steady_clock::now();  // the age counts from when it was read
  const bool kafka_up = std::all_of(fresh.services.begin(), fresh.services.end(),
                                    [](const auto& s) { return s.name != "kafka" || s.reachable; });
  if (kafka_up) {  // else the last count stands: asking would wait out another timeout
    auto dlq_ends = EndOffsets(admin_, {DeadLetterTopic(config_)});
    if (dlq_ends.has_value()) {
      dead_letters_ = 0;
      for (const auto& [tp, end] : dlq_ends.value()) dead_letters_ += end.value();
    }
  }
  Export(fresh, dead_letters_);
  cached_ = fresh;
  cached_at_ = now;
  return fresh;
}

// `text` on one line: libpq's messages end in "\n" and add hints on tab-indented lines.
static std::string OneLine(const std::string& text) {
  std::string out;
  for (char c : text) {
    const bool space = c == '\n' || c == '\t' || c == ' ';
    if (space && (out.empty() || out.back() == ' ')) continue;
    out += space ? ' ' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

namespace {

// Abandons `pg`'s session (Connection::Abandon) from a thread of its own
// unless destroyed within `after`.
class AbandonAfter {
 public:
  AbandonAfter(projections::pg::Connection* pg, std::chrono::milliseconds after) {
    if (pg == nullptr) return;
    thread_ = std::thread([this, pg, after] {
      std::unique_lock lock(mu_);
      if (!cv_.wait_for(lock, after, [this] { return done_; })) {
        fired_ = true;
        pg->Abandon();
      }
    });
  }
  ~AbandonAfter() {
    {
      std::lock_guard lock(mu_);
      done_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  AbandonAfter(const AbandonAfter&) = delete;
  AbandonAfter& operator=(const AbandonAfter&) = delete;

  bool fired() {
    std::lock_guard lock(mu_);
    return fired_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool done_ = false;
  bool fired_ = false;
  std::thread thread_;
};

}  // namespace

core::Result<PipelineStatus> StatusCollector::CollectNow() {
  PipelineStatus out;
  // Each service is probed on its own, so an outage of one is named even
  // while the other is down too; what needs a service that is down is left
  // out of this collection.
  PipelineStatus::Service kafka{"kafka", core::RedactUrl(config_.kafka.brokers)};
  PipelineStatus::Service postgres{"postgres", core::RedactUrl(config_.postgres.url)};
  std::unique_ptr<projections::pg::Connection> pg;
  core::Status pg_status = OpenPostgres(pg);
  core::Status kafka_status = CollectChains(out);
  if (kafka_status.ok()) kafka_status = CollectConsumers(out, pg.get(), pg_status);
  // Anything but an outage (a missing topic, a bad ABI) fails the collection
  // as before.
  if (!kafka_status.ok() && !core::IsRetryable(kafka_status)) return kafka_status;
  auto add_service = [&out](PipelineStatus::Service service, const core::Status& status) {
    service.reachable = status.ok();
    if (!status.ok()) service.error = OneLine(status.ToString());
    out.services.push_back(std::move(service));
  };
  add_service(std::move(kafka), kafka_status);
  add_service(std::move(postgres), pg_status);

  out.ready = true;
  for (const auto& service : out.services) {
    if (service.reachable) continue;
    out.ready = false;
    out.not_ready_reason = fmt::format("{} unreachable ({}): {}", service.name, service.endpoint,
                                       service.error);
    return out;
  }
  for (const auto& chain : out.chains) {
    const core::ChainConfig* cfg = config_.FindChain(chain.name);
    if (cfg->rpc.empty()) continue;
    if (!chain.head) {
      out.ready = false;
      out.not_ready_reason = fmt::format("chain {}: head unknown", chain.name);
      break;
    }
    uint64_t target = chain.head->value() > cfg->confirmations
                          ? chain.head->value() - cfg->confirmations : 0;
    uint64_t ingested = chain.ingested_block ? chain.ingested_block->value() : 0;
    if (ingested < target) {
      out.ready = false;
      out.not_ready_reason =
          fmt::format("chain {}: ingested block {} of {}", chain.name, ingested, target);
      break;
    }
  }
  if (out.ready) {
    for (const auto& c : out.consumers) {
      if (c.lag > 0) {
        out.ready = false;
        out.not_ready_reason = fmt::format("{} {}: {} records behind on {}/{}", c.kind, c.name,
                                           c.lag, c.topic, c.partition.value());
        break;
      }
    }
  }
  return out;
}

// The lowest finalized block the intents tasks of this process report for
// `chain` (IntentsProcessor's gauge); nullopt when none runs here.
static std::optional<core::BlockNumber> DecisionsBlock(const std::string& chain) {
  std::optional<core::BlockNumber> lowest;
  for (const auto& [labels, value] :
       core::MetricsRegistry::Global().GaugeValues("chainflow_intents_finalized_block")) {
    auto named = labels.find("chain");
    if (named == labels.end() || named->second != chain) continue;
    const auto block = core::BlockNumber(static_cast<uint64_t>(value));
    if (!lowest || block.value() < lowest->value()) lowest = block;
  }
  return lowest;
}

core::Status StatusCollector::CollectChains(PipelineStatus& out) {
  for (const auto& chain : config_.chains) {
    PipelineStatus::Chain c;
    c.name = chain.name;
    std::string topic = ChainEventsTopic(config_, chain.name);
    ASSIGN_OR_RETURN(int partitions, admin_.PartitionCount(topic));
    ingest::common::AdminTailReader tails(admin_, topic);
    std::optional<uint64_t> ingested;
    bool any = false;
    for (int p = 0; p < partitions; ++p) {
      ASSIGN_OR_RETURN(auto last, tails.LastPosition(core::PartitionId(p)));
      if (!last) continue;  // empty partition: says nothing about progress
      any = true;
      // A BlockReverted marker's block is the ancestor the chain is back at.
      uint64_t complete =
          last->IsBlockEnd() || last->IsReverted() ? last->block : last->block - 1;
      ingested = ingested ? std::min(*ingested, complete) : complete;
      c.reorgs = std::max<uint64_t>(c.reorgs, last->fork);  // a fork per reorg
    }
    if (any && ingested) c.ingested_block = core::BlockNumber(*ingested);
    // Finality, reorg counts and event time from the newest BlockEnd: the
    // log says it, whichever process ingests.
    std::optional<uint64_t> finalized;
    int64_t block_time = 0;
    ASSIGN_OR_RETURN(std::optional<log::Record> last0,
                     admin_.ReadLastRecord(topic, core::PartitionId(0)));
    if (last0) {
      v1::Envelope envelope;
      if (envelope.ParseFromString(last0->value) && envelope.has_block_end()) {
        const v1::BlockEnd& end = envelope.block_end();
        c.reorgs = std::max<uint64_t>(c.reorgs, end.reorgs());
        c.deepest_reorg = end.deepest_reorg();
        block_time = static_cast<int64_t>(end.timestamp());
        if (end.finalized() > 0) finalized = end.finalized();
      }
    }
    if (ingest_) {
      // In-process ingest knows its progress before the topic tails show it.
      for (const auto& p : ingest_->Progress()) {
        if (p.chain != chain.name) continue;
        if (p.head > 0) c.head = core::BlockNumber(p.head);
        if (p.ingested > 0 && (!c.ingested_block || c.ingested_block->value() < p.ingested)) {
          c.ingested_block = core::BlockNumber(p.ingested);
        }
        if (p.finalized > 0) finalized = p.finalized;
        c.reorgs = std::max(c.reorgs, p.reorgs);
        c.deepest_reorg = std::max(c.deepest_reorg, p.deepest_reorg);
        if (p.ingested_time > block_time) block_time = p.ingested_time;
        if (!p.status.ok()) c.error = p.status.ToString();
      }
    }
    if (!chain.rpc.empty() && block_time > 0) {
      int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
      c.lag_seconds = std::max<int64_t>(0, now - block_time);
    }
    if (!c.head && !chain.rpc.empty()) {
      std::unique_ptr<ingest::evm::RpcClient>& rpc = rpcs_[chain.name];
      if (!rpc) {
        // A status snapshot must not wait out ingest's retries: one short
        // attempt, and the head stays unknown this time if it fails.
        ingest::evm::RpcOptions options = ingest::evm::RpcOptionsFor(chain);
        options.timeout = std::chrono::seconds(2);
        options.max_retries = 0;
        auto opened = ingest::evm::RpcClient::Open(std::move(options));
        if (opened.has_value()) rpc = std::move(opened).value();
      }
      if (rpc) {
        auto head = rpc->BlockNumber();
        if (head.has_value()) {
          c.head = core::BlockNumber(head.value());
        } else {
          rpc.reset();  // reconnect next time
        }
      }
    }
    if (c.head && c.ingested_block) {
      c.lag_blocks = c.head->value() > c.ingested_block->value()
                         ? c.head->value() - c.ingested_block->value() : 0;
      uint64_t safe = c.head->value() > chain.finality_depth
                          ? c.head->value() - chain.finality_depth : 0;
      c.finalized_block = core::BlockNumber(
          std::min(finalized.value_or(safe), c.ingested_block->value()));
    } else if (chain.rpc.empty() && c.ingested_block) {
      c.finalized_block = c.ingested_block;  // history files hold final blocks only
    }
    c.decisions_block = DecisionsBlock(chain.name);
    out.chains.push_back(std::move(c));
  }
  return core::Status::Ok();
}

core::Status StatusCollector::OpenPostgres(std::unique_ptr<projections::pg::Connection>& out) {
  // A fresh session per collection, given up after a few seconds: a kept
  // session would hang a collection, and every /readyz behind it, for as
  // long as a server stopped with SIGSTOP does not answer.
  auto opened = projections::pg::Connection::Open(
      projections::pg::WithConnectTimeout(config_.postgres.url, kPostgresConnectTimeoutSeconds));
  if (!opened.has_value()) return opened.error();
  out = std::move(opened).value();
  return core::Status::Ok();
}

core::Status StatusCollector::CollectConsumers(PipelineStatus& out,
                                               projections::pg::Connection* pg,
                                               core::Status& pg_status) {
  auto add = [&](const std::string& kind, const std::string& name,
                 const std::map<log::TopicPartition, core::Offset>& positions,
                 const std::vector<std::string>& topics) -> core::Status {
    ASSIGN_OR_RETURN(auto ends, EndOffsets(admin_, topics));
    for (const auto& [tp, end] : ends) {
      PipelineStatus::Consumer c;
      c.kind = kind;
      c.name = name;
      c.topic = tp.topic;
      c.partition = tp.partition;
      auto it = positions.find(tp);
      int64_t next = it == positions.end() || it->second.value() < 0 ? 0 : it->second.value();
      c.next_offset = core::Offset(next);
      c.end_offset = end;
      c.lag = std::max<int64_t>(0, end.value() - next);
      // `end` is the last stable offset: what a transaction still open (a
      // killed instance's, until the broker aborts it) holds back is not
      // lag yet, and shows here.
      ASSIGN_OR_RETURN(core::Offset high, admin_.QueryHighWatermark(tp.topic, tp.partition));
      c.in_open_transactions = std::max<int64_t>(0, high.value() - end.value());
      out.consumers.push_back(c);
    }
    return core::Status::Ok();
  };

  // Every processor, by the offsets it reports to its consumer group.
  auto add_processor = [&](const engine::runtime::ProcessorSpec& spec) -> core::Status {
    const std::string& name = spec.name;
    const std::vector<std::string>& inputs = spec.input_topics;
    ASSIGN_OR_RETURN(auto partitions, PartitionsOf(admin_, inputs));
    const std::string group = ProcessorGroupId(config_, name);
    ASSIGN_OR_RETURN(auto committed, admin_.CommittedOffsets(group, partitions));
    std::map<log::TopicPartition, core::Offset> processor;
    for (const auto& c : committed) processor[{c.topic, c.partition}] = c.offset;
    const size_t first = out.consumers.size();
    RETURN_IF_ERROR(add("processor", name, processor, inputs));
    // Who owns each partition now, by the group's own account (any process
    // can ask): a member's static name is `<instance id>-<thread>`.
    ASSIGN_OR_RETURN(log::GroupDescription described, admin_.DescribeGroup(group));
    std::map<log::TopicPartition, std::string> owners;
    for (const log::GroupMember& m : described.members) {
      for (const auto& tp : m.partitions) {
        owners[tp] = m.instance_id.empty() ? m.client_id : m.instance_id;
      }
    }
    // Who keeps a standby copy of each task: the placement every instance
    // computes from the same description (engine/runtime/standby_placement.h).
    std::map<std::string, std::vector<std::string>> standbys;  // by task folder
    if (config_.engine.num_standby_replicas > 0 && described.state == "Stable") {
      engine::runtime::TaskLayout layout{spec.co_partitioned, {}};
      for (const std::string& input : inputs) {
        layout.changelog_topics[input] =
            ChangelogTopic(config_, name, input, spec.co_partitioned);
      }
      for (engine::runtime::TaskPlacement& p : engine::runtime::PlaceStandbys(
               described, layout, config_.engine.num_standby_replicas)) {
        standbys[p.dir] = std::move(p.standbys);
      }
    }
    for (size_t i = first; i < out.consumers.size(); ++i) {
      const log::TopicPartition tp{out.consumers[i].topic, out.consumers[i].partition};
      auto it = owners.find(tp);
      if (it != owners.end()) out.consumers[i].owner = it->second;
      auto sb = standbys.find(engine::runtime::TaskDirName(tp, spec.co_partitioned));
      if (sb != standbys.end()) out.consumers[i].standbys = sb->second;
    }
    return core::Status::Ok();
  };
  // The processors do not change while the process runs: found once (their
  // partitions counted), not at every refresh.
  if (!processors_) {
    ASSIGN_OR_RETURN(processors_, ConfiguredProcessors(config_, admin_, catalog_));
  }
  for (const LeveledSpec& p : *processors_) {
    RETURN_IF_ERROR(add_processor(p.spec));
  }

  // Every view, by the offsets it stores with its rows; none while
  // PostgreSQL cannot be reached (their lag is unknown, not the whole topic).
  // All read first, within one deadline: a server that stopped answering
  // (SIGSTOP, a frozen VM) would hold the collection, and every /readyz
  // behind it, until it resumes.
  const std::vector<ViewDef> views = Views(config_);
  std::vector<projections::pg::OffsetMap> stored_offsets(views.size());
  if (pg_status.ok()) {
    AbandonAfter deadline(pg, std::chrono::seconds(kPostgresQueryTimeoutSeconds));
    for (size_t i = 0; i < views.size(); ++i) {
      auto stored = projections::pg::ReadOffsets(*pg, views[i].name);
      if (stored.has_value()) {
        stored_offsets[i] = std::move(stored).value();
      } else if (core::IsRetryable(stored.error())) {
        pg_status = stored.error();  // lost between connecting and reading
        break;
      }
      // Otherwise the table may not exist yet (before the projector's first
      // start): nothing stored.
    }
    if (!pg_status.ok() && deadline.fired()) {
      pg_status = core::UnavailableError(
          fmt::format("PostgreSQL did not answer within {} s ({})", kPostgresQueryTimeoutSeconds,
                      pg_status.message()));
    }
  }
  if (!pg_status.ok()) return core::Status::Ok();
  for (size_t i = 0; i < views.size(); ++i) {
    RETURN_IF_ERROR(add("projection", views[i].name, stored_offsets[i], {views[i].topic}));
  }
  return core::Status::Ok();
}

}  // namespace chainflow::app
