#include "app/views.h"

#include <mutex>

#include <fmt/format.h>

#include "app/topics.h"
#include "engine/abi/catalog.h"
#include "engine/wire/topics.h"
#include "projections/contracts/contract_view.h"
#include "projections/contracts/schema.h"
#include "projections/accruals/accruals_view.h"
#include "projections/intents/intents_projection.h"
#include "projections/intents/projector.h"
#include "projections/nft/nft_projection.h"
#include "projections/nft/projector.h"
#include "projections/pg/keyed_projection.h"
#include "projections/settlements/settlements_view.h"
#include "projections/token/projector.h"
#include "projections/token/token_projection.h"

namespace chainflow::app {

namespace core = engine::core;
namespace pg = projections::pg;

namespace {

// A pg::KeyedView: opened and truncated by the shared keyed projection.
ViewDef Keyed(const pg::KeyedView& view, std::string topic, std::string label) {
  ViewDef def;
  def.name = view.name;
  def.topic = std::move(topic);
  def.label = std::move(label);
  def.rebuild_from_start = true;
  def.open = [&view](const pg::ProjectorOptions& options,
                     std::unique_ptr<engine::log::RecordSource> source,
                     std::unique_ptr<pg::Connection> conn, engine::log::RecordSink* dlq) {
    return pg::OpenKeyedProjector(options, view, std::move(source), std::move(conn), dlq);
  };
  def.truncate = [&view](pg::Connection& conn) { return pg::TruncateView(conn, view); };
  return def;
}

// The ABI catalog shared by the contract views of one Views() call: the
// caller's, or loaded on first use, so listing views (status, rebuild)
// reads no ABI file.
class LazyCatalog {
 public:
  LazyCatalog(const core::Config& config, std::shared_ptr<const engine::abi::Catalog> catalog)
      : config_(config), catalog_(std::move(catalog)) {}
  core::Result<std::shared_ptr<const engine::abi::Catalog>> Get() {
    std::lock_guard lock(mu_);
    if (!catalog_) {
      auto loaded = engine::abi::Catalog::Load(config_);
      if (!loaded) return loaded.error();
      catalog_ = std::move(loaded).value();
    }
    return catalog_;
  }

 private:
  const core::Config& config_;
  std::mutex mu_;
  std::shared_ptr<const engine::abi::Catalog> catalog_;
};

// The generic tables of one [[contracts]] entry by ABI
// (projections/contracts): rebuilt by dropping its schema and replaying its
// topic, whose records each carry the whole row.
ViewDef ContractView(const core::ContractConfig& contract, const std::string& prefix,
                     std::shared_ptr<LazyCatalog> catalog) {
  namespace contracts = projections::contracts;
  ViewDef def;
  def.name = contracts::ProjectionName(contract.name);
  def.topic = engine::wire::ContractTopic(prefix, contract.name);
  def.label = "project " + contract.name;
  def.rebuild_from_start = true;
  std::string name = contract.name;
  def.open = [catalog, name](const pg::ProjectorOptions& options,
                             std::unique_ptr<engine::log::RecordSource> source,
                             std::unique_ptr<pg::Connection> conn,
                             engine::log::RecordSink* dlq)
      -> core::Result<std::unique_ptr<pg::Projector>> {
    ASSIGN_OR_RETURN(auto loaded, catalog->Get());
    return contracts::OpenProjector(options, std::move(loaded), name, std::move(source),
                                    std::move(conn), dlq);
  };
  def.truncate = [name](pg::Connection& conn) {
    return contracts::DropSchema(conn, name, contracts::ProjectionName(name));
  };
  def.finish_bulk_load = [catalog, name](pg::Connection& conn) -> core::Status {
    ASSIGN_OR_RETURN(auto loaded, catalog->Get());
    const engine::abi::CatalogContract* contract = loaded->Find(name);
    if (contract == nullptr) {
      return core::NotFoundError(fmt::format("no ABI contract named \"{}\"", name));
    }
    return contracts::FinishBulkLoad(conn, *contract);
  };
  return def;
}

}  // namespace

std::vector<ViewDef> Views(const core::Config& config,
                           std::shared_ptr<const engine::abi::Catalog> catalog) {
  const std::string& prefix = config.kafka.topic_prefix;
  std::vector<ViewDef> views;
  views.push_back({std::string(projections::nft::kProjectionName), OwnershipTopic(config),
                   "project", false, projections::nft::OpenProjector,
                   projections::nft::Truncate});
  views.push_back({std::string(projections::token::kProjectionName), TokenBalancesTopic(config),
                   "project tokens", false, projections::token::OpenProjector,
                   projections::token::Truncate});
  views.push_back({std::string(projections::intents::kProjectionName), IntentsTopic(config),
                   "project intents", true, projections::intents::OpenProjector,
                   projections::intents::Truncate});
  views.push_back(Keyed(projections::settlements::View(),
                        engine::wire::SettlementsTopic(prefix),
                        "project settlements"));
  views.push_back(Keyed(projections::accruals::View(),
                        engine::wire::AccrualsTopic(prefix), "project accruals"));
  auto shared = std::make_shared<LazyCatalog>(config, std::move(catalog));
  for (const core::ContractConfig& contract : config.contracts) {
    if (contract.ByAbi()) views.push_back(ContractView(contract, prefix, shared));
  }
  return views;
}

std::string ViewNames(const core::Config& config) {
  std::vector<std::string> names;
  for (const ViewDef& v : Views(config)) names.push_back(v.name);
  return fmt::format("{}", fmt::join(names, ", "));
}

}  // namespace chainflow::app
