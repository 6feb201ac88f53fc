#pragma once

// A small ABI for the contract-events projection's tests: every column
// type, an overloaded event, an indexed string (a topic hash) and a
// parameter whose name collides with a fixed column.

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "engine/abi/catalog.h"
#include "engine/core/config.h"

namespace chainflow::testing {

inline constexpr char kShopAbi[] = R"json([
 {"type":"event","name":"Purchased","anonymous":false,"inputs":[
   {"name":"buyer","type":"address","indexed":true},
   {"name":"ticketId","type":"uint256","indexed":true},
   {"name":"amount","type":"uint256","indexed":false},
   {"name":"memo","type":"string","indexed":false},
   {"name":"ref","type":"bytes32","indexed":false},
   {"name":"paid","type":"bool","indexed":false}]},
 {"type":"event","name":"Tagged","anonymous":false,"inputs":[
   {"name":"tag","type":"string","indexed":true},
   {"name":"delta","type":"int256","indexed":false},
   {"name":"data","type":"bytes","indexed":false},
   {"name":"items","type":"tuple[]","indexed":false,"components":[
     {"name":"who","type":"address"},{"name":"note","type":"string"}]},
   {"name":"blockNumber","type":"uint8[2]","indexed":false}]},
 {"type":"event","name":"Ping","anonymous":false,"inputs":[
   {"name":"a","type":"uint256","indexed":false}]},
 {"type":"event","name":"Ping","anonymous":false,"inputs":[
   {"name":"a","type":"address","indexed":false}]}
])json";

// Writes `abi` to `dir`/Shop.json and loads a catalog with one contract
// "shop" on chain "anvil" (address 0x...5h0p) in `format`.
struct ShopCatalog {
  core::Config config;  // the catalog points into it
  std::shared_ptr<const engine::abi::Catalog> catalog;
  const engine::abi::CatalogContract& shop() const { return *catalog->Find("shop"); }
};

inline std::unique_ptr<ShopCatalog> LoadShop(const std::filesystem::path& dir,
                                            const std::string& abi = kShopAbi,
                                            const std::string& extra = "") {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "Shop.json") << abi;
  auto config = engine::core::Config::Parse(
      fmt::format("[[chains]]\nname = \"anvil\"\n[[contracts]]\nchain = \"anvil\"\n"
                  "name = \"shop\"\naddress = \"0x00000000000000000000000000000000000005a0\"\n"
                  "abi = \"{}\"\n{}",
                  (dir / "Shop.json").string(), extra),
      {});
  if (!config) return nullptr;
  auto out = std::make_unique<ShopCatalog>();
  out->config = std::move(config).value();
  auto catalog = engine::abi::Catalog::Load(out->config);
  if (!catalog) return nullptr;
  out->catalog = catalog.value();
  return out;
}

}  // namespace chainflow::testing
