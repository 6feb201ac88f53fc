#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/subprocess.h"

namespace chainflow::testing {

// A private Anvil (chain id 31337) on a free loopback port, for tests that
// mine or reorganise without disturbing the shared one on 8545. It
// auto-mines (a block per transaction) unless `extra_args` says otherwise,
// e.g. {"--block-time", "1"} for a block every second. The binary is
// ops/.tools/node/node_modules/.bin/anvil (ops/setup), or $CF_ANVIL_BIN.
class LocalAnvil {
 public:
  // Starts Anvil with `extra_args` appended to its command line and waits (up
  // to 30 s) until it accepts connections. nullptr with *why set if the
  // binary is missing or it does not come up.
  static std::unique_ptr<LocalAnvil> Start(std::string* why,
                                           std::vector<std::string> extra_args = {});
  ~LocalAnvil();  // kills Anvil

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  uint16_t port() const { return port_; }

 private:
  LocalAnvil(std::unique_ptr<Subprocess> process, uint16_t port)
      : process_(std::move(process)), port_(port) {}
  std::unique_ptr<Subprocess> process_;
  uint16_t port_;
};

// A test contract deployed with tests/support/node/deploy.js.
struct DeployedContract {
  std::string address;                           // lowercase 0x hex
  std::map<std::string, std::string> selectors;  // "mint(address,uint256)" -> 8 hex digits
  // The JSON ABI (as solc emits it) of every contract of its source file, by
  // contract name (a factory's products among them).
  std::map<std::string, std::string> abis;
};

// Compiles and deploys tests/support/contracts/<name>.sol to `rpc_url` with
// node; nullopt with *why set on failure.
std::optional<DeployedContract> DeployContract(const std::string& rpc_url, const std::string& name,
                                               std::string* why);

}  // namespace chainflow::testing
