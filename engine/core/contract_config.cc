// [[contracts]]: parsing and validation (config.h ContractConfig).
#include <filesystem>
#include <fstream>
#include <iterator>
#include <set>

#include "engine/core/internal/config_fields.h"

namespace chainflow::engine::core::config_internal {
namespace {

constexpr size_t kMaxNameLength = 40;  // topic, schema and table names are built from it

bool IsSnakeName(const std::string& name) {
  if (name.empty() || name.size() > kMaxNameLength || name[0] < 'a' || name[0] > 'z') {
    return false;
  }
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) return false;
  }
  return true;
}

Status ParseFactory(const toml::node& node, const std::string& where, ContractConfig& out) {
  const toml::table* table = node.as_table();
  if (!table) {
    return TypeError(where, "a table { contract = \"...\", event = \"...\", parameter = \"...\" }");
  }
  FactoryConfig factory;
  RETURN_IF_ERROR(ApplyTable(*table,
                             {{"contract", StringField(&factory.contract)},
                              {"event", StringField(&factory.event)},
                              {"parameter", StringField(&factory.parameter)}},
                             where));
  for (const auto& [key, value] : {std::pair<const char*, const std::string*>{
                                       "contract", &factory.contract},
                                   {"event", &factory.event},
                                   {"parameter", &factory.parameter}}) {
    if (value->empty()) {
      return InvalidArgumentError(fmt::format("config key {}.{} is missing", where, key));
    }
  }
  out.factory = std::move(factory);
  return Status::Ok();
}

Status ValidateStandard(const ContractConfig& c, const std::string& where) {
  static const std::set<std::string> kStandards = {"erc721", "erc1155", "erc20"};
  if (!kStandards.count(c.standard)) {
    return InvalidArgumentError(fmt::format(
        "config key {}.standard: \"{}\" is not erc721, erc1155 or erc20", where, c.standard));
  }
  if (c.addresses.size() != 1) {
    return InvalidArgumentError(fmt::format(
        "config key {}.address: a standard contract has exactly one address", where));
  }
  if (!c.name.empty() || !c.events.empty() || c.factory || c.format != "protobuf") {
    return InvalidArgumentError(fmt::format(
        "config key {}: name, events, factory and format are for contracts by abi; this one "
        "has standard = \"{}\"",
        where, c.standard));
  }
  return Status::Ok();
}

Status ValidateByAbi(const ContractConfig& c, const std::string& where) {
  if (!IsSnakeName(c.name)) {
    return InvalidArgumentError(fmt::format(
        "config key {}.name: \"{}\" is not snake_case ([a-z][a-z0-9_]*, at most {} "
        "characters); it names the contract's topic, schema and API path",
        where, c.name, kMaxNameLength));
  }
  if (c.format != "protobuf" && c.format != "json") {
    return InvalidArgumentError(
        fmt::format("config key {}.format: \"{}\" is not protobuf or json", where, c.format));
  }
  if (c.addresses.empty() && !c.factory) {
    return InvalidArgumentError(fmt::format(
        "config key {}: contract \"{}\" needs an address (or addresses) or a factory", where,
        c.name));
  }
  return Status::Ok();
}

}  // namespace

Status ParseContract(const toml::table& table, const std::string& where, ContractConfig& out) {
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  FieldMap fields = {{"chain", StringField(&out.chain)},
                     {"address", AddressListField(&out.addresses)},
                     {"standard", StringField(&out.standard)},
                     {"name", StringField(&out.name)},
                     {"abi", StringField(&out.abi)},
                     {"events", StringListField(&out.events)},
                     {"start_block", IntField(&out.start_block, 0, kMax)},
                     {"format", StringField(&out.format)}};
  fields["factory"] = {[&out](const toml::node& n, const std::string& w) {
                         return ParseFactory(n, w, out);
                       },
                       [](const std::string&, const std::string& w) {
                         return TypeError(w, "a table (not settable from the environment)");
                       }};
  RETURN_IF_ERROR(ApplyTable(table, std::move(fields), where));
  if (!out.addresses.empty()) out.address = out.addresses.front();
  return Status::Ok();
}

Status ValidateContracts(const Config& config) {
  std::set<std::string> chains;
  for (const ChainConfig& chain : config.chains) chains.insert(chain.name);
  std::set<std::string> names;
  for (size_t i = 0; i < config.contracts.size(); ++i) {
    const ContractConfig& c = config.contracts[i];
    const std::string where = fmt::format("contracts[{}]", i);
    if (!chains.count(c.chain)) {
      return InvalidArgumentError(
          fmt::format("config key {}.chain: no chain named \"{}\"", where, c.chain));
    }
    if (c.standard.empty() == c.abi.empty()) {
      return InvalidArgumentError(fmt::format(
          "config key {}: give either standard (erc721, erc1155, erc20) or abi (a JSON ABI "
          "file)",
          where));
    }
    RETURN_IF_ERROR(c.ByAbi() ? ValidateByAbi(c, where) : ValidateStandard(c, where));
    if (c.ByAbi() && !names.insert(c.name).second) {
      return InvalidArgumentError(
          fmt::format("config key {}.name: \"{}\" is used by another contract", where, c.name));
    }
  }
  for (size_t i = 0; i < config.contracts.size(); ++i) {
    const ContractConfig& c = config.contracts[i];
    if (!c.factory) continue;
    const std::string where = fmt::format("contracts[{}].factory.contract", i);
    const ContractConfig* factory = config.FindContract(c.factory->contract);
    if (!factory) {
      return InvalidArgumentError(fmt::format(
          "config key {}: no contract by abi named \"{}\"", where, c.factory->contract));
    }
    if (factory->chain != c.chain || factory == &c || factory->factory) {
      return InvalidArgumentError(fmt::format(
          "config key {}: \"{}\" must be another contract of chain \"{}\" with addresses of "
          "its own (not itself made by a factory)",
          where, c.factory->contract, c.chain));
    }
  }
  return Status::Ok();
}

Status ResolveContractFiles(Config& config, const std::string& source) {
  std::error_code ec;
  const bool from_file = std::filesystem::is_regular_file(source, ec);
  const std::filesystem::path dir =
      from_file ? std::filesystem::path(source).parent_path() : std::filesystem::path();
  for (size_t i = 0; i < config.contracts.size(); ++i) {
    ContractConfig& c = config.contracts[i];
    if (!c.ByAbi()) continue;
    std::filesystem::path path(c.abi);
    if (path.is_relative() && !dir.empty()) c.abi = (dir / path).lexically_normal().string();
    std::ifstream in(c.abi, std::ios::binary);
    if (!in) {
      return InvalidArgumentError(fmt::format("config key contracts[{}].abi: cannot read \"{}\"",
                                              i, c.abi));
    }
    c.abi_text.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    if (in.bad()) {
      return InvalidArgumentError(fmt::format("config key contracts[{}].abi: cannot read \"{}\"",
                                              i, c.abi));
    }
  }
  return Status::Ok();
}

}  // namespace chainflow::engine::core::config_internal
