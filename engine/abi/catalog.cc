#include "engine/abi/catalog.h"

#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "engine/abi/abi_json.h"
#include "engine/abi/snake_case.h"
#include "engine/core/check.h"
#include "engine/core/hex.h"

namespace chainflow::engine::abi {
namespace {

using core::Result;
using core::Status;

std::vector<EventTable> TablesOf(const std::vector<Event>& events) {
  std::map<std::string, int> uses;  // snake_case event name -> how many events have it
  for (const Event& e : events) ++uses[SnakeCase(e.name)];
  const std::set<std::string> fixed(FixedColumns().begin(), FixedColumns().end());
  std::vector<EventTable> tables;
  for (const Event& e : events) {
    EventTable t;
    t.table = SnakeCase(e.name);
    if (uses[t.table] > 1) {
      t.table +=
          "_" + core::ToHex(std::string_view(reinterpret_cast<const char*>(e.topic0.data()), 4))
                    .substr(2);
    }
    for (const EventParam& p : e.inputs) {
      std::string column = SnakeCase(p.name);
      if (column.empty()) column = p.name;  // e.g. "__": CheckColumnNames refuses collisions
      if (fixed.count(column)) column += "_";
      t.columns.push_back(std::move(column));
    }
    tables.push_back(std::move(t));
  }
  return tables;
}

// The columns of one table must differ (after snake_case and the fixed-name
// rule), and so must the tables of one contract.
Status CheckTables(const std::vector<Event>& events, const std::vector<EventTable>& tables) {
  std::set<std::string> names;
  for (size_t i = 0; i < events.size(); ++i) {
    if (!names.insert(tables[i].table).second) {
      return core::InvalidArgumentError(
          fmt::format("events {} and another map to the same table \"{}\"", events[i].signature,
                      tables[i].table));
    }
    std::set<std::string> columns;
    for (size_t c = 0; c < tables[i].columns.size(); ++c) {
      if (tables[i].columns[c].empty() || !columns.insert(tables[i].columns[c]).second) {
        return core::InvalidArgumentError(fmt::format(
            "event {}: parameter `{}` gives column \"{}\", which another parameter has too",
            events[i].signature, events[i].inputs[c].name, tables[i].columns[c]));
      }
    }
  }
  return Status::Ok();
}

Result<CatalogContract> LoadOne(const core::ContractConfig& config) {
  // The bytes the configuration read (one version per process), or the
  // file for a configuration built by hand.
  ASSIGN_OR_RETURN(Abi abi, config.abi_text.empty() ? LoadAbiFile(config.abi)
                                                    : ParseAbiJson(config.abi_text, config.abi));
  ASSIGN_OR_RETURN(std::vector<Event> events, SelectEvents(abi.events, config.events));
  if (events.empty()) {
    return core::InvalidArgumentError(fmt::format("the ABI {} has no events", config.abi));
  }
  std::vector<EventTable> tables = TablesOf(events);
  RETURN_IF_ERROR(CheckTables(events, tables));
  CatalogContract contract{.config = &config,
                           .family = config.factory ? config.factory->contract : config.name,
                           .decoder = EventDecoder(std::move(events)),
                           .tables = std::move(tables)};
  return contract;
}

// Finds the factory's announcing event and its address parameter.
Status ResolveFactory(CatalogContract& made, const CatalogContract& factory) {
  const core::FactoryConfig& f = *made.config->factory;
  Result<std::vector<Event>> selected = SelectEvents(factory.decoder.events(), {f.event});
  if (!selected) {
    return selected.error().WithContext(
        fmt::format("factory.event: among the events contract \"{}\" indexes", f.contract));
  }
  const std::vector<Event>& matching = selected.value();
  if (matching.size() != 1) {
    return core::InvalidArgumentError(fmt::format(
        "factory.event \"{}\" names {} overloads of contract \"{}\"; give its signature", f.event,
        matching.size(), f.contract));
  }
  const Event& event = matching.front();
  for (size_t i = 0; i < event.inputs.size(); ++i) {
    if (event.inputs[i].name != f.parameter) continue;
    if (event.inputs[i].type.kind() != TypeKind::kAddress) {
      return core::InvalidArgumentError(fmt::format(
          "factory.parameter `{}` of {} is {}, not an address", f.parameter, event.signature,
          event.inputs[i].type.canonical()));
    }
    made.announced_by = event.signature;
    made.announced_parameter = i;
    return Status::Ok();
  }
  return core::InvalidArgumentError(
      fmt::format("factory.parameter: {} has no parameter `{}`", event.signature, f.parameter));
}

}  // namespace

const std::vector<std::string>& FixedColumns() {
  static const std::vector<std::string> kColumns = {
      "chain", "contract", "block_number", "block_hash", "block_timestamp",
      "tx_hash", "tx_index", "log_index"};
  return kColumns;
}

Result<std::shared_ptr<const Catalog>> Catalog::Load(const core::Config& config) {
  auto catalog = std::make_shared<Catalog>();
  std::vector<size_t> entry;  // config index of each loaded contract
  for (size_t i = 0; i < config.contracts.size(); ++i) {
    const core::ContractConfig& c = config.contracts[i];
    if (!c.ByAbi()) continue;
    auto loaded = LoadOne(c);
    if (!loaded) {
      return loaded.error().WithContext(fmt::format("config key contracts[{}] ({})", i, c.name));
    }
    catalog->contracts_.push_back(std::move(loaded).value());
    entry.push_back(i);
  }
  for (size_t k = 0; k < catalog->contracts_.size(); ++k) {
    CatalogContract& made = catalog->contracts_[k];
    if (!made.config->factory) continue;
    const CatalogContract* factory = catalog->Find(made.config->factory->contract);
    CF_CHECK(factory != nullptr, "config validation checks that a factory exists");
    RETURN_IF_ERROR(ResolveFactory(made, *factory).WithContext(
        fmt::format("config key contracts[{}] ({})", entry[k], made.name())));
  }
  return std::shared_ptr<const Catalog>(std::move(catalog));
}

const CatalogContract* Catalog::Find(std::string_view name) const {
  for (const CatalogContract& c : contracts_) {
    if (c.name() == name) return &c;
  }
  return nullptr;
}

std::vector<const CatalogContract*> Catalog::OfChain(std::string_view chain) const {
  std::vector<const CatalogContract*> out;
  for (const CatalogContract& c : contracts_) {
    if (c.config->chain == chain) out.push_back(&c);
  }
  return out;
}

}  // namespace chainflow::engine::abi
