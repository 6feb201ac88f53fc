#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include <fmt/format.h>

#include "benchmarks/sold_contract.h"
#include "engine/abi/catalog.h"
#include "engine/core/config.h"

namespace chainflow::benchmarks {

// The catalog of one contract "bench" at kSoldAddress on chain "mainnet", in
// `format` ("protobuf" or "json"), its ABI written to `dir`; `*config` gets
// the configuration it came from. Null when it does not load.
inline std::shared_ptr<const engine::abi::Catalog> SoldCatalog(const std::filesystem::path& dir,
                                                               const std::string& format,
                                                               core::Config* config) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "sold.json") << kSoldAbi;
  auto parsed = core::Config::Parse(
      fmt::format("[[chains]]\nname = \"mainnet\"\n[[contracts]]\nchain = \"mainnet\"\n"
                  "name = \"bench\"\naddress = \"{}\"\nabi = \"{}\"\nformat = \"{}\"\n",
                  kSoldAddress, (dir / "sold.json").string(), format),
      {});
  if (!parsed) return nullptr;
  *config = std::move(parsed).value();
  auto catalog = engine::abi::Catalog::Load(*config);
  return catalog ? catalog.value() : nullptr;
}

}  // namespace chainflow::benchmarks
